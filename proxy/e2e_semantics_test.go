package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
)

// Connection and message semantics: half-close, 1xx, and the request head
// outliving the read buffer.

// TestHalfClosedClientGetsItsResponse: a client that sends a complete
// request and then shuts down its write side (nc -N) gets the whole
// response, then the connection closes; pipelined requests before the
// half-close are all answered.
func TestHalfClosedClientGetsItsResponse(t *testing.T) {
	// h1 only: half-close of a raw HTTP/1.1 socket.
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, r.Method+" "+r.URL.Path+" "+string(b))
	})
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	for _, tc := range []struct {
		name, send string
		want       []string
	}{
		{"get", "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", []string{"GET /a "}},
		{"post", "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody", []string{"POST /b body"}},
		{"pipelined", "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n", []string{"GET /1 ", "GET /2 "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, tp.addr)
			io.WriteString(c, tc.send)
			c.CloseWrite()
			br := bufio.NewReader(c)
			for _, want := range tc.want {
				if code, b := readResponse(t, br); code != 200 || b != want {
					t.Fatalf("after the half-close: %d %q, want 200 %q", code, b, want)
				}
			}
			if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
				t.Fatalf("after the responses: %q, %v; want a clean close", rest, err)
			}
		})
	}
}

// TestHalfCloseThenVeloxAnswers: velox's own answer that comes after the
// client's half-close (here a 504: the backend never answers) still
// reaches the client.
func TestHalfCloseThenVeloxAnswers(t *testing.T) {
	// h1 only: half-close of a raw HTTP/1.1 socket.
	up := serveRaw(t, func(c net.Conn) { io.Copy(io.Discard, c) }) // reads, never answers
	cfg := clusterConfig(up)
	cfg.Clusters[0].ResponseTimeout = config.Duration(300 * time.Millisecond)
	tp := startProxy(t, cfg, 1)
	c := dialRaw(t, tp.addr)
	io.WriteString(c, "GET /hangs HTTP/1.1\r\nHost: x\r\n\r\n")
	c.CloseWrite()
	if code, b := readResponse(t, bufio.NewReader(c)); code != 504 || !strings.Contains(b, "timed out") {
		t.Fatalf("got %d %q after the half-close, want velox's 504", code, b)
	}
}

// TestHalfCloseCarriedThroughTunnel: in a tunnel, the client's half-close
// reaches the backend, whose last words still come back.
func TestHalfCloseCarriedThroughTunnel(t *testing.T) {
	// h1 only: an HTTP/1.1 upgrade tunnel on a raw socket.
	up := serveRaw(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
		got, _ := io.ReadAll(br) // until the client's half-close arrives
		io.WriteString(c, "you said "+string(got))
	})
	tp := startProxy(t, clusterConfig(up), 1)
	for _, tc := range []struct {
		name      string
		before101 bool // the client half-closes right after its request, before the 101
		said      string
	}{
		{"after the 101", false, "bye"},
		{"before the 101", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, tp.addr)
			io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
			if tc.before101 {
				c.CloseWrite()
			}
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil || resp.StatusCode != 101 {
				t.Fatalf("upgrade: %v %v", resp, err)
			}
			if !tc.before101 {
				io.WriteString(c, tc.said)
				c.CloseWrite()
			}
			last, err := io.ReadAll(br)
			if err != nil || string(last) != "you said "+tc.said {
				t.Fatalf("got %q, %v after the half-close; want the backend's answer", last, err)
			}
		})
	}
}

// rawOriginScript accepts connections and answers each request with resp
// (written as is), after reading one request head.
func rawOriginScript(t *testing.T, resp string, heads chan<- http.Header) string {
	return serveRaw(t, func(c net.Conn) {
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			return
		}
		if heads != nil {
			heads <- req.Header
		}
		io.WriteString(c, resp)
	})
}

func TestUnrequested101Is502(t *testing.T) {
	// h1 only: HTTP/1.1 Upgrade requests on a raw socket.
	for _, tc := range []struct{ name, req string }{
		{"no upgrade asked", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"another protocol asked", "GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := rawOriginScript(t, "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n", nil)
			tp := startProxy(t, clusterConfig(up), 1)
			c := dialRaw(t, tp.addr)
			io.WriteString(c, tc.req)
			if code, b := readResponse(t, bufio.NewReader(c)); code != 502 || !strings.Contains(b, "did not ask for") {
				t.Fatalf("got %d %q, want 502", code, b)
			}
		})
	}
}

// TestUpgradeNotAllowedIsForwardedPlain: an Upgrade token not on the
// allow-list is not forwarded (nor Connection: upgrade); the request goes
// through as a plain one.
func TestUpgradeNotAllowedIsForwardedPlain(t *testing.T) {
	// h1 only: HTTP/1.1 Upgrade requests on a raw socket.
	heads := make(chan http.Header, 1)
	up := rawOriginScript(t, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", heads)
	tp := startProxy(t, clusterConfig(up), 1) // default upgrades: websocket
	c := dialRaw(t, tp.addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("got %v, %v", resp, err)
	}
	h := <-heads
	if h.Get("Upgrade") != "" || strings.Contains(strings.ToLower(h.Get("Connection")), "upgrade") {
		t.Fatalf("origin saw Upgrade %q Connection %q, want neither", h.Get("Upgrade"), h.Get("Connection"))
	}
}

// TestInformationalResponses: a 103 reaches HTTP/1.1 clients without
// hop-by-hop fields, and never reaches HTTP/1.0 clients (RFC 9110 15.2).
func TestInformationalResponses(t *testing.T) {
	// h1 only: 1xx and HTTP/1.0 on the wire of a raw socket.
	up := rawOriginScript(t, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\nConnection: x-hop\r\nX-Hop: 1\r\n\r\n"+
		"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine", nil)
	tp := startProxy(t, clusterConfig(up), 1)
	t.Run("HTTP/1.1", func(t *testing.T) {
		c := dialRaw(t, tp.addr)
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(c)
		hints, err := http.ReadResponse(br, nil)
		if err != nil || hints.StatusCode != 103 {
			t.Fatalf("first response %v, %v; want the 103", hints, err)
		}
		if hints.Header.Get("Link") == "" || hints.Header.Get("X-Hop") != "" {
			t.Fatalf("103 fields %v: want Link kept and X-Hop (named by Connection) removed", hints.Header)
		}
		final, err := http.ReadResponse(br, nil)
		if err != nil || final.StatusCode != 200 {
			t.Fatalf("final %v, %v", final, err)
		}
	})
	t.Run("HTTP/1.0", func(t *testing.T) {
		c := dialRaw(t, tp.addr)
		io.WriteString(c, "GET / HTTP/1.0\r\nHost: x\r\n\r\n")
		all, _ := io.ReadAll(c)
		if bytes.Contains(all, []byte(" 103 ")) || !bytes.HasPrefix(all, []byte("HTTP/1.1 200")) {
			t.Fatalf("HTTP/1.0 client got %q: want the 200 only", all)
		}
	})
}

// TestRequestValidAtEveryPoint: what a filter reads from Stream.Request() at
// ReadResponse and RequestFinish is the request, even after a large response
// went through the loop's read buffer.
func TestRequestValidAtEveryPoint(t *testing.T) { run(t, testRequestValidAtEveryPoint) }

func testRequestValidAtEveryPoint(t *testing.T, m mode) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("R"), 256<<10)) // several reads into the shared buffer
	})
	var mu sync.Mutex
	seen := map[Point]string{}
	record := func(p Point) RequestFilter {
		return RequestFilterFunc(func(s *Stream) Verdict {
			mu.Lock()
			defer mu.Unlock()
			r := s.Request()
			seen[p] = string(r.Method) + " " + string(r.AppendURI(nil)) + " " + string(r.Get("X-Marker"))
			return Continue
		})
	}
	cfg := clusterConfig(o.addr())
	tp := startProxySetup(t, cfg, Options{Loops: 1}, func(s *Server) {
		for _, p := range []Point{BeforeLocation, AfterLocation, ReadResponse, RequestFinish} {
			s.Register(p, record(p))
		}
	})
	req, _ := http.NewRequest("GET", tp.url("/the/path?query=abcdefghijklmnop"), nil)
	req.Header.Set("X-Marker", "marker-value")
	resp, err := tp.clientFor(m).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	want := "GET /the/path?query=abcdefghijklmnop marker-value"
	eventually(t, "RequestFinish ran", func() bool { mu.Lock(); defer mu.Unlock(); return seen[RequestFinish] != "" })
	mu.Lock()
	defer mu.Unlock()
	for _, p := range []Point{BeforeLocation, AfterLocation, ReadResponse, RequestFinish} {
		if seen[p] != want {
			t.Errorf("at %v the request read %q, want %q", p, seen[p], want)
		}
	}
}

// TestBackend100NotRepeated: velox answers Expect: 100-continue itself; a
// backend's own 100 is then not passed on as a second one.
func TestBackend100NotRepeated(t *testing.T) {
	// h1 only: Expect: 100-continue on the wire of a raw socket.
	up := serveRaw(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	})
	tp := startProxy(t, clusterConfig(up), 1)
	c := dialRaw(t, tp.addr)
	io.WriteString(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
	br := bufio.NewReader(c)
	if code, _ := readResponse(t, br); code != 100 {
		t.Fatalf("first response %d, want velox's 100 Continue", code)
	}
	io.WriteString(c, "body")
	if code, b := readResponse(t, br); code != 200 || b != "ok" {
		t.Fatalf("after the body: %d %q, want 200 ok (no second 100)", code, b)
	}
}

// TestGoFilterRewriteRoutes: a Go filter at before_location that rewrites
// the path routes by what it wrote, and the backend gets it.
func TestGoFilterRewriteRoutes(t *testing.T) { run(t, testGoFilterRewriteRoutes) }

func testGoFilterRewriteRoutes(t *testing.T, m mode) {
	paths := make(chan string, 1)
	b := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { paths <- r.URL.Path; io.WriteString(w, "b") })
	other := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "other") })
	cfg := clusterConfig(other.addr())
	cfg.Clusters = append(cfg.Clusters, config.Cluster{Name: "b", Backends: []config.Backend{{Address: b.addr()}}})
	cfg.Products[0].Routes = []config.Route{{Prefix: "/b/", Cluster: "b"}}
	tp := startProxySetup(t, cfg, Options{Loops: 1}, func(s *Server) {
		s.Register(BeforeLocation, RequestFilterFunc(func(s *Stream) Verdict {
			if r := s.Request(); string(r.Path) == "/a/x" {
				r.Path = []byte("/b/x")
			}
			return Continue
		}))
	})
	resp, err := tp.clientFor(m).Get(tp.url("/a/x"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "b" || <-paths != "/b/x" {
		t.Fatalf("got %q: want the route of the rewritten path, /b/x at backend b", body)
	}
}
