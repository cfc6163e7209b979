package upstream

import "github.com/velox-proxy/velox/eventloop"

// Conn is an upstream connection of one loop's pool. The eventloop.Conn's
// context is the *Conn. While a request uses it, the user's handler is set on
// the eventloop.Conn; while idle, the pool's.
type Conn struct {
	// Immutable:
	EC      *eventloop.Conn
	Backend *Backend
	// Owned by the loop:
	//
	// Requests counts the requests sent on this connection. The user adds one
	// per request it sends; Put compares it with MaxRequestsPerConn.
	Requests int

	pool    *Pool
	timer   eventloop.Timer // idle timeout, armed only while idle
	prev    *Conn           // idle list links
	next    *Conn
	idle    bool // in its backend's idle list
	counted bool // counted in pool.open; cleared by Forget
}

// Pool is one loop's connections to one cluster's backends. Loop only.
type Pool struct {
	// Immutable:
	loop    *eventloop.Loop
	cluster *Cluster
	// Owned by the loop:
	idle   []idleList // by Backend.Index, most recently used first
	open   []int      // by Backend.Index: dialled and not forgotten
	closed bool       // after Close, Put closes instead of keeping
}

// idleList is a doubly linked LIFO of idle Conns threaded through the Conns
// themselves, so keeping and taking a connection does not allocate.
type idleList struct {
	head *Conn
	n    int
}

// NewPool makes the pool of cluster c on loop l.
func NewPool(l *eventloop.Loop, c *Cluster) *Pool {
	return &Pool{
		loop:    l,
		cluster: c,
		idle:    make([]idleList, len(c.Backends)),
		open:    make([]int, len(c.Backends)),
	}
}

// Get takes an idle connection to b (most recently used first), or nil.
// The caller sets its handler on c.EC before using it.
func (p *Pool) Get(b *Backend) *Conn {
	for {
		c := p.idle[b.Index].head
		if c == nil {
			return nil
		}
		p.unlink(c)
		if c.EC.Closed() { // cannot happen while OnClose unlinks; be safe
			p.Forget(c)
			continue
		}
		return c
	}
}

// Dial opens a new connection to b with handler h (its OnOpen or OnClose tells
// how the connect went). ErrConnLimit when b has MaxConns open on this loop.
// The eventloop reports the connect from the loop, never inside Dial, so h's
// OnClose always finds the *Conn in the context.
func (p *Pool) Dial(b *Backend, h eventloop.Handler) (*Conn, error) {
	if p.open[b.Index] >= p.cluster.MaxConns {
		return nil, ErrConnLimit
	}
	ec, err := p.loop.Dial(b.Sockaddr, p.cluster.ConnectTimeout, h)
	if err != nil {
		return nil, err
	}
	c := &Conn{EC: ec, Backend: b, pool: p, counted: true}
	c.timer.Init(p.loop, c.idleTimeout)
	ec.SetContext(c)
	p.open[b.Index]++
	b.addActive(1)
	return c, nil
}

// Put returns c after a complete response on a reusable connection. The pool
// keeps it idle (handler switched to the pool's) or closes it when MaxIdle is
// reached or MaxRequestsPerConn is used up. After Close, Put closes c.
func (p *Pool) Put(c *Conn) {
	if c.idle {
		return
	}
	c.EC.SetHandler((*idling)(c)) // from here on the user hears nothing of c
	if c.EC.Closed() {            // or closing: OnClose may be still to come
		p.Forget(c)
		return
	}
	if !p.keep(c) {
		c.EC.Close() // idling.OnClose forgets it
		return
	}
	p.push(c)
	c.timer.Reset(p.cluster.IdleTimeout)
	if c.EC.Paused() {
		c.EC.ResumeRead() // so a close by the server is seen
	}
}

// keep reports whether c may be kept idle.
func (p *Pool) keep(c *Conn) bool {
	maxReq := p.cluster.MaxRequestsPerConn
	switch {
	case p.closed:
		return false
	case maxReq > 0 && c.Requests >= maxReq:
		return false
	}
	return p.idle[c.Backend.Index].n < p.cluster.MaxIdle
}

// Forget must be called from the user's OnClose of an active connection so the
// pool's open-connection count stays right. Idempotent.
func (p *Pool) Forget(c *Conn) {
	if !c.counted {
		return
	}
	c.counted = false
	p.open[c.Backend.Index]--
	c.Backend.addActive(-1)
}

// Idle and Open return this loop's counts for b.
func (p *Pool) Idle(b *Backend) int { return p.idle[b.Index].n }
func (p *Pool) Open(b *Backend) int { return p.open[b.Index] }

// Close closes every idle connection (reload, shutdown). Connections in use
// are closed when they are Put back.
func (p *Pool) Close() {
	p.closed = true
	for i := range p.idle {
		for c := p.idle[i].head; c != nil; c = p.idle[i].head {
			p.unlink(c)
			c.EC.Close()
			p.Forget(c)
		}
	}
}

func (p *Pool) push(c *Conn) {
	l := &p.idle[c.Backend.Index]
	c.prev, c.next = nil, l.head
	if l.head != nil {
		l.head.prev = c
	}
	l.head = c
	l.n++
	c.idle = true
}

// unlink takes c out of its idle list and disarms its idle timer.
func (p *Pool) unlink(c *Conn) {
	if !c.idle {
		return
	}
	l := &p.idle[c.Backend.Index]
	if c.prev != nil {
		c.prev.next = c.next
	} else {
		l.head = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	}
	c.prev, c.next = nil, nil
	l.n--
	c.idle = false
	c.timer.Stop()
}

// idleTimeout runs on the loop when c has been idle for IdleTimeout.
func (c *Conn) idleTimeout() {
	if c.idle {
		c.EC.Close() // idling.OnClose unlinks and forgets it
	}
}

// idling is a Conn's handler while the pool holds it (idle, or being closed
// by Put). The server has nothing to say on an idle connection: bytes from it
// are a protocol error or a close in progress, so any of them closes it.
type idling Conn

var _ eventloop.Handler = (*idling)(nil)

func (h *idling) OnOpen(*eventloop.Conn)     {}
func (h *idling) OnWritable(*eventloop.Conn) {}

func (h *idling) OnData(ec *eventloop.Conn, data []byte) int {
	ec.Close()
	return len(data)
}

func (h *idling) OnClose(*eventloop.Conn, error) {
	c := (*Conn)(h)
	c.pool.unlink(c)
	c.pool.Forget(c)
}
