package proxy

// The RPC end-to-end tests that hold for every RPC protocol, run once per
// protocol with its real peers (runRPC): dubbo-go v3.3.2 for Dubbo,
// sofa-rpc-node 2.10.0 for Bolt.

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/internal/rpcpeer"
)

// rpcKind is one RPC protocol and its peers.
type rpcKind struct {
	name   string // the listener protocol and the stats key
	server func(t *testing.T, iface, version, name string) *rpcpeer.Proc
	call   func(t *testing.T, addr, iface, version string, calls, conc int, timeout time.Duration, arg string) rpcpeer.Result
	sleep  func(d time.Duration) string // the argument that makes a server wait d
	// otherRoute sends org.velox.Other to cluster "other" (a hessian2
	// Bolt request has no method outside its content: its path is
	// "/<service>/").
	otherRoute config.Route
}

var rpcKinds = []rpcKind{
	{
		name: config.ListenerDubbo, server: dubboServer, call: dubboCall,
		sleep:      func(d time.Duration) string { return "sleep:" + d.String() },
		otherRoute: config.Route{Path: "/org.velox.Other/Echo", Cluster: "other"},
	},
	{
		name: config.ListenerBolt, server: boltServer,
		call: func(t *testing.T, addr, iface, version string, calls, conc int, timeout time.Duration, arg string) rpcpeer.Result {
			return boltCall(t, addr, iface, version, calls, conc, 2, timeout, arg)
		},
		sleep:      func(d time.Duration) string { return "sleep:" + strconv.FormatInt(d.Milliseconds(), 10) },
		otherRoute: config.Route{Prefix: "/org.velox.Other/", Cluster: "other"},
	},
}

// runRPC runs f once per RPC protocol.
func runRPC(t *testing.T, f func(t *testing.T, k rpcKind)) {
	for _, k := range rpcKinds {
		t.Run(k.name, func(t *testing.T) { f(t, k) })
	}
}

// rpcConfig is a listener of protocol k whose default cluster "c" has backends.
func (k rpcKind) config(backends ...string) *config.Config {
	cfg := dubboConfig(backends...)
	cfg.Listeners[0].Protocol = k.name
	return cfg
}

// Routing by service and version: products by service name, a route by
// the version header, each to its own server; a service nothing takes
// gets velox's no-backend error.
func TestRPCRoutesByServiceAndVersion(t *testing.T) {
	runRPC(t, func(t *testing.T, k rpcKind) {
		v1 := k.server(t, echoService, "1.0", "v1")
		v2 := k.server(t, echoService, "2.0", "v2")
		other := k.server(t, "org.velox.Other", "1.0", "other")
		tp := startRPCProxy(t, versionRoutes(k.name, v1.Addr, v2.Addr, other.Addr, k.otherRoute), k.name)
		for _, c := range []struct{ iface, version, want string }{
			{echoService, "1.0", "v1"}, {echoService, "2.0", "v2"}, {"org.velox.Other", "1.0", "other"},
		} {
			r := k.call(t, tp.addr, c.iface, c.version, 20, 5, 5*time.Second, "x")
			if r.OK != 20 || r.Servers[c.want] != 20 {
				t.Errorf("%s %s: %+v, want 20 answers from %s", c.iface, c.version, r, c.want)
			}
		}
		r := k.call(t, tp.addr, "org.velox.Nobody", "1.0", 3, 1, 5*time.Second, "x")
		if n := tp.rpcTotals(k.name).NoBackend; r.Failed != 3 || n != 3 {
			t.Errorf("unrouted service: %+v, no_backend_total %d, want 3 failures", r, n)
		}
	})
}

// A server slower than the cluster's response_timeout: each call gets
// velox's timeout error; the late answers are dropped and counted; the
// connection goes on.
func TestRPCTimeout(t *testing.T) {
	runRPC(t, func(t *testing.T, k rpcKind) {
		srv := k.server(t, echoService, "1.0", "slow")
		cfg := k.config(srv.Addr)
		cfg.Clusters[0].ResponseTimeout = config.Duration(300 * time.Millisecond)
		cfg.Clusters[0].ConsecutiveFailures = -1
		tp := startRPCProxy(t, cfg, k.name)
		r := k.call(t, tp.addr, echoService, "1.0", 4, 4, 5*time.Second, k.sleep(1500*time.Millisecond))
		if r.Failed != 4 {
			t.Fatalf("slow calls: %+v, want 4 failures", r)
		}
		if k.name == config.ListenerDubbo && !strings.Contains(r.Errors[0], "timeout") {
			t.Errorf("dubbo-go says %q, want velox's timeout", r.Errors[0])
		}
		if st := tp.rpcTotals(k.name); st.Timeouts != 4 {
			t.Errorf("timeouts_total = %d, want 4", st.Timeouts)
		}
		eventually(t, "the 4 late responses dropped", func() bool { return tp.rpcTotals(k.name).LateDropped == 4 })
		if r := k.call(t, tp.addr, echoService, "1.0", 5, 5, 5*time.Second, "fast"); r.OK != 5 {
			t.Errorf("after the timeouts: %+v, want 5 answers", r)
		}
	})
}

// A server killed while calls wait on it: each pending call gets velox's
// upstream error at once, not a timeout.
func TestRPCServerKilledMidCall(t *testing.T) {
	runRPC(t, func(t *testing.T, k rpcKind) {
		srv := k.server(t, echoService, "1.0", "doomed")
		tp := startRPCProxy(t, k.config(srv.Addr), k.name)
		done := make(chan rpcpeer.Result)
		go func() { done <- k.call(t, tp.addr, echoService, "1.0", 5, 5, 8*time.Second, k.sleep(20*time.Second)) }()
		eventually(t, "5 calls in flight", func() bool { return tp.rpcTotals(k.name).InFlight == 5 })
		srv.Kill()
		if r := <-done; r.Failed != 5 {
			t.Fatalf("calls on a killed server: %+v, want 5 failures", r)
		}
		if st := tp.rpcTotals(k.name); st.UpstreamFailed != 5 || st.Timeouts != 0 {
			t.Errorf("stats %+v, want upstream_failed_total 5 and no timeout", st)
		}
	})
}

// heartbeating starts a server and a proxy that heartbeats its upstream
// connections every 100ms, with timeout, and makes a first call.
func (k rpcKind) heartbeating(t *testing.T, timeout time.Duration) (*rpcpeer.Proc, *testProxy) {
	t.Helper()
	srv := k.server(t, echoService, "1.0", "hb")
	cfg := k.config(srv.Addr)
	cfg.Listeners[0].RPC = config.RPC{HeartbeatInterval: config.Duration(100 * time.Millisecond), HeartbeatTimeout: config.Duration(timeout)}
	tp := startRPCProxy(t, cfg, k.name)
	if r := k.call(t, tp.addr, echoService, "1.0", 1, 1, 5*time.Second, "first"); r.OK != 1 {
		t.Fatalf("first call: %+v", r)
	}
	return srv, tp
}

// velox's heartbeats keep an idle upstream connection: the server answers
// each, and the connection carries calls after them.
func TestRPCUpstreamHeartbeats(t *testing.T) {
	runRPC(t, func(t *testing.T, k rpcKind) {
		_, tp := k.heartbeating(t, 2*time.Second)
		eventually(t, "3 heartbeats sent", func() bool { return tp.rpcTotals(k.name).UpstreamHeartbeat >= 3 })
		if r := k.call(t, tp.addr, echoService, "1.0", 1, 1, 5*time.Second, "after"); r.OK != 1 {
			t.Fatalf("call after heartbeats: %+v", r)
		}
		if st := tp.rpcTotals(k.name); st.UpstreamHBTimeout != 0 || tp.totals().UpstreamConnectsTotal != 1 {
			t.Errorf("heartbeat timeouts %d, upstream connects %d: want 0 and 1 (the server answered every heartbeat)", st.UpstreamHBTimeout, tp.totals().UpstreamConnectsTotal)
		}
	})
}

// A server that stops answering (SIGSTOP) while a call waits on it: velox's
// heartbeat goes unanswered, the connection is closed at heartbeat_timeout
// and the call gets the upstream error; once the server runs again, calls
// go on a new connection.
func TestRPCUpstreamHeartbeatTimeout(t *testing.T) {
	runRPC(t, func(t *testing.T, k rpcKind) {
		srv, tp := k.heartbeating(t, 500*time.Millisecond)
		if err := srv.Cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		cont := func() { srv.Cmd.Process.Signal(syscall.SIGCONT) }
		defer cont()
		r := k.call(t, tp.addr, echoService, "1.0", 1, 1, 8*time.Second, "stuck")
		st := tp.rpcTotals(k.name)
		if r.Failed != 1 || st.UpstreamHBTimeout == 0 || st.UpstreamFailed == 0 {
			t.Fatalf("call on a stopped server: %+v; stats %+v: want an upstream failure after a heartbeat timeout", r, st)
		}
		cont()
		if r := k.call(t, tp.addr, echoService, "1.0", 1, 1, 5*time.Second, "again"); r.OK != 1 {
			t.Errorf("after SIGCONT: %+v", r)
		}
		// At least a second connection: a client may send more while the
		// server is stopped (the kernel still accepts for it), which costs
		// another connection closed the same way.
		if n := tp.totals().UpstreamConnectsTotal; n < 2 {
			t.Errorf("upstream connects = %d, want a new one after the heartbeat timeout", n)
		}
	})
}

// rpc.max_in_flight full on the only upstream connection: the requests
// over it get velox's overload error at once, the others their answers.
func TestRPCMaxInFlight(t *testing.T) {
	runRPC(t, func(t *testing.T, k rpcKind) {
		srv := k.server(t, echoService, "1.0", "busy")
		cfg := k.config(srv.Addr)
		cfg.Listeners[0].RPC = config.RPC{MaxInFlight: 2}
		tp := startRPCProxy(t, cfg, k.name)
		r := k.call(t, tp.addr, echoService, "1.0", 5, 5, 5*time.Second, k.sleep(time.Second))
		if st := tp.rpcTotals(k.name); r.OK != 2 || r.Failed != 3 || st.Overload != 3 {
			t.Errorf("%+v, overload_total %d: want 2 answers and 3 overload errors", r, st.Overload)
		}
	})
}

// rpc.max_client_in_flight: one client connection may not have more
// requests waiting than that.
func TestRPCDubboMaxClientInFlight(t *testing.T) {
	srv := dubboServer(t, echoService, "1.0", "busy")
	cfg := dubboConfig(srv.Addr)
	cfg.Listeners[0].RPC = config.RPC{MaxClientInFlight: 3}
	tp := startRPCProxy(t, cfg, "dubbo")
	r := dubboCall(t, tp.addr, echoService, "1.0", 5, 5, 5*time.Second, "sleep:1s")
	if r.OK != 3 || r.Failed != 2 || !strings.Contains(r.Errors[0], "overloaded") {
		t.Errorf("%+v: want 3 answers and 2 overload errors", r)
	}
}
