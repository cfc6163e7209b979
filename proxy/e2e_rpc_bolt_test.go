package proxy

// End-to-end tests of bolt listeners (rpc.go) with sofa-rpc-node 2.10.0
// servers and clients (internal/rpcpeer/node/sofarpc.js, installed from
// its package-lock.json), run as node subprocesses on 127.0.0.1.

import (
	"strconv"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/internal/rpcpeer"
)

func boltServer(t *testing.T, iface, version, name string) *rpcpeer.Proc {
	t.Helper()
	rpcpeer.Node(t) // skips without node; npm ci when node_modules is missing or stale
	port := freePort(t)
	return rpcpeer.Start(t, "127.0.0.1:"+strconv.Itoa(port), "", "node", rpcpeer.Dir()+"/sofarpc.js", "server",
		strconv.Itoa(port), iface, version, name)
}

// boltCall runs a sofa-rpc-node client process with clients RpcClients
// (one connection each) against addr.
func boltCall(t *testing.T, addr, iface, version string, calls, conc, clients int, timeout time.Duration, arg string) rpcpeer.Result {
	t.Helper()
	rpcpeer.Node(t) // skips without node; npm ci when node_modules is missing or stale
	var r rpcpeer.Result
	rpcpeer.RunJSON(t, &r, rpcpeer.Dir(), "node", "sofarpc.js", "client", addr, iface, version,
		strconv.Itoa(calls), strconv.Itoa(conc), strconv.Itoa(clients), strconv.FormatInt(timeout.Milliseconds(), 10), arg)
	return r
}

func boltConfig(backends ...string) *config.Config { return rpcKinds[1].config(backends...) }

// Eight sofa-rpc-node client connections, many calls at once, over one
// upstream connection of one loop.
func TestRPCBoltManyClientsOneUpstream(t *testing.T) {
	srv := boltServer(t, echoService, "1.0", "a")
	tp := startRPCProxy(t, boltConfig(srv.Addr), "bolt")
	const calls = 800
	r := boltCall(t, tp.addr, echoService, "1.0", calls, 64, 8, 5*time.Second, "x")
	if r.OK != calls || r.Servers["a"] != calls {
		t.Errorf("%+v, want %d answers from a", r, calls)
	}
	st := tp.rpcTotals("bolt")
	if st.Requests != calls || st.ResponsesOK != calls {
		t.Errorf("stats %+v, want %d requests and ok responses", st, calls)
	}
	if n := tp.totals().UpstreamConnectsTotal; n != 1 {
		t.Errorf("upstream connects = %d, want 1", n)
	}
	if n := tp.totals().DownstreamConnsTotal; n != 8 {
		t.Errorf("client connections = %d, want 8", n)
	}
}
