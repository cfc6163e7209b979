package head

// Framing is how the body of a message is delimited. The names are those of
// HTTP/1.1 (RFC 9112 section 6.3); other protocols map onto them: an HTTP/2
// message with END_STREAM on its head is FramingNone, one with a
// content-length is FramingLength, and one whose length only END_STREAM will
// tell is FramingChunked (re-framed for an HTTP/1.1 peer).
type Framing uint8

const (
	FramingNone    Framing = iota // no body (e.g. GET without CL, HEAD response, 204, 304, 1xx)
	FramingLength                 // ContentLength bytes
	FramingChunked                // chunked transfer coding; for HTTP/2, a length not known in advance
	FramingClose                  // response delimited by connection close (HTTP/1.x only)
)

var framingNames = [...]string{"none", "length", "chunked", "close"}

func (f Framing) String() string {
	if int(f) < len(framingNames) {
		return framingNames[f]
	}
	return "invalid"
}
