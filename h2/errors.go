package h2

import (
	"errors"
	"strconv"

	"github.com/velox-proxy/velox/codec"
)

// ErrNeedMore is returned by ReadFrame, Decoder.ReadFrame and ReadPreface
// when buf holds no complete frame (or preface) yet. Read more and call again
// with all unconsumed bytes. It is codec.ErrNeedMore.
var ErrNeedMore = codec.ErrNeedMore

// errNeedMore is the package's own name for it, used by the decoders.
var errNeedMore = ErrNeedMore

// ErrBadPreface is returned by ReadPreface when a client's first bytes are
// not the connection preface (RFC 9113 section 3.4).
var ErrBadPreface = errors.New("h2: bad connection preface")

// ErrCode is an HTTP/2 error code (RFC 9113 section 7), carried by
// RST_STREAM and GOAWAY.
type ErrCode uint32

// The error codes of RFC 9113 section 7.
const (
	ErrCodeNo                 ErrCode = 0x0
	ErrCodeProtocol           ErrCode = 0x1
	ErrCodeInternal           ErrCode = 0x2
	ErrCodeFlowControl        ErrCode = 0x3
	ErrCodeSettingsTimeout    ErrCode = 0x4
	ErrCodeStreamClosed       ErrCode = 0x5
	ErrCodeFrameSize          ErrCode = 0x6
	ErrCodeRefusedStream      ErrCode = 0x7
	ErrCodeCancel             ErrCode = 0x8
	ErrCodeCompression        ErrCode = 0x9
	ErrCodeConnect            ErrCode = 0xa
	ErrCodeEnhanceYourCalm    ErrCode = 0xb
	ErrCodeInadequateSecurity ErrCode = 0xc
	ErrCodeHTTP11Required     ErrCode = 0xd
)

var errCodeNames = [...]string{
	ErrCodeNo:                 "NO_ERROR",
	ErrCodeProtocol:           "PROTOCOL_ERROR",
	ErrCodeInternal:           "INTERNAL_ERROR",
	ErrCodeFlowControl:        "FLOW_CONTROL_ERROR",
	ErrCodeSettingsTimeout:    "SETTINGS_TIMEOUT",
	ErrCodeStreamClosed:       "STREAM_CLOSED",
	ErrCodeFrameSize:          "FRAME_SIZE_ERROR",
	ErrCodeRefusedStream:      "REFUSED_STREAM",
	ErrCodeCancel:             "CANCEL",
	ErrCodeCompression:        "COMPRESSION_ERROR",
	ErrCodeConnect:            "CONNECT_ERROR",
	ErrCodeEnhanceYourCalm:    "ENHANCE_YOUR_CALM",
	ErrCodeInadequateSecurity: "INADEQUATE_SECURITY",
	ErrCodeHTTP11Required:     "HTTP_1_1_REQUIRED",
}

// String is the code's name in RFC 9113 section 7. Unknown codes, which a
// peer may send and which mean INTERNAL_ERROR (section 7), print in hex.
func (c ErrCode) String() string {
	if int(c) < len(errCodeNames) {
		return errCodeNames[c]
	}
	return "unknown error code 0x" + strconv.FormatUint(uint64(c), 16)
}

// ConnectionError is an error that ends the connection: send GOAWAY with
// this code, then close (RFC 9113 section 5.4.1).
type ConnectionError ErrCode

func (e ConnectionError) Error() string { return "h2: connection error: " + ErrCode(e).String() }

// StreamError is an error that ends one stream: send RST_STREAM with Code on
// StreamID; the connection goes on (RFC 9113 section 5.4.2).
type StreamError struct {
	StreamID uint32
	Code     ErrCode
}

func (e StreamError) Error() string {
	return "h2: stream error on stream " + strconv.FormatUint(uint64(e.StreamID), 10) + ": " + e.Code.String()
}
