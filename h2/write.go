package h2

import "encoding/binary"

// The Append* functions write frames at the end of dst and return the
// extended slice, like strconv.AppendInt: they do not allocate when dst has
// room. They do not check what the connection layer owns (stream states, flow
// control windows, the peer's SETTINGS_MAX_FRAME_SIZE for DATA); they write
// no padding, and mask the reserved bit of stream ids.

// AppendFrameHeader writes a frame header. h.Length must fit in 24 bits.
func AppendFrameHeader(dst []byte, h FrameHeader) []byte {
	return append(dst, byte(h.Length>>16), byte(h.Length>>8), byte(h.Length),
		byte(h.Type), byte(h.Flags),
		byte(h.StreamID>>24&0x7f), byte(h.StreamID>>16), byte(h.StreamID>>8), byte(h.StreamID))
}

func appendUint32(dst []byte, v uint32) []byte {
	return binary.BigEndian.AppendUint32(dst, v)
}

// AppendData writes one DATA frame (RFC 9113 section 6.1). len(data) must
// not exceed the peer's SETTINGS_MAX_FRAME_SIZE nor the flow-control
// windows: splitting is the caller's.
func AppendData(dst []byte, streamID uint32, endStream bool, data []byte) []byte {
	var fl Flags
	if endStream {
		fl = FlagDataEndStream
	}
	dst = AppendFrameHeader(dst, FrameHeader{uint32(len(data)), FrameData, fl, streamID})
	return append(dst, data...)
}

// AppendHeaders writes a header block (already HPACK-encoded) as one HEADERS
// frame and as many CONTINUATION frames as maxFrameSize (the peer's
// SETTINGS_MAX_FRAME_SIZE; 0 means DefaultMaxFrameSize, more than
// MaxFrameSizeLimit means MaxFrameSizeLimit) needs, END_HEADERS
// on the last one (RFC 9113 sections 4.3, 6.2, 6.10). END_STREAM goes on the
// HEADERS frame when endStream is set.
func AppendHeaders(dst []byte, streamID uint32, endStream bool, block []byte, maxFrameSize uint32) []byte {
	if maxFrameSize == 0 {
		maxFrameSize = DefaultMaxFrameSize
	}
	maxFrameSize = min(maxFrameSize, MaxFrameSizeLimit)
	t, fl := FrameHeaders, Flags(0)
	if endStream {
		fl = FlagHeadersEndStream
	}
	for {
		frag := block[:min(uint32(len(block)), maxFrameSize)]
		block = block[len(frag):]
		if len(block) == 0 {
			fl |= FlagHeadersEndHeaders
		}
		dst = AppendFrameHeader(dst, FrameHeader{uint32(len(frag)), t, fl, streamID})
		dst = append(dst, frag...)
		if len(block) == 0 {
			return dst
		}
		t, fl = FrameContinuation, 0
	}
}

// AppendSettings writes a SETTINGS frame with settings in order (RFC 9113
// section 6.5).
func AppendSettings(dst []byte, settings []Setting) []byte {
	dst = AppendFrameHeader(dst, FrameHeader{uint32(len(settings) * settingLen), FrameSettings, 0, 0})
	for _, s := range settings {
		dst = binary.BigEndian.AppendUint16(dst, uint16(s.ID))
		dst = appendUint32(dst, s.Val)
	}
	return dst
}

// AppendSettingsAck writes the empty SETTINGS frame with ACK that
// acknowledges the peer's settings (RFC 9113 section 6.5.3).
func AppendSettingsAck(dst []byte) []byte {
	return AppendFrameHeader(dst, FrameHeader{0, FrameSettings, FlagSettingsAck, 0})
}

// AppendPing writes a PING frame (RFC 9113 section 6.7); the answer to a
// PING carries its data with ack set.
func AppendPing(dst []byte, ack bool, data [8]byte) []byte {
	var fl Flags
	if ack {
		fl = FlagPingAck
	}
	dst = AppendFrameHeader(dst, FrameHeader{8, FramePing, fl, 0})
	return append(dst, data[:]...)
}

// AppendGoAway writes a GOAWAY frame (RFC 9113 section 6.8). debug is opaque
// diagnostic data and may be empty.
func AppendGoAway(dst []byte, lastStreamID uint32, code ErrCode, debug []byte) []byte {
	dst = AppendFrameHeader(dst, FrameHeader{uint32(8 + len(debug)), FrameGoAway, 0, 0})
	dst = appendUint32(dst, lastStreamID&streamIDMask)
	dst = appendUint32(dst, uint32(code))
	return append(dst, debug...)
}

// AppendRSTStream writes a RST_STREAM frame (RFC 9113 section 6.4).
func AppendRSTStream(dst []byte, streamID uint32, code ErrCode) []byte {
	dst = AppendFrameHeader(dst, FrameHeader{4, FrameRSTStream, 0, streamID})
	return appendUint32(dst, uint32(code))
}

// AppendWindowUpdate writes a WINDOW_UPDATE frame (RFC 9113 section 6.9);
// streamID 0 is the connection's window. increment must be in
// [1, MaxWindowSize].
func AppendWindowUpdate(dst []byte, streamID, increment uint32) []byte {
	dst = AppendFrameHeader(dst, FrameHeader{4, FrameWindowUpdate, 0, streamID})
	return appendUint32(dst, increment&streamIDMask)
}
