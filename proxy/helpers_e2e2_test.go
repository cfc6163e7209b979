package proxy_test

// Helpers of the second end-to-end suite (e2e_malformed_test.go,
// e2e_curl_test.go, e2e_idle_test.go, e2e_routing_test.go). Every name starts
// with e2 so that it cannot clash with the lead suite's helpers. Everything
// talks to 127.0.0.1 only, and every wait has a deadline.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/proxy"
)

// e2Wait bounds every single wait in these tests (a read, a curl run, a poll).
const e2Wait = 10 * time.Second

// e2Origin is a real net/http origin that counts the requests it sees.
type e2Origin struct {
	srv   *httptest.Server
	hits  atomic.Int64 // requests
	conns atomic.Int64 // connections accepted
}

// e2StartOrigin starts an origin on 127.0.0.1 running h (nil = answer the
// origin's name and the request line).
func e2StartOrigin(t *testing.T, name string, h http.HandlerFunc) *e2Origin {
	t.Helper()
	o := &e2Origin{}
	if h == nil {
		h = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Origin", name)
			fmt.Fprintf(w, "%s %s %s", name, r.Method, r.URL.RequestURI())
		}
	}
	o.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.Add(1)
		h(w, r)
	}))
	o.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			o.conns.Add(1)
		}
	}
	o.srv.Start()
	t.Cleanup(o.srv.Close)
	return o
}

// Addr is the origin's host:port.
func (o *e2Origin) Addr() string { return o.srv.Listener.Addr().String() }

// e2Config parses yaml as a config file would be, failing the test if it is
// not valid.
func e2Config(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, yaml)
	}
	return cfg
}

// e2StartProxy runs velox in process for cfg with the given number of loops.
// setup, if set, registers Go filters before Start. The server is shut down
// when the test ends.
func e2StartProxy(t *testing.T, cfg *config.Config, loops int, setup func(*proxy.Server)) (*proxy.Server, string) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	srv, err := proxy.New(cfg, proxy.Options{Loops: loops})
	if err != nil {
		t.Fatalf("proxy.New: %v", err)
	}
	if setup != nil {
		setup(srv)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { srv.Shutdown() })
	return srv, srv.Addrs()[0]
}

// e2OneCluster is a config of one listener on a free port and one product
// that sends every Host to a cluster of the given backends. extra is appended
// at top level (limits:, timeouts:, filters:).
func e2OneCluster(t *testing.T, extra string, backends ...string) *config.Config {
	t.Helper()
	var b strings.Builder
	b.WriteString("listeners:\n  - address: 127.0.0.1:0\n")
	b.WriteString("products:\n  - name: site\n    hosts: [localhost]\n    default_cluster: origin\n")
	b.WriteString("default_product: site\n")
	b.WriteString("clusters:\n  - name: origin\n    backends:\n")
	for _, a := range backends {
		fmt.Fprintf(&b, "      - address: %s\n", a)
	}
	b.WriteString(extra)
	return e2Config(t, b.String())
}

// e2RawResult is what a raw exchange got back.
type e2RawResult struct {
	data   []byte // everything read until the peer closed or the deadline
	closed bool   // the peer closed (EOF or reset) before the deadline
}

// StatusLine is the first line of the response, without CRLF.
func (r e2RawResult) StatusLine() string {
	line, _, _ := bytes.Cut(r.data, []byte("\r\n"))
	return string(line)
}

// Body is what follows the first empty line.
func (r e2RawResult) Body() string {
	_, body, _ := bytes.Cut(r.data, []byte("\r\n\r\n"))
	return string(body)
}

// e2RawExchange writes req on a new connection to addr and reads until the
// peer closes or wait passes.
func e2RawExchange(t *testing.T, addr, req string, wait time.Duration) e2RawResult {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, e2Wait)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("write: %v", err)
	}
	return e2ReadAll(c, wait)
}

// e2ReadAll reads c until EOF, an error, or wait passes.
func e2ReadAll(c net.Conn, wait time.Duration) e2RawResult {
	c.SetReadDeadline(time.Now().Add(wait))
	var res e2RawResult
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		res.data = append(res.data, buf[:n]...)
		if err != nil {
			var ne net.Error
			res.closed = !(errors.As(err, &ne) && ne.Timeout())
			return res
		}
	}
}

// e2Sum adds up one counter over every loop.
func e2Sum(srv *proxy.Server, f func(proxy.LoopStats) int64) int64 {
	var n int64
	for _, l := range srv.Stats().Loops {
		n += f(l)
	}
	return n
}

func e2BadRequests(srv *proxy.Server) int64 {
	return e2Sum(srv, func(l proxy.LoopStats) int64 { return int64(l.BadRequestsTotal) })
}

func e2ActiveConns(srv *proxy.Server) int64 {
	return e2Sum(srv, func(l proxy.LoopStats) int64 { return l.DownstreamConnsActive })
}

// e2Eventually polls cond every 10ms until it holds or e2Wait passes.
func e2Eventually(cond func() bool) bool {
	deadline := time.Now().Add(e2Wait)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

// e2Curl runs curl with args and returns stdout and stderr; a non-zero exit
// fails the test. It skips when curl is not installed (`make test` installs it).
func e2Curl(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	path, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed: `make test` installs it (make deps-test)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), e2Wait)
	defer cancel()
	args = append([]string{"--silent", "--show-error", "--max-time", "8", "--noproxy", "*"}, args...)
	cmd := exec.CommandContext(ctx, path, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("curl %s: %v\nstderr:\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), errb.String()
}

// e2RawOrigin is a TCP origin that records each request head as received
// (header order and case intact) and answers with reply.
type e2RawOrigin struct {
	ln    net.Listener
	mu    sync.Mutex
	heads []string
	wg    sync.WaitGroup
}

// e2StartRawOrigin accepts on 127.0.0.1; for each request head read it calls
// reply with the head and writes what reply returns. If reply returns close,
// the connection is closed after the write.
func e2StartRawOrigin(t *testing.T, reply func(head string) (resp string, close bool)) *e2RawOrigin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &e2RawOrigin{ln: ln}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			o.wg.Add(1)
			go func() {
				defer o.wg.Done()
				o.serve(c, reply)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); o.wg.Wait() })
	return o
}

func (o *e2RawOrigin) serve(c net.Conn, reply func(string) (string, bool)) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(e2Wait))
	br := bufio.NewReader(c)
	for {
		var head strings.Builder
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			head.WriteString(line)
			if line == "\r\n" {
				break
			}
		}
		o.mu.Lock()
		o.heads = append(o.heads, head.String())
		o.mu.Unlock()
		resp, closeAfter := reply(head.String())
		if _, err := io.WriteString(c, resp); err != nil || closeAfter {
			return
		}
	}
}

// Addr is the origin's host:port.
func (o *e2RawOrigin) Addr() string { return o.ln.Addr().String() }

// Heads returns the request heads received so far.
func (o *e2RawOrigin) Heads() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.heads...)
}
