package proxy

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// pipelined is one request head followed by n more, all in one string.
func pipelined(n int) string {
	const req = "GET /p HTTP/1.1\r\nHost: x\r\n\r\n"
	return req + strings.Repeat(req, n)
}

// sendBurst writes burst in one write and reads responses until the proxy
// closes or want responses came. It returns how many 200s it read and
// whether the connection ended without a timeout.
func sendBurst(t *testing.T, addr, burst string, want int) (oks int, closed bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, burst); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for oks < want {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return oks, !errors.Is(err, os.ErrDeadlineExceeded)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			oks++
		}
	}
	return oks, false
}

// limits.max_input bounds what a connection may leave unconsumed: pipelined
// requests behind one in flight are kept, unread, and a client that sends
// more of them than max_input at once is closed without an answer. A burst
// within the limit is answered in full, so is the same burst under the
// default limit, and other clients carry on.
func TestMaxInputClosesConnection(t *testing.T) {
	// h1 only: pipelined HTTP/1.1 bursts on raw sockets (HTTP/2 input is bounded by its windows).
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	cfg := clusterConfig(o.addr())
	cfg.Limits.MaxHeaderBytes = 1024
	cfg.Limits.MaxInput = 2048
	tp := startProxy(t, cfg, 1)

	other := tp.clientFor(modeH1)
	get := func(when string) {
		resp, err := other.Get(tp.url("/other"))
		if err != nil {
			t.Fatalf("%s: another client: %v", when, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: another client got %d", when, resp.StatusCode)
		}
	}
	get("before")

	big := pipelined(150) // about 4 KiB, over max_input
	if len(big) <= cfg.Limits.MaxInput {
		t.Fatalf("burst of %d bytes is not over max_input %d", len(big), cfg.Limits.MaxInput)
	}
	if oks, closed := sendBurst(t, tp.addr, big, 151); oks != 0 || !closed {
		t.Errorf("burst of %d bytes over max_input %d: %d answered, closed %v; want 0 answered and the connection closed",
			len(big), cfg.Limits.MaxInput, oks, closed)
	}
	get("after")

	small := pipelined(10) // about 300 bytes
	if oks, _ := sendBurst(t, tp.addr, small, 11); oks != 11 {
		t.Errorf("burst of %d bytes within max_input: %d of 11 answered", len(small), oks)
	}

	def := startProxy(t, clusterConfig(o.addr()), 1) // max_input 1 MiB
	if oks, _ := sendBurst(t, def.addr, big, 151); oks != 151 {
		t.Errorf("the same %d bytes under the default max_input: %d of 151 answered", len(big), oks)
	}
}
