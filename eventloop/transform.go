package eventloop

import "io"

// Transforms. A Transform sits between a Conn's socket and its Handler and
// rewrites the bytes both ways; TLS (package tlsloop) is the one velox has.
// With a Transform installed, the code that uses the Conn does not change:
// OnData receives decoded bytes (plaintext) with the usual consumed/kept
// contract, and Write, Writev and Gather take plaintext, which the Transform
// encodes before it joins the output queue. Everything below the queue
// (write(2), writev(2), EPOLLOUT, Flush, the end-of-iteration flush,
// Buffered, Sent, the low watermark) works on encoded bytes and is the same
// code as for a plain Conn.
//
// The read side: each read(2) lands in the loop's shared buffer as usual and
// is fed to the Transform; the Conn then pulls everything the Transform can
// decode into its own pooled input buffer (c.in, the same buffer that keeps
// unconsumed input of a plain Conn) and offers it to OnData. Pulling
// everything at once means no decoded bytes wait inside the Transform, so
// PauseRead, ResumeRead and MaxInput work unchanged on plaintext.
//
// A plain Conn pays one nil check per read and per Write, Writev, Gather,
// CloseWrite and CloseAfterFlush, and its escape analysis is unchanged: the
// slices given to Write, Writev and Gather are copied before they reach the
// Transform.

// Transform encodes and decodes a Conn's bytes (see the comment above).
// Every method is called on the Conn's loop.
type Transform interface {
	// Feed hands the Transform bytes read from the socket. raw stays valid
	// only until Read next reports that nothing more is decoded ((0, nil))
	// or fails; the Conn always reads until then before it reads the socket
	// again, so the Transform may hold raw instead of copying it.
	Feed(raw []byte)
	// Read copies decoded bytes into p (len(p) > 0). (0, nil) means nothing
	// more can be decoded from what was fed. An error ends the input:
	// io.EOF for an orderly end (a TLS close_notify), which the Conn treats
	// as the peer's EOF; anything else closes the Conn with that error.
	Read(p []byte) (int, error)
	// Seal encodes b for the socket; the result is taken with Output. b is
	// the Conn's own copy of what was written (Writev's slices joined),
	// valid only during the call. An error closes the Conn as a failed
	// write does.
	Seal(b []byte) error
	// CloseNotify encodes the end of the output (a TLS close_notify), for
	// CloseWrite and CloseAfterFlush.
	CloseNotify()
	// Output returns the socket bytes produced since the last call, by
	// Seal, CloseNotify or by Read itself (a TLS KeyUpdate answer, an
	// alert), and forgets them. The slice is valid until the next call of
	// any method.
	Output() []byte
}

// initialIn is the input buffer a transformed Conn decodes into: one whole
// TLS record's plaintext (16 KiB) per Read.
const initialIn = 16 << 10

// SetTransform installs t on c (nil removes it): from now on OnData gets
// what t decodes and Write, Writev and Gather go through t. Call it from a
// task, a timer or OnOpen, not inside OnData. Input c kept unconsumed is
// fed to t. On the next iteration, as after ResumeRead, c pulls what t can
// already decode (bytes fed to it before it was installed, as the end of a
// handshake) and offers it to OnData, and writes what t already produced.
func (c *Conn) SetTransform(t Transform) {
	c.l.assertOwner()
	c.tr = t
	if t == nil || c.closed {
		return
	}
	if len(c.in) > 0 {
		t.Feed(append([]byte(nil), c.in...)) // rare: held by t until pulled
		c.freeIn()
	}
	c.redeliver = true
	c.l.addPending(c)
}

// Transform returns the Transform installed on c, or nil.
func (c *Conn) Transform() Transform { return c.tr }

// redeliverTransformed is runPending's redelivery for a transformed Conn
// (after SetTransform or ResumeRead): it pulls what was fed, then delivers.
func (c *Conn) redeliverTransformed() {
	c.redeliver = false
	if !c.paused && !c.rdDone {
		c.decodeAndDeliver()
	}
}

// decodeAndDeliver pulls what c.tr decodes and offers it to OnData; an
// orderly end of the input is the peer's EOF.
func (c *Conn) decodeAndDeliver() {
	switch err := c.pullInput(); {
	case c.closed || c.failErr != nil:
	case err == io.EOF:
		c.readEnd(nil)
	case err != nil:
		c.closeWith(err)
	case len(c.in) > 0:
		c.deliverKept()
	}
}

// pullInput moves everything c.tr decodes into c.in, then writes what c.tr
// produced meanwhile. What one read decodes to is bounded by the read
// buffer plus one partial record, so this does not grow without end;
// deliverKept then checks MaxInput as for a plain Conn.
func (c *Conn) pullInput() error {
	var err error
	for {
		if cap(c.in) == 0 {
			c.in = getBuf(initialIn)
		} else {
			c.growIn()
		}
		k := len(c.in)
		var n int
		n, err = c.tr.Read(c.in[k:cap(c.in)])
		c.in = c.in[:k+n]
		if n == 0 || err != nil {
			break
		}
	}
	if len(c.in) == 0 {
		c.freeIn()
	}
	c.writeTransformOutput()
	return err
}

// writeTransformOutput writes what c.tr has produced, as socket bytes.
func (c *Conn) writeTransformOutput() {
	c.sealGathered()
	if out := c.tr.Output(); len(out) > 0 && !c.closed {
		c.write(out)
	}
}

// writeSealed is Write (gather false) or Gather (gather true) through c.tr.
// b is copied first: handing the caller's slice to an interface method
// would make it escape, and every Write of a plain Conn with it.
func (c *Conn) writeSealed(b []byte, gather bool) error {
	if err := c.writeErr(); err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	if gather && !c.connecting {
		c.gatherPlain(b)
		return nil
	}
	c.sealGathered()
	return c.seal(append(getBuf(len(b)), b...))
}

// Gather on a transformed Conn: the plaintext of every Gather of an
// iteration is joined in c.plainG and sealed at once when the Conn is
// flushed (the end of the iteration, or Flush; while c connects, each
// Gather is sealed on its own, as the queue then waits for the connect), so the frames an HTTP/2
// connection gathers become as few TLS records as their size allows
// instead of one record each. Whatever else writes to the Conn (Write,
// Writev, CloseWrite, CloseAfterFlush, the Transform's own output) seals
// what was gathered first, so the bytes keep their order; Buffered counts
// it.

// gatherPlain joins b to the plaintext waiting to be sealed and links c for
// the end-of-iteration flush.
func (c *Conn) gatherPlain(b []byte) {
	if c.plainG == nil {
		c.plainG = getBuf(len(b))
	}
	if len(c.plainG)+len(b) > cap(c.plainG) {
		grown := append(getBuf(len(c.plainG)+len(b)), c.plainG...)
		putBuf(c.plainG)
		c.plainG = grown
	}
	c.plainG = append(c.plainG, b...)
	c.l.linkFlush(c)
}

// sealGathered seals the gathered plaintext onto the output queue, without
// writing: c is linked for the flush, which writes it (or whoever called
// this queues behind it, keeping the order).
func (c *Conn) sealGathered() {
	if len(c.plainG) == 0 {
		return
	}
	plain := c.plainG
	c.plainG = nil
	if c.closed || c.failErr != nil {
		putBuf(plain)
		return
	}
	err := c.tr.Seal(plain)
	putBuf(plain)
	if err != nil {
		c.fail(err)
		return
	}
	if out := c.tr.Output(); len(out) > 0 {
		c.queue(out)
	}
}

// freePlainG drops gathered plaintext that will never be sealed (c closed).
func (c *Conn) freePlainG() {
	if c.plainG != nil {
		putBuf(c.plainG)
		c.plainG = nil
	}
}

// writevSealed is Writev through c.tr: the slices joined (so a head and a
// small body are one TLS record), as writeSealed copies.
func (c *Conn) writevSealed(bs [][]byte) error {
	if err := c.writeErr(); err != nil {
		return err
	}
	c.sealGathered()
	n := 0
	for _, b := range bs {
		n += len(b)
	}
	if n == 0 {
		return nil
	}
	p := getBuf(n)
	for _, b := range bs {
		p = append(p, b...)
	}
	return c.seal(p)
}

// seal encodes the pooled plain through c.tr, frees it, and writes the
// result.
func (c *Conn) seal(plain []byte) error {
	err := c.tr.Seal(plain)
	putBuf(plain)
	if err != nil {
		c.fail(err)
		return err
	}
	return c.write(c.tr.Output())
}

// closeNotify writes c.tr's end of output before CloseWrite or
// CloseAfterFlush shut the socket; nothing for a plain Conn.
func (c *Conn) closeNotify() {
	if c.tr == nil || c.closed || c.shutWr || c.failErr != nil {
		return
	}
	c.sealGathered()
	c.tr.CloseNotify()
	c.writeTransformOutput()
}
