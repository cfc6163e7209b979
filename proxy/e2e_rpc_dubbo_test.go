package proxy

// End-to-end tests of dubbo listeners (rpc.go) with dubbo-go v3.3.2 servers
// and clients (hessian2, direct URL, no registry), built from
// internal/dubbopeer and run as subprocesses on 127.0.0.1.

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
)

const echoService = "org.velox.Echo"

// dubboServer runs a dubbo-go server of service iface at version, whose
// answers carry name.
func dubboServer(t *testing.T, iface, version, name string) *peerProc {
	t.Helper()
	port := freePort(t)
	return startPeer(t, "127.0.0.1:"+strconv.Itoa(port), dubboPeer(t), "server",
		"-port", strconv.Itoa(port), "-interface", iface, "-version", version, "-name", name)
}

// dubboCall runs a dubbo-go client against addr and returns what it got.
func dubboCall(t *testing.T, addr, iface, version string, calls, conc int, timeout time.Duration, arg string) rpcResult {
	t.Helper()
	var r rpcResult
	runJSON(t, &r, "", dubboPeer(t), "client", "-addr", addr, "-interface", iface, "-version", version,
		"-calls", strconv.Itoa(calls), "-conc", strconv.Itoa(conc), "-timeout", timeout.String(), "-arg", arg)
	return r
}

// dubboConfig is a dubbo listener whose default cluster "c" has backends.
func dubboConfig(backends ...string) *config.Config {
	cfg := clusterConfig(backends...)
	cfg.Listeners = []config.Listener{{Address: "127.0.0.1:0", Protocol: config.ListenerDubbo, Cluster: "c"}}
	cfg.Products, cfg.DefaultProduct = nil, ""
	return cfg
}

func startRPCProxy(t *testing.T, cfg *config.Config, proto string) *testProxy {
	t.Helper()
	tp := startProxy(t, cfg, 1)
	t.Cleanup(func() { tp.checkRPCLeaks(t, proto) })
	return tp
}

// Many dubbo-go client processes, many calls each at once, through one
// velox loop: one upstream connection carries them all, every answer is
// the one asked for (the server echoes the argument).
func TestRPCDubboManyClientsOneUpstream(t *testing.T) {
	srv := dubboServer(t, echoService, "1.0", "a")
	tp := startRPCProxy(t, dubboConfig(srv.addr), "dubbo")
	const clients, calls = 4, 200
	var wg sync.WaitGroup
	results := make([]rpcResult, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = dubboCall(t, tp.addr, echoService, "1.0", calls, 20, 5*time.Second, fmt.Sprintf("client%d", i))
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.OK != calls || r.Servers["a"] != calls {
			t.Errorf("client %d: %+v, want %d answers from a", i, r, calls)
		}
	}
	st := tp.rpcTotals("dubbo")
	if st.Requests != clients*calls || st.ResponsesOK != clients*calls {
		t.Errorf("stats: %+v, want %d requests and ok responses", st, clients*calls)
	}
	if n := tp.totals().UpstreamConnectsTotal; n != 1 {
		t.Errorf("upstream connects = %d, want 1 (all clients multiplexed on one)", n)
	}
	if n := tp.totals().DownstreamConnsTotal; n < clients {
		t.Errorf("client connections = %d, want at least %d", n, clients)
	}
}

// Routing by service and version: products by service name, a route by
// the version header, each to its own dubbo-go server.
func TestRPCDubboRoutesByServiceAndVersion(t *testing.T) {
	v1 := dubboServer(t, echoService, "1.0", "v1")
	v2 := dubboServer(t, echoService, "2.0", "v2")
	other := dubboServer(t, "org.velox.Other", "1.0", "other")
	cfg := &config.Config{
		Listeners: []config.Listener{{Address: "127.0.0.1:0", Protocol: config.ListenerDubbo}},
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
				{Path: "/org.velox.Other/Echo", Cluster: "other"},
			}},
		},
	}
	tp := startRPCProxy(t, cfg, "dubbo")
	for _, c := range []struct{ iface, version, want string }{
		{echoService, "1.0", "v1"}, {echoService, "2.0", "v2"}, {"org.velox.Other", "1.0", "other"},
	} {
		r := dubboCall(t, tp.addr, c.iface, c.version, 20, 5, 5*time.Second, "x")
		if r.OK != 20 || r.Servers[c.want] != 20 {
			t.Errorf("%s %s: %+v, want 20 answers from %s", c.iface, c.version, r, c.want)
		}
	}
	// A service no product takes, on a listener without a cluster: velox's
	// no-backend error, in Dubbo's terms.
	r := dubboCall(t, tp.addr, "org.velox.Nobody", "1.0", 3, 1, 5*time.Second, "x")
	if r.Failed != 3 || len(r.Errors) == 0 || !strings.Contains(r.Errors[0], "no backend") {
		t.Errorf("unrouted service: %+v, want 3 failures saying no backend", r)
	}
	if n := tp.rpcTotals("dubbo").NoBackend; n != 3 {
		t.Errorf("no_backend_total = %d, want 3", n)
	}
}

// A server slower than the cluster's response_timeout: each call gets
// velox's timeout error; the late answers are dropped and counted.
func TestRPCDubboTimeout(t *testing.T) {
	srv := dubboServer(t, echoService, "1.0", "slow")
	cfg := dubboConfig(srv.addr)
	cfg.Clusters[0].ResponseTimeout = config.Duration(300 * time.Millisecond)
	cfg.Clusters[0].ConsecutiveFailures = -1
	tp := startRPCProxy(t, cfg, "dubbo")
	r := dubboCall(t, tp.addr, echoService, "1.0", 4, 4, 5*time.Second, "sleep:1500ms")
	if r.Failed != 4 || len(r.Errors) == 0 || !strings.Contains(r.Errors[0], "timeout") {
		t.Fatalf("slow calls: %+v, want 4 timeouts", r)
	}
	if st := tp.rpcTotals("dubbo"); st.Timeouts != 4 {
		t.Errorf("timeouts_total = %d, want 4", st.Timeouts)
	}
	eventually(t, "the 4 late responses dropped", func() bool { return tp.rpcTotals("dubbo").LateDropped == 4 })
	// The connection stays usable.
	if r := dubboCall(t, tp.addr, echoService, "1.0", 5, 5, 5*time.Second, "fast"); r.OK != 5 {
		t.Errorf("after the timeouts: %+v, want 5 answers", r)
	}
}

// A server killed while calls wait on it: each pending call gets velox's
// upstream error at once, not a timeout.
func TestRPCDubboServerKilledMidCall(t *testing.T) {
	srv := dubboServer(t, echoService, "1.0", "doomed")
	tp := startRPCProxy(t, dubboConfig(srv.addr), "dubbo")
	done := make(chan rpcResult)
	go func() { done <- dubboCall(t, tp.addr, echoService, "1.0", 5, 5, 8*time.Second, "sleep:20s") }()
	eventually(t, "5 calls in flight", func() bool { return tp.rpcTotals("dubbo").InFlight == 5 })
	srv.kill()
	r := <-done
	if r.Failed != 5 || len(r.Errors) == 0 || !strings.Contains(r.Errors[0], "upstream connection failed") {
		t.Fatalf("calls on a killed server: %+v, want 5 upstream failures", r)
	}
	if st := tp.rpcTotals("dubbo"); st.UpstreamFailed != 5 || st.Timeouts != 0 {
		t.Errorf("stats %+v, want upstream_failed_total 5 and no timeout", st)
	}
}

// velox's heartbeats keep an idle upstream connection: the dubbo-go
// server answers each, and the connection carries calls after them.
func TestRPCDubboUpstreamHeartbeats(t *testing.T) {
	srv := dubboServer(t, echoService, "1.0", "hb")
	cfg := dubboConfig(srv.addr)
	cfg.Listeners[0].RPC = config.RPC{HeartbeatInterval: config.Duration(100 * time.Millisecond), HeartbeatTimeout: config.Duration(2 * time.Second)}
	tp := startRPCProxy(t, cfg, "dubbo")
	if r := dubboCall(t, tp.addr, echoService, "1.0", 1, 1, 5*time.Second, "first"); r.OK != 1 {
		t.Fatalf("first call: %+v", r)
	}
	eventually(t, "3 heartbeats sent", func() bool { return tp.rpcTotals("dubbo").UpstreamHeartbeat >= 3 })
	if r := dubboCall(t, tp.addr, echoService, "1.0", 1, 1, 5*time.Second, "after"); r.OK != 1 {
		t.Fatalf("call after heartbeats: %+v", r)
	}
	st := tp.rpcTotals("dubbo")
	if st.UpstreamHBTimeout != 0 || tp.totals().UpstreamConnectsTotal != 1 {
		t.Errorf("heartbeat timeouts %d, upstream connects %d: want 0 and 1 (the server answered every heartbeat)", st.UpstreamHBTimeout, tp.totals().UpstreamConnectsTotal)
	}
}

// A backend that refuses connections: each call gets velox's no-backend
// error; a frame over rpc.max_frame closes that client only.
func TestRPCDubboNoBackendAndFrameLimit(t *testing.T) {
	cfg := dubboConfig(deadAddr(t))
	tp := startRPCProxy(t, cfg, "dubbo")
	r := dubboCall(t, tp.addr, echoService, "1.0", 3, 1, 5*time.Second, "x")
	if r.Failed != 3 || len(r.Errors) == 0 || !strings.Contains(r.Errors[0], "no backend") {
		t.Errorf("dead backend: %+v, want 3 no-backend failures", r)
	}

	srv := dubboServer(t, echoService, "1.0", "ok")
	cfg = dubboConfig(srv.addr)
	cfg.Listeners[0].RPC.MaxFrame = 1024
	tp = startRPCProxy(t, cfg, "dubbo")
	big := dubboCall(t, tp.addr, echoService, "1.0", 1, 1, 2*time.Second, strings.Repeat("x", 2000))
	if big.OK != 0 {
		t.Errorf("frame over max_frame: %+v, want no answer", big)
	}
	if n := tp.rpcTotals("dubbo").FrameErrors; n == 0 {
		t.Errorf("frame_errors_total = 0, want the big frame counted")
	}
	if r := dubboCall(t, tp.addr, echoService, "1.0", 5, 5, 5*time.Second, "small"); r.OK != 5 {
		t.Errorf("other client after the big frame: %+v, want 5 answers", r)
	}
}

// A refused connect retries the requests that waited for it on the other
// backend (cluster retries, as HTTP and tcp): every call succeeds.
func TestRPCDubboConnectFailureRetried(t *testing.T) {
	srv := dubboServer(t, echoService, "1.0", "live")
	tp := startRPCProxy(t, dubboConfig(deadAddr(t), srv.addr), "dubbo")
	r := dubboCall(t, tp.addr, echoService, "1.0", 40, 8, 5*time.Second, "x")
	if r.OK != 40 || r.Servers["live"] != 40 {
		t.Errorf("%+v, want 40 answers from live", r)
	}
	if n := tp.totals().UpstreamRetriesTotal; n == 0 {
		t.Error("upstream_retries_total = 0, want the refused connects retried")
	}
}
