package h2

// What the owner sends: streams opened, heads, data, trailers, resets and
// flow-control credit.

// CanOpen reports whether OpenStream would succeed: client role, no GOAWAY
// either way, fewer active streams than the peer's MAX_CONCURRENT_STREAMS
// (100 until its SETTINGS arrive, as x/net assumes), ids left.
func (c *Conn) CanOpen() bool {
	return c.role == Client && c.err == nil && !c.goAway.any() &&
		uint32(c.streams.len()) < c.peer.maxConcurrent && c.nextID <= maxStreamID
}

// OpenStream (client role) takes the next odd stream id. The stream is
// idle until WriteHeaders: write its head before opening the next one
// (section 5.1.1: a higher id's HEADERS would close it).
func (c *Conn) OpenStream() (id uint32, ok bool) {
	if !c.CanOpen() {
		return 0, false
	}
	id = c.nextID
	c.nextID += 2
	c.streams.add(id, int64(c.peer.initialWindow), uint32(c.recvInit))
	c.stats.StreamsOpened++
	return id, true
}

// WriteHeaders queues a head: the request (client role, once per stream)
// or a response (server role: any number of 1xx heads, then one final
// head). It is split into HEADERS and CONTINUATION frames by the peer's
// MAX_FRAME_SIZE. It returns ErrStreamState if the stream cannot take it.
func (c *Conn) WriteHeaders(id uint32, h *Head, endStream bool) error {
	s, err := c.sendable(id)
	if err != nil {
		return err
	}
	if c.role == Client {
		if s.headSent || id < c.lastHeadID {
			return ErrStreamState
		}
		c.lastHeadID = id
		s.noBody = string(h.Method) == "HEAD"
	} else {
		info := h.Status < 200
		if s.finalSent || (info && endStream) {
			return ErrStreamState
		}
		s.finalSent = !info
	}
	s.headSent = true
	c.hbuf = c.henc.AppendBlock(c.hbuf[:0], h)
	c.writeBlock(s, endStream)
	return nil
}

// WriteTrailers queues trailers: a HEADERS with END_STREAM, after the
// (final) head.
func (c *Conn) WriteTrailers(id uint32, fields []Field) error {
	s, err := c.sendable(id)
	if err != nil {
		return err
	}
	if !s.headSent || (c.role == Server && !s.finalSent) {
		return ErrStreamState
	}
	c.hbuf = c.henc.AppendTrailers(c.hbuf[:0], fields)
	c.writeBlock(s, true)
	return nil
}

// sendable finds a stream we may still send on.
func (c *Conn) sendable(id uint32) (*stream, error) {
	if c.err != nil {
		return nil, ErrConnClosed
	}
	s := c.streams.get(id)
	if s == nil || !s.canSend() {
		return nil, ErrStreamState
	}
	return s, nil
}

// writeBlock queues the block in c.hbuf on s.
func (c *Conn) writeBlock(s *stream, end bool) {
	c.out = AppendHeaders(c.out, s.id, end, c.hbuf, c.peer.maxFrame)
	if end {
		c.endLocal(s)
	}
}

// endLocal: we sent END_STREAM on s.
func (c *Conn) endLocal(s *stream) {
	s.localEnd = true
	c.maybeClose(s.id)
}

// WriteData queues up to len(data) bytes as DATA frames within the
// stream's and the connection's send windows and the peer's MAX_FRAME_SIZE,
// and returns how many it took. END_STREAM is set only if it took all of
// data; with empty data and endStream it sends an empty DATA with
// END_STREAM. A short count means: wait for OnSendWindow. 0 if the stream
// cannot send data (no head yet, ended, unknown).
func (c *Conn) WriteData(id uint32, data []byte, endStream bool) (n int) {
	s, err := c.sendable(id)
	if err != nil || !s.headSent || (c.role == Server && !s.finalSent) {
		return 0
	}
	for {
		k := min(s.send.avail(), c.sendConn.avail(), int(c.peer.maxFrame), len(data)-n)
		last := n+k == len(data)
		if k == 0 && !(last && endStream) {
			return n
		}
		c.out = AppendData(c.out, id, last && endStream, data[n:n+k])
		s.send -= sendWindow(k)
		c.sendConn -= sendWindow(k)
		n += k
		if k > 0 {
			c.control.refill()
			c.windows.refillN(1 + k/windowBytesPerUpdate)
		}
		if last {
			if endStream {
				c.endLocal(s)
			}
			return n
		}
	}
}

// SendWindow is what WriteData could send on stream id now: the smaller of
// its window and the connection's (0 for an unknown stream).
func (c *Conn) SendWindow(id uint32) int {
	s := c.streams.get(id)
	if s == nil {
		return 0
	}
	return min(s.send.avail(), c.sendConn.avail())
}

// Reset ends stream id with RST_STREAM(code) (none if the stream's HEADERS
// were never sent) and forgets it: a late frame of it is ignored (sections
// 5.4.2, 6.4), its DATA still counted against the connection window and
// credited back. No Handler event follows for it.
func (c *Conn) Reset(id uint32, code ErrCode) {
	s := c.streams.get(id)
	if s == nil || c.err != nil {
		return
	}
	if s.headSent || c.role == Server {
		c.appendReset(id, code)
	}
	c.streams.remove(id, true)
}

// Consume gives back flow-control credit for n bytes of stream id that
// OnData delivered and the owner passed on. A WINDOW_UPDATE goes out for
// the connection and for the stream each time half of its window has been
// consumed, not per call; a stream already gone, or that the peer ended,
// gets none (the connection's credit still counts).
func (c *Conn) Consume(id uint32, n int) {
	if c.err != nil || n <= 0 {
		return
	}
	c.credit(c.streams.get(id), n)
}
