package h1

// Response is a parsed response head, reused like Request.
type Response struct {
	Status        int
	Reason        []byte
	Minor         int
	Headers       []Header
	Framing       Framing
	ContentLength int64 // valid when Framing == FramingLength (also set from Content-Length for HEAD, 1xx, 204, 304)
	KeepAlive     bool  // RFC 9112 9.3; false for a close-delimited body
	HeadLen       int
}

// Get returns the value of the first field called name (ASCII case-insensitive),
// or nil if there is none. An empty field gives an empty, non-nil slice.
func (r *Response) Get(name string) []byte { return headerGet(r.Headers, name) }

// Has reports whether a field called name is present.
func (r *Response) Has(name string) bool { return headerHas(r.Headers, name) }

// Del deletes every field called name (sets its Name to nil).
func (r *Response) Del(name string) { headerDel(r.Headers, name) }

// Add appends a field. The caller keeps name and value alive and unchanged
// until the response has been written.
func (r *Response) Add(name, value []byte) {
	r.Headers = append(r.Headers, Header{Name: name, Value: value})
}

// Set replaces every field called name by one field (Del, then Add).
func (r *Response) Set(name, value []byte) {
	headerDelBytes(r.Headers, name)
	r.Add(name, value)
}

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
	i, err := resp.parseLine(w)
	if err != nil {
		return 0, err
	}
	if resp.Headers, i, err = parseFields(w, i, resp.Headers, lim.maxHeaders()); err != nil {
		return 0, err
	}
	if err := resp.derive(headRequest); err != nil {
		return 0, err
	}
	resp.HeadLen = i
	return i, nil
}

// parseLine reads status-line = HTTP-version SP status-code SP [ reason-phrase ]
// CRLF (RFC 9112 section 4). The SP before an empty reason may be missing.
func (r *Response) parseLine(w []byte) (int, error) {
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

// derive sets framing and persistence from the header fields and the status
// (RFC 9112 sections 6.3 and 9.3).
func (r *Response) derive(headRequest bool) error {
	var f fields
	f.scan(r.Headers)
	if err := r.framing(&f); err != nil {
		return err
	}
	if headRequest || r.Status < 200 || r.Status == 204 || r.Status == 304 {
		r.Framing = FramingNone
	}
	r.KeepAlive = f.keepAlive(r.Minor) && r.Framing != FramingClose
	return nil
}

func (r *Response) framing(f *fields) error {
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
