package h2

// Decoder reads the frames of one connection. Besides what ReadFrame checks,
// it holds the one rule that spans frames (RFC 9113 sections 4.3 and 6.10):
// a header block that HEADERS or PUSH_PROMISE opens without END_HEADERS goes
// on with CONTINUATION frames on the same stream, and with no other frame in
// between; a CONTINUATION anywhere else is a connection error PROTOCOL_ERROR.
//
// A Decoder is owned by the connection's loop; its zero value reads with
// DefaultMaxFrameSize.
type Decoder struct {
	// MaxFrameSize is the SETTINGS_MAX_FRAME_SIZE this endpoint advertised
	// and the peer acknowledged; 0 means DefaultMaxFrameSize.
	MaxFrameSize uint32

	// headerStream is the stream whose header block is open, or 0.
	headerStream uint32
}

// ReadFrame decodes the frame at the start of buf, as the function ReadFrame
// does, and checks that it may come next.
func (d *Decoder) ReadFrame(buf []byte) (f Frame, n int, err error) {
	limit := d.MaxFrameSize
	if limit == 0 {
		limit = DefaultMaxFrameSize
	}
	f, n, err = ReadFrame(buf, limit)
	if len(buf) >= FrameHeaderLen && !d.inOrder(f.FrameHeader) {
		return f, n, errProtocol
	}
	if n == 0 {
		return f, n, err
	}
	if _, ok := err.(ConnectionError); ok {
		return f, n, err
	}
	d.track(f.FrameHeader)
	return f, n, err
}

// inOrder reports whether a frame with header h may follow what was read.
func (d *Decoder) inOrder(h FrameHeader) bool {
	if d.headerStream != 0 {
		return h.Type == FrameContinuation && h.StreamID == d.headerStream
	}
	return h.Type != FrameContinuation
}

// track opens or closes the header block after a frame is read.
func (d *Decoder) track(h FrameHeader) {
	switch h.Type {
	case FrameHeaders, FramePushPromise, FrameContinuation:
		if h.Flags.Has(FlagHeadersEndHeaders) {
			d.headerStream = 0
		} else {
			d.headerStream = h.StreamID
		}
	}
}

// InHeaderBlock reports whether a header block is open, waiting for
// CONTINUATION frames.
func (d *Decoder) InHeaderBlock() bool { return d.headerStream != 0 }
