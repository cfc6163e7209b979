package h2

import (
	"encoding/binary"
	"strconv"
)

// FrameHeaderLen is the size of every frame's header (RFC 9113 section 4.1).
const FrameHeaderLen = 9

// Frame size limits (RFC 9113 sections 4.2 and 6.5.2): SETTINGS_MAX_FRAME_SIZE
// starts at DefaultMaxFrameSize and may be raised up to MaxFrameSizeLimit.
const (
	DefaultMaxFrameSize = 1 << 14
	MaxFrameSizeLimit   = 1<<24 - 1
)

// MaxWindowSize is the largest flow-control window (RFC 9113 section 6.9.1),
// and so the largest SETTINGS_INITIAL_WINDOW_SIZE and WINDOW_UPDATE increment.
const MaxWindowSize = 1<<31 - 1

// streamIDMask clears the reserved R bit of a stream id field.
const streamIDMask = 1<<31 - 1

// ClientPreface is what a client sends first, before its SETTINGS frame
// (RFC 9113 section 3.4).
const ClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// FrameType is the type octet of a frame header (RFC 9113 section 6).
type FrameType uint8

// The frame types of RFC 9113 section 6.
const (
	FrameData         FrameType = 0x0
	FrameHeaders      FrameType = 0x1
	FramePriority     FrameType = 0x2
	FrameRSTStream    FrameType = 0x3
	FrameSettings     FrameType = 0x4
	FramePushPromise  FrameType = 0x5
	FramePing         FrameType = 0x6
	FrameGoAway       FrameType = 0x7
	FrameWindowUpdate FrameType = 0x8
	FrameContinuation FrameType = 0x9
)

var frameTypeNames = [...]string{
	FrameData:         "DATA",
	FrameHeaders:      "HEADERS",
	FramePriority:     "PRIORITY",
	FrameRSTStream:    "RST_STREAM",
	FrameSettings:     "SETTINGS",
	FramePushPromise:  "PUSH_PROMISE",
	FramePing:         "PING",
	FrameGoAway:       "GOAWAY",
	FrameWindowUpdate: "WINDOW_UPDATE",
	FrameContinuation: "CONTINUATION",
}

// Known reports whether t is one of the types of RFC 9113; frames of other
// types are returned by ReadFrame for the caller to ignore (section 5.5).
func (t FrameType) Known() bool { return int(t) < len(frameTypeNames) }

func (t FrameType) String() string {
	if t.Known() {
		return frameTypeNames[t]
	}
	return "UNKNOWN_FRAME_TYPE_0x" + strconv.FormatUint(uint64(t), 16)
}

// Flags is the flags octet of a frame header. A flag's meaning depends on the
// frame type; flags a type does not define are ignored (section 4.1).
type Flags uint8

// Has reports whether all of v is set in f.
func (f Flags) Has(v Flags) bool { return f&v == v }

// The flags of RFC 9113 section 6, by frame type.
const (
	FlagDataEndStream Flags = 0x1
	FlagDataPadded    Flags = 0x8

	FlagHeadersEndStream  Flags = 0x1
	FlagHeadersEndHeaders Flags = 0x4
	FlagHeadersPadded     Flags = 0x8
	FlagHeadersPriority   Flags = 0x20

	FlagSettingsAck Flags = 0x1

	FlagPushPromiseEndHeaders Flags = 0x4
	FlagPushPromisePadded     Flags = 0x8

	FlagPingAck Flags = 0x1

	FlagContinuationEndHeaders Flags = 0x4
)

// FrameHeader is the 9-byte header of every frame (RFC 9113 section 4.1).
// StreamID has the reserved bit cleared: it is ignored on receipt.
type FrameHeader struct {
	Length   uint32 // payload length, 24 bits
	Type     FrameType
	Flags    Flags
	StreamID uint32
}

// ParseFrameHeader reads the header at the start of buf, which must hold at
// least FrameHeaderLen bytes.
func ParseFrameHeader(buf []byte) FrameHeader {
	_ = buf[FrameHeaderLen-1]
	return FrameHeader{
		Length:   uint32(buf[0])<<16 | uint32(buf[1])<<8 | uint32(buf[2]),
		Type:     FrameType(buf[3]),
		Flags:    Flags(buf[4]),
		StreamID: binary.BigEndian.Uint32(buf[5:]) & streamIDMask,
	}
}

// PriorityParam holds the deprecated priority fields of HEADERS and PRIORITY
// frames (RFC 9113 section 5.3.2). velox parses them and ignores them.
type PriorityParam struct {
	StreamDep uint32
	Exclusive bool
	Weight    uint8 // the wire value: weight minus one
}

// Frame is one decoded frame. Which fields are set depends on Type:
//
//	DATA           Data (without padding); END_STREAM in Flags
//	HEADERS        Data (the header block fragment), Priority if FlagHeadersPriority
//	PRIORITY       Priority
//	RST_STREAM     Code
//	SETTINGS       the settings, read with NumSettings and Setting (ACK in Flags)
//	PUSH_PROMISE   PromiseID, Data (the header block fragment)
//	PING           Data (the 8 opaque bytes); ACK in Flags
//	GOAWAY         LastStreamID, Code, Data (debug data)
//	WINDOW_UPDATE  Increment
//	CONTINUATION   Data (the header block fragment)
//	unknown types  Data (the whole payload), to ignore
//
// Data points into the buffer given to ReadFrame: it is valid as long as
// those bytes are neither released nor overwritten. Flow control counts the
// whole payload, padding included: that is Length.
type Frame struct {
	FrameHeader
	Data         []byte
	Priority     PriorityParam
	Code         ErrCode
	LastStreamID uint32
	PromiseID    uint32
	Increment    uint32
}

// frameParser fills f from the payload p of the frame whose header is already
// in f.FrameHeader. f goes by value: a pointer through the table would move
// every Frame to the heap.
type frameParser func(f Frame, p []byte) (Frame, error)

// frameParsers dispatches on the frame type; unknown types have no parser.
var frameParsers = [...]frameParser{
	FrameData:         parseDataFrame,
	FrameHeaders:      parseHeadersFrame,
	FramePriority:     parsePriorityFrame,
	FrameRSTStream:    parseRSTStreamFrame,
	FrameSettings:     parseSettingsFrame,
	FramePushPromise:  parsePushPromiseFrame,
	FramePing:         parsePingFrame,
	FrameGoAway:       parseGoAwayFrame,
	FrameWindowUpdate: parseWindowUpdateFrame,
	FrameContinuation: parseContinuationFrame,
}

// ReadFrame decodes the frame at the start of buf. maxFrameSize is the
// SETTINGS_MAX_FRAME_SIZE this endpoint advertised (DefaultMaxFrameSize
// until the peer acknowledged a larger one).
//
// It returns ErrNeedMore until the whole frame is in buf (f.FrameHeader is
// already set once the 9 header bytes are, so the caller knows how much to
// wait for). A frame longer than maxFrameSize is ConnectionError
// FRAME_SIZE_ERROR at once (RFC 9113 section 4.2), with n = 0.
//
// Otherwise n is the size of the whole frame, also with an error: a
// StreamError leaves f filled as far as it was parsed (a HEADERS frame's
// block must still go through HPACK) and the connection may go on after n
// bytes; a ConnectionError ends the connection. Unknown frame types come
// back without error for the caller to ignore. f.Data points into buf (see
// Frame); buf is not modified.
func ReadFrame(buf []byte, maxFrameSize uint32) (f Frame, n int, err error) {
	if len(buf) < FrameHeaderLen {
		return f, 0, errNeedMore
	}
	f.FrameHeader = ParseFrameHeader(buf)
	if f.Length > maxFrameSize {
		return f, 0, errFrameSize
	}
	n = FrameHeaderLen + int(f.Length)
	if len(buf) < n {
		return f, 0, errNeedMore
	}
	p := buf[FrameHeaderLen:n:n]
	if !f.Type.Known() {
		f.Data = p
		return f, n, nil
	}
	f, err = frameParsers[f.Type](f, p)
	return f, n, err
}

// ReadPreface checks the client connection preface at the start of buf and
// returns its length. It returns ErrNeedMore while buf is a proper prefix of
// it, and ErrBadPreface as soon as a byte differs.
func ReadPreface(buf []byte) (n int, err error) {
	k := min(len(buf), len(ClientPreface))
	if string(buf[:k]) != ClientPreface[:k] {
		return 0, ErrBadPreface
	}
	if k < len(ClientPreface) {
		return 0, errNeedMore
	}
	return len(ClientPreface), nil
}
