package h2

// Header blocks: HEADERS and its CONTINUATIONs (RFC 9113 sections 4.3,
// 6.2, 6.10), decoded whatever becomes of the stream, since the HPACK state
// is the connection's; then the stream rules of sections 5.1 and 8.1.

// blockState describes the header block being received.
type blockState struct {
	id       uint32
	end      bool    // the HEADERS had END_STREAM
	serr     ErrCode // a stream error ReadFrame found in the HEADERS
	tooLarge bool    // the decoded list is over MaxHeaderListSize
}

// onHeaders starts a header block; a block without END_HEADERS is copied
// into c.block, bounded by MaxHeaderBlock (checkHeader).
func (c *Conn) onHeaders(f Frame, serr ErrCode) error {
	c.blk = blockState{id: f.StreamID, end: f.Flags.Has(FlagHeadersEndStream), serr: serr}
	if f.Flags.Has(FlagHeadersEndHeaders) {
		return c.endBlock(f.Data)
	}
	c.block = append(c.block[:0], f.Data...)
	return c.countEmpty(len(f.Data) == 0)
}

// onContinuation goes on with the block (Decoder checked the order).
func (c *Conn) onContinuation(f Frame, _ ErrCode) error {
	c.block = append(c.block, f.Data...)
	if f.Flags.Has(FlagContinuationEndHeaders) {
		return c.endBlock(c.block)
	}
	return c.countEmpty(len(f.Data) == 0)
}

// endBlock decodes a complete block and hands it to the role's rules.
func (c *Conn) endBlock(block []byte) error {
	id := c.blk.id
	kind := HeadRequest
	if c.role == Client {
		kind = HeadResponse
	}
	if s := c.streams.get(id); s != nil && s.headRecv {
		kind = HeadTrailers
	}
	h, err := c.hdec.Decode(block, kind)
	c.block = c.block[:0]
	bad := c.blk.serr
	switch e := err.(type) {
	case nil:
	case StreamError:
		bad = cmp0(bad, e.Code)
	case ConnectionError:
		return c.fail(ErrCode(e))
	default:
		if err != ErrHeaderListTooLarge {
			return c.fail(ErrCodeCompression)
		}
		bad, c.blk.tooLarge = cmp0(bad, ErrCodeProtocol), true
	}
	if c.role == Server {
		return c.serverHead(id, h, bad)
	}
	return c.clientHead(id, h, bad)
}

// cmp0 returns a unless it is 0, else b.
func cmp0(a, b ErrCode) ErrCode {
	if a != ErrCodeNo {
		return a
	}
	return b
}

// serverHead: a request head opens a stream (section 5.1.1: odd, and above
// every id the client used), a second block is trailers. bad is the stream
// error the block already deserves.
func (c *Conn) serverHead(id uint32, h *Head, bad ErrCode) error {
	if id%2 == 0 {
		return c.fail(ErrCodeProtocol)
	}
	if s := c.streams.get(id); s != nil {
		return c.trailers(s, h, bad)
	}
	if id <= c.maxPeerID {
		return c.headersOnClosed(id)
	}
	c.maxPeerID = id
	switch {
	case c.goAway.sent == goAwayFinal || uint32(c.streams.len()) >= c.cfg.MaxConcurrentStreams:
		return c.refuse(id)
	case bad == ErrCodeNo && c.blk.end && h.ContentLength > 0:
		bad = ErrCodeProtocol
	}
	switch {
	case c.blk.tooLarge && c.blk.serr == ErrCodeNo:
		return c.reject431(id)
	case bad != ErrCodeNo:
		c.streams.remember(id, true)
		return c.answerReset(id, bad)
	}
	c.openPeerStream(id, h)
	return nil
}

// reject431 answers a request whose header list is over MaxHeaderListSize
// with 431 (RFC 6585 section 5, as nginx does) and, if the request goes on,
// RST_STREAM(NO_ERROR) to stop its body (RFC 9113 section 8.1). The Handler
// never hears of the stream.
func (c *Conn) reject431(id uint32) error {
	n := len(c.out)
	c.hbuf = c.henc.AppendBlock(c.hbuf[:0], &Head{Status: 431, ContentLength: -1})
	c.out = AppendHeaders(c.out, id, true, c.hbuf, c.peer.maxFrame)
	if !c.blk.end {
		c.appendReset(id, ErrCodeNo)
	}
	c.streams.remember(id, true)
	return c.queueControl(len(c.out) - n)
}

// openPeerStream makes the stream a request head opened and tells the
// Handler.
func (c *Conn) openPeerStream(id uint32, h *Head) {
	s := c.streams.add(id, int64(c.peer.initialWindow), uint32(c.recvInit))
	s.headRecv, s.remoteEnd, s.wantLen = true, c.blk.end, h.ContentLength
	c.stats.StreamsOpened++
	c.control.refill()
	c.emptyFrames = 0
	c.h.OnHeaders(id, h, false, c.blk.end)
}

// refuse answers a stream over MaxConcurrentStreams, or opened after our
// final GOAWAY, with REFUSED_STREAM: the client may retry it. Refusals
// spend the control budget.
func (c *Conn) refuse(id uint32) error {
	if err := c.spendControl(); err != nil {
		return err
	}
	c.streams.remember(id, true)
	return c.answerReset(id, ErrCodeRefusedStream)
}

// headersOnClosed: HEADERS on a closed stream is STREAM_CLOSED (section
// 5.1), ignored if we reset the stream (a late frame); on an id that was
// never opened it is a stream id going backwards: PROTOCOL_ERROR
// (section 5.1.1).
func (c *Conn) headersOnClosed(id uint32) error {
	found, byUs := c.streams.recentlyClosed(id)
	switch {
	case byUs, !found && c.role == Client:
		// A late frame on a stream we reset; a client role (velox's
		// upstream side) resets more streams at once than the ring holds,
		// and its ids below the next one were all opened by it (section
		// 5.1: frames after our RST_STREAM are ignored).
		return nil
	case found:
		return c.fail(ErrCodeStreamClosed)
	}
	return c.fail(ErrCodeProtocol)
}

// trailers: a block after the head ends the stream (section 8.1): without
// END_STREAM it is malformed, after END_STREAM the stream is half-closed
// (remote) and it is STREAM_CLOSED.
func (c *Conn) trailers(s *stream, h *Head, bad ErrCode) error {
	switch {
	case s.remoteEnd:
		bad = ErrCodeStreamClosed
	case !c.blk.end:
		bad = ErrCodeProtocol
	case bad == ErrCodeNo && !s.lengthOK(true):
		bad = ErrCodeProtocol
	}
	if bad != ErrCodeNo {
		return c.streamError(s.id, bad)
	}
	s.remoteEnd = true
	c.h.OnHeaders(s.id, h, true, true)
	c.maybeClose(s.id)
	return nil
}

// clientHead: a response head on a stream we opened: 1xx heads first, then
// one final head, then trailers. The server opens no stream (no push).
func (c *Conn) clientHead(id uint32, h *Head, bad ErrCode) error {
	s := c.streams.get(id)
	if s == nil {
		if !c.localStream(id) || !c.closedID(id) {
			return c.fail(ErrCodeProtocol)
		}
		return c.headersOnClosed(id)
	}
	if !s.headSent {
		return c.fail(ErrCodeProtocol)
	}
	if s.headRecv {
		return c.trailers(s, h, bad)
	}
	if bad == ErrCodeNo && h.Status < 200 && c.blk.end {
		bad = ErrCodeProtocol
	}
	if bad != ErrCodeNo {
		return c.streamError(id, bad)
	}
	if h.Status < 200 {
		c.h.OnHeaders(id, h, false, false)
		return nil
	}
	return c.finalResponse(s, h)
}

// finalResponse takes the final response head: a 304 or the answer to a
// HEAD request has a content-length but no body.
func (c *Conn) finalResponse(s *stream, h *Head) error {
	s.headRecv, s.wantLen = true, h.ContentLength
	s.noBody = s.noBody || h.Status == 304
	if c.blk.end && !s.lengthOK(true) {
		return c.streamError(s.id, ErrCodeProtocol)
	}
	s.remoteEnd = c.blk.end
	c.h.OnHeaders(s.id, h, false, c.blk.end)
	if c.blk.end {
		c.maybeClose(s.id)
	}
	return nil
}
