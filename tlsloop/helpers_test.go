package tlsloop

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/internal/testcert"
)

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
	srv   *Server
	addr  string
	errs  chan error // HandshakeError values
	infos chan *Info // Handshake callback values
	ca    *testcert.CA
}

// startServer runs cfg (with a default certificate for "localhost" and
// "*.wild.test" when cfg has none) on one loop with handler h.
func startServer(t testing.TB, cfg Config, h eventloop.Handler) *testServer {
	t.Helper()
	ts := &testServer{errs: make(chan error, 1000), infos: make(chan *Info, 1000)}
	ts.ca = testcert.NewCA(t, "server-ca")
	if len(cfg.Certificates) == 0 {
		cfg.Certificates = []tls.Certificate{ts.ca.Server("localhost", "localhost", "*.wild.test").TLS}
	}
	cfg.HandshakeError = func(c *eventloop.Conn, err error) { offer(ts.errs, err) }
	user := cfg.Handshake
	cfg.Handshake = func(c *eventloop.Conn, in *Info) error {
		offer(ts.infos, in)
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

// offer sends v without blocking the loop: past the channel's room (the
// benchmarks' thousands of connections) values are dropped.
func offer[T any](ch chan<- T, v T) {
	select {
	case ch <- v:
	default:
	}
}

// client is the crypto/tls client config trusting ts's CA.
func (ts *testServer) client(name string, protos ...string) *tls.Config {
	return &tls.Config{RootCAs: ts.ca.Pool, ServerName: name, NextProtos: protos}
}

// rawDial connects a plain TCP client.
func rawDial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

// dial connects a crypto/tls client (over rawDial) with a deadline on
// everything.
func (ts *testServer) dial(t testing.TB, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	c := tls.Client(rawDial(t, ts.addr), cfg)
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
