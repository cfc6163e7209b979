package eventloop

import (
	"net"
	"testing"
	"time"
)

// handlerFuncs is a Handler made of optional functions; OnData defaults to
// consuming everything.
type handlerFuncs struct {
	open     func(c *Conn)
	data     func(c *Conn, b []byte) int
	writable func(c *Conn)
	close    func(c *Conn, err error)
}

func (h *handlerFuncs) OnOpen(c *Conn) {
	if h.open != nil {
		h.open(c)
	}
}

func (h *handlerFuncs) OnData(c *Conn, b []byte) int {
	if h.data != nil {
		return h.data(c, b)
	}
	return len(b)
}

func (h *handlerFuncs) OnWritable(c *Conn) {
	if h.writable != nil {
		h.writable(c)
	}
}

func (h *handlerFuncs) OnClose(c *Conn, err error) {
	if h.close != nil {
		h.close(c, err)
	}
}

// acceptFunc adapts a function to Acceptor.
type acceptFunc func(c *Conn) Handler

func (f acceptFunc) Accept(c *Conn) Handler { return f(c) }

// echo is a Handler that writes back what it reads.
var echo = &handlerFuncs{data: func(c *Conn, b []byte) int {
	c.Write(b)
	return len(b)
}}

func acceptAll(h Handler) Acceptor { return acceptFunc(func(*Conn) Handler { return h }) }

// startGroup starts a group listening on 127.0.0.1:0, stopped at cleanup.
func startGroup(t testing.TB, cfg Config, a Acceptor) (*Group, string) {
	t.Helper()
	if cfg.Loops == 0 {
		cfg.Loops = 2
	}
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := g.Listen("127.0.0.1:0", a)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	return g, addr
}

// onLoop runs f on l and waits for it.
func onLoop(t testing.TB, l *Loop, f func()) {
	t.Helper()
	done := make(chan struct{})
	if err := l.Execute(func() { defer close(done); f() }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("loop task did not run")
	}
}

// dial connects a net.Conn client with a deadline on everything.
func dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
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

// waitFor polls cond (evaluated on l) until it holds.
func waitFor(t testing.TB, l *Loop, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var ok bool
		onLoop(t, l, func() { ok = cond() })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}
