package eventloop

import (
	"io"

	"golang.org/x/sys/unix"
)

// The read path. A Conn with no kept input reads into the loop's shared
// buffer and OnData sees that buffer directly (no copy). Only the bytes OnData
// leaves unconsumed are copied, into a pooled buffer owned by the Conn; while
// that buffer exists the Conn reads into it, after the kept bytes, and OnData
// sees the kept bytes followed by the new ones. The buffer goes back to the
// pool as soon as OnData consumes everything.

const minReadRoom = 4 << 10 // grow the kept buffer when less room is left

// onReadable performs one read on c and hands the input to OnData.
func (c *Conn) onReadable() {
	if len(c.in) == 0 || c.tr != nil {
		c.readShared()
		return
	}
	c.readKept()
}

// readShared reads into the loop's shared buffer.
func (c *Conn) readShared() {
	l := c.l
	n, err := rawRead(c.fd, l.buf)
	if n <= 0 {
		c.readEnd(err)
		return
	}
	l.stats.Reads++
	l.stats.ReadIn += uint64(n)
	data := l.buf[:n]
	if c.tr != nil {
		c.tr.Feed(data) // kept input is decoded bytes (transform.go)
		c.decodeAndDeliver()
		return
	}
	used := c.deliver(data)
	if used < n && !c.closed && c.failErr == nil {
		c.keep(data[used:])
	}
}

// readKept reads after the kept input, growing c's buffer as needed.
func (c *Conn) readKept() {
	c.growIn()
	k := len(c.in)
	n, err := rawRead(c.fd, c.in[k:cap(c.in)])
	if n <= 0 {
		c.readEnd(err)
		return
	}
	c.l.stats.Reads++
	c.l.stats.ReadIn += uint64(n)
	c.in = c.in[:k+n]
	c.deliverKept()
}

// readEnd handles a read that returned no bytes: EOF, EAGAIN or an error.
// At EOF any kept input is offered once more; if that OnData closes or
// pauses c, the EOF is seen again later. Then a HalfCloser handler may keep
// c open for writing (halfClosed); otherwise OnClose(c, io.EOF) runs.
func (c *Conn) readEnd(err error) {
	switch err {
	case unix.EAGAIN, unix.EINTR:
		return
	case nil:
		if len(c.in) > 0 {
			c.deliverKept()
			if c.closed || c.paused || c.failErr != nil {
				return
			}
		}
		if hc, ok := c.h.(HalfCloser); ok && hc.OnReadEOF(c) {
			c.halfClosed()
			return
		}
		c.closeWith(io.EOF)
	default:
		c.closeWith(err)
	}
}

// halfClosed stops reading c for good once its handler kept it after EOF.
func (c *Conn) halfClosed() {
	if c.closed || c.failErr != nil {
		return
	}
	c.rdDone = true
	c.freeIn()
	c.updateEvents()
}

// deliver calls OnData and checks what it returns. A Close inside OnData
// leaves c.in to be freed here, after OnData stopped looking at it.
func (c *Conn) deliver(data []byte) int {
	c.delivering = true
	used := c.h.OnData(c, data)
	c.delivering = false
	if c.closed {
		c.freeIn()
	}
	if used < 0 || used > len(data) {
		panic("eventloop: OnData consumed out of range")
	}
	return used
}

// deliverKept offers c.in to OnData and keeps what it leaves.
func (c *Conn) deliverKept() {
	used := c.deliver(c.in)
	if c.closed || used == 0 {
		c.checkInLimit()
		return
	}
	if used == len(c.in) {
		c.freeIn()
		return
	}
	k := copy(c.in, c.in[used:])
	c.in = c.in[:k]
	c.shrinkIn()
	c.checkInLimit()
}

// keep copies the unconsumed part of the shared buffer into c's own buffer.
func (c *Conn) keep(rest []byte) {
	if len(rest) > c.l.cfg.MaxInput {
		c.closeWith(ErrInputTooLarge)
		return
	}
	c.in = append(getBuf(max(2*len(rest), minReadRoom)), rest...)
}

// checkInLimit closes c when it keeps more input than Config.MaxInput.
func (c *Conn) checkInLimit() {
	if !c.closed && len(c.in) > c.l.cfg.MaxInput {
		c.closeWith(ErrInputTooLarge)
	}
}

// growIn doubles c.in's capacity when less than half of it, or less than
// minReadRoom, is free.
func (c *Conn) growIn() {
	k := len(c.in)
	free := cap(c.in) - k
	if free >= minReadRoom && free >= k {
		return
	}
	grown := append(getBuf(2*cap(c.in)), c.in...)
	putBuf(c.in)
	c.in = grown
}

// shrinkIn moves a small remainder out of a large buffer.
func (c *Conn) shrinkIn() {
	k := len(c.in)
	if cap(c.in) <= c.l.cfg.ReadBuffer || cap(c.in) < 8*k {
		return
	}
	small := append(getBuf(max(2*k, minReadRoom)), c.in...)
	putBuf(c.in)
	c.in = small
}

// freeIn returns c's input buffer to the pool.
func (c *Conn) freeIn() {
	putBuf(c.in)
	c.in = nil
}
