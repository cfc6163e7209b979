package proxy

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
)

// origin is a real net/http server on loopback that counts its connections.
type origin struct {
	*httptest.Server
	conns atomic.Int64 // connections accepted
	open  atomic.Int64 // connections open now
	reqs  atomic.Int64
}

func newOrigin(t *testing.T, h http.HandlerFunc) *origin {
	t.Helper()
	return newOriginAt(t, "", h)
}

// newOriginAt is newOrigin listening on addr ("" = a free port); a test
// that cannot listen there is skipped.
func newOriginAt(t *testing.T, addr string, h http.HandlerFunc) *origin {
	t.Helper()
	return newOriginWith(t, addr, nil, h)
}

// newOriginWith is newOriginAt with its http.Server configured by conf
// (nil: as it comes) before it starts.
func newOriginWith(t *testing.T, addr string, conf func(*http.Server), h http.HandlerFunc) *origin {
	t.Helper()
	o := unstartedOrigin(t, addr, conf, h)
	o.Start()
	t.Cleanup(o.Close)
	return o
}

// unstartedOrigin is newOriginWith's origin before Start (or StartTLS).
func unstartedOrigin(t *testing.T, addr string, conf func(*http.Server), h http.HandlerFunc) *origin {
	t.Helper()
	o := &origin{}
	o.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.reqs.Add(1)
		h(w, r)
	}))
	if addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Skipf("cannot listen on %s: %v", addr, err)
		}
		o.Listener.Close()
		o.Listener = ln
	}
	if conf != nil {
		conf(o.Config)
	}
	o.Config.ConnState = func(c net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			o.conns.Add(1)
			o.open.Add(1)
		case http.StateClosed, http.StateHijacked:
			o.open.Add(-1)
		}
	}
	return o
}

func (o *origin) addr() string { return o.Listener.Addr().String() }

// nameHandler answers the origin's name in X-Origin, and "name method uri".
func nameHandler(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Origin", name)
		fmt.Fprintf(w, "%s %s %s", name, r.Method, r.URL.RequestURI())
	}
}

// syncBuffer is a log sink tests can read while the logger writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testProxy is a started Server with its log.
type testProxy struct {
	*Server
	addr    string
	log     *syncBuffer
	clients []*http.Transport     // closed by checkNoLeaks
	byMode  map[mode]*http.Client // do's clients
}

// clusterConfig is one cluster over the given backends behind a catch-all product.
func clusterConfig(backends ...string) *config.Config {
	cl := config.Cluster{Name: "c"}
	for _, b := range backends {
		cl.Backends = append(cl.Backends, config.Backend{Address: b})
	}
	return &config.Config{
		Listeners:      []config.Listener{{Address: "127.0.0.1:0"}},
		Products:       []config.Product{{Name: "p", DefaultCluster: "c"}},
		Clusters:       []config.Cluster{cl},
		DefaultProduct: "p",
	}
}

// startProxy validates cfg and runs it on loops loops until the test ends.
func startProxy(t testing.TB, cfg *config.Config, loops int) *testProxy {
	t.Helper()
	return startProxySetup(t, cfg, Options{Loops: loops}, nil)
}

// startProxyWith is startProxy with options (a resolver, loops).
func startProxyWith(t testing.TB, cfg *config.Config, o Options) *testProxy {
	t.Helper()
	return startProxySetup(t, cfg, o, nil)
}

// startProxySetup runs cfg with options o (its Logger is the test's) and Go
// filters that setup registers before Start.
func startProxySetup(t testing.TB, cfg *config.Config, o Options, setup func(*Server)) *testProxy {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	tp := &testProxy{log: &syncBuffer{}}
	logger := NewLogger(tp.log, false)
	o.Logger = logger
	srv, err := New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(srv)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	tp.Server, tp.addr = srv, srv.Addrs()[0]
	t.Cleanup(func() {
		tp.checkNoLeaks(t)
		srv.Shutdown()
		logger.Close()
	})
	return tp
}

func (tp *testProxy) url(path string) string { return "http://" + tp.addr + path }

// totals sums the loop counters.
func (tp *testProxy) totals() LoopStats {
	var t LoopStats
	for _, l := range tp.Stats().Loops {
		t.RequestsTotal += l.RequestsTotal
		t.UpstreamConnectsTotal += l.UpstreamConnectsTotal
		t.UpstreamReusedTotal += l.UpstreamReusedTotal
		t.UpstreamRetriesTotal += l.UpstreamRetriesTotal
		t.ClientAbortsTotal += l.ClientAbortsTotal
		t.BadRequestsTotal += l.BadRequestsTotal
		t.ProxyProtocolErrors += l.ProxyProtocolErrors
		t.DownstreamConnsTotal += l.DownstreamConnsTotal
		t.DownstreamConnsActive += l.DownstreamConnsActive
		t.RequestsActive += l.RequestsActive
		t.Responses5xx += l.Responses5xx
	}
	return t
}

// testWait bounds every single wait in the tests (a read, a curl run, a poll).
const testWait = 10 * time.Second

// eventually polls cond until it holds, failing the test if testWait passes.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !holds(cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// holds polls cond every 10ms until it holds (true) or testWait passes.
func holds(cond func() bool) bool {
	deadline := time.Now().Add(testWait)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

// deadAddr is a loopback address where nothing listens.
func deadAddr(t *testing.T) string {
	t.Helper()
	// A socket bound and never listening: a connect to it is refused, and
	// no other test can take the port while the test runs (a port merely
	// found free could be another test's listener a moment later).
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
}
