package proxy

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
)

// TestReviewSNIPrereadStallsLoop: clients each send most of a ClientHello
// that claims 16000 bytes as 1-byte TLS records (about 90 KiB), then one
// record every 10 ms. Every read re-parses the whole input, and each
// record's append copies all the fragments before it (tlshello/hello.go:90),
// some 60 ms of loop time per read. An echo on the same loop waits.
func TestReviewSNIPrereadStallsLoop(t *testing.T) {
	e := newTCPBackend(t, echo)
	cfg := sniConfig(e.addr(), e.addr(), e.addr()) // no TLS: the default cluster, an echo
	tp := startProxy(t, cfg, 1)
	const body = 16000
	hdr := []byte{1, 0, byte(body >> 8), byte(body & 0xff)}
	var data []byte
	for _, b := range append(hdr, make([]byte, body)...) {
		data = append(data, 22, 3, 1, 0, 1, b)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for a := 0; a < 4; a++ {
		bad := dialTCP(t, tp.addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			cut := len(data) * 9 / 10
			bad.Write(data[:cut])
			for i := cut; i < len(data); i += 6 {
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
				if _, err := bad.Write(data[i : i+6]); err != nil {
					return
				}
			}
		}()
	}
	time.Sleep(time.Second)
	victim := dialTCP(t, tp.addr)
	victim.SetDeadline(time.Now().Add(30 * time.Second))
	var worst time.Duration
	got := make([]byte, 5)
	for i := 0; i < 10; i++ {
		start := time.Now()
		io.WriteString(victim, "ping\n")
		if _, err := io.ReadFull(victim, got); err != nil {
			t.Fatal(err)
		}
		worst = max(worst, time.Since(start))
	}
	close(stop)
	wg.Wait()
	if worst > 100*time.Millisecond {
		t.Errorf("an echo round trip through the loop took up to %v while 4 clients trickle 1-byte TLS records", worst)
	}
}

var _ = net.Dial

// slowHello is a net.Conn whose first Write (the ClientHello) sends its
// first 20 bytes, then waits for go before the rest.
type slowHello struct {
	net.Conn
	once bool
	go_  chan struct{}
	sent chan struct{}
}

func (c *slowHello) Write(p []byte) (int, error) {
	if c.once || len(p) < 20 {
		return c.Conn.Write(p)
	}
	c.once = true
	if _, err := c.Conn.Write(p[:20]); err != nil {
		return 0, err
	}
	close(c.sent)
	<-c.go_
	n, err := c.Conn.Write(p[20:])
	return n + 20, err
}

// startSNIPreread starts backends A (a.example.com), B (*.b.example.com)
// and D (the default) behind an sni_routes listener, and dials it with a
// slowHello for the client's ClientHello.
func startSNIPreread(t *testing.T) (ca *testCA, a, b, d *tcpBackend, tp *testProxy, sc *slowHello) {
	t.Helper()
	ca = newTestCA(t)
	a = newTLSBackend(t, "A", ca.issue(t, "a.example.com"))
	b = newTLSBackend(t, "B", ca.issue(t, "*.b.example.com"))
	d = newTLSBackend(t, "D", ca.issue(t, "other.example.com"))
	tp = startProxy(t, sniConfig(a.addr(), b.addr(), d.addr()), 1)
	raw := dialTCP(t, tp.addr)
	sc = &slowHello{Conn: raw, go_: make(chan struct{}), sent: make(chan struct{})}
	return ca, a, b, d, tp, sc
}

// reloadMidHello reloads tp with next while sc's ClientHello is half in,
// then lets the rest go.
func reloadMidHello(t *testing.T, tp *testProxy, sc *slowHello, next *config.Config) {
	t.Helper()
	<-sc.sent
	time.Sleep(100 * time.Millisecond)
	if err := tp.Reload(next); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the loop switches tables (Server.publish)
	close(sc.go_)
}

// TestReviewSNIReloadDuringPreread: the ClientHello of x.b.example.com
// is half in when a reload reorders the clusters (b, a, default). The
// route was resolved to a cluster index in the accept's table, and
// preread indexes the loop's current cluster list with it.
func TestReviewSNIReloadDuringPreread(t *testing.T) {
	ca, a, b, d, tp, sc := startSNIPreread(t)
	res := make(chan string, 1)
	go func() {
		tc := tls.Client(sc, &tls.Config{ServerName: "x.b.example.com", RootCAs: ca.pool})
		err := tc.Handshake()
		got, _ := io.ReadAll(tc)
		res <- fmt.Sprintf("%s %v", got, err)
	}()
	next := sniConfig(a.addr(), b.addr(), d.addr())
	next.Clusters[0], next.Clusters[1] = next.Clusters[1], next.Clusters[0]
	reloadMidHello(t, tp, sc, next)
	if got := <-res; got != "B x.b.example.com <nil>" {
		t.Errorf("x.b.example.com across a reload: %q (backend A saw %d connections, B %d)", got, a.conns.Load(), b.conns.Load())
	}
}

// TestReviewSNIReloadDuringPrereadFewer: the same with a reload to fewer
// clusters: the old index is out of range of the loop's cluster list.
func TestReviewSNIReloadDuringPrereadFewer(t *testing.T) {
	ca, a, _, _, tp, sc := startSNIPreread(t)
	go func() {
		tc := tls.Client(sc, &tls.Config{ServerName: "x.b.example.com", RootCAs: ca.pool})
		tc.Handshake()
	}()
	reloadMidHello(t, tp, sc, tcpConfig(a.addr()))
	time.Sleep(200 * time.Millisecond)
	if got, err := tlsThrough(t, tp.addr, "a.example.com", ca.pool); err != nil {
		t.Fatalf("after the reload: %q %v", got, err)
	}
}
