package tlsloop

import (
	"crypto/tls"
	"errors"
	"net"
	"sync"

	"github.com/velox-proxy/velox/eventloop"
)

// The handshake, off the loop. An accepted connection first gets a
// handshaker as its Handler: its OnData copies the socket's bytes into the
// transport; the first bytes submit it to the pool, where one goroutine
// runs tls.Conn.Handshake, blocking in transport.Read until the loop feeds
// more. What the handshake writes goes back to the loop with Execute. When
// it ends, the loop installs the Session as the Conn's Transform and the
// next Acceptor's Handler, and the goroutine moves on to the next queued
// handshake or exits. A connection that has sent nothing holds no
// goroutine; an established one never does.

// Acceptor wraps next: every connection is TLS-terminated first, then
// next.Accept(c) runs on the loop with the handshake done (State(c) gives
// its Info, so next can choose a Handler by ALPN), then the Handler's
// OnOpen. The Handler sees plaintext only. A connection whose handshake
// fails never reaches next.
func (s *Server) Acceptor(next eventloop.Acceptor) eventloop.Acceptor {
	return acceptor{s: s, next: next}
}

type acceptor struct {
	s    *Server
	next eventloop.Acceptor
}

func (a acceptor) Accept(c *eventloop.Conn) eventloop.Handler {
	h := &handshaker{s: a.s, next: a.next, c: c}
	h.flush = h.flushOut
	h.t = newTransport(nil, net.TCPAddrFromAddrPort(c.RemoteAddr()), h.notify)
	h.tc = tls.Server(h.t, a.s.tls)
	return h
}

// handshaker is the Handler of a connection during its handshake.
type handshaker struct {
	// Immutable:
	s     *Server
	next  eventloop.Acceptor
	c     *eventloop.Conn
	t     *transport
	tc    *tls.Conn
	flush func() // flushOut, made once

	// Owned by the loop:
	timer   eventloop.Timer
	started bool // submitted to the pool
	over    bool // finished, failed or closed: nothing more to do
}

func (h *handshaker) OnOpen(c *eventloop.Conn) {
	h.timer.Init(c.Loop(), h.timeout)
	h.timer.Reset(h.s.cfg.HandshakeTimeout)
}

// maxHandshakeInput bounds what a handshake may have waiting unread (a
// queued one reads nothing): a ClientHello, even with a post-quantum key
// share, and a client's certificate chain fit many times over.
const maxHandshakeInput = 256 << 10

// errHandshakeInput is the cause of an ErrHandshake for a client that sent
// more than maxHandshakeInput before the handshake took it.
var errHandshakeInput = errors.New("tlsloop: handshake input over 256 KiB")

func (h *handshaker) OnData(c *eventloop.Conn, data []byte) int {
	if h.t.feed(data) > maxHandshakeInput {
		h.fail(&HandshakeError{Kind: ErrHandshake, Err: errHandshakeInput})
		return len(data)
	}
	if !h.started {
		h.started = true
		if !h.s.pool.submit(h) {
			h.fail(&HandshakeError{Kind: ErrQueueFull})
		}
	}
	return len(data)
}

func (h *handshaker) OnWritable(*eventloop.Conn) {}

func (h *handshaker) OnClose(c *eventloop.Conn, err error) {
	if h.over {
		return
	}
	h.over = true
	h.timer.Stop()
	h.t.Close()
	h.report(&HandshakeError{Kind: ErrAborted, Err: err})
}

// notify runs on the handshake goroutine when the handshake wrote.
func (h *handshaker) notify() { h.c.Loop().Execute(h.flush) }

// flushOut writes what the handshake wrote (on the loop).
func (h *handshaker) flushOut() {
	if out := h.t.takeOut(); len(out) > 0 && !h.c.Closed() {
		h.c.Write(out)
	}
}

// run is the handshake on a pool goroutine.
func (h *handshaker) run() {
	err := h.tc.Handshake()
	h.c.Loop().Execute(func() { h.finish(err) })
}

// timeout fires on the loop when the handshake took too long.
func (h *handshaker) timeout() {
	if !h.over {
		h.fail(&HandshakeError{Kind: ErrHandshakeTimeout})
	}
}

// finish runs on the loop when the handshake goroutine is done.
func (h *handshaker) finish(err error) {
	if h.over {
		return
	}
	h.flushOut()
	if err != nil {
		h.fail(classify(err, h.t))
		return
	}
	h.over = true
	h.timer.Stop()
	c := h.c
	h.t.toLoop(h.s.loopBufs(c.Loop()))
	sess := &Session{tc: h.tc, t: h.t, info: newInfo(h.tc.ConnectionState())}
	c.SetTransform(sess) // from here State(c) works and a Write is sealed
	if cb := h.s.cfg.Handshake; cb != nil {
		if err := cb(c, sess.info); err != nil {
			h.fail(&HandshakeError{Kind: ErrRefused, Err: err})
			return
		}
	}
	next := h.next.Accept(c)
	if next == nil {
		h.fail(&HandshakeError{Kind: ErrRefused})
		return
	}
	h.s.count.handshakes.Add(1)
	if sess.info.Resumed {
		h.s.count.resumed.Add(1)
	}
	c.SetHandler(next)
	next.OnOpen(c)
}

// fail ends a handshake with e: counted, reported, connection closed.
func (h *handshaker) fail(e *HandshakeError) {
	h.over = true
	h.timer.Stop()
	h.t.Close()
	h.report(e)
	h.c.Close()
}

func (h *handshaker) report(e *HandshakeError) {
	h.s.count.kindCounter(e.Kind).Add(1)
	if f := h.s.cfg.HandshakeError; f != nil {
		f(h.c, e)
	}
}

// pool runs handshakes: up to max goroutines at once, each taking the next
// queued handshake when its own ends, up to maxQueue waiting.
type pool struct {
	mu            sync.Mutex
	max, maxQueue int
	running       int
	queue         []*handshaker
}

// submit starts h or queues it; false when the queue is full.
func (p *pool) submit(h *handshaker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running < p.max {
		p.running++
		go p.work(h)
		return true
	}
	if len(p.queue) >= p.maxQueue {
		return false
	}
	p.queue = append(p.queue, h)
	return true
}

// work runs h, then queued handshakes until there are none.
func (p *pool) work(h *handshaker) {
	for h != nil {
		h.run()
		h = p.next()
	}
}

func (p *pool) next() *handshaker {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		p.running--
		return nil
	}
	h := p.queue[0]
	p.queue[0] = nil
	p.queue = p.queue[1:]
	if len(p.queue) == 0 {
		p.queue = nil
	}
	return h
}

func (p *pool) load() (running, queued int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running, len(p.queue)
}
