package proxy

import (
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
)

// hangAddr is a loopback address whose accept queue is full: a connect to
// it neither completes nor is refused (the SYN is dropped) until the
// dialler's connect_timeout.
func hangAddr(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	for i := 0; i < 4; i++ { // fill the queue; later SYNs are dropped
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	return addr
}

// TestReviewTCPClientGoneWhileConnecting: a client that resets while its
// backend connect is in progress must not count as the backend's failure,
// nor make velox dial another backend for nobody.
func TestReviewTCPClientGoneWhileConnecting(t *testing.T) {
	accepted := make(chan net.Conn, 4)
	live := newTCPBackend(t, func(c net.Conn) {
		accepted <- c
		io.Copy(io.Discard, c) // until velox closes it
	})
	hang := hangAddr(t)
	cfg := tcpConfig(hang, live.addr())
	cfg.Clusters[0].Retries = 1
	cfg.Clusters[0].ConnectTimeout = 0 // 2s
	tp := startProxy(t, cfg, 1)
	// Round robin: make sure the next pick is the hanging backend.
	for i := 0; i < 2; i++ {
		c := dialTCP(t, tp.addr)
		time.Sleep(100 * time.Millisecond)
		c.SetLinger(0)
		c.Close() // RST while connecting
		time.Sleep(100 * time.Millisecond)
	}
	if n := tp.totals().UpstreamRetriesTotal; n != 0 {
		t.Errorf("upstream_retries_total %d after clients that reset while connecting: velox dialled another backend for a client already gone", n)
	}
	select {
	case c := <-accepted:
		c.SetReadDeadline(time.Now().Add(time.Second))
		_, err := c.Read(make([]byte, 1))
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("the live backend got a connection for a client already gone, and velox kept it open (leak)")
		}
	case <-time.After(500 * time.Millisecond):
	}
	if n := tcpTotals(tp).ConnectFailures; n != 0 {
		t.Errorf("tcp_connect_failures_total %d: a client's reset counted as a connect failure", n)
	}
}

// TestReviewTCPClientResetIsNoBackendFailure: with retries 0, a client
// that resets while the backend connect is in progress is logged and
// counted as a connect failure, and reported to passive health as the
// backend's failure (consecutive_failures ejects a healthy backend).
func TestReviewTCPClientResetIsNoBackendFailure(t *testing.T) {
	hang := hangAddr(t)
	cfg := tcpConfig(hang)
	cfg.Clusters[0].ConnectTimeout = config.Duration(10 * time.Second)
	tp := startProxy(t, cfg, 1)
	c := dialTCP(t, tp.addr)
	time.Sleep(100 * time.Millisecond)
	c.SetLinger(0)
	c.Close()
	time.Sleep(200 * time.Millisecond) // far less than connect_timeout
	if s := tp.Stats().Clusters["c"][0]; s.Failures != 0 {
		t.Errorf("backend failures %d after a client reset during the connect (connect_timeout not reached)", s.Failures)
	}
	if n := tcpTotals(tp).ConnectFailures; n != 0 {
		t.Errorf("tcp_connect_failures_total %d after a client reset; log:\n%s", n, tp.log.String())
	}
}

// TestReviewTCPAcceptFilter: an Accept filter that closes every
// connection (an IP deny list, say) is never asked on a tcp listener.
func TestReviewTCPAcceptFilter(t *testing.T) {
	b := newTCPBackend(t, echo)
	tp := startProxySetup(t, tcpConfig(b.addr()), Options{Loops: 1}, func(s *Server) {
		s.RegisterConn(Accept, ConnFilterFunc(func(c *Session) Verdict { return CloseConn }))
	})
	if err := echoOnce(tp.addr, 100, 1); err == nil {
		t.Errorf("a tcp listener served a connection its Accept filter closes (backend saw %d)", b.conns.Load())
	}
}

// TestReviewProxyV2Unspec: a v2 PROXY (not LOCAL) header with family
// AF_UNSPEC (or AF_UNIX) has no address; the spec says to use the real
// endpoints, velox makes the client's address empty.
func TestReviewProxyV2Unspec(t *testing.T) {
	o := newOrigin(t, xffHandler)
	tp := startProxy(t, proxiedConfig(o.addr(), "127.0.0.0/8"), 1)
	hdr := "\r\n\r\n\x00\r\nQUIT\n\x21\x00\x00\x00"
	res := rawRoundTrip(t, tp.addr, hdr+"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", testWait)
	if res.Body() != "127.0.0.1" {
		t.Errorf("X-Forwarded-For %q after a PROXY UNSPEC header, want the connection's own 127.0.0.1", res.Body())
	}
}

// TestReviewTCPStuckBackendAfterBothFINs: the backend half-closes at once
// and then reads nothing; the client sends a few MiB and its FIN. Both
// FINs are in: the client's socket closes, its OnClose stops the pair's
// timer, and the backend's socket waits in CloseAfterFlush with no clock
// at all (tunnel_idle 300ms here): it stays open, counted against the
// backend's max_conns.
func TestReviewTCPStuckBackendAfterBothFINs(t *testing.T) {
	release := make(chan struct{})
	b := newTCPBackend(t, func(c net.Conn) {
		c.(*net.TCPConn).CloseWrite()
		c.(*net.TCPConn).SetReadBuffer(4096)
		<-release // reads nothing
	})
	defer close(release)
	cfg := tcpConfig(b.addr())
	cfg.Timeouts.TunnelIdle = config.Duration(300 * time.Millisecond)
	cfg.Limits.StreamBuffer = 64 << 20 // so that the client's FIN is read behind its bytes
	tp := startProxy(t, cfg, 1)
	c := dialTCP(t, tp.addr)
	if _, err := io.ReadAll(c); err != nil { // the backend's FIN
		t.Fatal(err)
	}
	go func() {
		c.Write(make([]byte, 8<<20))
		c.CloseWrite()
	}()
	time.Sleep(2 * time.Second) // far beyond tunnel_idle
	if n := tp.Stats().Clusters["c"][0].ActiveConns; n != 0 {
		t.Errorf("backend active_conns %d, 2 s after the pair went idle with tunnel_idle 300ms", n)
	}
}
