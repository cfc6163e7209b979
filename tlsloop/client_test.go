package tlsloop

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/internal/testcert"
	"golang.org/x/sys/unix"
)

// origin is a crypto/tls server on 127.0.0.1 that echoes, for the Client
// tests: states has each handshake's ConnectionState (server side), errs
// each handshake's error.
type origin struct {
	addr   string
	ca     *testcert.CA
	states chan tls.ConnectionState
	errs   chan error
	conns  atomic.Int32
}

// startOrigin serves cfg (a certificate for "localhost" and 127.0.0.1 from
// its own CA when cfg has none).
func startOrigin(t *testing.T, cfg *tls.Config) *origin {
	t.Helper()
	o := &origin{ca: testcert.NewCA(t, "origin-ca"), states: make(chan tls.ConnectionState, 16), errs: make(chan error, 16)}
	if cfg.Certificates == nil {
		cfg.Certificates = []tls.Certificate{o.ca.Server("localhost", "localhost", "127.0.0.1").TLS}
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	o.addr = ln.Addr().String()
	go func() {
		for c, err := ln.Accept(); err == nil; c, err = ln.Accept() {
			o.conns.Add(1)
			go o.serve(c.(*tls.Conn))
		}
	}()
	return o
}

func (o *origin) serve(c *tls.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := c.Handshake(); err != nil {
		o.errs <- err
		return
	}
	o.states <- c.ConnectionState()
	buf := make([]byte, 1024)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		c.Write(buf[:n])
	}
}

// result is what one dialled connection saw.
type result struct {
	info *Info  // at OnOpen of the wrapped Handler
	echo string // what came back for "ping"
	err  error  // OnClose's, when it closed first
}

// clientLoops runs n loops for Client tests.
func clientLoops(t *testing.T, n int) []*eventloop.Loop {
	t.Helper()
	g, err := eventloop.New(eventloop.Config{Loops: n})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	return g.Loops()
}

// ping dials addr from l through cl, writes "ping" once the handshake is
// done and waits for the echo or the close.
func ping(t *testing.T, l *eventloop.Loop, cl *Client, addr, serverName string) result {
	t.Helper()
	done := make(chan result, 1)
	var r result
	h := &handlerFuncs{
		open: func(c *eventloop.Conn) {
			r.info = State(c)
			c.Write([]byte("ping"))
		},
		data: func(c *eventloop.Conn, b []byte) int {
			r.echo += string(b)
			if len(r.echo) >= 4 {
				done <- r
				c.Close()
			}
			return len(b)
		},
		close: func(c *eventloop.Conn, err error) {
			r.err = err
			offer(done, r)
		},
	}
	sa := sockaddr(t, addr)
	if err := l.Execute(func() {
		if _, err := l.Dial(sa, 5*time.Second, cl.Handler(h, serverName)); err != nil {
			offer(done, result{err: err})
		}
	}); err != nil {
		t.Fatal(err)
	}
	return recv(t, done)
}

func newClient(t *testing.T, cfg ClientConfig) *Client {
	t.Helper()
	cl, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// The server's certificate is verified: for the name, by the CA, or for an
// IP address against its IP SANs; a wrong CA or name is ErrServerCert.
func TestClientVerify(t *testing.T) {
	o := startOrigin(t, &tls.Config{})
	l := clientLoops(t, 1)[0]
	other := testcert.NewCA(t, "other-ca")
	for _, tc := range []struct {
		name, server string
		roots        *x509.CertPool
		insecure     bool
		kind         error // nil: the echo comes back
	}{
		{"ok", "localhost", o.ca.Pool, false, nil},
		{"ip-san", "127.0.0.1", o.ca.Pool, false, nil},
		{"wrong-ca", "localhost", other.Pool, false, ErrServerCert},
		{"wrong-name", "other.test", o.ca.Pool, false, ErrServerCert},
		{"wrong-ip", "127.0.0.2", o.ca.Pool, false, ErrServerCert},
		{"insecure", "other.test", other.Pool, true, nil},
	} {
		logged := make(chan error, 1)
		cl := newClient(t, ClientConfig{RootCAs: tc.roots, InsecureSkipVerify: tc.insecure,
			HandshakeError: func(_ *eventloop.Conn, err error) { logged <- err }})
		r := ping(t, l, cl, o.addr, tc.server)
		if tc.kind == nil {
			if r.echo != "ping" || r.info == nil {
				t.Errorf("%s: echo %q info %v err %v", tc.name, r.echo, r.info, r.err)
			}
			continue
		}
		var he *HandshakeError
		if !errors.As(r.err, &he) || !errors.Is(r.err, tc.kind) || r.echo != "" || r.info != nil {
			t.Errorf("%s: err %v (%T), echo %q, want a HandshakeError %v", tc.name, r.err, r.err, r.echo, tc.kind)
		}
		if got := cl.Stats().ServerCert; got != 1 {
			t.Errorf("%s: server_cert counter %d", tc.name, got)
		}
		if err := recv(t, logged); err != r.err {
			t.Errorf("%s: HandshakeError got %v, OnClose %v", tc.name, err, r.err)
		}
	}
}

// A server that requires a client certificate gets ClientConfig's.
func TestClientCertificate(t *testing.T) {
	clientCA := testcert.NewCA(t, "client-ca")
	o := startOrigin(t, &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCA.Pool})
	l := clientLoops(t, 1)[0]
	with := newClient(t, ClientConfig{RootCAs: o.ca.Pool, Certificates: []tls.Certificate{clientCA.Client("velox").TLS}})
	if r := ping(t, l, with, o.addr, "localhost"); r.echo != "ping" {
		t.Fatalf("with a certificate: echo %q err %v", r.echo, r.err)
	}
	if st := recv(t, o.states); len(st.PeerCertificates) == 0 || st.PeerCertificates[0].Subject.CommonName != "velox" {
		t.Fatalf("origin saw client certificates %v", st.PeerCertificates)
	}
	// Without: under TLS 1.3 the client's handshake ends before the server
	// refuses, so the refusal (a certificate_required alert) may close the
	// connection after OnOpen; either way no echo.
	without := newClient(t, ClientConfig{RootCAs: o.ca.Pool})
	if r := ping(t, l, without, o.addr, "localhost"); r.echo != "" || r.err == nil {
		t.Fatalf("without a certificate: echo %q err %v", r.echo, r.err)
	}
	if err := recv(t, o.errs); err == nil {
		t.Fatal("origin accepted a client without a certificate")
	}
}

// ALPN: the protocol offered is the one chosen; RequireALPN refuses a
// server that chose none.
func TestClientALPN(t *testing.T) {
	o := startOrigin(t, &tls.Config{NextProtos: []string{"h2", "http/1.1"}})
	bare := startOrigin(t, &tls.Config{})
	l := clientLoops(t, 1)[0]
	for _, proto := range []string{"h2", "http/1.1"} {
		cl := newClient(t, ClientConfig{RootCAs: o.ca.Pool, NextProtos: []string{proto}, RequireALPN: true})
		if r := ping(t, l, cl, o.addr, "localhost"); r.info == nil || r.info.ALPN != proto {
			t.Fatalf("%s: info %+v err %v", proto, r.info, r.err)
		}
	}
	cl := newClient(t, ClientConfig{RootCAs: bare.ca.Pool, NextProtos: []string{"h2"}, RequireALPN: true})
	if r := ping(t, l, cl, bare.addr, "localhost"); !errors.Is(r.err, errNoALPN) || !errors.Is(r.err, ErrHandshake) {
		t.Fatalf("no ALPN from the server: err %v, want errNoALPN", r.err)
	}
	if _, err := NewClient(ClientConfig{RequireALPN: true}); err == nil {
		t.Fatal("RequireALPN without NextProtos accepted")
	}
}

// A session made on one loop resumes on another (one cache per Client), in
// TLS 1.2 and 1.3; DisableResumption makes every handshake full.
func TestClientResumption(t *testing.T) {
	loops := clientLoops(t, 2)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		o := startOrigin(t, &tls.Config{MaxVersion: v})
		cl := newClient(t, ClientConfig{RootCAs: o.ca.Pool})
		off := newClient(t, ClientConfig{RootCAs: o.ca.Pool, DisableResumption: true})
		for i, want := range []bool{false, true, true} {
			r := ping(t, loops[i%2], cl, o.addr, "localhost")
			st := recv(t, o.states)
			if r.echo != "ping" || r.info.Resumed != want || st.DidResume != want {
				t.Fatalf("TLS %#x connection %d: echo %q, resumed %v (origin %v), want %v", v, i, r.echo, r.info.Resumed, st.DidResume, want)
			}
		}
		if s := cl.Stats(); s.Handshakes != 3 || s.Resumed != 2 {
			t.Fatalf("TLS %#x: stats %+v", v, s)
		}
		for i := 0; i < 2; i++ {
			if r := ping(t, loops[0], off, o.addr, "localhost"); r.info == nil || r.info.Resumed {
				t.Fatalf("TLS %#x, resumption off: info %+v err %v", v, r.info, r.err)
			}
			recv(t, o.states)
		}
	}
}

// A connect that fails reaches the Handler as without TLS, uncounted; a
// server that never answers the ClientHello is ErrHandshakeTimeout.
func TestClientConnectFailureAndTimeout(t *testing.T) {
	l := clientLoops(t, 1)[0]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	cl := newClient(t, ClientConfig{InsecureSkipVerify: true, HandshakeTimeout: 100 * time.Millisecond})
	r := ping(t, l, cl, addr, "")
	if !errors.Is(r.err, ErrHandshakeTimeout) {
		t.Fatalf("silent server: err %v", r.err)
	}
	ln.Close()
	r = ping(t, l, cl, addr, "")
	var he *HandshakeError
	if r.err == nil || errors.As(r.err, &he) {
		t.Fatalf("refused connect: err %v, want the eventloop's error", r.err)
	}
	if s := cl.Stats(); s.Timeouts != 1 || s.Aborted != 0 || s.Handshakes != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// A PROXY protocol header (anything written before the connect) goes
// first, in plaintext, before the ClientHello.
func TestClientWriteBeforeHandshake(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 64)
		n, _ := c.Read(buf)
		for n < 20 {
			m, err := c.Read(buf[n:])
			if err != nil {
				break
			}
			n += m
		}
		got <- buf[:n]
	}()
	l := clientLoops(t, 1)[0]
	cl := newClient(t, ClientConfig{InsecureSkipVerify: true})
	sa := sockaddr(t, ln.Addr().String())
	l.Execute(func() {
		c, err := l.Dial(sa, time.Second, cl.Handler(&handlerFuncs{}, ""))
		if err == nil {
			c.Write([]byte("PROXY TCP4 x\r\n"))
		}
	})
	b := recv(t, got)
	if string(b[:14]) != "PROXY TCP4 x\r\n" || b[14] != 0x16 { // then a handshake record
		t.Fatalf("first bytes %q", b)
	}
}

// sockaddr is addr ("127.0.0.1:port") for eventloop.Loop.Dial.
func sockaddr(t *testing.T, addr string) *unix.SockaddrInet4 {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		t.Fatalf("address %q: %v", addr, err)
	}
	return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
}
