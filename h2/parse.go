package h2

import "encoding/binary"

// The frame parsers of RFC 9113 section 6, one per type, dispatched by
// frameParsers. Each checks the stream-id rule and the length rule of its
// type, then fills f from the payload p. When a frame breaks two rules, the
// one reported is the one x/net's Framer reports, so that the differential
// tests can hold both to the same error.

// The connection errors, boxed once: returning them does not allocate.
var (
	errProtocol    error = ConnectionError(ErrCodeProtocol)
	errFrameSize   error = ConnectionError(ErrCodeFrameSize)
	errFlowControl error = ConnectionError(ErrCodeFlowControl)
)

// splitPadding takes the Pad Length octet off p when padded, and returns the
// rest and the padding length. Too short for the octet is FRAME_SIZE_ERROR.
func splitPadding(p []byte, padded bool) (rest []byte, pad int, err error) {
	if !padded {
		return p, 0, nil
	}
	if len(p) < 1 {
		return nil, 0, errFrameSize
	}
	return p[1:], int(p[0]), nil
}

// unpad removes pad bytes of padding from the end of p. Padding as long as
// the payload or longer is PROTOCOL_ERROR (RFC 9113 sections 6.1, 6.2, 6.6).
func unpad(p []byte, pad int) ([]byte, error) {
	if pad > len(p) {
		return nil, errProtocol
	}
	return p[:len(p)-pad], nil
}

// parsePriorityParam reads the 5 bytes of priority fields at the start of p.
func parsePriorityParam(p []byte) PriorityParam {
	v := binary.BigEndian.Uint32(p)
	return PriorityParam{StreamDep: v & streamIDMask, Exclusive: v>>31 == 1, Weight: p[4]}
}

// parseDataFrame: RFC 9113 section 6.1.
func parseDataFrame(f Frame, p []byte) (Frame, error) {
	if f.StreamID == 0 {
		return f, errProtocol
	}
	p, pad, err := splitPadding(p, f.Flags.Has(FlagDataPadded))
	if err != nil {
		return f, err
	}
	f.Data, err = unpad(p, pad)
	return f, err
}

// parseHeadersFrame: RFC 9113 section 6.2. The priority fields are parsed
// and ignored (section 5.3.2), but a stream may not depend on itself
// (section 5.3.1): a StreamError, with the block fragment still in f.Data.
func parseHeadersFrame(f Frame, p []byte) (Frame, error) {
	if f.StreamID == 0 {
		return f, errProtocol
	}
	p, pad, err := splitPadding(p, f.Flags.Has(FlagHeadersPadded))
	if err != nil {
		return f, err
	}
	if f.Flags.Has(FlagHeadersPriority) {
		if len(p) < 5 {
			return f, errFrameSize
		}
		f.Priority = parsePriorityParam(p)
		p = p[5:]
	}
	if f.Data, err = unpad(p, pad); err != nil {
		return f, err
	}
	if f.Flags.Has(FlagHeadersPriority) && f.Priority.StreamDep == f.StreamID {
		return f, StreamError{f.StreamID, ErrCodeProtocol}
	}
	return f, nil
}

// parsePriorityFrame: RFC 9113 section 6.3; parsed and ignored.
func parsePriorityFrame(f Frame, p []byte) (Frame, error) {
	if f.StreamID == 0 {
		return f, errProtocol
	}
	if len(p) != 5 {
		return f, StreamError{f.StreamID, ErrCodeFrameSize}
	}
	f.Priority = parsePriorityParam(p)
	if f.Priority.StreamDep == f.StreamID {
		return f, StreamError{f.StreamID, ErrCodeProtocol}
	}
	return f, nil
}

// parseRSTStreamFrame: RFC 9113 section 6.4.
func parseRSTStreamFrame(f Frame, p []byte) (Frame, error) {
	if len(p) != 4 {
		return f, errFrameSize
	}
	if f.StreamID == 0 {
		return f, errProtocol
	}
	f.Code = ErrCode(binary.BigEndian.Uint32(p))
	return f, nil
}

// parsePushPromiseFrame: RFC 9113 section 6.6. Whether the peer may push
// at all is for the connection to decide.
func parsePushPromiseFrame(f Frame, p []byte) (Frame, error) {
	if f.StreamID == 0 {
		return f, errProtocol
	}
	p, pad, err := splitPadding(p, f.Flags.Has(FlagPushPromisePadded))
	if err != nil {
		return f, err
	}
	if len(p) < 4 {
		return f, errFrameSize
	}
	f.PromiseID = binary.BigEndian.Uint32(p) & streamIDMask
	f.Data, err = unpad(p[4:], pad)
	return f, err
}

// parsePingFrame: RFC 9113 section 6.7.
func parsePingFrame(f Frame, p []byte) (Frame, error) {
	if len(p) != 8 {
		return f, errFrameSize
	}
	if f.StreamID != 0 {
		return f, errProtocol
	}
	f.Data = p
	return f, nil
}

// parseGoAwayFrame: RFC 9113 section 6.8.
func parseGoAwayFrame(f Frame, p []byte) (Frame, error) {
	if f.StreamID != 0 {
		return f, errProtocol
	}
	if len(p) < 8 {
		return f, errFrameSize
	}
	f.LastStreamID = binary.BigEndian.Uint32(p) & streamIDMask
	f.Code = ErrCode(binary.BigEndian.Uint32(p[4:]))
	f.Data = p[8:]
	return f, nil
}

// parseWindowUpdateFrame: RFC 9113 section 6.9. An increment of 0 is a
// stream error on a stream and a connection error on stream 0.
func parseWindowUpdateFrame(f Frame, p []byte) (Frame, error) {
	if len(p) != 4 {
		return f, errFrameSize
	}
	f.Increment = binary.BigEndian.Uint32(p) & streamIDMask
	if f.Increment != 0 {
		return f, nil
	}
	if f.StreamID == 0 {
		return f, errProtocol
	}
	return f, StreamError{f.StreamID, ErrCodeProtocol}
}

// parseContinuationFrame: RFC 9113 section 6.10. That it follows its HEADERS
// or PUSH_PROMISE is checked by Decoder.
func parseContinuationFrame(f Frame, p []byte) (Frame, error) {
	if f.StreamID == 0 {
		return f, errProtocol
	}
	f.Data = p
	return f, nil
}
