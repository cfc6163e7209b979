package h1

import "github.com/velox-proxy/velox/codec"

// Error is a message that breaks a rule; Status is what to answer a client
// with (400, 413, 414, 431, 501, 505). For a response, the proxy answers 502,
// and the parser returns errors whose Status is already 502.
//
// The parsers return shared *Error values: compare them by Status, and do
// not modify them.
type Error struct {
	Status int
	Reason string // short, for the log and the error body
}

func (e *Error) Error() string { return "h1: " + e.Reason }

// ErrNeedMore is returned by the incremental parsers when buf holds no
// complete head (or chunk line) yet. Read more and call again with all of it.
// It is codec.ErrNeedMore.
var ErrNeedMore = codec.ErrNeedMore

// Request errors. The field-line errors are also used for responses, through
// upstreamError.
var (
	errBadRequestLine = &Error{400, "malformed request line"}
	errBadMethod      = &Error{400, "malformed method"}
	errBadTarget      = &Error{400, "malformed request-target"}
	errBadVersion     = &Error{400, "malformed HTTP version"}
	errVersion        = &Error{505, "HTTP version not supported"}
	// ErrNotHTTP: the third word of the first line is not an HTTP-version
	// at all ("INVALID CONNECTION PREFACE"): the peer does not speak
	// HTTP/1.x, so the proxy closes without an HTTP/1.1 answer it could not
	// read (an HTTP/2 client with a broken preface expects exactly that,
	// RFC 9113 section 3.4).
	ErrNotHTTP         = &Error{400, "not an HTTP/1.x request line"}
	errURITooLong      = &Error{414, "request-target too long"}
	errHeadTooLarge    = &Error{431, "request head too large"}
	errTooManyHeaders  = &Error{431, "too many header fields"}
	errBareLF          = &Error{400, "line not ended by CRLF"}
	errBareCR          = &Error{400, "bare CR"}
	errObsFold         = &Error{400, "obsolete line folding"}
	errBadFieldName    = &Error{400, "malformed field name"}
	errSpaceBeforeColn = &Error{400, "whitespace before colon"}
	errBadFieldValue   = &Error{400, "invalid character in field value"}
	errNoHost          = &Error{400, "missing Host"}
	errManyHosts       = &Error{400, "more than one Host"}
	errBadHost         = &Error{400, "malformed Host"}
	errBadCL           = &Error{400, "malformed Content-Length"}
	errManyCL          = &Error{400, "conflicting Content-Length values"}
	errTEAndCL         = &Error{400, "Transfer-Encoding with Content-Length"}
	errTEHTTP10        = &Error{400, "Transfer-Encoding in HTTP/1.0"}
	errBadTE           = &Error{400, "malformed Transfer-Encoding"}
	errTENotChunked    = &Error{400, "chunked is not the final transfer coding"}
	errTEUnknown       = &Error{501, "unsupported transfer coding"}
)

// Response and body errors.
var (
	errBadStatusLine = &Error{502, "malformed status line"}
	errBadStatus     = &Error{502, "invalid status code"}
	errBadChunk      = &Error{400, "malformed chunked encoding"}
	errChunkTooLarge = &Error{400, "chunk size too large"}
	errChunkLine     = &Error{400, "chunk-size line too long"}
	errTrailerLarge  = &Error{400, "trailer section too large"}
)

// upstreamErrors maps every request error to its 502 twin for responses.
var upstreamErrors = func() map[*Error]*Error {
	m := make(map[*Error]*Error)
	for _, e := range []*Error{
		errBadVersion, errVersion, ErrNotHTTP, errHeadTooLarge, errTooManyHeaders, errBareLF,
		errBareCR, errObsFold, errBadFieldName, errSpaceBeforeColn, errBadFieldValue,
		errBadCL, errManyCL, errTEAndCL, errTEHTTP10, errBadTE, errTENotChunked, errTEUnknown,
	} {
		m[e] = &Error{502, "upstream: " + e.Reason}
	}
	return m
}()

// upstreamError turns a parse error into what the proxy answers when an
// upstream response breaks a rule: 502.
func upstreamError(err error) error {
	e, ok := err.(*Error)
	if !ok || e.Status == 502 {
		return err
	}
	if u := upstreamErrors[e]; u != nil {
		return u
	}
	return &Error{502, "upstream: " + e.Reason}
}
