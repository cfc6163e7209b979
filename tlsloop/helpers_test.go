package tlsloop

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/velox-proxy/velox/eventloop"
)

// testCA is a certificate authority made by a test; nothing is committed.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
	file string // PEM, for openssl and curl
}

func newCA(t testing.TB, name string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	ca := &testCA{cert: cert, key: key, pool: pool}
	ca.file = writePEM(t, name+"-ca.pem", "CERTIFICATE", der)
	return ca
}

var serial int64 = 100

// issue makes a leaf for names (server) or for a client with that CN.
func (ca *testCA) issue(t testing.TB, cn string, names []string, client bool) (tls.Certificate, string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn, Organization: []string{"velox test"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: names, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile := writePEM(t, cn+"-"+big.NewInt(serial).String()+".pem", "CERTIFICATE", der)
	keyFile := writePEM(t, cn+"-"+big.NewInt(serial).String()+".key", "EC PRIVATE KEY", kder)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, certFile, keyFile
}

func writePEM(t testing.TB, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// handlerFuncs is an eventloop.Handler of optional functions.
type handlerFuncs struct {
	open  func(c *eventloop.Conn)
	data  func(c *eventloop.Conn, b []byte) int
	close func(c *eventloop.Conn, err error)
}

func (h *handlerFuncs) OnOpen(c *eventloop.Conn) {
	if h.open != nil {
		h.open(c)
	}
}

func (h *handlerFuncs) OnData(c *eventloop.Conn, b []byte) int {
	if h.data != nil {
		return h.data(c, b)
	}
	return len(b)
}

func (h *handlerFuncs) OnWritable(*eventloop.Conn) {}

func (h *handlerFuncs) OnClose(c *eventloop.Conn, err error) {
	if h.close != nil {
		h.close(c, err)
	}
}

type acceptFunc func(c *eventloop.Conn) eventloop.Handler

func (f acceptFunc) Accept(c *eventloop.Conn) eventloop.Handler { return f(c) }

// echo writes back what it reads, unchanged by TLS.
var echo = &handlerFuncs{data: func(c *eventloop.Conn, b []byte) int {
	c.Write(b)
	return len(b)
}}

// testServer is an eventloop group behind a tlsloop Server on 127.0.0.1.
type testServer struct {
	srv    *Server
	addr   string
	errs   chan error // HandshakeError values
	infos  chan *Info // Handshake callback values
	ca     *testCA
	certFn string // default certificate's PEM file
}

// startServer runs cfg (with a default certificate for "localhost" and
// "*.wild.test" when cfg has none) on one loop with handler h.
func startServer(t testing.TB, cfg Config, h eventloop.Handler) *testServer {
	t.Helper()
	ts := &testServer{errs: make(chan error, 1000), infos: make(chan *Info, 1000)}
	ts.ca = newCA(t, "server-ca")
	if len(cfg.Certificates) == 0 {
		cert, f, _ := ts.ca.issue(t, "localhost", []string{"localhost", "*.wild.test"}, false)
		cfg.Certificates = []tls.Certificate{cert}
		ts.certFn = f
	}
	cfg.HandshakeError = func(c *eventloop.Conn, err error) { ts.errs <- err }
	user := cfg.Handshake
	cfg.Handshake = func(c *eventloop.Conn, in *Info) error {
		ts.infos <- in
		if user != nil {
			return user(c, in)
		}
		return nil
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ts.srv = srv
	g, err := eventloop.New(eventloop.Config{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	ts.addr, err = g.Listen("127.0.0.1:0", srv.Acceptor(acceptFunc(func(*eventloop.Conn) eventloop.Handler { return h })))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	return ts
}

// client is the crypto/tls client config trusting ts's CA.
func (ts *testServer) client(name string, protos ...string) *tls.Config {
	return &tls.Config{RootCAs: ts.ca.pool, ServerName: name, NextProtos: protos}
}

// dial connects a crypto/tls client with a deadline on everything.
func (ts *testServer) dial(t testing.TB, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	raw, err := net.DialTimeout("tcp", ts.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	c := tls.Client(raw, cfg)
	t.Cleanup(func() { c.Close() })
	return c, c.Handshake()
}

// recv waits for a value on ch.
func recv[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for an event")
	}
	var zero T
	return zero
}
