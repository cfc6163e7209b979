package eventloop

import "golang.org/x/sys/unix"

// Gathered writes. A codec that writes many small frames per event (an
// HTTP/2 session: HEADERS, DATA, WINDOW_UPDATE for several streams, often
// from another Conn's OnData) Gathers them: each is copied into c's output
// queue, where consecutive small frames share a chunk (buffer.go), and c is
// linked into its loop's flush list. At the end of the iteration, after the
// ready events, tasks, timers and pending work, runFlushes writes each linked
// Conn's queue with writev(2) (maxIovecs chunks a call, again while the
// kernel takes all it is offered): one syscall for what would have been a
// write per frame. The list is intrusive (Conn.flushNext), so linking never
// allocates.

// Gather copies b into c's output queue without a syscall; the loop writes
// it, with everything else gathered on c, at the end of the current
// iteration (before it waits for events again), or earlier on Flush. b may
// be reused once Gather returns. A later Write or Writev on c queues behind
// the gathered bytes, so output keeps the order of the calls. On a Conn that
// is still connecting, the bytes go out once it connects. A failure of the
// deferred write dooms c as a failed Write does: OnClose(c, err) runs at the
// end of the iteration. Returns ErrClosed on a closed Conn or after
// CloseWrite/CloseAfterFlush, or the socket error that doomed c.
func (c *Conn) Gather(b []byte) error {
	c.l.assertOwner()
	if c.tr != nil {
		return c.writeSealed(b, true)
	}
	return c.gather(b)
}

// gather is Gather of socket bytes.
func (c *Conn) gather(b []byte) error {
	if err := c.writeErr(); err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	if c.out.n == 0 && !c.connecting {
		c.l.linkFlush(c)
	}
	c.queue(b)
	return nil
}

// Flush writes what was gathered on c now instead of at the end of the
// iteration; what the kernel does not take waits for EPOLLOUT. It does
// nothing when nothing gathered is waiting (output that waits for EPOLLOUT
// or for a connect stays where it is). Flush never calls the handler: a
// write error dooms c (OnClose at the end of the iteration), and OnWritable,
// a pending CloseWrite or CloseAfterFlush follow at the end of the iteration.
func (c *Conn) Flush() {
	c.l.assertOwner()
	c.sealGathered()
	if !c.flushLinked || !c.gatheredWaiting() {
		return
	}
	if err := c.writeGathered(); err != nil {
		c.fail(err)
		return
	}
	if c.out.n > 0 {
		c.updateEvents()
	}
}

// SetLowWatermark sets the level of queued output at which OnWritable runs:
// with n > 0, when the queue comes down from above n bytes to n or fewer;
// with n <= 0 (the default), when it has been fully flushed. The queue as it
// is when SetLowWatermark is called counts as the level it came from.
func (c *Conn) SetLowWatermark(n int) {
	c.l.assertOwner()
	c.lowWater = max(n, 0)
	c.overWater = c.out.n > c.lowWater
}

// gatheredWaiting reports whether c's queue waits for a gathered flush: not
// for EPOLLOUT, nor for a connect.
func (c *Conn) gatheredWaiting() bool {
	return c.out.n > 0 && !c.connecting && c.events&unix.EPOLLOUT == 0 &&
		!c.closed && c.failErr == nil
}

// writeGathered writes c's queue until it is empty or the kernel takes less
// than it is offered.
func (c *Conn) writeGathered() error {
	for c.out.n > 0 {
		all, err := c.writeQueue()
		if err != nil || !all {
			return err
		}
	}
	return nil
}

// flushGathered is c's end-of-iteration flush. Errors close c here: this is
// the end of the iteration, no caller's Write is on the stack.
func (c *Conn) flushGathered() {
	if c.closed || c.failErr != nil {
		return
	}
	c.sealGathered()
	if c.gatheredWaiting() {
		if err := c.writeGathered(); err != nil {
			c.closeWith(err)
			return
		}
	}
	c.afterFlush()
}

// linkFlush puts c at the tail of l's flush list, once.
func (l *Loop) linkFlush(c *Conn) {
	if c.flushLinked {
		return
	}
	c.flushLinked = true
	if l.flushTail == nil {
		l.flushHead = c
	} else {
		l.flushTail.flushNext = c
	}
	l.flushTail = c
}

// runFlushes flushes the Conns linked so far, in the order they were
// linked. Conns linked while it runs (from OnWritable or OnClose) wait for
// the next iteration, which then does not sleep.
func (l *Loop) runFlushes() {
	c := l.flushHead
	l.flushHead, l.flushTail = nil, nil
	for c != nil {
		next := c.flushNext
		c.flushNext, c.flushLinked = nil, false
		c.flushGathered()
		c = next
	}
}

// unlinkFlushes empties the flush list without flushing (loop shutdown).
func (l *Loop) unlinkFlushes() {
	for c := l.flushHead; c != nil; {
		next := c.flushNext
		c.flushNext, c.flushLinked = nil, false
		c = next
	}
	l.flushHead, l.flushTail = nil, nil
}

// Backlogged reports whether output waits for the socket to take it
// (EPOLLOUT is armed): the peer is not reading as fast as c writes. Bytes
// gathered in this iteration and not yet offered to the kernel do not
// count.
func (c *Conn) Backlogged() bool {
	c.l.assertOwner()
	return c.events&unix.EPOLLOUT != 0
}
