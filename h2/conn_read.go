package h2

// Feed and the handlers of the frames that are not header blocks.

// frameHandler handles one frame. serr is the stream error ReadFrame found
// in it (0 for none): the frame was still parsed as far as it could be.
type frameHandler func(c *Conn, f Frame, serr ErrCode) error

// frameHandlers dispatches on the frame type; unknown types are ignored
// (RFC 9113 section 5.5).
var frameHandlers = [...]frameHandler{
	FrameData:         (*Conn).onData,
	FrameHeaders:      (*Conn).onHeaders,
	FramePriority:     (*Conn).onPriority,
	FrameRSTStream:    (*Conn).onRSTStream,
	FrameSettings:     (*Conn).onSettings,
	FramePushPromise:  (*Conn).onPushPromise,
	FramePing:         (*Conn).onPing,
	FrameGoAway:       (*Conn).onGoAway,
	FrameWindowUpdate: (*Conn).onWindowUpdate,
	FrameContinuation: (*Conn).onContinuation,
}

// Feed consumes whole frames from in (server role: the client preface
// first) and returns how many bytes it took; the owner keeps the rest and
// calls again with more. Handler events are delivered during the call. A
// non-nil error is a ConnectionError: GOAWAY(code) is queued in Output, the
// owner writes Output and closes. After an error Feed consumes nothing.
func (c *Conn) Feed(in []byte) (n int, err error) {
	for c.err == nil {
		k, more := c.step(in[n:])
		n += k
		if !more {
			break
		}
	}
	return n, c.err
}

// step consumes the preface or one frame, and reports whether to go on.
func (c *Conn) step(in []byte) (n int, more bool) {
	if !c.preface {
		return c.readPreface(in)
	}
	if len(in) >= FrameHeaderLen && c.checkHeader(ParseFrameHeader(in)) != nil {
		return 0, false
	}
	f, n, err := c.fr.ReadFrame(in)
	var serr ErrCode
	switch e := err.(type) {
	case nil:
	case StreamError:
		serr = e.Code
	case ConnectionError:
		c.fail(ErrCode(e))
		return n, false
	default: // errNeedMore
		return 0, false
	}
	if f.Type.Known() {
		frameHandlers[f.Type](c, f, serr)
	}
	return n, c.err == nil
}

// readPreface reads the client preface (section 3.4).
func (c *Conn) readPreface(in []byte) (int, bool) {
	n, err := ReadPreface(in)
	if err == ErrBadPreface {
		c.fail(ErrCodeProtocol)
	}
	c.preface = err == nil
	return n, err == nil
}

// checkHeader applies the rules that need only a frame's header, before its
// payload is in: the peer's first frame is SETTINGS (section 3.4), and a
// header block may not outgrow MaxHeaderBlock (the CONTINUATION flood).
func (c *Conn) checkHeader(h FrameHeader) error {
	if !c.settings && (h.Type != FrameSettings || h.Flags.Has(FlagSettingsAck)) {
		return c.fail(ErrCodeProtocol)
	}
	size := uint64(h.Length)
	switch h.Type {
	case FrameContinuation:
		size += uint64(len(c.block))
	case FrameHeaders:
	default:
		return nil
	}
	if size > uint64(c.cfg.MaxHeaderBlock) {
		return c.fail(ErrCodeEnhanceYourCalm)
	}
	return nil
}

// countEmpty counts consecutive frames that carry nothing (MaxEmptyFrames).
func (c *Conn) countEmpty(empty bool) error {
	if !empty {
		c.emptyFrames = 0
		return nil
	}
	c.emptyFrames++
	if c.emptyFrames > c.cfg.MaxEmptyFrames {
		return c.fail(ErrCodeEnhanceYourCalm)
	}
	return nil
}

// onData: section 6.1, with receive flow control (section 6.9) and the
// content-length check (section 8.1.1).
func (c *Conn) onData(f Frame, _ ErrCode) error {
	end := f.Flags.Has(FlagDataEndStream)
	if !c.recvConn.take(int(f.Length)) {
		return c.fail(ErrCodeFlowControl)
	}
	if err := c.countEmpty(len(f.Data) == 0 && !end); err != nil {
		return err
	}
	s := c.streams.get(f.StreamID)
	if s == nil {
		return c.dataOnInactive(f)
	}
	if code := c.acceptData(s, f); code != ErrCodeNo {
		c.creditConn(int(f.Length))
		return c.streamError(s.id, code)
	}
	if len(f.Data) > 0 {
		c.control.refill()
	}
	c.credit(s, int(f.Length)-len(f.Data)) // padding
	s.remoteEnd = end
	c.h.OnData(f.StreamID, f.Data, end)
	if end {
		c.maybeClose(f.StreamID)
	}
	return nil
}

// acceptData checks a DATA frame against the stream's state, window and
// content-length, and returns the stream error it deserves, if any.
func (c *Conn) acceptData(s *stream, f Frame) ErrCode {
	switch {
	case s.remoteEnd:
		return ErrCodeStreamClosed
	case !s.headRecv:
		return ErrCodeProtocol
	case !s.recv.take(int(f.Length)):
		return ErrCodeFlowControl
	}
	s.gotLen += int64(len(f.Data))
	if !s.lengthOK(f.Flags.Has(FlagDataEndStream)) {
		return ErrCodeProtocol
	}
	return ErrCodeNo
}

// dataOnInactive: DATA on an idle stream is PROTOCOL_ERROR (section 5.1);
// on a closed one STREAM_CLOSED, unless we reset it (then it is a late
// frame, ignored). Its bytes are credited back to the connection.
func (c *Conn) dataOnInactive(f Frame) error {
	if !c.closedID(f.StreamID) {
		return c.fail(ErrCodeProtocol)
	}
	c.creditConn(int(f.Length))
	if _, byUs := c.streams.recentlyClosed(f.StreamID); byUs || c.role == Client && c.localStream(f.StreamID) {
		return nil // late: a client resets many of its streams (a proxy cancelling), which the ring forgets
	}
	if err := c.spendControl(); err != nil {
		return err
	}
	c.streams.remember(f.StreamID, true) // one RST_STREAM is enough
	return c.answerReset(f.StreamID, ErrCodeStreamClosed)
}

// onRSTStream: section 6.4, with the rapid-reset budget (CVE-2023-44487).
func (c *Conn) onRSTStream(f Frame, _ ErrCode) error {
	if err := c.spendControl(); err != nil {
		return err
	}
	s := c.streams.get(f.StreamID)
	if s == nil {
		if !c.closedID(f.StreamID) {
			return c.fail(ErrCodeProtocol)
		}
		return nil
	}
	c.stats.ResetsReceived[codeSlot(f.Code)]++
	rapid := c.role == Server && !s.finalSent
	c.streams.remove(f.StreamID, false)
	c.h.OnReset(f.StreamID, f.Code, true)
	if rapid && !c.reset.spend() {
		return c.fail(ErrCodeEnhanceYourCalm)
	}
	if c.role == Client {
		c.h.OnCapacity()
	}
	return nil
}

// onPriority: section 6.3, parsed and ignored, but a self-dependency or a
// bad length is a stream error (section 5.3.1).
func (c *Conn) onPriority(f Frame, serr ErrCode) error {
	if err := c.spendControl(); err != nil {
		return err
	}
	if serr == ErrCodeNo {
		return nil
	}
	if c.streams.get(f.StreamID) != nil {
		return c.streamError(f.StreamID, serr)
	}
	return c.answerReset(f.StreamID, serr)
}

// onPushPromise: we advertise ENABLE_PUSH=0, and a client never pushes
// (section 8.4): PROTOCOL_ERROR.
func (c *Conn) onPushPromise(Frame, ErrCode) error { return c.fail(ErrCodeProtocol) }

// onWindowUpdate: section 6.9.
func (c *Conn) onWindowUpdate(f Frame, serr ErrCode) error {
	if err := c.spendWindowUpdate(f.Increment); err != nil {
		return err
	}
	if f.StreamID == 0 {
		if !c.sendConn.add(int64(f.Increment)) {
			return c.fail(ErrCodeFlowControl)
		}
		c.h.OnSendWindow(0)
		return nil
	}
	s := c.streams.get(f.StreamID)
	switch {
	case s == nil && !c.closedID(f.StreamID):
		return c.fail(ErrCodeProtocol)
	case s == nil && serr != ErrCodeNo: // a zero increment is an error in any state
		return c.answerReset(f.StreamID, serr)
	case s == nil:
		return nil
	case serr != ErrCodeNo:
		return c.streamError(s.id, serr)
	case !s.send.add(int64(f.Increment)):
		return c.streamError(s.id, ErrCodeFlowControl)
	}
	c.h.OnSendWindow(f.StreamID)
	return nil
}

// streamError resets an active stream after its peer broke a rule, and
// tells the Handler (remote=false). On a server, a stream reset before its
// response spends the rapid-reset budget like a reset by the client: a
// peer can make us reset streams with bad frames as easily as with
// RST_STREAM ("MadeYouReset", CVE-2025-8671).
func (c *Conn) streamError(id uint32, code ErrCode) error {
	rapid := c.role == Server && !c.streams.get(id).finalSent
	c.streams.remove(id, true)
	if err := c.answerReset(id, code); err != nil {
		return err
	}
	c.h.OnReset(id, code, false)
	if rapid && !c.reset.spend() {
		return c.fail(ErrCodeEnhanceYourCalm)
	}
	if c.role == Client {
		c.h.OnCapacity()
	}
	return nil
}

// answerReset queues RST_STREAM in answer to the peer: it counts against
// MaxControlQueue.
func (c *Conn) answerReset(id uint32, code ErrCode) error {
	c.appendReset(id, code)
	return c.queueControl(FrameHeaderLen + 4)
}

func (c *Conn) appendReset(id uint32, code ErrCode) {
	c.out = AppendRSTStream(c.out, id, code)
	c.stats.ResetsSent[codeSlot(code)]++
}

// maybeClose forgets stream id once both ends sent END_STREAM. A stream
// that ends normally refills the rapid-reset budget.
func (c *Conn) maybeClose(id uint32) {
	s := c.streams.get(id)
	if s == nil || !s.localEnd || !s.remoteEnd {
		return
	}
	c.streams.remove(id, false)
	c.reset.refill()
	if c.role == Client {
		c.h.OnCapacity()
	}
}

// creditConn gives n received bytes back to the connection window.
func (c *Conn) creditConn(n int) {
	if inc := c.recvConn.credit(n, c.cfg.ConnWindowSize); inc > 0 {
		c.out = AppendWindowUpdate(c.out, 0, inc)
	}
}

// credit gives n received bytes back to the connection window and to s's,
// while the peer may still send on s.
func (c *Conn) credit(s *stream, n int) {
	if n <= 0 {
		return
	}
	c.creditConn(n)
	if s == nil || s.remoteEnd {
		return
	}
	if inc := s.recv.credit(n, uint32(c.recvInit)); inc > 0 {
		c.out = AppendWindowUpdate(c.out, s.id, inc)
	}
}
