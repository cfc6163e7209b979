package proxy

// End-to-end tests of clusters with protocol h2 when things go wrong:
// GOAWAY, resets either way, timeouts, idle connections.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
)

// keepListener is a listener whose Close does not close it: a server
// that shuts down (GOAWAY) goes on accepting connections on it.
type keepListener struct{ net.Listener }

func (keepListener) Close() error { return nil }

// TestH2UpGoAway: the origin's graceful shutdown (GOAWAY) lets the stream
// in flight finish; a new request goes on a new connection.
func TestH2UpGoAway(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	var conns atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			started <- struct{}{}
			<-release
		}
		io.WriteString(w, r.URL.Path)
	}), Protocols: &p, ConnState: func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}}
	go srv.Serve(keepListener{ln})
	defer func() {
		ln.Close() // Serve returns, so Close does not wait for it
		srv.Close()
	}()
	tp := startH2Proxy(t, h2ClusterConfig(ln.Addr().String()), 1)
	c := tp.clientFor(modeH2C)
	slow := make(chan error, 1)
	go func() {
		resp, err := c.Get(tp.url("/slow"))
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "/slow" {
				err = errors.New("in-flight stream got " + string(b))
			}
		}
		slow <- err
	}()
	<-started
	// Shutdown sends GOAWAY and waits for the connections it knew of; the
	// one accepted after it is Close's.
	go srv.Shutdown(context.Background())
	defer close(release)
	eventually(t, "the GOAWAY counted", func() bool { return tp.Stats().Loops[0].HTTP2.GoAwaysIn >= 1 })
	resp, err := c.Get(tp.url("/new"))
	if err != nil {
		t.Fatal(err)
	}
	if b := readAll(t, resp); resp.StatusCode != 200 || string(b) != "/new" {
		t.Fatalf("new request after GOAWAY: %d %q", resp.StatusCode, b)
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("origin saw %d connections, want 2 (a new one after GOAWAY)", n)
	}
	select {
	case err := <-slow:
		t.Fatalf("the in-flight stream ended before its response: %v", err)
	default:
	}
	release <- struct{}{} // the handler takes it; the deferred close then lets nothing else block
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
}

// TestH2UpOriginReset: a stream the origin resets before its head is a 502
// for an HTTP/1.1 client and the same reset (RST_STREAM, INTERNAL_ERROR)
// for an HTTP/2 one; after its head, the client's response is cut
// (HTTP/1.1: the connection closes; HTTP/2: RST_STREAM). The upstream
// connection goes on.
func TestH2UpOriginReset(t *testing.T) {
	o := newH2Origin(t, 0, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/before":
			panic(http.ErrAbortHandler)
		case "/after":
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
		io.WriteString(w, "ok")
	})
	tp := startH2Proxy(t, h2ClusterConfig(o.addr()), 1)
	both(t, tp, func(t *testing.T, c *http.Client, h2 bool) {
		resp, err := c.Get(tp.url("/before"))
		if h2 {
			if err == nil || !strings.Contains(err.Error(), "INTERNAL_ERROR") {
				t.Fatalf("reset before the head: %v, want the stream reset (INTERNAL_ERROR)", err)
			}
		} else {
			if err != nil {
				t.Fatal(err)
			}
			if b := readAll(t, resp); resp.StatusCode != 502 {
				t.Fatalf("reset before the head: %d %q, want 502", resp.StatusCode, b)
			}
		}
		resp, err = c.Get(tp.url("/after"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Fatalf("reset after the head: the body %q ended cleanly", b)
		}
		if b := getBody(t, c, tp.url("/fine")); b != "ok" {
			t.Fatalf("after the resets: %q", b)
		}
	})
	if n := o.conns.Load(); n != 1 {
		t.Fatalf("origin saw %d connections: a stream reset cost the connection", n)
	}
	if n := tp.Stats().Loops[0].HTTP2.ResetsIn["INTERNAL_ERROR"]; n < 4 {
		t.Fatalf("resets received from the origin: %v", tp.Stats().Loops[0].HTTP2.ResetsIn)
	}
}

// TestH2UpClientCancel: an HTTP/2 client's RST_STREAM and an HTTP/1.1
// client's close reach the origin as a cancelled request context.
func TestH2UpClientCancel(t *testing.T) {
	started := make(chan struct{}, 1)
	gone := make(chan struct{}, 1)
	o := newH2Origin(t, 0, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			started <- struct{}{}
			// An HTTP/1.1 client's close is seen when a write to it
			// fails (a FIN alone may be a half-close): keep writing.
			for {
				select {
				case <-r.Context().Done():
					gone <- struct{}{}
					return
				case <-time.After(20 * time.Millisecond):
					io.WriteString(w, ".")
					w.(http.Flusher).Flush()
				}
			}
		}
		io.WriteString(w, "ok")
	})
	tp := startH2Proxy(t, h2ClusterConfig(o.addr()), 1)
	both(t, tp, func(t *testing.T, c *http.Client, h2 bool) {
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", tp.url("/hang"), nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		<-started
		cancel() // h2: RST_STREAM(CANCEL); h1: the connection closes
		resp.Body.Close()
		select {
		case <-gone:
		case <-time.After(10 * time.Second):
			t.Fatal("the origin's request was not cancelled")
		}
		if b := getBody(t, c, tp.url("/after")); b != "ok" {
			t.Fatalf("after the cancel: %q", b)
		}
	})
	if n := o.conns.Load(); n != 1 {
		t.Fatalf("origin saw %d connections: a cancel cost the upstream connection", n)
	}
	if n := tp.Stats().Loops[0].HTTP2.ResetsOut["CANCEL"]; n < 2 {
		t.Fatalf("resets sent: %v", tp.Stats().Loops[0].HTTP2.ResetsOut)
	}
}

// TestH2UpResponseTimeout: response_timeout is per stream: the stream that
// times out gets 504 and is reset at the origin; a slow but steady stream
// on the same connection goes on.
func TestH2UpResponseTimeout(t *testing.T) {
	hung := make(chan struct{}, 2)
	o := newH2Origin(t, 0, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hang":
			<-r.Context().Done()
			hung <- struct{}{}
		case "/drip":
			for i := 0; i < 10; i++ {
				io.WriteString(w, "drip\n")
				w.(http.Flusher).Flush()
				time.Sleep(60 * time.Millisecond)
			}
		}
	})
	cfg := h2ClusterConfig(o.addr())
	cfg.Clusters[0].ResponseTimeout = config.Duration(250 * time.Millisecond)
	tp := startH2Proxy(t, cfg, 1)
	both(t, tp, func(t *testing.T, c *http.Client, h2 bool) {
		drip := make(chan error, 1)
		go func() {
			resp, err := c.Get(tp.url("/drip"))
			if err == nil {
				var b []byte
				b, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil && len(b) != 50 {
					err = errors.New("drip: short body " + string(b))
				}
			}
			drip <- err
		}()
		start := time.Now()
		resp, err := c.Get(tp.url("/hang"))
		if err != nil {
			t.Fatal(err)
		}
		if b := readAll(t, resp); resp.StatusCode != 504 {
			t.Fatalf("hung stream: %d %q, want 504", resp.StatusCode, b)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("504 after %v", d)
		}
		select {
		case <-hung:
		case <-time.After(5 * time.Second):
			t.Fatal("the origin's request was not reset after the 504")
		}
		if err := <-drip; err != nil {
			t.Fatal(err)
		}
	})
	if n := o.conns.Load(); n != 1 {
		t.Fatalf("origin saw %d connections, want 1", n)
	}
}

// TestH2UpIdleConnection: an idle upstream connection answers the origin's
// PINGs and stays in use, and closes after idle_timeout.
func TestH2UpIdleConnection(t *testing.T) {
	o := newH2OriginWith(t, func(s *http.Server) {
		s.HTTP2 = &http.HTTP2Config{SendPingTimeout: 30 * time.Millisecond, PingTimeout: 200 * time.Millisecond}
	}, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	cfg := h2ClusterConfig(o.addr())
	cfg.Clusters[0].IdleTimeout = config.Duration(1500 * time.Millisecond)
	tp := startH2Proxy(t, cfg, 1)
	c := tp.clientFor(modeH1)
	for i := 0; i < 3; i++ {
		resp, err := c.Get(tp.url("/x"))
		if err != nil {
			t.Fatal(err)
		}
		if b := readAll(t, resp); string(b) != "ok" {
			t.Fatalf("request %d: %q", i, b)
		}
		time.Sleep(400 * time.Millisecond) // many PINGs; no answer within 200ms would close it
	}
	if n := o.conns.Load(); n != 1 {
		t.Fatalf("origin saw %d connections, want 1 (the idle one survived its PINGs)", n)
	}
	if n := o.open.Load(); n != 1 {
		t.Fatalf("%d origin connections open, want 1", n)
	}
	eventually(t, "the idle connection closed after idle_timeout", func() bool {
		return o.open.Load() == 0 && tp.h2UpConns() == 0
	})
}

// TestH2UpGoAwayRequeues: a request queued on a connection (the origin
// allows one stream, max_conns is 1) when the origin sends GOAWAY waits
// for that connection to close and goes on a new one, though it is a POST
// and there is no other backend.
func TestH2UpGoAwayRequeues(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	var conns atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			started <- struct{}{}
			<-release
		}
		io.WriteString(w, r.Method+" "+r.URL.Path)
	}), Protocols: &p, HTTP2: &http.HTTP2Config{MaxConcurrentStreams: 1}, ConnState: func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}}
	go srv.Serve(keepListener{ln})
	defer func() {
		ln.Close()
		srv.Close()
	}()
	cfg := h2ClusterConfig(ln.Addr().String())
	cfg.Clusters[0].MaxConns = 1
	tp := startH2Proxy(t, cfg, 1)
	c := tp.clientFor(modeH2C)
	type result struct {
		body string
		err  error
	}
	get := func(method, path string, out chan<- result) {
		req, _ := http.NewRequest(method, tp.url(path), nil)
		resp, err := c.Do(req)
		if err != nil {
			out <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		out <- result{fmt.Sprint(resp.StatusCode, " ", string(b)), err}
	}
	slow, queued := make(chan result, 1), make(chan result, 1)
	go get("GET", "/slow", slow)
	<-started
	go get("POST", "/queued", queued)
	time.Sleep(100 * time.Millisecond) // it is in the connection's queue
	go srv.Shutdown(context.Background())
	eventually(t, "the GOAWAY counted", func() bool { return tp.Stats().Loops[0].HTTP2.GoAwaysIn >= 1 })
	close(release)
	if r := <-slow; r.err != nil || r.body != "200 GET /slow" {
		t.Fatalf("in-flight stream: %+v", r)
	}
	if r := <-queued; r.err != nil || r.body != "200 POST /queued" {
		t.Fatalf("queued stream: %+v", r)
	}
	if n := conns.Load(); n != 2 {
		t.Fatalf("origin saw %d connections, want 2", n)
	}
}

// TestH2UpMaxBody: limits.max_body_bytes holds for an HTTP/1.1 client's
// chunked body going to an h2 cluster.
func TestH2UpMaxBody(t *testing.T) {
	o := newH2Origin(t, 0, h2SumHandler)
	cfg := h2ClusterConfig(o.addr())
	cfg.Limits.MaxBodyBytes = 1000
	tp := startH2Proxy(t, cfg, 1)
	body := make([]byte, 50000)
	req, _ := http.NewRequest("POST", tp.url("/up"), io.MultiReader(bytes.NewReader(body)))
	resp, err := tp.clientFor(modeH1).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if b := readAll(t, resp); resp.StatusCode != 413 {
		t.Fatalf("%d %q, want 413", resp.StatusCode, b)
	}
}

// TestH2CMaxBodyWithoutLength: an HTTP/2 client's body of unknown length
// over limits.max_body_bytes gets 413 (HTTP/1.1 cluster): the 413 ends
// the stream while its DATA is being forwarded, and the connection goes on.
func TestH2CMaxBodyWithoutLength(t *testing.T) {
	o := newOrigin(t, h2SumHandler)
	cfg := clusterConfig(o.addr())
	cfg.Limits.MaxBodyBytes = 1000
	tp := startProxy(t, cfg, 1)
	req, _ := http.NewRequest("POST", tp.url("/up"), io.MultiReader(bytes.NewReader(make([]byte, 50000))))
	resp, err := tp.clientFor(modeH2C).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if b := readAll(t, resp); resp.StatusCode != 413 {
		t.Fatalf("%d %q, want 413", resp.StatusCode, b)
	}
}

// TestH2UpReload: a reload that changes the cluster lets the stream in
// flight on the old connection finish, then closes that connection; new
// requests go on a new one.
func TestH2UpReload(t *testing.T) {
	o, started, release := newGatedH2Origin(t, 0, 1)
	tp := startH2Proxy(t, h2ClusterConfig(o.addr()), 1)
	slow := make(chan string, 1)
	go func() {
		code, body, err := tp.fetch(modeH1, "/slow")
		slow <- fmt.Sprint(code, body, err)
	}()
	<-started
	next := h2ClusterConfig(o.addr())
	next.Clusters[0].ConnectTimeout = config.Duration(3 * time.Second) // the cluster changes
	if err := tp.Reload(next); err != nil {
		t.Fatal(err)
	}
	if code, body := tp.get(t, modeH1, "/new"); code != 200 || body != "/new" {
		t.Fatalf("after the reload: %d %q", code, body)
	}
	if n := o.conns.Load(); n != 2 {
		t.Fatalf("origin saw %d connections, want 2 (the new config's own)", n)
	}
	close(release)
	if got := <-slow; got != "200/slow<nil>" {
		t.Fatalf("the stream in flight across the reload: %s", got)
	}
	eventually(t, "the old connection closed", func() bool { return o.open.Load() == 1 })
}

// TestH2UpReloadKeepsQueued: streams waiting behind the backend's
// MAX_CONCURRENT_STREAMS when a reload replaces the cluster are served by
// the old connection once it has room, not failed with 503.
func TestH2UpReloadKeepsQueued(t *testing.T) {
	o, started, release := newGatedH2Origin(t, 1, 1)
	cfg := h2ClusterConfig(o.addr())
	cfg.Clusters[0].MaxConns = 1 // the requests queue behind the one slot
	tp := startH2Proxy(t, cfg, 1)
	if code, body := tp.get(t, modeH1, "/warm"); code != 200 || body != "/warm" { // the SETTINGS are in
		t.Fatalf("warm-up: %d %q", code, body)
	}
	results := make(chan string, 3)
	fetch := func(path string) {
		code, body, err := tp.fetch(modeH1, path)
		results <- fmt.Sprint(path, " ", code, " ", body, " ", err)
	}
	go fetch("/slow")
	<-started
	go fetch("/queued1")
	go fetch("/queued2")
	eventually(t, "both queued", func() bool { return tp.totals().RequestsTotal == 4 })
	next := h2ClusterConfig(o.addr())
	next.Clusters[0].MaxConns = 1
	next.Clusters[0].ConnectTimeout = config.Duration(3 * time.Second) // the cluster changes
	if err := tp.Reload(next); err != nil {
		t.Fatal(err)
	}
	close(release)
	want := map[string]bool{"/slow 200 /slow <nil>": true, "/queued1 200 /queued1 <nil>": true, "/queued2 200 /queued2 <nil>": true}
	for i := 0; i < 3; i++ {
		if got := <-results; !want[got] {
			t.Errorf("across the reload: %s", got)
		}
	}
	eventually(t, "the old connection closed", func() bool { return o.open.Load() == 0 })
}

// TestH2UpQueueTimeout: a stream waiting behind the backend's
// MAX_CONCURRENT_STREAMS runs response_timeout (the backend holds it up)
// and gets 504, while the stream that holds the only slot goes on.
func TestH2UpQueueTimeout(t *testing.T) {
	o := newH2Origin(t, 1, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/drip" {
			for i := 0; i < 80; i++ { // 4 s, a byte every 50 ms: never idle for response_timeout
				io.WriteString(w, "d")
				w.(http.Flusher).Flush()
				time.Sleep(50 * time.Millisecond)
			}
		}
		io.WriteString(w, r.URL.Path)
	})
	cfg := h2ClusterConfig(o.addr())
	cfg.Clusters[0].ResponseTimeout = config.Duration(time.Second)
	cfg.Clusters[0].MaxConns = 1 // no second connection to take the queued stream
	tp := startH2Proxy(t, cfg, 1)
	if code, body := tp.get(t, modeH1, "/warm"); code != 200 || body != "/warm" {
		t.Fatalf("warm-up: %d %q", code, body)
	}
	drip := make(chan string, 1)
	go func() {
		code, body, err := tp.fetch(modeH1, "/drip")
		drip <- fmt.Sprint(code, " ", len(body), " ", err)
	}()
	eventually(t, "the drip started", func() bool { return o.reqs.Load() == 2 })
	code, body := tp.get(t, modeH1, "/queued")
	if code != 504 || !strings.Contains(body, "velox: ") {
		t.Fatalf("queued stream: %d %q, want 504 from velox", code, body)
	}
	if got := <-drip; got != "200 85 <nil>" {
		t.Fatalf("the stream holding the slot: %s", got)
	}
	if n := o.reqs.Load(); n != 2 {
		t.Fatalf("origin saw %d requests: the timed-out one reached it", n)
	}
}

// newGatedH2Origin is an h2c origin (maxStreams as newH2Origin) that
// answers every path with the path itself, except that "/slow" first says
// it started (started holds up to slow of them) and waits for release to
// be closed.
func newGatedH2Origin(t *testing.T, maxStreams, slow int) (o *h2Origin, started chan struct{}, release chan struct{}) {
	release = make(chan struct{})
	started = make(chan struct{}, slow)
	o = newH2Origin(t, maxStreams, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			started <- struct{}{}
			<-release
		}
		io.WriteString(w, r.URL.Path)
	})
	return o, started, release
}

// getBody GETs url with c and returns the body.
func getBody(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	return string(readAll(t, resp))
}
