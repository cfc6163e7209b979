package h1

import "errors"

// Header is one header field. Name and Value point into the parsed input
// (zero-copy; valid as long as that input is), or into memory owned by a filter.
// A Header with a nil Name is deleted: the writer skips it.
type Header struct {
	Name, Value []byte
}

// Limits bound what a parser accepts. Zero values mean the defaults below.
type Limits struct {
	MaxURI         int // request-target bytes; 0 = 8 KiB; over it: 414
	MaxHeaderBytes int // whole head incl. request/status line; 0 = 32 KiB; over it: 431 (502 for responses)
	MaxHeaders     int // header fields; 0 = 100; over it: 431 (502 for responses)
}

// Body framing of a message (RFC 9112 section 6.3).
type Framing uint8

const (
	FramingNone    Framing = iota // no body (e.g. GET without CL, HEAD response, 204, 304, 1xx)
	FramingLength                 // Content-Length bytes
	FramingChunked                // chunked transfer coding
	FramingClose                  // response delimited by connection close
)

// Request is a parsed request head. Parse into a reused Request: ParseRequest
// resets it and reuses the Headers backing array, so the steady state does not
// allocate. All []byte fields point into the input buffer.
type Request struct {
	Method  []byte
	Target  []byte // request-target as sent
	Path    []byte // Target up to '?', for routing
	Minor   int    // HTTP/1.Minor (0 or 1)
	Headers []Header
	Host    []byte // value of the single Host header

	Framing       Framing
	ContentLength int64 // valid when Framing == FramingLength
	KeepAlive     bool  // persistence per RFC 9112 9.3 (1.1 default on, 1.0 needs keep-alive)
	Expect100     bool  // Expect: 100-continue
	Upgrade       bool  // Connection: upgrade with an Upgrade header
	HeadLen       int   // bytes of the head including the final CRLF
}

// Response is a parsed response head, reused like Request.
type Response struct {
	Status        int
	Reason        []byte
	Minor         int
	Headers       []Header
	Framing       Framing
	ContentLength int64
	KeepAlive     bool
	HeadLen       int
}

// Error is a message that breaks a rule; Status is what to answer a client
// with (400, 413, 414, 431, 501, 505). For a response, the proxy answers 502.
type Error struct {
	Status int
	Reason string // short, for the log and the error body
}

func (e *Error) Error() string { return "h1: " + e.Reason }

// ErrNeedMore is returned by the incremental parsers when buf holds no
// complete head (or chunk line) yet. Read more and call again with all of it.
var ErrNeedMore = errors.New("h1: need more input")

// ParseRequest parses a request head at the start of buf into req.
// It returns the head length, ErrNeedMore, or an *Error.
// Stray CRLFs before the request line are skipped (counted in n).
func ParseRequest(buf []byte, req *Request, lim *Limits) (n int, err error) {
	panic("h1: not implemented")
}

// ParseResponse parses a response head at the start of buf. reqMethodHead and
// the status decide FramingNone for HEAD, 1xx, 204, 304.
func ParseResponse(buf []byte, resp *Response, headRequest bool, lim *Limits) (n int, err error) {
	panic("h1: not implemented")
}

// BodyScanner finds where a message body ends in a byte stream without copying
// it, so the proxy can forward the raw bytes (chunked stays chunked, trailers
// included). Reset it per message.
type BodyScanner struct{}

// Reset prepares s for a body with the given framing and length.
func (s *BodyScanner) Reset(f Framing, length int64) { panic("h1: not implemented") }

// Scan reports how many bytes at the start of buf belong to the body
// (n <= len(buf)) and whether the body ends with them. A chunked body whose
// framing is broken returns an *Error (400). FramingClose never ends (done
// comes from the connection closing). Scan never returns ErrNeedMore: it
// consumes what it can and keeps its state.
func (s *BodyScanner) Scan(buf []byte) (n int, done bool, err error) { panic("h1: not implemented") }

// WriteOptions say what the writer adds to a forwarded head.
type WriteOptions struct {
	ForwardedFor   []byte // client IP appended to X-Forwarded-For (request only); nil = none
	ForwardedProto []byte // "http" or "https", sets X-Forwarded-Proto (request only); nil = none
	Via            []byte // pseudonym for Via ("velox"); nil = none
	Close          bool   // add "Connection: close"
	KeepAlive      bool   // add "Connection: keep-alive" (for HTTP/1.0 peers)
}

// AppendRequestHead appends the head of req to dst as HTTP/1.1, removing
// hop-by-hop headers (Connection, Keep-Alive, TE, Trailer, Upgrade,
// Proxy-Connection, Proxy-Authenticate, Proxy-Authorization and every header
// named by Connection) except that Transfer-Encoding and Upgrade (when
// req.Upgrade) are kept, then adding what o asks. Header order and case are
// kept. It does not allocate when dst has room.
func AppendRequestHead(dst []byte, req *Request, o *WriteOptions) []byte {
	panic("h1: not implemented")
}

// AppendResponseHead is AppendRequestHead for a response.
func AppendResponseHead(dst []byte, resp *Response, o *WriteOptions) []byte {
	panic("h1: not implemented")
}

// AppendSimpleResponse appends a complete response generated by velox itself
// (errors, filters' static replies): status line, Content-Type, Content-Length,
// optional extra headers, Connection: close when close, then body.
func AppendSimpleResponse(dst []byte, status int, contentType string, extra []Header, body []byte, close bool) []byte {
	panic("h1: not implemented")
}

// StatusText returns the reason phrase for a status code ("" if unknown).
func StatusText(code int) string { panic("h1: not implemented") }
