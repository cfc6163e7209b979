package tlsloop

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/internal/testcert"
)

// echoOnce writes msg through c and reads it back.
func echoOnce(t testing.TB, c *tls.Conn, msg []byte) {
	t.Helper()
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("echo differs")
	}
}

func TestEchoVersions(t *testing.T) {
	ts := startServer(t, Config{NextProtos: []string{"h2", "http/1.1"}}, echo)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cfg := ts.client("localhost")
		cfg.MinVersion, cfg.MaxVersion = v, v
		c, err := ts.dial(t, cfg)
		if err != nil {
			t.Fatal(err)
		}
		echoOnce(t, c, []byte("hello"))
		big := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB: many records, backpressure
		go c.Write(big)
		got := make([]byte, len(big))
		if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, big) {
			t.Fatalf("1 MiB echo: %v", err)
		}
		if in := recv(t, ts.infos); in.Version != v || in.ServerName != "localhost" {
			t.Fatalf("info %+v, want version %x", in, v)
		}
	}
}

// Writev and Gather take plaintext too, and keep the order of the calls.
func TestWritevGather(t *testing.T) {
	h := &handlerFuncs{data: func(c *eventloop.Conn, b []byte) int {
		c.Gather([]byte("<"))
		c.Writev(b, []byte(">"))                                          // joined: one record
		c.Writev([]byte(""), bytes.Repeat([]byte("."), 20<<10), []byte{}) // over 16 KiB: one by one
		c.Gather([]byte("!"))
		c.Flush()
		return len(b)
	}}
	ts := startServer(t, Config{}, h)
	c, err := ts.dial(t, ts.client("localhost"))
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("abc"))
	want := "<abc>" + strings.Repeat(".", 20<<10) + "!"
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
		t.Fatalf("read %.20q..., %v", got, err)
	}
}

func TestALPN(t *testing.T) {
	var seen []string
	h := &handlerFuncs{open: func(c *eventloop.Conn) { seen = append(seen, State(c).ALPN) }}
	ts := startServer(t, Config{NextProtos: []string{"h2", "http/1.1"}}, h)
	for _, p := range []string{"h2", "http/1.1"} {
		c, err := ts.dial(t, ts.client("localhost", p))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.ConnectionState().NegotiatedProtocol; got != p {
			t.Fatalf("client negotiated %q, want %q", got, p)
		}
		if in := recv(t, ts.infos); in.ALPN != p {
			t.Fatalf("Info.ALPN %q, want %q", in.ALPN, p)
		}
	}
	if _, err := ts.dial(t, ts.client("localhost", "spdy/3")); err == nil {
		t.Fatal("a client offering only an unknown protocol got through")
	}
}

func TestSNI(t *testing.T) {
	ca := testcert.NewCA(t, "sni-ca")
	def := ca.Server("default", "default.test").TLS
	exact := ca.Server("exact", "a.wild.test").TLS
	wild := ca.Server("wild", "*.wild.test").TLS
	for _, strict := range []bool{false, true} {
		ts := startServer(t, Config{Certificates: []tls.Certificate{def, wild, exact}, StrictSNI: strict}, echo)
		for name, want := range map[string]string{
			"a.wild.test": "exact", "b.wild.test": "wild", "": "default",
			"x.b.wild.test": "default", "other.test": "default",
		} {
			cfg := &tls.Config{InsecureSkipVerify: true, ServerName: name}
			c, err := ts.dial(t, cfg)
			if strict && want == "default" && name != "" {
				if err == nil || !strings.Contains(err.Error(), "unrecognized name") {
					t.Fatalf("strict: %q: client error %v, want an unrecognized_name alert", name, err)
				}
				var he *HandshakeError
				if e := recv(t, ts.errs); !errors.As(e, &he) || he.Kind != ErrUnknownSNI {
					t.Fatalf("strict %q: server error %v", name, e)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%q: %v", name, err)
			}
			if cn := c.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != want {
				t.Fatalf("%q got certificate %q, want %q", name, cn, want)
			}
		}
	}
	if got := startServer(t, Config{StrictSNI: true}, echo).srv.Stats().UnknownSNI; got != 0 {
		t.Fatal("a fresh server has counted errors")
	}
}

// Certificates swapped while a connection is up: it keeps working, new
// handshakes get the new certificate.
func TestCertificateReload(t *testing.T) {
	ts := startServer(t, Config{}, echo)
	old, err := ts.dial(t, ts.client("localhost"))
	if err != nil {
		t.Fatal(err)
	}
	echoOnce(t, old, []byte("before"))
	if err := ts.srv.SetCertificates(ts.ca.Server("reloaded", "localhost").TLS); err != nil {
		t.Fatal(err)
	}
	c, err := ts.dial(t, ts.client("localhost"))
	if err != nil {
		t.Fatal(err)
	}
	if cn := c.ConnectionState().PeerCertificates[0].Subject.CommonName; cn != "reloaded" {
		t.Fatalf("new handshake got %q", cn)
	}
	echoOnce(t, old, []byte("after"))
}

func TestResumption(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		ts := startServer(t, Config{}, echo)
		cache := tls.NewLRUClientSessionCache(8)
		connect := func() bool {
			cfg := ts.client("localhost")
			cfg.MinVersion, cfg.MaxVersion, cfg.ClientSessionCache = v, v, cache
			c, err := ts.dial(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			echoOnce(t, c, []byte("x")) // TLS 1.3 tickets arrive after the handshake
			in := recv(t, ts.infos)
			if in.Resumed != c.ConnectionState().DidResume {
				t.Fatal("Info.Resumed disagrees with the client")
			}
			return in.Resumed
		}
		if connect() {
			t.Fatal("first connection resumed")
		}
		if !connect() {
			t.Fatalf("version %x: second connection did not resume", v)
		}
		ts.srv.RotateTicketKeys()
		if !connect() {
			t.Fatal("a ticket of the previous key did not resume")
		}
		ts.srv.RotateTicketKeys()
		ts.srv.RotateTicketKeys()
		if connect() {
			t.Fatal("a ticket of a retired key resumed")
		}
		if ts.srv.Stats().Resumed != 2 {
			t.Fatalf("resumed counter %d", ts.srv.Stats().Resumed)
		}
	}
}

func TestMTLS(t *testing.T) {
	clientCA := testcert.NewCA(t, "client-ca")
	good := clientCA.Client("alice").TLS
	bad := testcert.NewCA(t, "other-ca").Client("mallory").TLS
	ts := startServer(t, Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCA.Pool}, echo)
	cfg := ts.client("localhost")
	cfg.Certificates = []tls.Certificate{good}
	c, err := ts.dial(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	echoOnce(t, c, []byte("hi"))
	if in := recv(t, ts.infos); in.ClientSubject != "CN=alice,O=velox test" {
		t.Fatalf("ClientSubject %q", in.ClientSubject)
	}
	for name, certs := range map[string][]tls.Certificate{"other CA": {bad}, "missing": nil} {
		cfg := ts.client("localhost")
		cfg.Certificates = certs
		c, _ := ts.dial(t, cfg)
		c.Read(make([]byte, 1)) // TLS 1.3: the server's verdict comes after the client's Finished
		if e := recv(t, ts.errs); !errors.Is(e, ErrClientCert) {
			t.Fatalf("%s: server error %v, want ErrClientCert", name, e)
		}
	}
	if got := ts.srv.Stats().ClientCert; got != 2 {
		t.Fatalf("client_cert counter %d", got)
	}
}

// The client CA bundle swapped while an mTLS connection is up: it keeps
// working; new handshakes verify against the new bundle only.
func TestClientCAReload(t *testing.T) {
	caA, caB := testcert.NewCA(t, "client-ca-a"), testcert.NewCA(t, "client-ca-b")
	fromA, fromB := caA.Client("alice").TLS, caB.Client("bob").TLS
	ts := startServer(t, Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: caA.Pool}, echo)
	// A session made under CA A must not resume under B: alice's client
	// keeps her sessions.
	caches := map[*tls.Certificate]tls.ClientSessionCache{&fromA: tls.NewLRUClientSessionCache(8)}
	dial := func(cert *tls.Certificate) (*tls.Conn, error) {
		cfg := ts.client("localhost")
		cfg.Certificates, cfg.ClientSessionCache = []tls.Certificate{*cert}, caches[cert]
		c, err := ts.dial(t, cfg)
		if err != nil {
			return nil, err
		}
		c.Write([]byte("x")) // TLS 1.3: the server's verdict comes after the client's Finished
		if _, err := c.Read(make([]byte, 1)); err != nil {
			return nil, err
		}
		return c, nil
	}
	if _, err := dial(&fromA); err != nil {
		t.Fatal(err)
	}
	old, err := dial(&fromA)
	if err != nil || !old.ConnectionState().DidResume {
		t.Fatalf("alice's second connection: %v, want resumed", err)
	}
	if _, err := dial(&fromB); err == nil {
		t.Fatal("a certificate of CA B taken before the reload")
	}
	if e := recv(t, ts.errs); !errors.Is(e, ErrClientCert) {
		t.Fatalf("CA B before the reload: %v, want ErrClientCert", e)
	}
	if err := ts.srv.SetClientCAs(nil); err == nil {
		t.Fatal("SetClientCAs(nil) with RequireAndVerifyClientCert accepted")
	}
	if err := ts.srv.SetClientCAs(caB.Pool); err != nil {
		t.Fatal(err)
	}
	if _, err := dial(&fromB); err != nil {
		t.Fatalf("a certificate of CA B after the reload: %v", err)
	}
	if c, err := dial(&fromA); err == nil {
		t.Fatalf("a certificate of CA A taken after the reload (resumed %v)", c.ConnectionState().DidResume)
	}
	echoOnce(t, old, []byte("still up"))
}

// RequestClientCert: a certificate is optional, not verified, and exposed
// without a verified subject.
func TestMTLSRequest(t *testing.T) {
	cert := testcert.NewCA(t, "any-ca").Client("bob").TLS
	ts := startServer(t, Config{ClientAuth: tls.RequestClientCert}, echo)
	for _, certs := range [][]tls.Certificate{nil, {cert}} {
		cfg := ts.client("localhost")
		cfg.Certificates = certs
		if _, err := ts.dial(t, cfg); err != nil {
			t.Fatal(err)
		}
		in := recv(t, ts.infos)
		if len(in.PeerCertificates) != len(certs) || in.ClientSubject != "" {
			t.Fatalf("peer certs %d, subject %q", len(in.PeerCertificates), in.ClientSubject)
		}
	}
}

func TestVersionAndSuites(t *testing.T) {
	ts := startServer(t, Config{MinVersion: tls.VersionTLS13}, echo)
	cfg := ts.client("localhost")
	cfg.MaxVersion = tls.VersionTLS12
	if _, err := ts.dial(t, cfg); err == nil {
		t.Fatal("TLS 1.2 client accepted with MinVersion 1.3")
	}
	if e := recv(t, ts.errs); !errors.Is(e, ErrHandshake) {
		t.Fatalf("server error %v", e)
	}
	suite := tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
	ts = startServer(t, Config{CipherSuites: []uint16{suite}}, echo)
	cfg = ts.client("localhost")
	cfg.MaxVersion = tls.VersionTLS12
	c, err := ts.dial(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.ConnectionState().CipherSuite != suite || recv(t, ts.infos).CipherSuite != suite {
		t.Fatal("cipher suite not the configured one")
	}
	if _, err := NewServer(Config{Certificates: ts.srv.cfg.Certificates, MinVersion: tls.VersionTLS11}); err == nil {
		t.Fatal("MinVersion TLS 1.1 accepted")
	}
}

func TestBadInput(t *testing.T) {
	ts := startServer(t, Config{HandshakeTimeout: 300 * time.Millisecond}, echo)
	g := rawDial(t, ts.addr)
	g.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	if e := recv(t, ts.errs); !errors.Is(e, ErrNotTLS) {
		t.Fatalf("garbage: %v", e)
	}
	if _, err := io.ReadAll(g); err != nil && !isReset(err) {
		t.Fatalf("garbage: connection not closed: %v", err)
	}
	s := rawDial(t, ts.addr)
	s.Write([]byte{0x16, 0x03, 0x01}) // a ClientHello that never comes
	if e := recv(t, ts.errs); !errors.Is(e, ErrHandshakeTimeout) {
		t.Fatalf("stalled: %v", e)
	}
	// Nothing else is affected.
	c, err := ts.dial(t, ts.client("localhost"))
	if err != nil {
		t.Fatal(err)
	}
	echoOnce(t, c, []byte("still fine"))
	st := ts.srv.Stats()
	if st.NotTLS != 1 || st.Timeouts != 1 || st.Handshakes != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func isReset(err error) bool { return strings.Contains(err.Error(), "reset") }

func TestQueueFull(t *testing.T) {
	ts := startServer(t, Config{MaxHandshakes: 1, HandshakeQueue: 1, HandshakeTimeout: time.Minute}, echo)
	for range 2 { // one running, one queued: both stall
		rawDial(t, ts.addr).Write([]byte{0x16, 0x03, 0x01})
	}
	deadline := time.Now().Add(10 * time.Second)
	for st := ts.srv.Stats(); st.InProgress != 1 || st.Queued != 1; st = ts.srv.Stats() {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v", st)
		}
		time.Sleep(time.Millisecond)
	}
	rawDial(t, ts.addr).Write([]byte{0x16, 0x03, 0x01})
	if e := recv(t, ts.errs); !errors.Is(e, ErrQueueFull) {
		t.Fatalf("third handshake: %v", e)
	}
	// What a queued handshake holds unread is bounded.
	ts = startServer(t, Config{MaxHandshakes: 1, HandshakeTimeout: time.Minute}, echo)
	rawDial(t, ts.addr).Write([]byte{0x16, 0x03, 0x01})
	flood := rawDial(t, ts.addr)
	go flood.Write(make([]byte, 1<<20))
	if e := recv(t, ts.errs); !errors.Is(e, ErrHandshake) || !errors.Is(e, errHandshakeInput) {
		t.Fatalf("flooded queued handshake: %v", e)
	}
}

func TestRefused(t *testing.T) {
	no := errors.New("no thanks")
	ts := startServer(t, Config{Handshake: func(*eventloop.Conn, *Info) error { return no }}, echo)
	c, _ := ts.dial(t, ts.client("localhost"))
	c.Read(make([]byte, 1))
	if e := recv(t, ts.errs); !errors.Is(e, ErrRefused) || !errors.Is(e, no) {
		t.Fatalf("refused: %v", e)
	}
}

// Idle TLS connections hold no goroutine: handshake goroutines end with
// their handshake.
func TestIdleGoroutines(t *testing.T) {
	ts := startServer(t, Config{}, echo)
	before := runtime.NumGoroutine()
	const n = 500
	conns := make([]*tls.Conn, n)
	cfg := ts.client("localhost")
	for i := range conns {
		c, err := ts.dial(t, cfg)
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	for _, c := range conns {
		echoOnce(t, c, []byte("ping"))
	}
	deadline := time.Now().Add(10 * time.Second)
	for ts.srv.Stats().InProgress != 0 {
		if time.Now().After(deadline) {
			t.Fatal("handshakes still in progress")
		}
		time.Sleep(time.Millisecond)
	}
	if got := runtime.NumGoroutine() - before; got > 20 {
		t.Fatalf("%d more goroutines with %d idle TLS connections", got, n)
	}
}

// The peer's close_notify is an EOF for the Handler; a Handler's
// CloseAfterFlush sends one.
func TestCloseNotify(t *testing.T) {
	closed := make(chan error, 1)
	h := &handlerFuncs{
		data: func(c *eventloop.Conn, b []byte) int {
			if string(b) == "bye" {
				c.Write([]byte("ok"))
				c.CloseAfterFlush()
			}
			return len(b)
		},
		close: func(c *eventloop.Conn, err error) { closed <- err },
	}
	ts := startServer(t, Config{}, h)
	c, err := ts.dial(t, ts.client("localhost"))
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("bye"))
	if b, err := io.ReadAll(c); err != nil || string(b) != "ok" {
		t.Fatalf("read %q, %v: want ok then close_notify (io.EOF)", b, err)
	}
	recv(t, closed)
	c2, err := ts.dial(t, ts.client("localhost"))
	if err != nil {
		t.Fatal(err)
	}
	c2.CloseWrite()
	if err := recv(t, closed); err != io.EOF {
		t.Fatalf("OnClose(%v) after the client's close_notify, want io.EOF", err)
	}
}

func TestStatsNames(t *testing.T) {
	checkMetricNames(t, Stats{})
}

// firstTicket is a client session cache that keeps only the first ticket it
// is given, so that resuming does not refresh it.
type firstTicket struct {
	mu sync.Mutex
	cs *tls.ClientSessionState
}

func (f *firstTicket) Get(string) (*tls.ClientSessionState, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cs, f.cs != nil
}

func (f *firstTicket) Put(_ string, cs *tls.ClientSessionState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cs == nil {
		f.cs = cs
	}
}

// Config.TicketRotation rotates on its own: a ticket that resumed stops
// resuming once two rotations have passed (polled, no timing asserted; a
// ticket that was already stale when first tried is replaced).
func TestTicketRotationInterval(t *testing.T) {
	ts := startServer(t, Config{TicketRotation: 100 * time.Millisecond}, echo)
	cfg := ts.client("localhost")
	cfg.MaxVersion = tls.VersionTLS12 // the ticket comes with the handshake
	resumes := func() bool {
		c, err := ts.dial(t, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.ConnectionState().DidResume
	}
	for attempt := 0; ; attempt++ {
		cfg.ClientSessionCache = &firstTicket{}
		resumes()
		if resumes() {
			break
		}
		if attempt == 50 {
			t.Fatal("a fresh ticket never resumed")
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for resumes() {
		if time.Now().After(deadline) {
			t.Fatal("the ticket still resumes: keys not rotated")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
