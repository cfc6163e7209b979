'use strict';
// sofa-rpc-node 2.10.0 (with the sofa-bolt-node it brings) as a test peer
// of velox's Bolt proxying, run as a subprocess by the proxy tests
// (proxy/e2e_rpc_bolt_test.go), on 127.0.0.1 and no registry:
//
//   node sofarpc.js server PORT INTERFACE VERSION NAME
//   node sofarpc.js client ADDR INTERFACE VERSION CALLS CONC CLIENTS TIMEOUT_MS ARG
//
// A server's method echo(s) answers NAME + ':' + s, after sleeping when s
// is "sleep:<ms>". A client makes CALLS calls, CONC at once, spread over
// CLIENTS RpcClients (one connection each), and prints one JSON line: how
// many succeeded, the first errors, how many answers each server gave.

const { RpcServer } = require('sofa-rpc-node').server;
const { RpcClient } = require('sofa-rpc-node').client;

const quiet = { info() {}, warn() {}, debug() {}, error() {} };

async function server(port, iface, version, name) {
  const srv = new RpcServer({ logger: quiet, port: Number(port), version });
  srv.addService({ interfaceName: iface, version }, {
    async echo(s) {
      if (typeof s === 'string' && s.startsWith('sleep:')) {
        await new Promise(r => setTimeout(r, Number(s.slice(6))));
      }
      return name + ':' + s;
    },
  });
  await srv.start();
  console.log(JSON.stringify({ listening: Number(port) }));
}

async function client(addr, iface, version, calls, conc, clients, timeout, arg) {
  const consumers = [];
  for (let i = 0; i < clients; i++) {
    const c = new RpcClient({ logger: quiet });
    const consumer = c.createConsumer({ interfaceName: iface, version, serverHost: addr, responseTimeout: timeout });
    await consumer.ready();
    consumers.push(consumer);
  }
  const res = { ok: 0, failed: 0, errors: [], servers: {} };
  let next = 0;
  async function worker(w) {
    for (;;) {
      const i = next++;
      if (i >= calls) return;
      const a = arg.startsWith('sleep:') ? arg : arg + '#' + i;
      try {
        const out = await consumers[(w + i) % clients].invoke('echo', [ a ], { responseTimeout: timeout });
        const k = out.indexOf(':');
        if (k < 0 || out.slice(k + 1) !== a) throw new Error('answer ' + out + ' to ' + a);
        res.ok++;
        const n = out.slice(0, k);
        res.servers[n] = (res.servers[n] || 0) + 1;
      } catch (err) {
        res.failed++;
        if (res.errors.length < 5) res.errors.push(String(err && err.message || err));
      }
    }
  }
  const ws = [];
  for (let w = 0; w < conc; w++) ws.push(worker(w));
  await Promise.all(ws);
  console.log(JSON.stringify(res));
  process.exit(0);
}

const [ mode, ...args ] = process.argv.slice(2);
const run = mode === 'server' ? server(...args) :
  client(args[0], args[1], args[2], Number(args[3]), Number(args[4]), Number(args[5]), Number(args[6]), args[7]);
run.catch(err => { console.error(err); process.exit(1); });
