package proxy

// End-to-end tests of bolt listeners (rpc.go) with sofa-rpc-node 2.10.0
// servers and clients (internal/rpcpeer/node/sofarpc.js, installed from
// its package-lock.json), run as node subprocesses on 127.0.0.1.

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/internal/rpcpeer"
)

// sofaNode skips without node and installs the npm packages.
func sofaNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: the sofa-rpc-node tests need it")
	}
	rpcpeer.Node(t) // npm ci when node_modules is missing or stale
}

func boltServer(t *testing.T, iface, version, name string) *peerProc {
	t.Helper()
	sofaNode(t)
	port := freePort(t)
	return startPeer(t, "127.0.0.1:"+strconv.Itoa(port), "node", rpcpeer.Dir()+"/sofarpc.js", "server",
		strconv.Itoa(port), iface, version, name)
}

// boltCall runs a sofa-rpc-node client process with clients RpcClients
// (one connection each) against addr.
func boltCall(t *testing.T, addr, iface, version string, calls, conc, clients int, timeout time.Duration, arg string) rpcResult {
	t.Helper()
	sofaNode(t)
	var r rpcResult
	runJSON(t, &r, rpcpeer.Dir(), "node", "sofarpc.js", "client", addr, iface, version,
		strconv.Itoa(calls), strconv.Itoa(conc), strconv.Itoa(clients), strconv.FormatInt(timeout.Milliseconds(), 10), arg)
	return r
}

func boltConfig(backends ...string) *config.Config {
	cfg := dubboConfig(backends...)
	cfg.Listeners[0].Protocol = config.ListenerBolt
	return cfg
}

// Eight sofa-rpc-node client connections, many calls at once, over one
// upstream connection of one loop.
func TestRPCBoltManyClientsOneUpstream(t *testing.T) {
	srv := boltServer(t, echoService, "1.0", "a")
	tp := startRPCProxy(t, boltConfig(srv.addr), "bolt")
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

// Routing by service and version (SOFA's service header is
// "<interface>:<version>": the interface is the host, the version a
// header).
func TestRPCBoltRoutesByServiceAndVersion(t *testing.T) {
	v1 := boltServer(t, echoService, "1.0", "v1")
	v2 := boltServer(t, echoService, "2.0", "v2")
	other := boltServer(t, "org.velox.Other", "1.0", "other")
	cfg := &config.Config{
		Listeners: []config.Listener{{Address: "127.0.0.1:0", Protocol: config.ListenerBolt}},
		Clusters: []config.Cluster{
			{Name: "v1", Backends: []config.Backend{{Address: v1.addr}}},
			{Name: "v2", Backends: []config.Backend{{Address: v2.addr}}},
			{Name: "other", Backends: []config.Backend{{Address: other.addr}}},
		},
		Products: []config.Product{
			{Name: "echo", Hosts: []string{echoService}, DefaultCluster: "v1", Routes: []config.Route{
				{Headers: []config.HeaderMatch{{Name: "version", Value: "2.0"}}, Cluster: "v2"},
			}},
			{Name: "other", Hosts: []string{"org.velox.Other"}, Routes: []config.Route{
				{Prefix: "/org.velox.Other/", Cluster: "other"}, // hessian2 Bolt carries the method in the content only
			}},
		},
	}
	tp := startRPCProxy(t, cfg, "bolt")
	for _, c := range []struct{ iface, version, want string }{
		{echoService, "1.0", "v1"}, {echoService, "2.0", "v2"}, {"org.velox.Other", "1.0", "other"},
	} {
		r := boltCall(t, tp.addr, c.iface, c.version, 20, 5, 2, 5*time.Second, "x")
		if r.OK != 20 || r.Servers[c.want] != 20 {
			t.Errorf("%s %s: %+v, want 20 answers from %s", c.iface, c.version, r, c.want)
		}
	}
	// sofa-bolt-node reads an error response without content as a generic
	// server exception: the counters say which failure velox answered.
	r := boltCall(t, tp.addr, "org.velox.Nobody", "1.0", 3, 1, 1, 5*time.Second, "x")
	if r.Failed != 3 || tp.rpcTotals("bolt").NoBackend != 3 {
		t.Errorf("unrouted service: %+v, no_backend_total %d, want 3 failures", r, tp.rpcTotals("bolt").NoBackend)
	}
}

// response_timeout, then the late responses dropped and counted.
func TestRPCBoltTimeout(t *testing.T) {
	srv := boltServer(t, echoService, "1.0", "slow")
	cfg := boltConfig(srv.addr)
	cfg.Clusters[0].ResponseTimeout = config.Duration(300 * time.Millisecond)
	cfg.Clusters[0].ConsecutiveFailures = -1
	tp := startRPCProxy(t, cfg, "bolt")
	r := boltCall(t, tp.addr, echoService, "1.0", 4, 4, 1, 5*time.Second, "sleep:1500")
	if r.Failed != 4 {
		t.Fatalf("slow calls: %+v, want 4 failures", r)
	}
	if st := tp.rpcTotals("bolt"); st.Timeouts != 4 {
		t.Errorf("timeouts_total = %d, want 4", st.Timeouts)
	}
	eventually(t, "the 4 late responses dropped", func() bool { return tp.rpcTotals("bolt").LateDropped == 4 })
}

// A server killed while calls wait on it.
func TestRPCBoltServerKilledMidCall(t *testing.T) {
	srv := boltServer(t, echoService, "1.0", "doomed")
	tp := startRPCProxy(t, boltConfig(srv.addr), "bolt")
	done := make(chan rpcResult)
	go func() { done <- boltCall(t, tp.addr, echoService, "1.0", 5, 5, 1, 8*time.Second, "sleep:20000") }()
	eventually(t, "5 calls in flight", func() bool { return tp.rpcTotals("bolt").InFlight == 5 })
	srv.kill()
	r := <-done
	if r.Failed != 5 || len(r.Errors) == 0 || strings.Contains(r.Errors[0], "timeout") {
		t.Fatalf("calls on a killed server: %+v, want 5 failures, not timeouts", r)
	}
	if st := tp.rpcTotals("bolt"); st.UpstreamFailed != 5 || st.Timeouts != 0 {
		t.Errorf("stats %+v, want upstream_failed_total 5 and no timeout", st)
	}
}

// velox's heartbeats on an idle upstream connection, answered by the
// sofa-rpc-node server; the connection carries calls after them.
func TestRPCBoltUpstreamHeartbeats(t *testing.T) {
	srv := boltServer(t, echoService, "1.0", "hb")
	cfg := boltConfig(srv.addr)
	cfg.Listeners[0].RPC = config.RPC{HeartbeatInterval: config.Duration(100 * time.Millisecond), HeartbeatTimeout: config.Duration(2 * time.Second)}
	tp := startRPCProxy(t, cfg, "bolt")
	if r := boltCall(t, tp.addr, echoService, "1.0", 1, 1, 1, 5*time.Second, "first"); r.OK != 1 {
		t.Fatalf("first call: %+v", r)
	}
	eventually(t, "3 heartbeats sent", func() bool { return tp.rpcTotals("bolt").UpstreamHeartbeat >= 3 })
	if r := boltCall(t, tp.addr, echoService, "1.0", 1, 1, 1, 5*time.Second, "after"); r.OK != 1 {
		t.Fatalf("call after heartbeats: %+v", r)
	}
	if st := tp.rpcTotals("bolt"); st.UpstreamHBTimeout != 0 || tp.totals().UpstreamConnectsTotal != 1 {
		t.Errorf("heartbeat timeouts %d, upstream connects %d: want 0 and 1", st.UpstreamHBTimeout, tp.totals().UpstreamConnectsTotal)
	}
}
