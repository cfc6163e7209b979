package proxy

// End-to-end tests of the upstream side's life across reloads and
// re-resolution: health kept, idle pools closed at once, drained backends,
// pooling off, conn filters registered under traffic.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
)

// newLiveOrigin is an origin on addr ("" = a free port) that runs h, if
// set, and then tells who it is in its body.
func newLiveOrigin(t *testing.T, addr, name string, h http.HandlerFunc) *origin {
	t.Helper()
	return newOriginAt(t, addr, func(w http.ResponseWriter, r *http.Request) {
		if h != nil {
			h(w, r)
		}
		io.WriteString(w, name)
	})
}

// backendStats returns the /stats entry of addr in cluster c.
func (tp *testProxy) backendStats(t *testing.T, addr string) (s struct {
	Healthy                       bool
	Consecutive                   int64
	Requests, Failures, Ejections uint64
	Found                         bool
}) {
	t.Helper()
	for _, b := range tp.Stats().Clusters["c"] {
		if b.Addr == addr {
			s.Healthy, s.Consecutive, s.Found = b.Healthy, b.ConsecutiveFailures, true
			s.Requests, s.Failures, s.Ejections = b.Requests, b.Failures, b.Ejections
		}
	}
	return s
}

// TestReloadKeepsBackendState: a backend that stays in its cluster across a
// reload keeps its ejection, its run of failures and its counters, and the
// new table's balancer honours the ejection.
func TestReloadKeepsBackendState(t *testing.T) { run(t, testReloadKeepsBackendState) }

func testReloadKeepsBackendState(t *testing.T, m mode) {
	live := newLiveOrigin(t, "", "live", nil)
	dead := deadAddr(t)
	cfg := clusterConfig(dead, live.addr())
	cfg.Clusters[0].ConsecutiveFailures = 1
	cfg.Clusters[0].EjectBase = config.Duration(time.Hour)
	tp := startProxy(t, cfg, 1)
	for i := range 3 { // the first goes to dead, is retried on live, ejects dead
		if code, body := tp.get(t, m, "/"); code != 200 || body != "live" {
			t.Fatalf("request %d: %d %q", i, code, body)
		}
	}
	before := tp.backendStats(t, dead)
	if before.Healthy || before.Failures != 1 || before.Ejections != 1 || before.Consecutive != 1 {
		t.Fatalf("dead backend before reload: %+v, want ejected after 1 failure", before)
	}

	next := clusterConfig(dead, live.addr(), "127.0.0.1:1") // a change elsewhere: one more backend
	next.Clusters[0].ConsecutiveFailures = 1
	next.Clusters[0].EjectBase = config.Duration(time.Hour)
	next.Clusters[0].Backends[2].Weight = new(0)
	if err := tp.Reload(next); err != nil {
		t.Fatal(err)
	}
	if after := tp.backendStats(t, dead); after != before {
		t.Errorf("dead backend after reload: %+v, want %+v", after, before)
	}
	if s := tp.backendStats(t, live.addr()); s.Requests != 3 || !s.Healthy {
		t.Errorf("live backend after reload: %+v, want its 3 requests", s)
	}
	for i := range 4 {
		if code, body := tp.get(t, m, "/"); code != 200 || body != "live" {
			t.Fatalf("request %d after reload: %d %q", i, code, body)
		}
	}
	if s := tp.backendStats(t, dead); s.Failures != 1 {
		t.Errorf("the ejected backend was tried after the reload: %+v", s)
	}
}

// TestReloadClosesIdleUpstreamsOnEveryLoop: at a reload each loop switches
// to the new table by itself, so the idle upstream connections of the old
// pools close on every loop without any new request.
func TestReloadClosesIdleUpstreamsOnEveryLoop(t *testing.T) {
	run(t, testReloadClosesIdleUpstreamsOnEveryLoop)
}

func testReloadClosesIdleUpstreamsOnEveryLoop(t *testing.T, m mode) {
	o := newLiveOrigin(t, "", "o", nil)
	cfg := clusterConfig(o.addr())
	tp := startProxy(t, cfg, 2)
	for i := 0; !everyLoopConnected(tp); i++ {
		if i == 500 {
			t.Fatalf("500 client connections did not reach both loops: %+v", tp.Stats().Loops)
		}
		if code, _ := tp.get(t, m, "/"); code != 200 {
			t.Fatalf("status %d", code)
		}
	}
	pooled := int64(tp.totals().UpstreamConnectsTotal)
	eventually(t, "the origin to see every pooled connection", func() bool { return o.open.Load() == pooled })

	changed := clusterConfig(o.addr())
	changed.Clusters[0].ConnectTimeout = config.Duration(3 * time.Second) // the cluster changes
	if err := tp.Reload(changed); err != nil {
		t.Fatal(err)
	}
	eventually(t, "every idle upstream connection of the old config to close", func() bool {
		return o.open.Load() == 0
	})
	if n := tp.totals().RequestsTotal; n != tp.totals().UpstreamConnectsTotal+tp.totals().UpstreamReusedTotal {
		t.Errorf("requests %d: a request was sent after the reload", n)
	}
}

// TestReloadKeepsUnchangedClusterPool: a reload that changes other things
// (here a second cluster) leaves an unchanged cluster's pool alone, as
// Envoy does: its idle connection is reused after the reload.
func TestReloadKeepsUnchangedClusterPool(t *testing.T) { run(t, testReloadKeepsUnchangedClusterPool) }

func testReloadKeepsUnchangedClusterPool(t *testing.T, m mode) {
	o := newLiveOrigin(t, "", "o", nil)
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	if code, _ := tp.get(t, m, "/"); code != 200 {
		t.Fatalf("status %d", code)
	}
	eventually(t, "the upstream connection pooled", func() bool { return o.open.Load() == 1 })
	cfg := clusterConfig(o.addr())
	cfg.Clusters = append(cfg.Clusters, config.Cluster{Name: "other", Backends: []config.Backend{{Address: deadAddr(t)}}})
	if err := tp.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if code, _ := tp.get(t, m, "/"); code != 200 {
		t.Fatalf("after the reload: status %d", code)
	}
	if st := tp.totals(); st.UpstreamConnectsTotal != 1 || st.UpstreamReusedTotal != 1 || o.conns.Load() != 1 {
		t.Fatalf("connects %d, reused %d, origin saw %d connections: want the pooled one reused across the reload",
			st.UpstreamConnectsTotal, st.UpstreamReusedTotal, o.conns.Load())
	}
}

func everyLoopConnected(tp *testProxy) bool {
	for _, l := range tp.Stats().Loops {
		if l.UpstreamConnectsTotal == 0 {
			return false
		}
	}
	return true
}

// TestWeightZeroDrains: a reload that sets a backend's weight to 0 sends it
// no new request, and lets the one in flight finish.
func TestWeightZeroDrains(t *testing.T) { run(t, testWeightZeroDrains) }

func testWeightZeroDrains(t *testing.T, m mode) {
	entered, release := make(chan struct{}, 1), make(chan struct{})
	a := newLiveOrigin(t, "", "a", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			entered <- struct{}{}
			<-release
		}
	})
	b := newLiveOrigin(t, "", "b", nil)
	tp := startProxy(t, clusterConfig(a.addr(), b.addr()), 1)
	slow := make(chan string, 1)
	go func() { // round robin on one loop starts with a
		code, body, err := tp.fetch(m, "/slow")
		if err != nil {
			body = err.Error()
		}
		slow <- strings.Join([]string{http.StatusText(code), body}, " ")
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the slow request did not reach a")
	}
	next := clusterConfig(a.addr(), b.addr())
	next.Clusters[0].Backends[0].Weight = new(0)
	if err := tp.Reload(next); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		if code, body := tp.get(t, m, "/"); code != 200 || body != "b" {
			t.Fatalf("request %d after draining a: %d %q, want b", i, code, body)
		}
	}
	close(release)
	if got := <-slow; got != "OK a" {
		t.Fatalf("the request in flight on the drained backend: %q, want OK a", got)
	}
	if n := a.reqs.Load(); n != 1 {
		t.Fatalf("drained backend got %d requests, want only the one in flight", n)
	}
}

// TestMaxIdleZeroDisablesPooling: max_idle 0 closes every upstream
// connection after its response; unset keeps one for all.
func TestMaxIdleZeroDisablesPooling(t *testing.T) { run(t, testMaxIdleZeroDisablesPooling) }

func testMaxIdleZeroDisablesPooling(t *testing.T, m mode) {
	for _, tt := range []struct {
		maxIdle *int
		conns   int64
	}{{new(0), 5}, {nil, 1}} {
		o := newLiveOrigin(t, "", "o", nil)
		cfg := clusterConfig(o.addr())
		cfg.Clusters[0].MaxIdle = tt.maxIdle
		tp := startProxy(t, cfg, 1)
		c := tp.clientFor(m)
		for range 5 {
			req, _ := http.NewRequest("GET", tp.url("/"), nil)
			if got := doString(t, c, req); got != "o" {
				t.Fatalf("got %q", got)
			}
		}
		if n := o.conns.Load(); n != tt.conns {
			t.Errorf("max_idle %v: origin saw %d connections for 5 requests, want %d", config.IntOr(tt.maxIdle, -1), n, tt.conns)
		}
		if tt.conns == 5 {
			eventually(t, "no upstream connection left open", func() bool { return o.open.Load() == 0 })
		}
	}
}

// TestRegisterConnDuringTraffic (for -race): conn filters registered while
// connections come and go are published safely, and run on connections
// accepted after the call.
func TestRegisterConnDuringTraffic(t *testing.T) { run(t, testRegisterConnDuringTraffic) }

func testRegisterConnDuringTraffic(t *testing.T, m mode) {
	o := newLiveOrigin(t, "", "o", nil)
	tp := startProxy(t, clusterConfig(o.addr()), 2)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if code, _, err := tp.fetch(m, "/"); err != nil || code != 200 {
					t.Errorf("status %d, %v", code, err)
					return
				}
			}
		})
	}
	var accepts, finishes atomic.Int64
	for range 50 {
		tp.RegisterConn(Accept, ConnFilterFunc(func(*Session) Verdict { accepts.Add(1); return Continue }))
		tp.RegisterConn(Finish, ConnFilterFunc(func(*Session) Verdict { finishes.Add(1); return Continue }))
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	a0 := accepts.Load()
	if code, _ := tp.get(t, m, "/"); code != 200 {
		t.Fatalf("status %d", code)
	}
	if got := accepts.Load() - a0; got != 50 {
		t.Errorf("a connection after the registrations ran %d Accept filters, want 50", got)
	}
	eventually(t, "Finish filters to run", func() bool { return finishes.Load() >= 50 })
}

// dnsStub is an injected resolver whose answer a test changes.
type dnsStub struct {
	mu    sync.Mutex
	addrs []string
	err   error
	calls int
}

func (d *dnsStub) set(err error, addrs ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addrs, d.err = addrs, err
}

func (d *dnsStub) lookup(_ context.Context, host string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	if host != "api.test" {
		return nil, errors.New("no such host")
	}
	return d.addrs, d.err
}

// TestReResolution: a backend host name is looked up again every
// resolve_interval; a new answer publishes a table with the new addresses,
// keeping the counters of an address that stays; a failed lookup keeps
// what the name had.
func TestReResolution(t *testing.T) { run(t, testReResolution) }

func testReResolution(t *testing.T, m mode) {
	v4 := newLiveOrigin(t, "127.0.0.1:0", "v4", nil)
	_, port, _ := net.SplitHostPort(v4.addr())
	v6 := newLiveOrigin(t, "[::1]:"+port, "v6", nil)
	dns := &dnsStub{}
	dns.set(nil, "127.0.0.1")
	cfg := clusterConfig("api.test:" + port)
	cfg.Clusters[0].ResolveInterval = config.Duration(20 * time.Millisecond)
	tp := startProxyWith(t, cfg, Options{Loops: 1, LookupHost: dns.lookup})
	for range 3 {
		if code, body := tp.get(t, m, "/"); code != 200 || body != "v4" {
			t.Fatalf("%d %q, want v4", code, body)
		}
	}

	dns.set(nil, "::1", "127.0.0.1")
	eventually(t, "the new address to be used", func() bool {
		_, body := tp.get(t, m, "/")
		return body == "v6"
	})
	if s := tp.backendStats(t, v4.addr()); !s.Found || s.Requests < 3 {
		t.Errorf("v4 backend after re-resolution: %+v, want its counters kept", s)
	}

	dns.set(nil, "::1")
	eventually(t, "the old address to be dropped", func() bool { return !tp.backendStats(t, v4.addr()).Found })
	dns.set(errors.New("server misbehaving"))
	eventually(t, "a failed lookup to be logged", func() bool {
		return strings.Contains(tp.log.String(), `resolve: host "api.test": server misbehaving; keeping [::1]`)
	})
	for range 3 {
		if code, body := tp.get(t, m, "/"); code != 200 || body != "v6" {
			t.Fatalf("after a failed lookup: %d %q, want v6", code, body)
		}
	}
	if v6.reqs.Load() == 0 || !strings.Contains(tp.log.String(), `host "api.test": [127.0.0.1 ::1], was [127.0.0.1]`) {
		t.Errorf("log:\n%s", tp.log.String())
	}
}

// TestUnresolvableNameIsConfigError: a host name that does not resolve
// refuses New and Reload with the file, line and field.
func TestUnresolvableNameIsConfigError(t *testing.T) { run(t, testUnresolvableNameIsConfigError) }

func testUnresolvableNameIsConfigError(t *testing.T, m mode) {
	o := newLiveOrigin(t, "", "o", nil)
	yaml := func(addr string) []byte {
		return []byte("listeners: [{address: \"127.0.0.1:0\"}]\nproducts: [{name: p, default_cluster: c}]\ndefault_product: p\nclusters:\n  - name: c\n    backends:\n      - address: " + addr + "\n")
	}
	dns := &dnsStub{}
	bad, err := config.Parse("velox.yaml", yaml("nosuch.test:80"))
	if err != nil {
		t.Fatal(err)
	}
	want := `velox.yaml:7: clusters[0].backends[0].address: host "nosuch.test" does not resolve: no such host`
	if _, err := New(bad, Options{Loops: 1, LookupHost: dns.lookup}); err == nil || err.Error() != want {
		t.Fatalf("New: %v\nwant %s", err, want)
	}
	good, err := config.Parse("velox.yaml", yaml(o.addr()))
	if err != nil {
		t.Fatal(err)
	}
	tp := startProxyWith(t, good, Options{Loops: 1, LookupHost: dns.lookup})
	if err := tp.Reload(bad); err == nil || err.Error() != want {
		t.Fatalf("Reload: %v\nwant %s", err, want)
	}
	if code, body := tp.get(t, m, "/"); code != 200 || body != "o" {
		t.Fatalf("old config after a refused reload: %d %q", code, body)
	}
}
