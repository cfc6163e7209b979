package proxy

// The upstream side of RPC listeners against raw Dubbo backends
// (rawRPCBackend): routing by method and by an attachment's value,
// balancing per request, upstream_conns, passive health, and the late
// answers of a client that went away.

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/rpcx"
)

// countingBackend is a raw Dubbo backend that counts the requests it read
// and answers each, after delay.
func countingBackend(t *testing.T, delay time.Duration) (string, *atomic.Int32) {
	var n atomic.Int32
	addr := rawRPCBackend(t, &rpcx.Dubbo{}, "raw:x", func(*rpcx.Frame, *rpcx.Head) {
		n.Add(1)
		time.Sleep(delay)
	})
	return addr, &n
}

// askDubbo sends req on c and reads its answer's status.
func askDubbo(t *testing.T, c *rpcConn, req []byte) rpcx.Frame {
	t.Helper()
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	_, f, err := c.readFrame()
	if err != nil || f.Kind != rpcx.KindResponse {
		t.Fatalf("answer: kind %v, %v", f.Kind, err)
	}
	return f
}

// Routes pick clusters by the method (the path) and by an attachment's
// value, as HTTP routes do by path and header.
func TestRPCRoutesByMethodAndAttachment(t *testing.T) {
	a, na := countingBackend(t, 0)
	b, nb := countingBackend(t, 0)
	c, nc := countingBackend(t, 0)
	cl := func(name, addr string) config.Cluster {
		return config.Cluster{Name: name, Backends: []config.Backend{{Address: addr}}}
	}
	cfg := &config.Config{
		Listeners: []config.Listener{{Address: "127.0.0.1:0", Protocol: config.ListenerDubbo}},
		Clusters:  []config.Cluster{cl("tenant", a), cl("other", b), cl("rest", c)},
		Products: []config.Product{{Name: "echo", Hosts: []string{echoService}, DefaultCluster: "rest", Routes: []config.Route{
			{Headers: []config.HeaderMatch{{Name: "tenant", Value: "acme"}}, Cluster: "tenant"},
			{Path: "/" + echoService + "/Other", Cluster: "other"},
		}}},
	}
	tp := startRPCProxy(t, cfg, "dubbo")
	conn := dialRPC(t, tp.addr, &rpcx.Dubbo{})
	for i, req := range [][]byte{
		dubboRawCall(t, 1, echoService, "Echo", map[string]any{"path": echoService, "tenant": "acme"}),
		dubboRawCall(t, 2, echoService, "Other", map[string]any{"path": echoService}),
		dubboRawCall(t, 3, echoService, "Echo", map[string]any{"path": echoService, "tenant": "other"}),
	} {
		if f := askDubbo(t, conn, req); !f.OK {
			t.Errorf("request %d: status %d", i+1, f.Status)
		}
	}
	if na.Load() != 1 || nb.Load() != 1 || nc.Load() != 1 {
		t.Errorf("tenant %d, other %d, rest %d requests; want one each", na.Load(), nb.Load(), nc.Load())
	}
}

// One client connection's requests are balanced per request over the
// cluster's backends, not per connection.
func TestRPCBalancesPerRequest(t *testing.T) {
	a, na := countingBackend(t, 0)
	b, nb := countingBackend(t, 0)
	tp := startRPCProxy(t, dubboConfig(a, b), "dubbo")
	conn := dialRPC(t, tp.addr, &rpcx.Dubbo{})
	for i := range 10 {
		if f := askDubbo(t, conn, dubboRawRequest(t, byte(i+1), echoService, map[string]any{"path": echoService})); !f.OK {
			t.Fatalf("request %d: status %d", i+1, f.Status)
		}
	}
	if na.Load() != 5 || nb.Load() != 5 {
		t.Errorf("backends got %d and %d of 10 requests from one connection; want 5 each (round robin per request)", na.Load(), nb.Load())
	}
}

// rpc.upstream_conns: requests at once to a slow backend open up to that
// many multiplexed connections (1 by default).
func TestRPCUpstreamConns(t *testing.T) {
	for _, conns := range []int{0, 2} {
		addr, _ := countingBackend(t, 300*time.Millisecond)
		cfg := dubboConfig(addr)
		cfg.Listeners[0].RPC.UpstreamConns = conns
		tp := startRPCProxy(t, cfg, "dubbo")
		c1, c2 := dialRPC(t, tp.addr, &rpcx.Dubbo{}), dialRPC(t, tp.addr, &rpcx.Dubbo{})
		for i, c := range []*rpcConn{c1, c2} {
			if _, err := c.Write(dubboRawRequest(t, byte(i+1), echoService, map[string]any{"path": echoService})); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []*rpcConn{c1, c2} {
			if _, f, err := c.readFrame(); err != nil || !f.OK {
				t.Fatalf("upstream_conns %d: answer %+v, %v", conns, f, err)
			}
		}
		want := uint64(max(conns, 1))
		if n := tp.totals().UpstreamConnectsTotal; n != want {
			t.Errorf("upstream_conns %d: %d upstream connections for 2 requests at once, want %d", conns, n, want)
		}
	}
}

// Passive health as for HTTP: a backend that closes its connections with
// requests pending fails them (the upstream error) and, after
// consecutive_failures of them, is ejected: every later request goes to
// the other backend.
func TestRPCPassiveHealth(t *testing.T) {
	var badReqs atomic.Int32
	bad := serveRaw(t, func(c net.Conn) {
		buf := make([]byte, 4096)
		if n, _ := c.Read(buf); n > 0 {
			badReqs.Add(1)
		}
	})
	good, _ := countingBackend(t, 0)
	cfg := dubboConfig(bad, good)
	cfg.Clusters[0].ConsecutiveFailures = 2
	tp := startRPCProxy(t, cfg, "dubbo")
	conn := dialRPC(t, tp.addr, &rpcx.Dubbo{})
	failed := 0
	for i := range 12 {
		if f := askDubbo(t, conn, dubboRawRequest(t, byte(i+1), echoService, map[string]any{"path": echoService})); !f.OK {
			failed++
		}
	}
	if failed != 2 || badReqs.Load() != 2 {
		t.Errorf("%d of 12 requests failed, the closing backend read %d; want 2 and 2 (ejected after consecutive_failures 2)", failed, badReqs.Load())
	}
	if st := tp.rpcTotals("dubbo"); st.UpstreamFailed != 2 || st.ResponsesOK != 10 {
		t.Errorf("stats %+v: want 2 upstream failures, 10 answers", st)
	}
}

// A client that closes with a request pending has it forgotten: the
// backend's late answer is dropped and counted, and nothing stays in
// flight.
func TestRPCClientGoneLateAnswerDropped(t *testing.T) {
	addr, n := countingBackend(t, 300*time.Millisecond)
	tp := startRPCProxy(t, dubboConfig(addr), "dubbo")
	conn := dialRPC(t, tp.addr, &rpcx.Dubbo{})
	if _, err := conn.Write(dubboRawRequest(t, 1, echoService, map[string]any{"path": echoService})); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the request at the backend", func() bool { return n.Load() == 1 })
	conn.Close()
	eventually(t, "the late answer dropped", func() bool {
		st := tp.rpcTotals("dubbo")
		return st.LateDropped == 1 && st.InFlight == 0
	})
	if st := tp.rpcTotals("dubbo"); st.ResponsesOK != 0 {
		t.Errorf("stats %+v: the answer was counted as delivered", st)
	}
}
