'use strict';

// The RPC peers of velox's tests, driven by one JSON object per line on
// stdin, answering one JSON object per line on stdout (rpcpeer.go is the
// other end). Frames travel as base64. It ends when stdin does.
//
// SOFA Bolt, with sofa-bolt-node's own protocol code:
//   {op:"request", id, service, method, args, props, oneway, timeout, version, crc, codec}
//   {op:"response", id, value, errorMsg, version, crc}
//   {op:"heartbeat", id, version, crc}     {op:"heartbeatAck", id, version, crc}
//   {op:"decode", frame}
// Answers: {frame} for encodes; for decode {packetType, packetId, className,
// timeout, data, error, header}.
//
// Dubbo, with apache-dubbo-js's encoder and decoder (its hessian.js):
//   {op:"dubboRequest", id, service, version, method, group, timeout, attachments, args, dubbox}
//     args are java-typed values ({$class, $}, as js-to-java builds them;
//     {$same: k} is args[k] itself, written as a reference);
//     answers {frame, read}: read is what hessian.js decodes of the body
//     (dubboVersion, service, version, method, types, attachments).
//   {op:"dubboDecode", frame}: {requestId, status, heartbeat, error}
//   {op:"dubboHeartbeat"}: {frame}, the heartbeat it sends (id 0)
// Hessian 2.0, with hessian.js (the same encoder Java-compatible callers use):
//   {op:"hessian", values}: {frame} holding the values one after another.
// Every op answers {fail: message} when the library throws.

const readline = require('readline');
const protocol = require('sofa-bolt-node/lib/protocol');
const SimpleMapSerializer = require('sofa-bolt-node/lib/simple_map_serializer');
const DubboEncoder = require('apache-dubbo-js/es7/encode').default;
const dubboDecode = require('apache-dubbo-js/es7/decode').decode;
const DubboHeartBeat = require('apache-dubbo-js/es7/heartbeat').default;
const hessian = require('hessian.js');

// noMessages stands in for a protobufjs root whose methods take no
// message: with codec "protobuf" sofa-bolt-node then writes the call's
// routing (method, target service and app, requestProps) into the header
// map and no content, which is all velox reads of such a frame.
const noMessages = {
  lookupService: () => ({ get: () => ({ resolve: () => ({}) }) }),
};

function options(m) {
  const v2 = m.version === 2;
  return {
    protocolType: v2 ? 'bolt2' : 'bolt',
    codecType: m.codec || 'hessian2',
    boltVersion: 1,
    crcEnable: !!m.crc,
    proto: noMessages,
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
  const p = protocol.decode(buf, { sentReqs: new Map(), proto: noMessages });
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

// link makes every {$same: k} inside values the very object values[k], so
// that hessian.js writes a reference to it (JSON cannot say "the same").
function link(values) {
  const walk = v => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      if (typeof v.$same === 'number') return values[v.$same];
      for (const k of Object.keys(v)) v[k] = walk(v[k]);
    }
    return v;
  };
  return values.map((v, i) => (v && typeof v.$same === 'number' ? v : walk(v))).map(walk);
}

// dubboRequest encodes a request with apache-dubbo-js and reads its body
// back with hessian.js, value by value.
function dubboRequest(m) {
  const frame = new DubboEncoder({
    requestId: m.id,
    dubboVersion: '2.0.2',
    dubboInterface: m.service,
    path: m.service,
    version: m.version,
    methodName: m.method,
    methodArgs: link(m.args || []),
    group: m.group,
    timeout: m.timeout,
    application: { name: 'velox-test' },
    attachments: m.attachments || {},
    isSupportedDubbox: !!m.dubbox,
  }).encode();
  const d = new hessian.DecoderV2(frame.slice(16));
  const read = { dubboVersion: d.read(), service: d.read(), version: d.read(), method: d.read() };
  if (m.dubbox) d.read();
  read.types = d.read();
  for (let i = 0; i < (m.args || []).length; i++) d.read();
  const att = d.read();
  read.attachments = {};
  read.attachmentTypes = {};
  for (const k of Object.keys(att)) {
    read.attachments[k] = String(att[k]);
    read.attachmentTypes[k] = typeof att[k];
  }
  return { frame: frame.toString('base64'), read };
}

function dubboDecodeOp(m) {
  const buf = Buffer.from(m.frame, 'base64');
  const out = { status: buf[3], heartbeat: DubboHeartBeat.isHeartBeat(buf) };
  if (out.heartbeat) {
    out.requestId = Number(buf.readBigUInt64BE(4));
    return out;
  }
  const r = dubboDecode(buf);
  out.requestId = Number(r.requestId);
  if (r.err) out.error = r.err.message;
  return out;
}

function hessianOp(m) {
  const e = new hessian.EncoderV2();
  for (const v of link(m.values)) e.write(v);
  return { frame: e.get().toString('base64') };
}

function handle(m) {
  if (m.op === 'decode') return decode(m);
  if (m.op === 'dubboRequest') return dubboRequest(m);
  if (m.op === 'dubboDecode') return dubboDecodeOp(m);
  if (m.op === 'hessian') return hessianOp(m);
  if (m.op === 'dubboHeartbeat') return { frame: DubboHeartBeat.encode().toString('base64') };
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
