package tlsloop

import (
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"

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
	t := newTransport(nil, net.TCPAddrFromAddrPort(c.RemoteAddr()), nil)
	return newHandshaker(&a.s.core, serverSide(a), c, t, tls.Server(t, a.s.tls.Load()))
}

// core is what the handshakes of a Server or a Client share: the pool,
// the timeout, the counters and each loop's buffers.
type core struct {
	// Immutable:
	timeout  time.Duration
	certKind error // ErrClientCert or ErrServerCert: see classify

	// Shared, synchronised:
	pool   pool
	count  counters
	bufsMu sync.Mutex
	bufs   map[*eventloop.Loop]*loopBufs
}

func newCore(certKind error, timeout time.Duration, maxHS, queue int) core {
	return core{certKind: certKind, timeout: timeout, pool: pool{max: maxHS, maxQueue: queue}, bufs: map[*eventloop.Loop]*loopBufs{}}
}

// loopBufs returns l's shared buffers (made on l's first TLS connection).
func (e *core) loopBufs(l *eventloop.Loop) *loopBufs {
	e.bufsMu.Lock()
	defer e.bufsMu.Unlock()
	b := e.bufs[l]
	if b == nil {
		b = &loopBufs{}
		e.bufs[l] = b
	}
	return b
}

// side is what differs between the two ends of a handshake. All three run
// on the loop.
type side interface {
	// opened runs from OnOpen: a client starts its handshake here.
	opened(h *handshaker)
	// done runs after a successful handshake, with the Session installed;
	// it returns the connection's next Handler, or why it is refused.
	done(c *eventloop.Conn, sess *Session) (eventloop.Handler, *HandshakeError)
	// failed runs once when the handshake cannot finish (counted already,
	// c possibly closed already); err is a *HandshakeError, or for a
	// connection that never opened (a failed dial) the eventloop's error.
	failed(c *eventloop.Conn, err error)
}

// serverSide is the accepting end.
type serverSide acceptor

func (serverSide) opened(*handshaker) {}

func (a serverSide) done(c *eventloop.Conn, sess *Session) (eventloop.Handler, *HandshakeError) {
	if cb := a.s.cfg.Handshake; cb != nil {
		if err := cb(c, sess.info); err != nil {
			return nil, &HandshakeError{Kind: ErrRefused, Err: err}
		}
	}
	next := a.next.Accept(c)
	if next == nil {
		return nil, &HandshakeError{Kind: ErrRefused}
	}
	return next, nil
}

func (a serverSide) failed(c *eventloop.Conn, err error) {
	if f := a.s.cfg.HandshakeError; f != nil {
		f(c, err)
	}
	c.Close()
}

func newHandshaker(e *core, sd side, c *eventloop.Conn, t *transport, tc *tls.Conn) *handshaker {
	h := &handshaker{e: e, side: sd, c: c, t: t, tc: tc}
	h.flush = h.flushOut
	t.notify = h.notify
	return h
}

// handshaker is the Handler of a connection during its handshake.
type handshaker struct {
	// Immutable:
	e     *core
	side  side
	c     *eventloop.Conn // a dialled one's is set by OnOpen
	t     *transport
	tc    *tls.Conn
	flush func() // flushOut, made once

	// Owned by the loop:
	timer   eventloop.Timer
	opened  bool  // OnOpen ran
	started bool  // submitted to the pool
	closed  bool  // the connection closed while its handshake was in the pool: finish reports
	closeE  error // why it closed
	over    bool  // finished, failed or closed: nothing more to do
}

func (h *handshaker) OnOpen(c *eventloop.Conn) {
	h.c, h.opened = c, true
	h.timer.Init(c.Loop(), h.timeout)
	h.timer.Reset(h.e.timeout)
	h.side.opened(h)
}

// maxHandshakeInput bounds what a handshake may have waiting unread (a
// queued one reads nothing): a ClientHello, even with a post-quantum key
// share, and a client's certificate chain fit many times over.
const maxHandshakeInput = 256 << 10

// errHandshakeInput is the cause of an ErrHandshake for a peer that sent
// more than maxHandshakeInput before the handshake took it.
var errHandshakeInput = errors.New("tlsloop: handshake input over 256 KiB")

func (h *handshaker) OnData(c *eventloop.Conn, data []byte) int {
	if h.t.feed(data) > maxHandshakeInput {
		h.fail(&HandshakeError{Kind: ErrHandshake, Err: errHandshakeInput})
		return len(data)
	}
	h.start()
	return len(data)
}

// start submits the handshake to the pool, once: a server's on the first
// bytes of its client, a client's when connected.
func (h *handshaker) start() {
	if h.started || h.over {
		return
	}
	h.started = true
	if !h.e.pool.submit(h) {
		h.fail(&HandshakeError{Kind: ErrQueueFull})
	}
}

func (h *handshaker) OnWritable(*eventloop.Conn) {}

func (h *handshaker) OnClose(c *eventloop.Conn, err error) {
	if h.over {
		return
	}
	h.timer.Stop()
	h.t.Close()    // a handshake blocked reading gets net.ErrClosed
	if !h.opened { // a dial that failed: no handshake to count
		h.over = true
		h.side.failed(c, err)
		return
	}
	if h.started {
		// The handshake goroutine has it: it may have failed already (a
		// peer closes right after the alert it got), and its cause, not
		// "aborted", is the one to report. finish does, once.
		h.closed, h.closeE = true, err
		return
	}
	h.over = true
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
	if h.closed { // the connection is gone: report why the handshake ended
		h.over = true
		if err == nil || errors.Is(err, net.ErrClosed) {
			h.report(&HandshakeError{Kind: ErrAborted, Err: h.closeE})
		} else {
			h.report(classify(err, h.t, h.e.certKind))
		}
		return
	}
	h.flushOut()
	if err != nil {
		h.fail(classify(err, h.t, h.e.certKind))
		return
	}
	h.over = true
	h.timer.Stop()
	c := h.c
	h.t.toLoop(h.e.loopBufs(c.Loop()))
	sess := &Session{tc: h.tc, t: h.t, info: newInfo(h.tc.ConnectionState())}
	c.SetTransform(sess) // from here State(c) works and a Write is sealed
	next, herr := h.side.done(c, sess)
	if herr != nil {
		h.fail(herr)
		return
	}
	h.e.count.handshakes.Add(1)
	if sess.info.Resumed {
		h.e.count.resumed.Add(1)
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
}

// report counts e and hands it to the side, which closes the connection.
func (h *handshaker) report(e *HandshakeError) {
	h.e.count.kindCounter(e.Kind).Add(1)
	h.side.failed(h.c, e)
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
