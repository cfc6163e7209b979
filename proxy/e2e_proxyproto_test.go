package proxy

// The PROXY protocol end to end (proxyheader.go): headers from clients
// written by hand, by github.com/pires/go-proxyproto and by a real HAProxy
// (send-proxy-v2); headers velox sends read by go-proxyproto's listener
// under a net/http origin and a TCP backend.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	pp "github.com/pires/go-proxyproto"

	"github.com/velox-proxy/velox/config"
)

// xffHandler answers the X-Forwarded-For the origin got.
func xffHandler(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, r.Header.Get("X-Forwarded-For"))
}

// proxiedConfig trusts trusted for PROXY headers on the one listener.
func proxiedConfig(origin string, trusted ...string) *config.Config {
	cfg := clusterConfig(origin)
	cfg.Listeners[0].ProxyProtocol = &config.ProxyProtocol{Trusted: trusted}
	return cfg
}

func TestProxyProtocolReceived(t *testing.T) {
	o := newOrigin(t, xffHandler)
	var mu sync.Mutex
	var acceptSaw []string
	tp := startProxySetup(t, proxiedConfig(o.addr(), "127.0.0.0/8"), Options{Loops: 1}, func(s *Server) {
		s.RegisterConn(Accept, ConnFilterFunc(func(c *Session) Verdict {
			mu.Lock()
			acceptSaw = append(acceptSaw, string(c.RemoteIP()))
			mu.Unlock()
			return Continue
		}))
	})
	v2, err := pp.HeaderProxyFromAddrs(2, &net.TCPAddr{IP: net.ParseIP("2001:db8::7"), Port: 4000}, &net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 80}).Format()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, header, want string }{
		{"v1", "PROXY TCP4 203.0.113.7 198.51.100.1 5555 80\r\n", "203.0.113.7"},
		{"v2 (go-proxyproto)", string(v2), "2001:db8::7"},
		{"v2 LOCAL: the connection's own address", string(localV2(t)), "127.0.0.1"},
	}
	for _, tc := range cases {
		res := rawRoundTrip(t, tp.addr, tc.header+"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", testWait)
		if res.StatusLine() != "HTTP/1.1 200 OK" || res.Body() != tc.want {
			t.Errorf("%s: %q %q, want X-Forwarded-For %s", tc.name, res.StatusLine(), res.Body(), tc.want)
		}
	}
	mu.Lock()
	if got := strings.Join(acceptSaw, " "); got != "203.0.113.7 2001:db8::7 127.0.0.1" {
		t.Errorf("Accept filters saw %q, want the clients the headers named", got)
	}
	mu.Unlock()

	// HTTP/2 after the header: the preface follows it.
	c := dialTCP(t, tp.addr)
	io.WriteString(c, "PROXY TCP4 203.0.113.9 198.51.100.1 5555 80\r\n")
	tr := transportFor(modeH2C)
	tr.DialContext = oneConn(c)
	resp, err := (&http.Client{Transport: tr}).Get("http://x/")
	if err != nil {
		t.Fatal(err)
	}
	if b := readAll(t, resp); resp.ProtoMajor != 2 || string(b) != "203.0.113.9" {
		t.Fatalf("h2c after a PROXY header: %s %q", resp.Proto, b)
	}
	tr.CloseIdleConnections()

	// A trusted source without a header, or with a bad one: closed, counted.
	before := tp.totals().ProxyProtocolErrors
	for _, req := range []string{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "PROXY TCP4 203.0.113.7 nonsense\r\n\r\n"} {
		if res := rawRoundTrip(t, tp.addr, req, testWait); len(res.data) != 0 || !res.closed {
			t.Errorf("%q from a trusted source: %q, want closed without an answer", req, res.data)
		}
	}
	eventually(t, "both counted", func() bool { return tp.totals().ProxyProtocolErrors == before+2 })
}

// localV2 is a v2 LOCAL header, as a load balancer's health check sends.
func localV2(t *testing.T) []byte {
	h := pp.HeaderProxyFromAddrs(2, nil, nil)
	h.Command = pp.LOCAL
	b, err := h.Format()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestProxyProtocolUntrusted: a source not trusted cannot name a client.
func TestProxyProtocolUntrusted(t *testing.T) {
	o := newOrigin(t, xffHandler)
	tp := startProxy(t, proxiedConfig(o.addr(), "10.0.0.0/8"), 1)
	if code, body := tp.get(t, modeH1, "/"); code != 200 || body != "127.0.0.1" {
		t.Fatalf("plain request from an untrusted source: %d %q", code, body)
	}
	res := rawRoundTrip(t, tp.addr, "PROXY TCP4 203.0.113.7 198.51.100.1 5555 80\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", testWait)
	if strings.Contains(string(res.data), "203.0.113.7") || o.reqs.Load() != 1 {
		t.Fatalf("an untrusted PROXY header was believed: %q (origin requests %d)", res.data, o.reqs.Load())
	}
}

// TestProxyProtocolThroughHAProxy: a real HAProxy in front (send-proxy-v2),
// curl bound to 127.0.0.2 behind it: the origin learns 127.0.0.2, though
// HAProxy connects from 127.0.0.1.
func TestProxyProtocolThroughHAProxy(t *testing.T) {
	o := newOrigin(t, xffHandler)
	tp := startProxy(t, proxiedConfig(o.addr(), "127.0.0.1"), 1)
	front := startHAProxy(t, "server velox "+tp.addr+" send-proxy-v2")
	out, err := exec.Command("curl", "-sS", "--max-time", "10", "--interface", "127.0.0.2", "http://"+front+"/").CombinedOutput()
	if err != nil || string(out) != "127.0.0.2" {
		t.Fatalf("curl from 127.0.0.2 through HAProxy and velox: %q, %v", out, err)
	}
}

// startHAProxy runs a HAProxy in mode tcp whose one backend is server (a
// "server ..." line) and returns the address it listens on.
func startHAProxy(t *testing.T, server string) string {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatal("haproxy not found: make deps-test installs it (Debian package haproxy)")
	}
	front := freeAddr(t)
	cfg := fmt.Sprintf(`global
  maxconn 100
defaults
  mode tcp
  timeout connect 5s
  timeout client 10s
  timeout server 10s
frontend f
  bind %s
  default_backend b
backend b
  %s
`, front, server)
	file := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", file)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	eventually(t, "haproxy listening", func() bool {
		c, err := net.Dial("tcp", front)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return front
}

// TestProxyProtocolSent: a cluster with send_proxy_protocol names the
// client (here the one a received header named) to an origin behind
// go-proxyproto's listener, on a connection of its own per request.
func TestProxyProtocolSent(t *testing.T) {
	for _, version := range []string{"v1", "v2"} {
		t.Run(version, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			var conns sync.Map
			srv := &http.Server{
				Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.RemoteAddr) }),
				ConnState: func(c net.Conn, s http.ConnState) {
					if s == http.StateNew {
						conns.Store(c, true)
					}
				},
			}
			go srv.Serve(&pp.Listener{Listener: ln, Policy: func(net.Addr) (pp.Policy, error) { return pp.REQUIRE, nil }})
			t.Cleanup(func() { srv.Close() })
			cfg := proxiedConfig(ln.Addr().String(), "127.0.0.1")
			cfg.Clusters[0].SendProxyProtocol = version
			tp := startProxy(t, cfg, 1)
			req := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
			res := rawRoundTrip(t, tp.addr, "PROXY TCP4 203.0.113.7 198.51.100.1 5555 80\r\n"+req+req[:len(req)-2]+"Connection: close\r\n\r\n", testWait)
			if n := strings.Count(string(res.data), "203.0.113.7:5555"); n != 2 {
				t.Fatalf("origin saw as RemoteAddr:\n%s\nwant 203.0.113.7:5555 twice", res.data)
			}
			n := 0
			conns.Range(func(any, any) bool { n++; return true })
			if n != 2 {
				t.Fatalf("origin saw %d connections for 2 requests: a connection that named a client was reused", n)
			}
		})
	}
}

// headerBackend is a tcp backend that reads the PROXY header of each
// connection and sends on got "SRC -> DST: " and what rest returns (rest
// reads the bytes after the header from br; c is the connection).
func headerBackend(t *testing.T, got chan<- string, rest func(c net.Conn, br *bufio.Reader) string) *tcpBackend {
	return newTCPBackend(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		h, err := pp.Read(br)
		if err != nil {
			got <- "no header: " + err.Error()
			return
		}
		src, dst, _ := h.TCPAddrs()
		got <- fmt.Sprintf("%s -> %s: %s", src, dst, rest(c, br))
	})
}

// proxiedTCPConfig is a tcp listener in front of backend that takes PROXY
// headers from 127.0.0.1 and sends one of version send to the backend.
func proxiedTCPConfig(backend, send string) *config.Config {
	cfg := tcpConfig(backend)
	cfg.Listeners[0].ProxyProtocol = &config.ProxyProtocol{Trusted: []string{"127.0.0.1"}}
	cfg.Clusters[0].SendProxyProtocol = send
	return cfg
}

// TestProxyProtocolTCP: a tcp listener takes the header, then sends one
// (v2) to its backend, which reads it with go-proxyproto.
func TestProxyProtocolTCP(t *testing.T) {
	got := make(chan string, 2)
	b := headerBackend(t, got, func(_ net.Conn, br *bufio.Reader) string {
		rest, _ := io.ReadAll(br)
		return string(rest)
	})
	cfg := proxiedTCPConfig(b.addr(), "v2")
	tp := startProxy(t, cfg, 1)
	c := dialTCP(t, tp.addr)
	io.WriteString(c, "PROXY TCP4 203.0.113.7 198.51.100.1 5555 5432\r\nhello")
	c.CloseWrite()
	io.ReadAll(c)
	if s := <-got; s != "203.0.113.7:5555 -> 198.51.100.1:5432: hello" {
		t.Fatalf("backend: %s", s)
	}
	// Without a header of its own, a trusted client is closed, and
	// nothing reaches the backend.
	c = dialTCP(t, tp.addr)
	io.WriteString(c, "GET / HTTP/1.1\r\n\r\n")
	if b, _ := io.ReadAll(c); len(b) != 0 {
		t.Fatalf("no header: got %q", b)
	}
	if b.conns.Load() != 1 {
		t.Fatalf("backend saw %d connections, want 1", b.conns.Load())
	}
}

// freeAddr is a loopback address with a port free a moment ago (freePort), for
// programs that bind it themselves.
func freeAddr(t *testing.T) string {
	t.Helper()
	return fmt.Sprintf("127.0.0.1:%d", freePort(t))
}

// oneConn is a DialContext that hands out c once.
func oneConn(c net.Conn) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var once sync.Once
	return func(context.Context, string, string) (net.Conn, error) {
		var out net.Conn
		once.Do(func() { out = c })
		if out == nil {
			return nil, fmt.Errorf("one connection only")
		}
		return out, nil
	}
}
