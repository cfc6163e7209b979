package proxy

// End-to-end tests of tcp listeners (tcp.go): real sockets on both sides,
// a Go echo server and iperf3 (Debian's, installed by make deps-test) as
// backends.

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
)

// tcpBackend is a TCP server on 127.0.0.1 that serves each connection with
// serve and counts them.
type tcpBackend struct {
	ln    net.Listener
	conns atomic.Int64
}

func newTCPBackend(t *testing.T, serve func(c net.Conn)) *tcpBackend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &tcpBackend{ln: ln}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.conns.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(2 * testWait))
				serve(c)
			}()
		}
	}()
	return b
}

func (b *tcpBackend) addr() string { return b.ln.Addr().String() }

// echo copies what it reads back until EOF, then half-closes.
func echo(c net.Conn) {
	io.Copy(c, c)
	c.(*net.TCPConn).CloseWrite()
	io.Copy(io.Discard, c)
}

// tcpConfig is a config with one tcp listener to a cluster of backends.
func tcpConfig(backends ...string) *config.Config {
	cfg := clusterConfig(backends...)
	cfg.Listeners = []config.Listener{{Address: "127.0.0.1:0", Protocol: config.ListenerTCP, Cluster: "c"}}
	cfg.Products, cfg.DefaultProduct = nil, ""
	return cfg
}

func dialTCP(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testWait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(2 * testWait))
	return c.(*net.TCPConn)
}

// TestTCPEchoLarge: 16 MiB each way at once on several connections, each
// checked by hash: backpressure both ways loses and reorders nothing.
func TestTCPEchoLarge(t *testing.T) {
	b := newTCPBackend(t, echo)
	tp := startProxy(t, tcpConfig(b.addr()), 2)
	const size = 16 << 20
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- echoOnce(tp.addr, size, byte(i))
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := b.conns.Load(); n != 4 {
		t.Errorf("backend saw %d connections, want 4 (one per client connection)", n)
	}
}

// echoOnce sends size bytes (a pattern seeded by seed) through addr to an
// echo backend, half-closes, and checks what comes back.
func echoOnce(addr string, size int, seed byte) error {
	c, err := net.DialTimeout("tcp", addr, testWait)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * testWait))
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*7) + seed
	}
	want := sha256.Sum256(data)
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite()
		}
		werr <- err
	}()
	h := sha256.New()
	n, err := io.Copy(h, c)
	if err != nil {
		return fmt.Errorf("read: %v after %d bytes", err, n)
	}
	if err := <-werr; err != nil {
		return fmt.Errorf("write: %v", err)
	}
	if n != int64(size) || !bytes.Equal(h.Sum(nil), want[:]) {
		return fmt.Errorf("got %d bytes back (hash match %t), want %d", n, bytes.Equal(h.Sum(nil), want[:]), size)
	}
	return nil
}

// TestTCPHalfClose: a FIN is carried through each way, and the other
// direction goes on after it.
func TestTCPHalfClose(t *testing.T) {
	t.Run("client first", func(t *testing.T) {
		// The backend answers only after the client's EOF, as a request /
		// response protocol over a half-closed socket does.
		b := newTCPBackend(t, func(c net.Conn) {
			req, _ := io.ReadAll(c)
			fmt.Fprintf(c, "got %d bytes: %s", len(req), req)
		})
		tp := startProxy(t, tcpConfig(b.addr()), 1)
		c := dialTCP(t, tp.addr)
		io.WriteString(c, "question")
		c.CloseWrite()
		got, err := io.ReadAll(c)
		if err != nil || string(got) != "got 8 bytes: question" {
			t.Fatalf("%q, %v", got, err)
		}
	})
	t.Run("backend first", func(t *testing.T) {
		// The backend speaks first and half-closes; the client still sends,
		// and the backend reads it all.
		got := make(chan string, 1)
		b := newTCPBackend(t, func(c net.Conn) {
			io.WriteString(c, "banner")
			c.(*net.TCPConn).CloseWrite()
			rest, _ := io.ReadAll(c)
			got <- string(rest)
		})
		tp := startProxy(t, tcpConfig(b.addr()), 1)
		c := dialTCP(t, tp.addr)
		banner, err := io.ReadAll(c) // EOF: the backend's FIN came through
		if err != nil || string(banner) != "banner" {
			t.Fatalf("banner %q, %v", banner, err)
		}
		io.WriteString(c, "after the backend's FIN")
		c.CloseWrite()
		select {
		case s := <-got:
			if s != "after the backend's FIN" {
				t.Fatalf("backend read %q", s)
			}
		case <-time.After(testWait):
			t.Fatal("the backend never read the client's bytes")
		}
	})
}

// TestTCPConnectFailover: a refused connect tries the next backend; the
// client sees nothing of it.
func TestTCPConnectFailover(t *testing.T) {
	b := newTCPBackend(t, echo)
	cfg := tcpConfig(deadAddr(t), b.addr())
	cfg.Clusters[0].Retries = 1
	tp := startProxy(t, cfg, 1)
	for i := 0; i < 4; i++ {
		if err := echoOnce(tp.addr, 1000, byte(i)); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
	}
	if n := tp.totals().UpstreamRetriesTotal; n < 1 {
		t.Fatalf("upstream_retries_total %d: the dead backend was never tried", n)
	}
}

// TestTCPNoBackend: when no backend connection can be made the client is
// closed, with a log line and a counter; the listener goes on.
func TestTCPNoBackend(t *testing.T) {
	cfg := tcpConfig(deadAddr(t))
	tp := startProxy(t, cfg, 1)
	c := dialTCP(t, tp.addr)
	io.WriteString(c, "hello")
	if b, err := io.ReadAll(c); len(b) != 0 || (err != nil && !isConnReset(err)) {
		t.Fatalf("read %q, %v: want the connection closed", b, err)
	}
	eventually(t, "the failure counted", func() bool { return tcpTotals(tp).ConnectFailures == 1 })
	eventually(t, "a log line", func() bool { return strings.Contains(tp.log.String(), "could not connect to backend") })
}

// TestTCPIdleTimeout: no byte either way for timeouts.tunnel_idle closes
// both sides.
func TestTCPIdleTimeout(t *testing.T) {
	closed := make(chan struct{})
	b := newTCPBackend(t, func(c net.Conn) {
		io.Copy(io.Discard, c) // until velox closes it
		close(closed)
	})
	cfg := tcpConfig(b.addr())
	cfg.Timeouts.TunnelIdle = config.Duration(300 * time.Millisecond)
	tp := startProxy(t, cfg, 1)
	c := dialTCP(t, tp.addr)
	io.WriteString(c, "one byte is activity")
	if _, err := io.ReadAll(c); err != nil && !isConnReset(err) {
		t.Fatalf("client: %v, want the connection closed", err)
	}
	select {
	case <-closed:
	case <-time.After(testWait):
		t.Fatal("the backend's connection stayed open")
	}
	if n := tcpTotals(tp).IdleTimeouts; n != 1 {
		t.Fatalf("idle_timeouts_total %d, want 1", n)
	}
}

// TestTCPBalancesPerConnection: round robin picks a backend per
// connection, not per byte or per loop.
func TestTCPBalancesPerConnection(t *testing.T) {
	b1, b2 := newTCPBackend(t, echo), newTCPBackend(t, echo)
	tp := startProxy(t, tcpConfig(b1.addr(), b2.addr()), 1)
	for i := 0; i < 6; i++ {
		if err := echoOnce(tp.addr, 100, byte(i)); err != nil {
			t.Fatal(err)
		}
	}
	if n1, n2 := b1.conns.Load(), b2.conns.Load(); n1 != 3 || n2 != 3 {
		t.Fatalf("backends saw %d and %d connections, want 3 and 3", n1, n2)
	}
}

// TestTCPIperf3: iperf3 (a real protocol: a control connection and a data
// connection, both through velox) measures a second of throughput through
// a tcp listener; what it reports sent must have been received.
func TestTCPIperf3(t *testing.T) {
	bin, err := exec.LookPath("iperf3")
	if err != nil {
		t.Fatal("iperf3 not found: make deps-test installs it (Debian package iperf3)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close() // iperf3 binds it itself; -1: one test, then it exits
	srv := exec.Command(bin, "-s", "-1", "--forceflush", "-B", "127.0.0.1", "-p", port)
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	ready := make(chan bool, 1)
	go func() { // a bare connect would be its one test: wait for its word
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Server listening") {
				ready <- true
				io.Copy(io.Discard, stdout)
				return
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("iperf3 -s exited before listening")
		}
	case <-time.After(testWait):
		t.Fatal("iperf3 -s did not say it listens")
	}
	tp := startProxy(t, tcpConfig("127.0.0.1:"+port), 1)
	host, vport, _ := net.SplitHostPort(tp.addr)
	out, err := exec.Command(bin, "-c", host, "-p", vport, "-t", "1", "-J").Output()
	if err != nil {
		t.Fatalf("iperf3 -c: %v\n%s", err, out)
	}
	var res struct {
		End struct {
			SumSent     struct{ Bytes int64 } `json:"sum_sent"`
			SumReceived struct{ Bytes int64 } `json:"sum_received"`
		} `json:"end"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("iperf3 output: %v\n%s", err, out)
	}
	if res.Error != "" || res.End.SumSent.Bytes == 0 || res.End.SumReceived.Bytes == 0 {
		t.Fatalf("iperf3: error %q, sent %d, received %d", res.Error, res.End.SumSent.Bytes, res.End.SumReceived.Bytes)
	}
	t.Logf("iperf3 through velox: %d bytes in 1 s", res.End.SumReceived.Bytes)
}

func tcpTotals(tp *testProxy) TCPStats {
	var s TCPStats
	for _, l := range tp.Stats().Loops {
		s.Conns += l.TCP.Conns
		s.ConnectFailures += l.TCP.ConnectFailures
		s.IdleTimeouts += l.TCP.IdleTimeouts
		s.NoRoute += l.TCP.NoRoute
		s.PrereadTimeouts += l.TCP.PrereadTimeouts
	}
	return s
}

func isConnReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && strings.Contains(op.Err.Error(), "reset")
}

// TestTCPReload: a reload may point a tcp listener at another cluster (new
// connections go there; an open one goes on), but not change its protocol.
func TestTCPReload(t *testing.T) {
	b1, b2 := newTCPBackend(t, echo), newTCPBackend(t, echo)
	tp := startProxy(t, tcpConfig(b1.addr()), 1)
	open := dialTCP(t, tp.addr)
	io.WriteString(open, "before")
	echoed := make([]byte, 6) // and so the pair is made before the reload
	if _, err := io.ReadFull(open, echoed); err != nil || string(echoed) != "before" {
		t.Fatalf("echo before the reload: %q, %v", echoed, err)
	}
	next := tcpConfig(b1.addr())
	next.Clusters = append(next.Clusters, config.Cluster{Name: "other", Backends: []config.Backend{{Address: b2.addr()}}})
	next.Listeners[0].Cluster = "other"
	if err := tp.Reload(next); err != nil {
		t.Fatal(err)
	}
	if err := echoOnce(tp.addr, 1000, 1); err != nil {
		t.Fatal(err)
	}
	if n := b2.conns.Load(); n != 1 {
		t.Fatalf("the new cluster's backend saw %d connections, want 1", n)
	}
	io.WriteString(open, " and after")
	open.CloseWrite()
	if got, err := io.ReadAll(open); err != nil || string(got) != " and after" {
		t.Fatalf("the connection open across the reload: %q, %v", got, err)
	}
	http := tcpConfig(b1.addr())
	http.Listeners[0] = config.Listener{Address: http.Listeners[0].Address}
	http.Products, http.DefaultProduct = []config.Product{{Name: "p", DefaultCluster: "c"}}, "p"
	if err := tp.Reload(http); !errors.Is(err, ErrListenersChanged) {
		t.Fatalf("reload to an http listener: %v, want ErrListenersChanged", err)
	}
}

// TestTCPConnectTimeoutNextBackend: a backend whose connect does not
// complete within connect_timeout is given up for the next one, which
// then carries the client's bytes (a retry; no connection is left
// without a backend).
func TestTCPConnectTimeoutNextBackend(t *testing.T) {
	live := newTCPBackend(t, func(c net.Conn) { io.Copy(c, c) })
	cfg := tcpConfig(hangAddr(t), live.addr())
	cfg.Clusters[0].ConnectTimeout = config.Duration(300 * time.Millisecond)
	cfg.Clusters[0].Retries = 1
	tp := startProxy(t, cfg, 1)
	for i := range 2 { // round robin: one of the two connections picks the hanging backend first
		c := dialTCP(t, tp.addr)
		c.SetDeadline(time.Now().Add(testWait))
		if _, err := c.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 5)
		if _, err := io.ReadFull(c, got); err != nil || string(got) != "hello" {
			t.Fatalf("connection %d: echo %q, %v", i, got, err)
		}
		c.Close()
	}
	if n := tp.totals().UpstreamRetriesTotal; n != 1 {
		t.Errorf("upstream_retries_total %d, want the one timed-out connect sent on", n)
	}
	if n := tcpTotals(tp).ConnectFailures; n != 0 {
		t.Errorf("tcp connect failures %d: every connection found a backend", n)
	}
}
