package proxy

// End-to-end tests of dubbo listeners (rpc.go) with dubbo-go v3.3.2 servers
// and clients (hessian2, direct URL, no registry), built from
// internal/dubbopeer and run as subprocesses on 127.0.0.1.

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/internal/rpcpeer"
	"github.com/velox-proxy/velox/rpcx"
)

const echoService = "org.velox.Echo"

// dubboServer runs a dubbo-go server of service iface at version, whose
// answers carry name.
func dubboServer(t *testing.T, iface, version, name string) *rpcpeer.Proc {
	t.Helper()
	port := freePort(t)
	return rpcpeer.Start(t, "127.0.0.1:"+strconv.Itoa(port), "", rpcpeer.DubboPeer(t), "server",
		"-port", strconv.Itoa(port), "-interface", iface, "-version", version, "-name", name)
}

// dubboCall runs a dubbo-go client against addr and returns what it got.
func dubboCall(t *testing.T, addr, iface, version string, calls, conc int, timeout time.Duration, arg string) rpcpeer.Result {
	t.Helper()
	var r rpcpeer.Result
	rpcpeer.RunJSON(t, &r, "", rpcpeer.DubboPeer(t), "client", "-addr", addr, "-interface", iface, "-version", version,
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

// versionRoutes is a listener of protocol whose services route by product:
// echoService to cluster v1, or v2 for version 2.0; org.velox.Other by
// otherRoute to cluster other.
func versionRoutes(protocol, v1, v2, other string, otherRoute config.Route) *config.Config {
	cluster := func(name, addr string) config.Cluster {
		return config.Cluster{Name: name, Backends: []config.Backend{{Address: addr}}}
	}
	return &config.Config{
		Listeners: []config.Listener{{Address: "127.0.0.1:0", Protocol: protocol}},
		Clusters:  []config.Cluster{cluster("v1", v1), cluster("v2", v2), cluster("other", other)},
		Products: []config.Product{
			{Name: "echo", Hosts: []string{echoService}, DefaultCluster: "v1", Routes: []config.Route{
				{Headers: []config.HeaderMatch{{Name: "version", Value: "2.0"}}, Cluster: "v2"},
			}},
			{Name: "other", Hosts: []string{"org.velox.Other"}, Routes: []config.Route{otherRoute}},
		},
	}
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
	tp := startRPCProxy(t, dubboConfig(srv.Addr), "dubbo")
	const clients, calls = 4, 200
	var wg sync.WaitGroup
	results := make([]rpcpeer.Result, clients)
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
	cfg = dubboConfig(srv.Addr)
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
	tp := startRPCProxy(t, dubboConfig(deadAddr(t), srv.Addr), "dubbo")
	r := dubboCall(t, tp.addr, echoService, "1.0", 40, 8, 5*time.Second, "x")
	if r.OK != 40 || r.Servers["live"] != 40 {
		t.Errorf("%+v, want 40 answers from live", r)
	}
	if n := tp.totals().UpstreamRetriesTotal; n == 0 {
		t.Error("upstream_retries_total = 0, want the refused connects retried")
	}
}

// A reload that points the listener's cluster at another server: the
// next call of a client connection open across it goes there (the
// cluster indexes moved too).
func TestRPCDubboReload(t *testing.T) {
	peer := rpcpeer.Node(t)
	a := dubboServer(t, echoService, "1.0", "a")
	b := dubboServer(t, echoService, "1.0", "b")
	tp := startRPCProxy(t, dubboConfig(a.Addr), "dubbo")
	conn := dialRPC(t, tp.addr, &rpcx.Dubbo{})
	call := func(id int) string {
		req, _, err := peer.DubboRequest(map[string]any{"id": id, "service": echoService, "version": "1.0", "method": "Echo",
			"args": []any{map[string]any{"$class": "java.lang.String", "$": "ping"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(req); err != nil {
			t.Fatal(err)
		}
		raw, f, err := conn.readFrame()
		if err != nil || f.Kind != rpcx.KindResponse || f.ID != uint64(id) {
			t.Fatalf("response to %d: kind %v id %d, %v", id, f.Kind, f.ID, err)
		}
		for _, name := range []string{"a", "b"} {
			if bytes.Contains(raw, []byte(name+":ping")) {
				return name
			}
		}
		return "?"
	}
	if got := call(1); got != "a" {
		t.Fatalf("before the reload: answered by %s, want a", got)
	}
	cfg := dubboConfig(b.Addr)
	cfg.Clusters = append([]config.Cluster{{Name: "first", Backends: []config.Backend{{Address: a.Addr}}}}, cfg.Clusters...)
	if err := tp.Server.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if got := call(2); got != "b" {
		t.Errorf("after the reload: answered by %s, want b", got)
	}
}

// Routing by group (a Dubbo attachment, the header "group" of the neutral
// head): two dubbo-go servers of one service and version, in two groups.
func TestRPCDubboRoutesByGroup(t *testing.T) {
	port := func() int { return freePort(t) }
	server := func(group string) *rpcpeer.Proc {
		p := port()
		return rpcpeer.Start(t, "127.0.0.1:"+strconv.Itoa(p), "", rpcpeer.DubboPeer(t), "server", "-port", strconv.Itoa(p),
			"-interface", echoService, "-version", "1.0", "-group", group, "-name", group)
	}
	g1, g2 := server("g1"), server("g2")
	cfg := versionRoutes(config.ListenerDubbo, g1.Addr, g2.Addr, g2.Addr, config.Route{Path: "/", Cluster: "other"})
	cfg.Products[0].Routes = []config.Route{{Headers: []config.HeaderMatch{{Name: "group", Value: "g2"}}, Cluster: "v2"}}
	tp := startRPCProxy(t, cfg, "dubbo")
	for _, g := range []string{"g1", "g2"} {
		var r rpcpeer.Result
		rpcpeer.RunJSON(t, &r, "", rpcpeer.DubboPeer(t), "client", "-addr", tp.addr, "-interface", echoService, "-version", "1.0",
			"-group", g, "-calls", "10", "-conc", "5", "-timeout", "5s", "-arg", "x")
		if r.OK != 10 || r.Servers[g] != 10 {
			t.Errorf("group %s: %+v, want 10 answers from %s", g, r, g)
		}
	}
}

// apache-dubbo-js as a second, independent Dubbo client: the calls it
// encodes go through velox to a dubbo-go server on one connection, all
// written at once, and it reads every answer (its id, status 20, the
// server's value); a call for a service no backend serves is answered
// with an error status it reads too.
func TestRPCDubboJSClient(t *testing.T) {
	peer := rpcpeer.Node(t)
	srv := dubboServer(t, echoService, "1.0", "a")
	cfg := versionRoutes(config.ListenerDubbo, srv.Addr, srv.Addr, srv.Addr, config.Route{Path: "/", Cluster: "other"})
	cfg.Clusters[2].Backends[0].Address = deadAddr(t)
	tp := startRPCProxy(t, cfg, "dubbo")
	conn := dialRPC(t, tp.addr, &rpcx.Dubbo{})
	const n = 8
	var all []byte
	for id := 1; id <= n; id++ {
		req, _, err := peer.DubboRequest(map[string]any{"id": id, "service": echoService, "version": "1.0", "method": "Echo",
			"args": []any{map[string]any{"$class": "java.lang.String", "$": fmt.Sprint("js", id)}}})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, req...)
	}
	if _, err := conn.Write(all); err != nil {
		t.Fatal(err)
	}
	for range n {
		raw, _, err := conn.readFrame()
		if err != nil {
			t.Fatal(err)
		}
		d, err := peer.DubboDecode(raw)
		if err != nil || d.Status != uint8(rpcx.DubboOK) || d.Error != "" || !bytes.Contains(raw, []byte(fmt.Sprint("a:js", d.RequestID))) {
			t.Errorf("apache-dubbo-js reads %+v, %v; want status 20 and the answer to its own call", d, err)
		}
	}
	req, _, err := peer.DubboRequest(map[string]any{"id": 99, "service": "org.velox.Other", "version": "1.0", "method": "Echo",
		"args": []any{map[string]any{"$class": "java.lang.String", "$": "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(req); err != nil {
		t.Fatal(err)
	}
	raw, _, err := conn.readFrame()
	if err != nil {
		t.Fatal(err)
	}
	if d, err := peer.DubboDecode(raw); err != nil || d.RequestID != 99 || d.Status == uint8(rpcx.DubboOK) || d.Error == "" {
		t.Errorf("a call to a refused backend: apache-dubbo-js reads %+v, %v; want an error status and message", d, err)
	}
}
