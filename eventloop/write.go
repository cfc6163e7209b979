package eventloop

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The write path. With nothing queued, Write goes straight to write(2) or
// writev(2) and copies only what the kernel did not take into c's output
// queue; EPOLLOUT is on exactly while the queue waits for the kernel. When it
// drains, EPOLLOUT goes off, a pending CloseWrite or CloseAfterFlush is
// carried out, and OnWritable runs.
//
// Gather copies into the queue without a syscall and links c into the loop's
// flush list; at the end of the iteration the loop writes each linked Conn's
// queue with writev(2) (flushGathered), and what the kernel leaves waits for
// EPOLLOUT as above. A Write or Writev while anything is queued joins the
// queue behind it, so bytes leave in the order they were given.
//
// A write that fails (EPIPE, ECONNRESET...) returns the error and dooms c:
// Closed reports true, later writes return the same error, and OnClose(c, err)
// runs from the loop at the end of the current iteration, never from inside
// the Write (which is usually called from some handler's OnData).

const maxIovecs = 64

// Write writes b, or queues what the kernel does not take (copying it). b may
// be reused once Write returns. Returns ErrClosed on a closed Conn or after
// CloseWrite/CloseAfterFlush, or the socket error that doomed c.
func (c *Conn) Write(b []byte) error {
	c.l.assertOwner()
	if c.tr != nil {
		return c.writeSealed(b, false)
	}
	return c.write(b)
}

// write is Write of socket bytes.
func (c *Conn) write(b []byte) error {
	if err := c.writeErr(); err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	if c.out.n > 0 || c.connecting {
		c.queue(b)
		return nil
	}
	n, err := rawWrite(c.fd, b)
	if n < 0 {
		n = 0
	}
	if err != nil && err != unix.EAGAIN && err != unix.EINTR {
		c.fail(err)
		return err
	}
	c.countWrite(n)
	if n < len(b) {
		c.queue(b[n:])
		c.updateEvents()
	}
	return nil
}

// Writev is Write for several slices with one writev(2).
func (c *Conn) Writev(bs ...[]byte) error {
	c.l.assertOwner()
	if c.tr != nil {
		return c.writevSealed(bs)
	}
	if err := c.writeErr(); err != nil {
		return err
	}
	if c.out.n > 0 || c.connecting {
		for _, b := range bs {
			c.queue(b)
		}
		return nil
	}
	n, err := c.writev(bs)
	if err != nil {
		c.fail(err)
		return err
	}
	for _, b := range bs {
		if n >= len(b) {
			n -= len(b)
			continue
		}
		c.queue(b[n:])
		n = 0
	}
	c.updateEvents()
	return nil
}

// writeErr is why c cannot take more output, if it cannot.
func (c *Conn) writeErr() error {
	switch {
	case c.failErr != nil:
		return c.failErr
	case c.closed || c.shutWr:
		return ErrClosed
	}
	return nil
}

// writev writes up to maxIovecs non-empty slices. EAGAIN counts as 0 bytes.
func (c *Conn) writev(bs [][]byte) (int, error) {
	iov := c.l.iov[:0]
	for _, b := range bs {
		if len(b) == 0 {
			continue
		}
		if len(iov) == maxIovecs {
			break
		}
		v := unix.Iovec{Base: unsafe.SliceData(b)}
		v.SetLen(len(b))
		iov = append(iov, v)
	}
	if len(iov) == 0 {
		return 0, nil
	}
	r, errno := rawWritev(c.fd, iov)
	clear(iov)
	switch errno {
	case 0:
		c.countWrite(int(r))
		return int(r), nil
	case unix.EAGAIN, unix.EINTR:
		return 0, nil
	}
	return 0, errno
}

func (c *Conn) countWrite(n int) {
	c.sent += uint64(n)
	c.l.stats.Writes++
	c.l.stats.WriteOut += uint64(n)
}

// queue copies b to the end of c's output queue and notes when the queue
// rises above the low watermark.
func (c *Conn) queue(b []byte) {
	c.out.push(b)
	if c.out.n > c.lowWater {
		c.overWater = true
	}
}

// writeQueue writes the front of the queue (up to maxIovecs chunks) with one
// writev(2) and reports whether the kernel took all of it. EAGAIN is false.
func (c *Conn) writeQueue() (bool, error) {
	iov, offered := c.out.iovecs(c.l.iov[:0])
	r, errno := rawWritev(c.fd, iov)
	clear(iov)
	switch errno {
	case 0:
	case unix.EAGAIN, unix.EINTR:
		return false, nil
	default:
		return false, errno
	}
	c.countWrite(r)
	c.out.advance(r)
	return r == offered, nil
}

// flush writes queued output on EPOLLOUT, one writev; see the file comment.
func (c *Conn) flush() {
	if c.out.n == 0 {
		c.updateEvents()
		return
	}
	if _, err := c.writeQueue(); err != nil {
		c.closeWith(err)
		return
	}
	c.afterFlush()
}

// afterFlush follows a flush: EPOLLOUT on while output is left; once it is
// all out, EPOLLOUT off and a pending CloseAfterFlush or CloseWrite carried
// out; then OnWritable if the queue came down through the low watermark.
func (c *Conn) afterFlush() {
	c.updateEvents()
	if c.out.n == 0 {
		if c.closeAtEnd {
			c.closeWith(nil)
			return
		}
		if c.shutWr && !c.wrDone {
			c.shutdownWrite()
		}
	}
	if !c.overWater || c.out.n > c.lowWater {
		return
	}
	c.overWater = false
	if c.h != nil && !c.closed && c.failErr == nil {
		c.h.OnWritable(c)
	}
}

// shutdownWrite sends FIN now.
func (c *Conn) shutdownWrite() {
	c.wrDone = true
	if err := unix.Shutdown(c.fd, unix.SHUT_WR); err != nil && err != unix.ENOTCONN {
		c.fail(err)
	}
}

// Sent is how many bytes the kernel has taken from c so far. A caller that
// times a slow reader compares it between two ticks: a change means the
// peer made progress, even while Buffered stays above zero.
func (c *Conn) Sent() uint64 { return c.sent }

// Buffered is the number of output bytes queued and not yet taken by the kernel.
func (c *Conn) Buffered() int { return c.out.n + len(c.plainG) }

// CloseWrite half-closes: shutdown(SHUT_WR) once the output queue is flushed.
// Later writes return ErrClosed; reading goes on. Idempotent.
func (c *Conn) CloseWrite() {
	c.l.assertOwner()
	if c.closed || c.shutWr {
		return
	}
	c.closeNotify()
	c.shutWr = true
	if c.out.n == 0 && !c.connecting {
		c.shutdownWrite()
	}
}

// CloseAfterFlush closes c once its output queue is flushed (or at once if
// empty, OnClose(c, nil) running before it returns). Later writes return
// ErrClosed; input that arrives meanwhile is still delivered.
func (c *Conn) CloseAfterFlush() {
	c.l.assertOwner()
	if c.closed {
		return
	}
	c.closeNotify()
	if c.out.n == 0 && !c.connecting {
		c.Close()
		return
	}
	c.shutWr = true
	c.closeAtEnd = true
}
