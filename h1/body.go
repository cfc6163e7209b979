package h1

import (
	"github.com/velox-proxy/velox/codec"
	"github.com/velox-proxy/velox/head"
)

// Framing is how the body of a message is delimited (RFC 9112 section 6.3);
// it is head.Framing, and so are its constants.
type Framing = head.Framing

const (
	FramingNone    = head.FramingNone    // no body (e.g. GET without CL, HEAD response, 204, 304, 1xx)
	FramingLength  = head.FramingLength  // Content-Length bytes
	FramingChunked = head.FramingChunked // chunked transfer coding
	FramingClose   = head.FramingClose   // response delimited by connection close
)

// contentLength reads one Content-Length field (RFC 9112 section 6.3 and
// RFC 9110 section 8.6): 1*DIGIT, or a list of equal values. Every value of
// every Content-Length field must be the same.
func (f *fields) contentLength(v []byte) {
	for rest, more := v, true; more; {
		var e []byte
		e, rest, more = codec.CutElement(rest)
		n, ok := codec.ParseDecimal(e)
		switch {
		case !ok:
			f.setCLErr(errBadCL)
		case f.hasCL && n != f.cl:
			f.setCLErr(errManyCL)
		}
		f.cl, f.hasCL = n, true
	}
}

func (f *fields) setCLErr(e *Error) {
	if f.clErr == nil {
		f.clErr = e
	}
}

// teInfo is what the Transfer-Encoding fields of a message say, all fields
// taken as one list (RFC 9112 section 6.1).
type teInfo struct {
	present     bool // a Transfer-Encoding field was seen
	codings     int  // non-empty list elements
	chunked     int  // how many of them are chunked
	lastChunked bool // the final coding is chunked
	malformed   bool // an element is not a token (transfer parameters included)
	unknown     bool // a coding velox does not know
}

// knownCodings are the transfer codings that velox forwards as they are
// (RFC 9112 section 7 and the HTTP Transfer Coding Registry).
var knownCodings = [...]string{"chunked", "gzip", "x-gzip", "deflate", "compress", "x-compress"}

func (t *teInfo) add(v []byte) {
	t.present = true
	for rest, more := v, true; more; {
		var c []byte
		c, rest, more = codec.CutElement(rest)
		if len(c) == 0 {
			continue // empty list elements are ignored (RFC 9110 section 5.6.1)
		}
		t.codings++
		t.lastChunked = codec.EqualFold(c, "chunked")
		switch {
		case !codec.IsToken(c):
			t.malformed = true
		case t.lastChunked:
			t.chunked++
		case !isKnownCoding(c):
			t.unknown = true
		}
	}
}

func isKnownCoding(c []byte) bool {
	for _, k := range knownCodings {
		if codec.EqualFold(c, k) {
			return true
		}
	}
	return false
}

// check returns the error common to requests and responses: a list with no
// coding, a malformed one, or chunked applied twice.
func (t *teInfo) check() *Error {
	if t.codings == 0 || t.malformed || t.chunked > 1 {
		return errBadTE
	}
	return nil
}

// BodyScanner finds where a message body ends in a byte stream without copying
// it, so the proxy can forward the raw bytes (chunked stays chunked, trailers
// included). Reset it per message. The zero BodyScanner is a FramingNone body.
//
// A BodyScanner is owned by the loop that reads the connection; it is not
// safe for concurrent use.
type BodyScanner struct {
	// Set by Reset:
	framing Framing

	// Advanced by Scan:
	done  bool
	left  int64 // FramingLength: bytes to go; chunked: data bytes left in the chunk
	chunk chunkState

	// Set by KeepTrailers:
	keep     bool
	trailers []byte // the trailer field lines, as received
}

// KeepTrailers makes Scan and ScanData copy a chunked body's trailer field
// lines ("name: value" CRLF each, as received and checked) into buf, for
// Trailers once the body is done (a gateway to HTTP/2 sends them as
// trailing HEADERS). Call it after Reset; buf is the caller's, to reuse.
func (s *BodyScanner) KeepTrailers(buf []byte) { s.keep, s.trailers = true, buf[:0] }

// Trailers returns the trailer field lines kept (see KeepTrailers), empty
// when the body had none; the slice may have grown out of the buffer given
// to KeepTrailers, so the caller keeps this one for next time.
func (s *BodyScanner) Trailers() []byte { return s.trailers }

// Reset prepares s for a body with the given framing and length (used only
// with FramingLength).
func (s *BodyScanner) Reset(f Framing, length int64) {
	*s = BodyScanner{framing: f, left: length}
	switch f {
	case FramingNone:
		s.done = true
	case FramingLength:
		s.done = length <= 0
	case FramingChunked:
		s.left = 0
	}
}

// Done reports whether the body has ended.
func (s *BodyScanner) Done() bool { return s.done }

// Scan reports how many bytes at the start of buf belong to the body
// (n <= len(buf)) and whether the body ends with them. A chunked body whose
// framing is broken returns an *Error (400; the proxy answers 502 when it is
// a response), with n the bytes accepted before the fault. FramingClose never
// ends (done comes from the connection closing). Scan never returns
// ErrNeedMore: it consumes what it can and keeps its state, so the caller may
// forward the n bytes and drop them. Once done, Scan returns 0, true.
func (s *BodyScanner) Scan(buf []byte) (n int, done bool, err error) {
	return s.scan(buf, nil)
}

// ScanData is Scan that also hands the body's data to fn, without the chunked
// framing (chunk sizes, extensions, trailers). fn gets slices of buf, valid
// until it returns; it may be called several times per Scan. It exists for
// gateways that re-frame a body (HTTP/1.1 chunked to HTTP/2 DATA).
func (s *BodyScanner) ScanData(buf []byte, fn func(data []byte)) (n int, done bool, err error) {
	return s.scan(buf, fn)
}

func (s *BodyScanner) scan(buf []byte, fn func([]byte)) (int, bool, error) {
	if s.done {
		return 0, true, nil
	}
	switch s.framing {
	case FramingLength:
		n := len(buf)
		if int64(n) > s.left {
			n = int(s.left)
		}
		s.left -= int64(n)
		s.done = s.left == 0
		if fn != nil && n > 0 {
			fn(buf[:n])
		}
		return n, s.done, nil
	case FramingChunked:
		return s.scanChunked(buf, fn)
	case FramingClose:
		if fn != nil && len(buf) > 0 {
			fn(buf)
		}
		return len(buf), false, nil
	}
	s.done = true
	return 0, true, nil
}
