package h1

import "github.com/velox-proxy/velox/head"

// Response is a parsed response head (head.Response), reused like Request.
type Response = head.Response

// ParseResponse parses a response head at the start of buf. headRequest
// (the request was HEAD) and the status decide FramingNone for HEAD, 1xx,
// 204, 304. Every *Error it returns has Status 502. lim may be nil.
func ParseResponse(buf []byte, resp *Response, headRequest bool, lim *Limits) (n int, err error) {
	*resp = Response{Headers: resp.Headers[:0]}
	w, capped := window(buf, lim.maxHeaderBytes())
	n, err = parseResponse(w, resp, headRequest, lim)
	switch {
	case err == nil:
		return n, nil
	case err == ErrNeedMore && !capped:
		return 0, err
	case err == ErrNeedMore:
		err = errHeadTooLarge
	}
	return 0, upstreamError(err)
}

func parseResponse(w []byte, resp *Response, headRequest bool, lim *Limits) (int, error) {
	i, err := parseStatusLine(resp, w)
	if err != nil {
		return 0, err
	}
	if resp.Headers, i, err = parseFields(w, i, resp.Headers, lim.maxHeaders()); err != nil {
		return 0, err
	}
	if err := deriveResponse(resp, headRequest); err != nil {
		return 0, err
	}
	resp.HeadLen = i
	return i, nil
}

// parseStatusLine reads status-line = HTTP-version SP status-code SP [ reason-phrase ]
// CRLF (RFC 9112 section 4). The SP before an empty reason may be missing.
func parseStatusLine(r *Response, w []byte) (int, error) {
	minor, i, err := parseVersion(w, 0)
	if err != nil {
		return 0, err
	}
	r.Minor = minor
	if i+4 > len(w) {
		return 0, ErrNeedMore // SP 3DIGIT
	}
	if w[i] != ' ' {
		return 0, errBadStatusLine
	}
	for _, c := range w[i+1 : i+4] {
		if c < '0' || c > '9' {
			return 0, errBadStatus
		}
		r.Status = r.Status*10 + int(c-'0')
	}
	if r.Status < 100 || r.Status > 599 {
		return 0, errBadStatus // RFC 9110 section 15
	}
	i += 4
	if i >= len(w) {
		return 0, ErrNeedMore
	}
	switch w[i] {
	case ' ':
		i++
	case '\r', '\n': // no SP, no reason; a bare LF is caught by lineEnd
	default:
		return 0, errBadStatusLine
	}
	rs := i
	for i < len(w) && fieldValueTable[w[i]] {
		i++
	}
	r.Reason = w[rs:i]
	return lineEnd(w, i, errBadStatusLine)
}

// deriveResponse sets framing and persistence from the header fields and the status
// (RFC 9112 sections 6.3 and 9.3).
func deriveResponse(r *Response, headRequest bool) error {
	var f fields
	f.scan(r.Headers)
	if err := responseFraming(r, &f); err != nil {
		return err
	}
	if headRequest || r.Status < 200 || r.Status == 204 || r.Status == 304 {
		r.Framing = FramingNone
	}
	r.KeepAlive = f.keepAlive(r.Minor) && r.Framing != FramingClose
	return nil
}

func responseFraming(r *Response, f *fields) error {
	r.Framing = FramingClose
	if f.te.present {
		switch {
		case r.Minor == 0:
			return errTEHTTP10
		case f.hasCL:
			return errTEAndCL
		}
		if err := f.te.check(); err != nil {
			return err
		}
		if f.te.lastChunked {
			r.Framing = FramingChunked
		}
		return nil // otherwise close-delimited (RFC 9112 section 6.3 rule 4)
	}
	if f.clErr != nil {
		return f.clErr
	}
	if f.hasCL {
		r.Framing, r.ContentLength = FramingLength, f.cl
	}
	return nil
}
