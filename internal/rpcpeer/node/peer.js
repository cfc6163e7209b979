'use strict';

// A SOFA Bolt peer for velox's tests: it encodes and decodes frames with
// sofa-bolt-node's own protocol code, driven by one JSON object per line on
// stdin, answering one JSON object per line on stdout (rpcpeer.go is the
// other end). Frames travel as base64. It ends when stdin does.
//
// Ops:
//   {op:"request", id, service, method, args, props, oneway, timeout, version, crc}
//   {op:"response", id, value, errorMsg, version, crc}
//   {op:"heartbeat", id, version, crc}     {op:"heartbeatAck", id, version, crc}
//   {op:"decode", frame}
// Answers: {frame} for encodes; for decode {packetType, packetId, className,
// timeout, data, error, header}; {fail: message} when the library throws.

const readline = require('readline');
const protocol = require('sofa-bolt-node/lib/protocol');
const SimpleMapSerializer = require('sofa-bolt-node/lib/simple_map_serializer');

function options(m) {
  const v2 = m.version === 2;
  return {
    protocolType: v2 ? 'bolt2' : 'bolt',
    codecType: 'hessian2',
    boltVersion: 1,
    crcEnable: !!m.crc,
  };
}

const encoders = {
  request(m) {
    return protocol.requestEncode(m.id, {
      serverSignature: m.service,
      methodName: m.method,
      args: m.args || [],
      requestProps: m.props || null,
      timeout: m.timeout || 3000,
      oneway: !!m.oneway,
      targetAppName: 'velox-test',
    }, options(m));
  },
  response(m) {
    const res = m.errorMsg ? { isError: true, errorMsg: m.errorMsg, appResponse: null } : { isError: false, appResponse: m.value };
    return protocol.responseEncode(m.id, res, options(m));
  },
  heartbeat(m) {
    return protocol.heartbeatEncode(m.id, { timeout: 3000 }, options(m));
  },
  heartbeatAck(m) {
    return protocol.heartbeatAckEncode(m.id, options(m));
  },
};

// headerMap reads a frame's header map with the library's serializer (its
// decoder skips the map for hessian2 content).
function headerMap(buf) {
  const v2 = buf[0] === 2;
  const type = buf[v2 ? 2 : 1];
  const resp = type === 0;
  const lens = (v2 ? 2 : 0) + (resp ? 12 : 14);
  const hdrLen = (v2 ? 2 : 0) + (resp ? 20 : 22);
  const classLen = buf.readInt16BE(lens);
  const metaLen = buf.readInt16BE(lens + 2);
  const start = hdrLen + classLen;
  return SimpleMapSerializer.decode(buf.slice(start, start + metaLen));
}

function decode(m) {
  const buf = Buffer.from(m.frame, 'base64');
  const p = protocol.decode(buf, { sentReqs: new Map() });
  const out = {
    packetType: p.packetType,
    packetId: p.packetId >>> 0,
    className: p.className || '',
    timeout: p.options && p.options.timeout,
    header: headerMap(buf),
  };
  const d = p.data || {};
  if (p.packetType === 'request') {
    out.data = { service: d.serverSignature, method: d.methodName, args: d.args, props: d.requestProps };
  } else if (p.packetType === 'response') {
    out.data = { value: d.appResponse };
    if (d.error) out.error = d.error.message;
  }
  return out;
}

function handle(m) {
  if (m.op === 'decode') return decode(m);
  const enc = encoders[m.op];
  if (!enc) throw new Error('unknown op ' + m.op);
  return { frame: Buffer.from(enc(m)).toString('base64') };
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', line => {
  let out;
  try {
    out = handle(JSON.parse(line));
  } catch (err) {
    out = { fail: String(err && err.message || err) };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
});
rl.on('close', () => process.exit(0));
