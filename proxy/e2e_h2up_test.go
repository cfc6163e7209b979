package proxy

// End-to-end tests of clusters with protocol h2: HTTP/1.1 and HTTP/2
// clients in front of a real net/http origin speaking h2c with prior
// knowledge, every upstream connection shared by many streams.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
)

// h2Origin is an origin speaking only h2c (prior knowledge), counting its
// connections and requests like any origin.
type h2Origin = origin

// newH2Origin starts an h2c origin; maxStreams > 0 is the
// MAX_CONCURRENT_STREAMS it advertises (0: the Go default, 250).
func newH2Origin(t *testing.T, maxStreams int, h http.HandlerFunc) *h2Origin {
	t.Helper()
	return newH2OriginWith(t, func(s *http.Server) {
		if maxStreams > 0 {
			s.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: maxStreams}
		}
	}, h)
}

// newH2OriginWith is newH2Origin with its server configured by conf.
func newH2OriginWith(t *testing.T, conf func(*http.Server), h http.HandlerFunc) *h2Origin {
	t.Helper()
	return newOriginWith(t, "", func(s *http.Server) {
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		s.Protocols = &p
		conf(s)
	}, h)
}

// h2ClusterConfig is clusterConfig with the cluster speaking h2 to addr.
func h2ClusterConfig(addr string) *config.Config {
	cfg := clusterConfig(addr)
	cfg.Clusters[0].Protocol = config.ProtocolH2
	return cfg
}

// startH2Proxy is startProxy that, after the test, also checks that no
// upstream HTTP/2 connection of any loop holds a stream or a queued one.
func startH2Proxy(t *testing.T, cfg *config.Config, loops int) *testProxy {
	t.Helper()
	tp := startProxy(t, cfg, loops)
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		for _, tr := range tp.clients {
			tr.CloseIdleConnections()
		}
		var last string
		deadline := time.Now().Add(10 * time.Second)
		for {
			if last = tp.h2UpLeaks(); last == "" {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("upstream HTTP/2 streams left: %s", last)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	return tp
}

// h2UpLeaks describes, from each loop's own goroutine, the streams and
// queued streams still on an upstream HTTP/2 connection ("" = none).
func (tp *testProxy) h2UpLeaks() string {
	var b strings.Builder
	for _, ls := range tp.Server.loops {
		done := make(chan struct{})
		if ls.loop.Execute(func() {
			defer close(done)
			for _, cs := range ls.clusters {
				if cs == nil || cs.h2 == nil {
					continue
				}
				for _, list := range cs.h2.conns {
					for _, hu := range list {
						if n, q := len(hu.streams), len(hu.queue); n+q > 0 || hu.conn.ActiveStreams() > 0 {
							fmt.Fprintf(&b, "loop %d %s: %d streams, %d queued, %d in the state machine; ", ls.id, hu.uc.Backend.Addr, n, q, hu.conn.ActiveStreams())
						}
					}
				}
			}
		}) != nil {
			continue
		}
		<-done
	}
	return b.String()
}

// h2UpConns is the number of upstream HTTP/2 connections the loops hold.
func (tp *testProxy) h2UpConns() int {
	n := 0
	for _, ls := range tp.Server.loops {
		done := make(chan int)
		if ls.loop.Execute(func() {
			k := 0
			for _, cs := range ls.clusters {
				if cs != nil && cs.h2 != nil {
					for _, list := range cs.h2.conns {
						k += len(list)
					}
				}
			}
			done <- k
		}) == nil {
			n += <-done
		}
	}
	return n
}

// both runs f with an HTTP/1.1 client and with an h2c client.
func both(t *testing.T, tp *testProxy, f func(t *testing.T, c *http.Client, h2 bool)) {
	t.Run("h1", func(t *testing.T) { f(t, tp.clientFor(modeH1), false) })
	t.Run("h2", func(t *testing.T) { f(t, tp.clientFor(modeH2C), true) })
}

func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return b
}

func TestH2UpGet(t *testing.T) {
	o := newH2Origin(t, 0, h2SumHandler)
	tp := startH2Proxy(t, h2ClusterConfig(o.addr()), 1)
	both(t, tp, func(t *testing.T, c *http.Client, h2 bool) {
		resp, err := c.Get(tp.url("/a/b?x=1"))
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if resp.StatusCode != 200 || string(body) != "GET /a/b?x=1 0 "+sumOf(nil) {
			t.Fatalf("got %d %q", resp.StatusCode, body)
		}
		if got := resp.Header.Get("X-Proto"); got != "HTTP/2.0" {
			t.Fatalf("origin saw %q, want HTTP/2.0", got)
		}
		if got := resp.Header.Get("X-Host"); got != tp.addr {
			t.Fatalf("origin saw Host %q, want %q", got, tp.addr)
		}
		if (resp.ProtoMajor == 2) != h2 {
			t.Fatalf("client got %s", resp.Proto)
		}
	})
	if n := o.conns.Load(); n != 1 {
		t.Fatalf("origin saw %d connections, want 1", n)
	}
}

func TestH2UpLargeBodies(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 8<<20/16)
	o := newH2Origin(t, 0, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Header().Set("Content-Length", fmt.Sprint(len(big)))
			w.Write(big)
			return
		}
		h2SumHandler(w, r)
	})
	tp := startH2Proxy(t, h2ClusterConfig(o.addr()), 1)
	body := big[:5<<20]
	both(t, tp, func(t *testing.T, c *http.Client, h2 bool) {
		for _, known := range []bool{true, false} {
			var rd io.Reader = bytes.NewReader(body)
			if !known {
				rd = io.MultiReader(rd)
			}
			req, _ := http.NewRequest("POST", tp.url("/up"), rd)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got := readAll(t, resp)
			want := fmt.Sprintf("POST /up %d %s", len(body), sumOf(body))
			if resp.StatusCode != 200 || string(got) != want {
				t.Fatalf("length known=%v: got %d %q, want %q", known, resp.StatusCode, got, want)
			}
		}
		resp, err := c.Get(tp.url("/big"))
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, resp); !bytes.Equal(got, big) {
			t.Fatalf("8 MiB response: %d bytes", len(got))
		}
	})
}

func TestH2UpChunkedToHTTP1(t *testing.T) {
	o := newH2Origin(t, 0, func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 50; i++ {
			fmt.Fprintf(w, "part %d\n", i)
			w.(http.Flusher).Flush()
		}
	})
	tp := startH2Proxy(t, h2ClusterConfig(o.addr()), 1)
	c := tp.clientFor(modeH1)
	var want strings.Builder
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&want, "part %d\n", i)
	}
	for i := 0; i < 3; i++ {
		resp, err := c.Get(tp.url("/stream"))
		if err != nil {
			t.Fatal(err)
		}
		got := readAll(t, resp)
		if string(got) != want.String() {
			t.Fatalf("request %d: %q", i, got)
		}
		if len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" || resp.ContentLength != -1 {
			t.Fatalf("request %d: framing %v %d, want chunked", i, resp.TransferEncoding, resp.ContentLength)
		}
		if resp.Close {
			t.Fatalf("request %d: the client connection is not kept alive", i)
		}
	}
	if n := tp.Stats().Loops[0].DownstreamConnsTotal; n != 1 {
		t.Fatalf("%d client connections, want 1 (keep-alive)", n)
	}
}

func TestH2UpBodylessResponses(t *testing.T) {
	o := newH2Origin(t, 0, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(204)
		case "/304":
			w.Header().Set("ETag", `"x"`)
			w.WriteHeader(304)
		default:
			w.Header().Set("Content-Length", "11")
			io.WriteString(w, "hello world")
		}
	})
	tp := startH2Proxy(t, h2ClusterConfig(o.addr()), 1)
	both(t, tp, func(t *testing.T, c *http.Client, h2 bool) {
		for _, tc := range []struct {
			method, path string
			status       int
			cl           int64
		}{{"HEAD", "/", 200, 11}, {"GET", "/204", 204, -1}, {"GET", "/304", 304, -1}, {"GET", "/", 200, 11}} {
			req, _ := http.NewRequest(tc.method, tp.url(tc.path), nil)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.method, tc.path, err)
			}
			body := readAll(t, resp)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s: %d", tc.method, tc.path, resp.StatusCode)
			}
			if tc.method == "HEAD" || tc.status != 200 {
				if len(body) != 0 {
					t.Fatalf("%s %s: body %q", tc.method, tc.path, body)
				}
			} else if string(body) != "hello world" {
				t.Fatalf("%s %s: body %q", tc.method, tc.path, body)
			}
			if tc.method == "HEAD" && resp.ContentLength != tc.cl {
				t.Fatalf("HEAD: content-length %d, want %d", resp.ContentLength, tc.cl)
			}
		}
	})
}

func TestH2UpTrailers(t *testing.T) {
	o := newH2Origin(t, 0, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum, X-Count")
		io.WriteString(w, "body bytes")
		w.(http.Flusher).Flush()
		w.Header().Set("X-Sum", "abc")
		w.Header().Set("X-Count", "10")
	})
	tp := startH2Proxy(t, h2ClusterConfig(o.addr()), 1)
	both(t, tp, func(t *testing.T, c *http.Client, h2 bool) {
		resp, err := c.Get(tp.url("/t"))
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(t, resp)
		if string(body) != "body bytes" {
			t.Fatalf("body %q", body)
		}
		if resp.Trailer.Get("X-Sum") != "abc" || resp.Trailer.Get("X-Count") != "10" {
			t.Fatalf("trailers %v", resp.Trailer)
		}
		if !h2 && (len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked") {
			t.Fatalf("HTTP/1.1 client: framing %v, want chunked", resp.TransferEncoding)
		}
	})
}

// TestH2UpSharedConnection: 100 concurrent requests from HTTP/1.1 and
// HTTP/2 clients share one upstream connection (the origin allows 250).
func TestH2UpSharedConnection(t *testing.T) {
	release := make(chan struct{})
	var inflight atomic.Int64
	o := newH2Origin(t, 0, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/warm" {
			inflight.Add(1)
			<-release
		}
		h2SumHandler(w, r)
	})
	tp := startH2Proxy(t, h2ClusterConfig(o.addr()), 1)
	warm, err := tp.clientFor(modeH1).Get(tp.url("/warm"))
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, warm)
	h1c, h2c := tp.clientFor(modeH1), tp.clientFor(modeH2C)
	h1c.Transport.(*http.Transport).MaxConnsPerHost = 0
	errs := concurrently(100, func(i int) error {
		c := h1c
		if i%2 == 1 {
			c = h2c
		}
		resp, err := c.Get(tp.url(fmt.Sprintf("/s/%d", i)))
		if err != nil {
			return err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := fmt.Sprintf("GET /s/%d 0 %s", i, sumOf(nil)); err != nil || string(b) != want {
			return fmt.Errorf("request %d: %q %v", i, b, err)
		}
		return nil
	}, func() {
		eventually(t, "100 requests at the origin", func() bool { return inflight.Load() == 100 })
		close(release)
	})
	for _, err := range errs {
		t.Error(err)
	}
	if n := o.conns.Load(); n != 1 {
		t.Fatalf("origin saw %d connections, want 1", n)
	}
}

// burst sends n requests at once with c (method, /prefix/i) and fails t
// for each that does not get status want.
func burst(t *testing.T, tp *testProxy, c *http.Client, n int, method, prefix string, want int) {
	t.Helper()
	errs := concurrently(n, func(i int) error {
		req, _ := http.NewRequest(method, tp.url(fmt.Sprintf("/%s/%d", prefix, i)), nil)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			return fmt.Errorf("request %d: %d %q, want %d", i, resp.StatusCode, b, want)
		}
		return nil
	}, nil)
	for _, err := range errs {
		t.Error(err)
	}
}

// concurrently runs f(0..n-1) in goroutines, then meanwhile, and returns
// the errors.
func concurrently(n int, f func(i int) error, meanwhile func()) []error {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := f(i); err != nil {
				errs <- err
			}
		}(i)
	}
	if meanwhile != nil {
		meanwhile()
	}
	wg.Wait()
	close(errs)
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}

// TestH2UpMaxConcurrentStreams: an origin allowing 2 streams gets at most 2
// per connection; the rest queue, or open another connection up to
// max_conns; all succeed.
func TestH2UpMaxConcurrentStreams(t *testing.T) {
	for _, maxConns := range []int{1, 3} {
		t.Run(fmt.Sprint("max_conns=", maxConns), func(t *testing.T) {
			var inflight, peak atomic.Int64
			o := newH2Origin(t, 2, func(w http.ResponseWriter, r *http.Request) {
				n := inflight.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(20 * time.Millisecond)
				inflight.Add(-1)
				h2SumHandler(w, r)
			})
			cfg := h2ClusterConfig(o.addr())
			cfg.Clusters[0].MaxConns = maxConns
			tp := startH2Proxy(t, cfg, 1)
			warm, err := tp.clientFor(modeH1).Get(tp.url("/warm")) // the SETTINGS are in
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, warm)
			c := tp.clientFor(modeH2C)
			burst(t, tp, c, 20, "GET", "q", 200)
			if n := o.conns.Load(); n > int64(maxConns) {
				t.Fatalf("origin saw %d connections, max_conns is %d", n, maxConns)
			}
			if p := peak.Load(); p > int64(2*o.conns.Load()) {
				t.Fatalf("%d requests at once on %d connections of 2 streams", p, o.conns.Load())
			}
			if maxConns > 1 && o.conns.Load() < 2 {
				t.Fatalf("origin saw %d connections: the queue did not open another", o.conns.Load())
			}
		})
	}
}

// TestH2UpColdBurst: requests that arrive together while the first
// connection is being dialled wait for it rather than each dialling one.
func TestH2UpColdBurst(t *testing.T) {
	o := newH2Origin(t, 0, h2SumHandler)
	tp := startH2Proxy(t, h2ClusterConfig(o.addr()), 1)
	c := tp.clientFor(modeH2C)
	burst(t, tp, c, 50, "GET", "b", 200)
	if n := o.conns.Load(); n != 1 {
		t.Fatalf("origin saw %d connections, want 1", n)
	}
	if st := tp.Stats().Loops[0].HTTP2; st.UpstreamConns != 1 || st.UpstreamStreams != 50 {
		t.Fatalf("/stats http2: %d upstream connections and %d streams, want 1 and 50", st.UpstreamConns, st.UpstreamStreams)
	}
}

// TestH2UpLoops: with two loops, each has its own connection to the
// origin, which 40 client connections share.
func TestH2UpLoops(t *testing.T) {
	o := newH2Origin(t, 0, h2SumHandler)
	tp := startH2Proxy(t, h2ClusterConfig(o.addr()), 2)
	errs := concurrently(40, func(i int) error {
		code, body, err := tp.fetch(modeH1, fmt.Sprintf("/l/%d", i)) // a new client connection each
		if err != nil {
			return err
		}
		if want := fmt.Sprintf("GET /l/%d 0 %s", i, sumOf(nil)); code != 200 || body != want {
			return fmt.Errorf("request %d: %d %q", i, code, body)
		}
		return nil
	}, nil)
	for _, err := range errs {
		t.Error(err)
	}
	if n := o.conns.Load(); n > 2 {
		t.Fatalf("origin saw %d connections, want at most one per loop", n)
	}
}

// TestH2UpColdBurstOverLimit: a burst opened under the default limit before
// the origin's SETTINGS (MAX_CONCURRENT_STREAMS 2) arrive is partly
// refused by it, and every refused stream is sent again: all succeed.
func TestH2UpColdBurstOverLimit(t *testing.T) {
	o := newH2Origin(t, 2, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
		h2SumHandler(w, r)
	})
	cfg := h2ClusterConfig(o.addr())
	cfg.Clusters[0].MaxConns = 1
	tp := startH2Proxy(t, cfg, 1)
	c := tp.clientFor(modeH2C)
	burst(t, tp, c, 20, "POST", "c", 200)
}

// TestH2UpEarlyHints: a 103 from the origin reaches HTTP/1.1 and HTTP/2
// clients before the final response, with its fields.
func TestH2UpEarlyHints(t *testing.T) {
	o := newH2Origin(t, 0, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(103)
		w.Header().Del("Link")
		io.WriteString(w, "final")
	})
	tp := startH2Proxy(t, h2ClusterConfig(o.addr()), 1)
	both(t, tp, func(t *testing.T, c *http.Client, h2 bool) {
		var hints []string
		trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			hints = append(hints, fmt.Sprint(code, " ", h.Get("Link")))
			return nil
		}}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", tp.url("/"), nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if b := readAll(t, resp); resp.StatusCode != 200 || string(b) != "final" {
			t.Fatalf("%d %q", resp.StatusCode, b)
		}
		want := "103 </style.css>; rel=preload"
		if len(hints) != 1 || hints[0] != want {
			t.Fatalf("1xx seen: %q", hints)
		}
	})
}
