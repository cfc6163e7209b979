package eventloop

import (
	"io"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Conn is one non-blocking TCP socket registered on a loop. Loop only: every
// method must be called on the Conn's loop (from a callback, a Timer or an
// Execute task).
type Conn struct {
	// Immutable:
	l    *Loop
	fd   int
	gen  int32          // matches the epoll event's Pad
	peer netip.AddrPort // from accept4, or the Dial target

	// Owned by the loop:
	h           Handler
	ctx         any
	events      uint32 // epoll interest currently registered
	registered  bool   // in the epoll set
	closed      bool
	paused      bool
	connecting  bool
	shutWr      bool  // CloseWrite or CloseAfterFlush called: no more writes
	rdDone      bool  // the peer half-closed and the handler kept c: no more reads
	wrDone      bool  // shutdown(SHUT_WR) done
	closeAtEnd  bool  // CloseAfterFlush: close once the queue drains
	inPending   bool  // in l.pending
	redeliver   bool  // ResumeRead with kept input: OnData again
	delivering  bool  // inside OnData: c.in is in use
	failErr     error // a write failed or a connect failed at once; close pending
	in          []byte
	out         outQueue
	sent        uint64     // bytes the kernel took, for progress checks (Sent)
	dial        *dialState // while a Dial is connecting; nil otherwise
	lowWater    int        // SetLowWatermark; 0 = OnWritable when drained
	overWater   bool       // queued output rose above lowWater since the last OnWritable
	flushLinked bool       // in the loop's flush list (gather.go)
	flushNext   *Conn      // next in that list
	tr          Transform  // SetTransform (transform.go); nil = plain bytes
	plainG      []byte     // plaintext gathered for c.tr, sealed at once at the flush (transform.go)
}

// dialState is what only a connecting Conn needs; kept out of Conn so that
// the many accepted connections stay small.
type dialState struct {
	to    unix.Sockaddr // private copy for connect(2)
	timer Timer         // connect timeout
}

func newConn(l *Loop, fd int, peer netip.AddrPort) *Conn {
	c := &Conn{l: l, fd: fd, peer: peer}
	l.addConn(c)
	return c
}

// Loop returns the loop that owns c.
func (c *Conn) Loop() *Loop { return c.l }

// Fd returns c's socket. It stays valid until OnClose returns.
func (c *Conn) Fd() int { return c.fd }

// SetHandler replaces c's handler; the next event goes to h.
func (c *Conn) SetHandler(h Handler) { c.h = h }

// Context returns the value set by SetContext.
func (c *Conn) Context() any { return c.ctx }

// SetContext attaches a value to c for its handler's use.
func (c *Conn) SetContext(v any) { c.ctx = v }

// RemoteAddr returns the peer's address (from accept4, or the Dial target).
func (c *Conn) RemoteAddr() netip.AddrPort { return c.peer }

// Closed reports whether c is closed, or closing: a write failed and OnClose
// runs at the end of the current loop iteration.
func (c *Conn) Closed() bool { return c.closed || c.failErr != nil }

// Close closes c at once (queued output is dropped); OnClose runs before
// Close returns, with nil, or with the write error that already doomed c.
// Idempotent.
func (c *Conn) Close() {
	c.l.assertOwner()
	c.closeWith(c.failErr)
}

// closeWith releases everything c owns, then calls OnClose(c, err) once.
func (c *Conn) closeWith(err error) {
	if c.closed {
		return
	}
	c.closed = true
	if c.dial != nil {
		c.dial.timer.Stop()
	}
	if !c.delivering {
		c.freeIn()
	}
	c.out.reset()
	c.freePlainG()
	c.l.removeConn(c)
	unix.Close(c.fd)
	if c.h != nil {
		c.h.OnClose(c, err)
	}
}

// fail dooms c after a write error: writes and reads stop now, OnClose runs
// from the loop at the end of the iteration, never inside the caller's Write.
func (c *Conn) fail(err error) {
	if c.failErr == nil {
		c.failErr = err
		c.l.addPending(c)
	}
}

// runPending does c's deferred work (see Loop.runPending).
func (c *Conn) runPending() {
	switch {
	case c.closed:
	case c.failErr != nil:
		c.closeWith(c.failErr)
	case c.redeliver && c.tr != nil:
		c.redeliverTransformed()
	case c.redeliver:
		c.redeliver = false
		if !c.paused && len(c.in) > 0 {
			c.deliverKept()
		}
	}
}

// wantEvents is the epoll interest c's state calls for.
func (c *Conn) wantEvents() uint32 {
	if c.connecting {
		return unix.EPOLLOUT
	}
	var ev uint32
	if !c.paused && !c.rdDone {
		ev = unix.EPOLLIN | unix.EPOLLRDHUP
	}
	if c.out.n > 0 {
		ev |= unix.EPOLLOUT
	}
	return ev
}

// register adds c to the epoll set with the interest its state calls for.
func (c *Conn) register() error {
	c.events = c.wantEvents()
	ev := unix.EpollEvent{Events: c.events, Fd: int32(c.fd), Pad: c.gen}
	if err := unix.EpollCtl(c.l.epfd, unix.EPOLL_CTL_ADD, c.fd, &ev); err != nil {
		return err
	}
	c.registered = true
	return nil
}

// updateEvents brings the epoll interest in line with c's state, with one
// epoll_ctl at most, none when nothing changed.
func (c *Conn) updateEvents() {
	if c.closed {
		return
	}
	if !c.registered {
		if (!c.paused || c.out.n > 0) && c.failErr == nil {
			if err := c.register(); err != nil {
				c.fail(err)
			}
		}
		return
	}
	want := c.wantEvents()
	if want == c.events {
		return
	}
	c.events = want
	ev := unix.EpollEvent{Events: want, Fd: int32(c.fd), Pad: c.gen}
	if err := unix.EpollCtl(c.l.epfd, unix.EPOLL_CTL_MOD, c.fd, &ev); err != nil {
		c.fail(err)
	}
}

// detach takes c out of the epoll set. Used when the socket reports a hang-up
// while reading is paused: epoll reports EPOLLHUP whatever the interest, so
// leaving it in would spin. ResumeRead puts it back.
func (c *Conn) detach() {
	unix.EpollCtl(c.l.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	c.registered = false
}

// onEvent handles one epoll event for c.
func (c *Conn) onEvent(ev uint32) {
	if c.failErr != nil {
		return
	}
	if c.connecting {
		c.onConnect()
		return
	}
	if ev&unix.EPOLLERR != 0 {
		c.closeWith(socketError(c.fd, unix.ECONNRESET))
		return
	}
	if ev&unix.EPOLLOUT != 0 || (ev&unix.EPOLLHUP != 0 && c.out.n > 0) {
		c.flush() // after a hang-up this fails and closes c
		if c.closed || c.failErr != nil {
			return
		}
	}
	if ev&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP) == 0 {
		return
	}
	if c.rdDone {
		if ev&unix.EPOLLHUP != 0 {
			c.closeWith(io.EOF) // both ways down, nothing left to send
		}
		return
	}
	if c.paused {
		if ev&unix.EPOLLHUP != 0 {
			c.detach()
		}
		return
	}
	c.onReadable()
}

// socketError returns the pending SO_ERROR of fd, or def if there is none.
func socketError(fd int, def error) error {
	n, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return err
	}
	if n != 0 {
		return unix.Errno(n)
	}
	return def
}

// PauseRead stops OnData for c (EPOLLIN off) until ResumeRead. Idempotent.
// Called inside OnData, it takes effect when OnData returns: the bytes it
// did not consume are kept.
func (c *Conn) PauseRead() {
	c.l.assertOwner()
	if c.paused || c.closed {
		return
	}
	c.paused = true
	c.updateEvents()
}

// ResumeRead re-enables reading. If input is kept unconsumed, OnData runs
// again with it on the next loop iteration even without new bytes.
// ResumeRead on a Conn that is not paused does nothing.
func (c *Conn) ResumeRead() {
	c.l.assertOwner()
	if !c.paused || c.closed {
		return
	}
	c.paused = false
	c.updateEvents()
	if len(c.in) > 0 || c.tr != nil {
		c.redeliver = true
		c.l.addPending(c)
	}
}

// Paused reports whether reading is paused.
func (c *Conn) Paused() bool { return c.paused }
