package upstream

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/eventloop"
)

// wait bounds every wait for an event in these tests; nothing asserts timing.
const wait = 5 * time.Second

// poolEnv is one started loop, a loopback origin and a pool in front of it.
type poolEnv struct {
	t        *testing.T
	loop     *eventloop.Loop
	pool     *Pool
	b        *Backend
	accepted chan net.Conn // server side of each connection, in accept order
	h        *testHandler
}

func newPoolEnv(t *testing.T, cc config.Cluster) *poolEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for {
			select {
			case c := <-accepted:
				c.Close()
			default:
				return
			}
		}
	})

	g, err := eventloop.New(eventloop.Config{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)

	cc.Backends = []config.Backend{{Address: ln.Addr().String()}}
	c, err := NewCluster(&cc, From{})
	if err != nil {
		t.Fatal(err)
	}
	e := &poolEnv{t: t, loop: g.Loops()[0], b: c.Backends[0], accepted: accepted}
	e.pool = onLoop(t, e.loop, func() *Pool { return NewPool(e.loop, c) })
	e.h = &testHandler{pool: e.pool, opened: make(chan *Conn, 64), closed: make(chan error, 64)}
	return e
}

// onLoop runs f on l and returns its result to the test goroutine.
func onLoop[T any](t *testing.T, l *eventloop.Loop, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	if err := l.Execute(func() { done <- f() }); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-done:
		return v
	case <-time.After(wait):
		t.Fatal("loop did not run the task")
		panic("unreachable")
	}
}

// eventually polls cond on the loop until it holds or the wait runs out.
func (e *poolEnv) eventually(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(wait)
	for !onLoop(e.t, e.loop, cond) {
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// counts returns the pool's idle and open counts for the backend.
func (e *poolEnv) counts() [2]int {
	e.t.Helper()
	return onLoop(e.t, e.loop, func() [2]int { return [2]int{e.pool.Idle(e.b), e.pool.Open(e.b)} })
}

func (e *poolEnv) wantCounts(idle, open int) {
	e.t.Helper()
	if got := e.counts(); got != [2]int{idle, open} {
		e.t.Errorf("idle, open = %v, want [%d %d]", got, idle, open)
	}
}

// dial opens a connection through the pool and waits for its OnOpen.
func (e *poolEnv) dial() *Conn {
	e.t.Helper()
	c, err := e.tryDial()
	if err != nil {
		e.t.Fatalf("Dial: %v", err)
	}
	select {
	case o := <-e.h.opened:
		if o != c {
			e.t.Fatal("OnOpen for another Conn")
		}
	case err := <-e.h.closed:
		e.t.Fatalf("connect failed: %v", err)
	case <-time.After(wait):
		e.t.Fatal("no OnOpen")
	}
	return c
}

func (e *poolEnv) tryDial() (*Conn, error) {
	type result struct {
		c   *Conn
		err error
	}
	r := onLoop(e.t, e.loop, func() result {
		c, err := e.pool.Dial(e.b, e.h)
		return result{c, err}
	})
	return r.c, r.err
}

func (e *poolEnv) put(c *Conn) {
	e.t.Helper()
	onLoop(e.t, e.loop, func() bool { e.pool.Put(c); return true })
}

func (e *poolEnv) get() *Conn {
	e.t.Helper()
	return onLoop(e.t, e.loop, func() *Conn {
		c := e.pool.Get(e.b)
		if c != nil {
			c.EC.SetHandler(e.h)
		}
		return c
	})
}

// server returns the server side of the next accepted connection.
func (e *poolEnv) server() net.Conn {
	e.t.Helper()
	select {
	case c := <-e.accepted:
		return c
	case <-time.After(wait):
		e.t.Fatal("nothing accepted")
		return nil
	}
}

// wantEOF waits until the pool's side of s is closed.
func wantEOF(t *testing.T, s net.Conn) {
	t.Helper()
	s.SetReadDeadline(time.Now().Add(wait))
	var buf [16]byte
	if n, err := s.Read(buf[:]); err != io.EOF {
		t.Errorf("server read = %d, %v; want EOF", n, err)
	}
}

// closeAll closes the pool and checks that no connection is left open.
func (e *poolEnv) closeAll() {
	e.t.Helper()
	onLoop(e.t, e.loop, func() bool { e.pool.Close(); return true })
	e.wantCounts(0, 0)
	if n := onLoop(e.t, e.loop, e.loop.Conns); n != 0 {
		e.t.Errorf("%d conns left open on the loop", n)
	}
	if a := e.b.Stats(time.Now()).ActiveConns; a != 0 {
		e.t.Errorf("backend active conns = %d after close", a)
	}
}

// testHandler stands in for the proxy's upstream handler.
type testHandler struct {
	pool   *Pool
	opened chan *Conn
	closed chan error
}

func (h *testHandler) OnOpen(ec *eventloop.Conn)                 { h.opened <- ec.Context().(*Conn) }
func (h *testHandler) OnData(_ *eventloop.Conn, data []byte) int { return len(data) }
func (h *testHandler) OnWritable(*eventloop.Conn)                {}
func (h *testHandler) OnClose(ec *eventloop.Conn, err error) {
	h.pool.Forget(ec.Context().(*Conn))
	h.closed <- err
}

func TestPoolReuse(t *testing.T) {
	e := newPoolEnv(t, config.Cluster{})
	c := e.dial()
	e.server()
	if c.EC == nil || c.Backend != e.b || c.Requests != 0 {
		t.Fatalf("dialled conn = %+v", c)
	}
	e.wantCounts(0, 1)
	e.put(c)
	e.wantCounts(1, 1)
	if got := e.get(); got != c {
		t.Fatalf("Get = %p, want the conn Put (%p)", got, c)
	}
	e.wantCounts(0, 1)
	if got := e.get(); got != nil {
		t.Errorf("second Get = %p, want nil", got)
	}
	onLoop(t, e.loop, func() bool { e.pool.Close(); return true })
	e.wantCounts(0, 1) // c is in use: Close leaves it open
	if onLoop(t, e.loop, c.EC.Closed) {
		t.Error("Close closed a conn in use")
	}
	e.put(c)
	e.closeAll()
}

func TestPoolGetMostRecentFirst(t *testing.T) {
	e := newPoolEnv(t, config.Cluster{})
	c1, c2 := e.dial(), e.dial()
	e.put(c1)
	e.put(c2)
	if got := e.get(); got != c2 {
		t.Errorf("Get = %p, want the last Put %p", got, c2)
	}
	if got := e.get(); got != c1 {
		t.Errorf("Get = %p, want %p", got, c1)
	}
	e.put(c1)
	e.put(c2)
	e.closeAll()
}

func TestPoolIdleTimeout(t *testing.T) {
	e := newPoolEnv(t, config.Cluster{IdleTimeout: config.Duration(50 * time.Millisecond)})
	c := e.dial()
	s := e.server()
	e.put(c)
	wantEOF(t, s)
	e.eventually("the timed-out conn to leave the pool", func() bool {
		return e.pool.Idle(e.b) == 0 && e.pool.Open(e.b) == 0 && c.EC.Closed()
	})
	if len(e.h.closed) != 0 {
		t.Error("user OnClose ran for an idle conn")
	}
	e.closeAll()
}

func TestPoolServerClosesIdle(t *testing.T) {
	e := newPoolEnv(t, config.Cluster{})
	c := e.dial()
	s := e.server()
	e.put(c)
	s.Close()
	e.eventually("the closed conn to leave the pool", func() bool {
		return e.pool.Idle(e.b) == 0 && e.pool.Open(e.b) == 0
	})
	if got := e.get(); got != nil {
		t.Errorf("Get = %p after the server closed it", got)
	}
	e.closeAll()
}

func TestPoolUnsolicitedBytesClose(t *testing.T) {
	e := newPoolEnv(t, config.Cluster{})
	c := e.dial()
	s := e.server()
	e.put(c)
	if _, err := s.Write([]byte("HTTP/1.1 408 Request Timeout\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	wantEOF(t, s)
	e.eventually("the conn to leave the pool", func() bool { return e.pool.Open(e.b) == 0 })
	e.wantCounts(0, 0)
	e.closeAll()
}

func TestPoolMaxIdle(t *testing.T) {
	e := newPoolEnv(t, config.Cluster{MaxIdle: new(2)})
	cs := []*Conn{e.dial(), e.dial(), e.dial()}
	e.wantCounts(0, 3)
	for _, c := range cs {
		e.put(c)
	}
	e.wantCounts(2, 2)
	if !onLoop(t, e.loop, cs[2].EC.Closed) {
		t.Error("the conn over MaxIdle is still open")
	}
	if len(e.h.closed) != 0 {
		t.Error("user OnClose ran for a conn the pool closed")
	}
	e.closeAll()
}

func TestPoolMaxConns(t *testing.T) {
	e := newPoolEnv(t, config.Cluster{MaxConns: 2})
	c1, c2 := e.dial(), e.dial()
	if c, err := e.tryDial(); !errors.Is(err, ErrConnLimit) || c != nil {
		t.Fatalf("third Dial = %v, %v; want ErrConnLimit", c, err)
	}
	onLoop(t, e.loop, func() bool { c1.EC.Close(); return true }) // user OnClose forgets it
	if err := <-e.h.closed; err != nil {
		t.Errorf("OnClose(%v) after a local Close", err)
	}
	e.wantCounts(0, 1)
	onLoop(t, e.loop, func() bool { e.pool.Forget(c1); return true }) // idempotent
	e.wantCounts(0, 1)
	c3 := e.dial()
	e.wantCounts(0, 2)
	e.put(c2)
	e.put(c3)
	e.closeAll()
}

func TestPoolMaxRequestsPerConn(t *testing.T) {
	e := newPoolEnv(t, config.Cluster{MaxRequestsPerConn: 2})
	send := func(c *Conn) { onLoop(t, e.loop, func() bool { c.Requests++; return true }) }
	c := e.dial()
	send(c)
	e.put(c) // 1 request: kept
	e.wantCounts(1, 1)
	if got := e.get(); got != c {
		t.Fatal("Get did not return the conn")
	}
	send(c)
	e.put(c) // 2 requests: used up
	e.wantCounts(0, 0)
	if !onLoop(t, e.loop, c.EC.Closed) {
		t.Error("used-up conn still open")
	}
	e.closeAll()
}

func TestPoolConnectFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connect is refused
	e := newPoolEnv(t, config.Cluster{})
	cc := config.Cluster{Backends: []config.Backend{{Address: addr}}}
	cl, err := NewCluster(&cc, From{})
	if err != nil {
		t.Fatal(err)
	}
	p := onLoop(t, e.loop, func() *Pool { return NewPool(e.loop, cl) })
	e.h.pool = p
	type result struct {
		c   *Conn
		err error
	}
	r := onLoop(t, e.loop, func() result { c, err := p.Dial(cl.Backends[0], e.h); return result{c, err} })
	if r.err == nil {
		select {
		case err := <-e.h.closed:
			if err == nil {
				t.Error("OnClose(nil) for a refused connect")
			}
		case <-e.h.opened:
			t.Fatal("OnOpen for a refused connect")
		case <-time.After(wait):
			t.Fatal("no OnClose for a refused connect")
		}
	}
	if n := onLoop(t, e.loop, func() int { return p.Open(cl.Backends[0]) }); n != 0 {
		t.Errorf("open = %d after a failed connect", n)
	}
}

func TestPoolCloseThenPut(t *testing.T) {
	e := newPoolEnv(t, config.Cluster{})
	c1, c2 := e.dial(), e.dial()
	s1 := e.server()
	e.put(c1)
	onLoop(t, e.loop, func() bool { e.pool.Close(); return true })
	wantEOF(t, s1)
	e.wantCounts(0, 1)
	e.put(c2) // after Close, Put closes
	e.wantCounts(0, 0)
	e.closeAll()
}

func TestPoolGetPutZeroAllocs(t *testing.T) {
	e := newPoolEnv(t, config.Cluster{})
	c := e.dial()
	e.put(c)
	allocs := onLoop(t, e.loop, func() float64 {
		return testing.AllocsPerRun(200, func() {
			c := e.pool.Get(e.b)
			c.EC.SetHandler(e.h)
			e.pool.Put(c)
		})
	})
	if allocs != 0 {
		t.Errorf("%v allocs per Get+Put", allocs)
	}
	e.closeAll()
}

func TestPoolPutClosed(t *testing.T) {
	e := newPoolEnv(t, config.Cluster{})
	c := e.dial()
	onLoop(t, e.loop, func() bool { c.EC.Close(); return true })
	<-e.h.closed
	e.put(c) // a handler may Put after the conn died under it
	e.wantCounts(0, 0)
	e.closeAll()
}
