package tlsllib

import (
	"crypto/tls"
	"net"
	"sync"
	"testing"
	"time"

	ltls "github.com/lesismal/llib/std/crypto/tls"
	"github.com/velox-proxy/velox/bench/tlsbench"
)

// memConn is one end of an in-memory connection. The client (crypto/tls)
// blocks in Read during the handshake; afterwards everything runs on the
// benchmark goroutine and Read returns what is there.
type memConn struct {
	mu     sync.Mutex
	cond   sync.Cond
	in     []byte // in[off:] is unread; reused once read up, so the harness does not allocate
	off    int
	peer   *memConn
	shared bool // after the handshake: no blocking
}

func newMemConns() (*memConn, *memConn) {
	a, b := &memConn{}, &memConn{}
	a.cond.L, b.cond.L = &a.mu, &b.mu
	a.peer, b.peer = b, a
	return a, b
}

func (m *memConn) Read(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(m.in) == m.off && !m.shared {
		m.cond.Wait()
	}
	n := copy(p, m.in[m.off:])
	m.off += n
	if m.off == len(m.in) {
		m.in, m.off = m.in[:0], 0
	}
	return n, nil
}

func (m *memConn) Write(b []byte) (int, error) {
	p := m.peer
	p.mu.Lock()
	p.in = append(p.in, b...)
	p.mu.Unlock()
	p.cond.Signal()
	return len(b), nil
}

// take returns and forgets what was written to m; the caller uses it
// before the next write reuses the buffer.
func (m *memConn) take() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(m.in) == m.off && !m.shared {
		m.cond.Wait()
	}
	b := m.in[m.off:]
	m.in, m.off = m.in[:0], 0
	return b
}

func (m *memConn) Close() error                     { return nil }
func (m *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (m *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (m *memConn) SetDeadline(time.Time) error      { return nil }
func (m *memConn) SetReadDeadline(time.Time) error  { return nil }
func (m *memConn) SetWriteDeadline(time.Time) error { return nil }

// engine is llib's non-blocking server for tlsbench.
type engine struct{ cfg *ltls.Config }

// pair is an llib server Conn and a crypto/tls client.
type pair struct {
	b      testing.TB
	srv    *ltls.Conn
	sc, cc *memConn
	cli    *tls.Conn
}

// Handshake runs the client on its own goroutine and drives the server
// here with Append and Read, as a loop would.
func (e engine) Handshake(b *testing.B, cfg *tls.Config) tlsbench.Pair {
	sc, cc := newMemConns()
	p := &pair{b: b, sc: sc, cc: cc, srv: ltls.NewConn(sc, e.cfg, false, true), cli: tls.Client(cc, cfg)}
	done := make(chan error, 1)
	go func() { done <- p.cli.Handshake() }()
	buf := make([]byte, 1024)
	for !p.srv.ConnectionState().HandshakeComplete {
		p.srv.Append(sc.take())
		if _, err := p.srv.Read(buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	sc.shared, cc.shared = true, true
	return p
}

func (p *pair) Client() *tls.Conn { return p.cli }
func (p *pair) Resumed() bool     { return p.cli.ConnectionState().DidResume }
func (p *pair) ClientOut() []byte { return p.sc.take() }

// ClientIn: llib already wrote its records into the client's memConn.
func (p *pair) ClientIn([]byte) {}

func (p *pair) Echo(records, buf []byte) []byte {
	p.cc.in, p.cc.off = p.cc.in[:0], 0 // the client read the last answer (or is done)
	p.srv.Append(records)
	got := 0
	for {
		n, err := p.srv.Read(buf[got:])
		if err != nil {
			p.b.Fatal(err)
		}
		if n == 0 {
			break
		}
		got += n
	}
	if _, err := p.srv.Write(buf[:got]); err != nil {
		p.b.Fatal(err)
	}
	return p.cc.in[p.cc.off:]
}

func newEngine(_ *testing.B, cert tls.Certificate) tlsbench.Engine {
	c := ltls.Certificate{Certificate: cert.Certificate, PrivateKey: cert.PrivateKey}
	return engine{&ltls.Config{Certificates: []ltls.Certificate{c}}}
}

func BenchmarkHandshake(b *testing.B) { tlsbench.Handshakes(b, newEngine) }
func BenchmarkRecords(b *testing.B)   { tlsbench.Records(b, newEngine) }
