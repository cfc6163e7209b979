package tlsllib

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	ltls "github.com/lesismal/llib/std/crypto/tls"
)

// memConn is one direction-pair of an in-memory connection. The client
// (crypto/tls) blocks in Read during the handshake; afterwards everything
// runs on the benchmark goroutine and Read returns what is there.
type memConn struct {
	mu     sync.Mutex
	cond   sync.Cond
	in     []byte // in[off:] is unread; reused once read up, so the harness does not allocate
	off    int
	peer   *memConn
	shared bool // after the handshake: no blocking
}

func newMemPair() (*memConn, *memConn) {
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

// take returns and forgets what was written to m (server side, for
// Append, which copies it before the next write reuses the buffer).
func (m *memConn) take() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.in[m.off:]
	m.in, m.off = m.in[:0], 0
	return b
}

func (m *memConn) wait() {
	m.mu.Lock()
	for len(m.in) == m.off {
		m.cond.Wait()
	}
	m.mu.Unlock()
}

func (m *memConn) Close() error                     { return nil }
func (m *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (m *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (m *memConn) SetDeadline(time.Time) error      { return nil }
func (m *memConn) SetReadDeadline(time.Time) error  { return nil }
func (m *memConn) SetWriteDeadline(time.Time) error { return nil }

func cpuNanos() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// setup makes an ECDSA P-256 chain; the server config is llib's, the client
// crypto/tls's.
func setup(b *testing.B) (*ltls.Config, *tls.Config) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caT, caT, &caKey.PublicKey, caKey)
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafT := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leafT, ca, &key.PublicKey, caKey)
	if err != nil {
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	scfg := &ltls.Config{Certificates: []ltls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	return scfg, &tls.Config{RootCAs: pool, ServerName: "localhost"}
}

// pair is an llib server Conn (non-blocking) and a crypto/tls client.
type pair struct {
	srv      *ltls.Conn
	sc, cc   *memConn
	cli      *tls.Conn
	readBuf  []byte
	resumed  bool
	handshok bool
}

// newPair handshakes: the client on its own goroutine, the server driven
// here by Append and Read, as on a loop.
func newPair(b testing.TB, scfg *ltls.Config, ccfg *tls.Config) *pair {
	sc, cc := newMemPair()
	p := &pair{sc: sc, cc: cc, readBuf: make([]byte, 64<<10)}
	p.srv = ltls.NewConn(sc, scfg, false, true)
	p.cli = tls.Client(cc, ccfg)
	done := make(chan error, 1)
	go func() { done <- p.cli.Handshake() }()
	for !p.srv.ConnectionState().HandshakeComplete {
		sc.wait()
		p.srv.Append(sc.take())
		if _, err := p.srv.Read(p.readBuf); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	sc.shared, cc.shared = true, true
	p.resumed = p.cli.ConnectionState().DidResume
	return p
}

func countRecords(b []byte) int {
	n := 0
	for len(b) >= 5 {
		b = b[5+int(b[3])<<8+int(b[4]):]
		n++
	}
	return n
}

// roundTrip is tlsloop's: client sends req, server opens and seals it back.
func (p *pair) roundTrip(b testing.TB, req, buf []byte) (time.Duration, int) {
	p.cli.Write(req)
	in := p.sc.take()
	records := countRecords(in)
	start := time.Now()
	p.srv.Append(in)
	got := 0
	for {
		n, err := p.srv.Read(buf[got:])
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
		got += n
	}
	p.srv.Write(buf[:got])
	took := time.Since(start)
	records += countRecords(p.cc.in[p.cc.off:])
	for got > 0 {
		n, err := p.cli.Read(buf)
		if err != nil || n == 0 {
			b.Fatalf("client read: %d, %v", n, err)
		}
		got -= n
	}
	return took, records
}

func BenchmarkHandshake(b *testing.B) {
	for _, resumed := range []bool{false, true} {
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			name := map[bool]string{false: "full", true: "resumed"}[resumed] + "/" + tls.VersionName(v)
			b.Run(name, func(b *testing.B) {
				scfg, ccfg := setup(b)
				ccfg.MinVersion, ccfg.MaxVersion = v, v
				if resumed {
					ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
					p := newPair(b, scfg, ccfg)
					p.roundTrip(b, []byte("x"), make([]byte, 16))
				}
				b.ReportAllocs()
				cpu := cpuNanos()
				for b.Loop() {
					p := newPair(b, scfg, ccfg)
					if resumed {
						p.roundTrip(b, []byte("x"), make([]byte, 16))
						if !p.resumed {
							b.Fatal("not resumed")
						}
					}
				}
				b.ReportMetric(float64(cpuNanos()-cpu)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

func BenchmarkRecords(b *testing.B) {
	for _, size := range []int{12, 4 << 10, 64 << 10} {
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			b.Run(strconv.Itoa(size)+"B/"+tls.VersionName(v), func(b *testing.B) {
				scfg, ccfg := setup(b)
				ccfg.MinVersion, ccfg.MaxVersion = v, v
				scfg.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256} // TLS 1.2: as tlsloop's
				p := newPair(b, scfg, ccfg)
				b.Logf("cipher suite %s", tls.CipherSuiteName(p.cli.ConnectionState().CipherSuite))
				req, buf := make([]byte, size), make([]byte, 2*size+(16<<10))
				for range 64 {
					p.roundTrip(b, req, buf)
				}
				var server time.Duration
				records := 0
				b.ReportAllocs()
				b.SetBytes(int64(2 * size))
				cpu := cpuNanos()
				for b.Loop() {
					d, r := p.roundTrip(b, req, buf)
					server += d
					records += r
				}
				b.ReportMetric(float64(cpuNanos()-cpu)/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(server.Nanoseconds())/float64(b.N), "server-ns/op")
				b.ReportMetric(float64(records)/float64(b.N), "records/op")
			})
		}
	}
}
