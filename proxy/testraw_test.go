package proxy

// Helpers of the tests that speak HTTP/1.1 by hand (raw sockets, raw
// origins) or through curl: parsing a config as a file, raw exchanges, and
// a raw origin that records each request head as received. Everything
// talks to 127.0.0.1 only, and every wait has a deadline (testWait).

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
)

// parseConfig parses yaml as a config file would be, failing the test if it is
// not valid.
func parseConfig(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, yaml)
	}
	return cfg
}

// oneCluster is a config of one listener on a free port and one product
// that sends every Host to a cluster of the given backends. extra is appended
// at top level (limits:, timeouts:, filters:).
func oneCluster(t *testing.T, extra string, backends ...string) *config.Config {
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
	return parseConfig(t, b.String())
}

// rawResult is what a raw exchange got back.
type rawResult struct {
	data   []byte // everything read until the peer closed or the deadline
	closed bool   // the peer closed (EOF or reset) before the deadline
}

// StatusLine is the first line of the response, without CRLF.
func (r rawResult) StatusLine() string {
	line, _, _ := bytes.Cut(r.data, []byte("\r\n"))
	return string(line)
}

// Body is what follows the first empty line.
func (r rawResult) Body() string {
	_, body, _ := bytes.Cut(r.data, []byte("\r\n\r\n"))
	return string(body)
}

// rawRoundTrip writes req on a new connection to addr and reads until the
// peer closes or wait passes.
func rawRoundTrip(t *testing.T, addr, req string, wait time.Duration) rawResult {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testWait)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatalf("write: %v", err)
	}
	return readAllRaw(c, wait)
}

// readAllRaw reads c until EOF, an error, or wait passes.
func readAllRaw(c net.Conn, wait time.Duration) rawResult {
	c.SetReadDeadline(time.Now().Add(wait))
	var res rawResult
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

// runCurl runs curl with args and returns stdout and stderr; a non-zero exit
// fails the test. It skips when curl is not installed (`make test` installs it).
func runCurl(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	path, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed: `make test` installs it (make deps-test)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
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

// headOrigin is a TCP origin that records each request head as received
// (header order and case intact) and answers with reply.
type headOrigin struct {
	ln    net.Listener
	mu    sync.Mutex
	heads []string
	wg    sync.WaitGroup
}

// startHeadOrigin accepts on 127.0.0.1; for each request head read it calls
// reply with the head and writes what reply returns. If reply returns close,
// the connection is closed after the write.
func startHeadOrigin(t *testing.T, reply func(head string) (resp string, close bool)) *headOrigin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &headOrigin{ln: ln}
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

func (o *headOrigin) serve(c net.Conn, reply func(string) (string, bool)) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(testWait))
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

// addr is the origin's host:port.
func (o *headOrigin) addr() string { return o.ln.Addr().String() }

// Heads returns the request heads received so far.
func (o *headOrigin) Heads() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.heads...)
}
