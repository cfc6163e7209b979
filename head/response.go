package head

// Response is a response head, reused like Request. Filters see it during
// read_response and may change Headers; writers write Status, Reason and
// Headers. What each protocol sets (HTTP/1.x is h1.ParseResponse, HTTP/2 the
// proxy's mapping of an h2.Head):
type Response struct {
	// Status: HTTP/1.x the status-line's code; HTTP/2 :status.
	Status int
	// Reason: HTTP/1.x the reason-phrase as received (may be empty);
	// HTTP/2, which has none, the standard phrase for Status (empty for a
	// code without one).
	Reason []byte
	// Minor: HTTP/1.x the HTTP/1.Minor version (0 or 1); HTTP/2 1.
	Minor int
	// Headers are the header fields in received order (HTTP/2: the
	// regular fields, with "transfer-encoding: chunked" or
	// "content-length: 0" added as Framing says).
	Headers []Field
	// Framing of the response body: HTTP/1.x per RFC 9112 section 6.3,
	// FramingNone for HEAD, 1xx, 204 and 304; HTTP/2 FramingLength with a
	// content-length or when the head ended the stream, else
	// FramingChunked.
	Framing Framing
	// ContentLength is the body length, valid when Framing is
	// FramingLength (HTTP/1.x also sets it from Content-Length for HEAD,
	// 1xx, 204 and 304).
	ContentLength int64
	// KeepAlive: HTTP/1.x persistence per RFC 9112 section 9.3, false for
	// a close-delimited body; HTTP/2 true.
	KeepAlive bool
	// HeadLen: HTTP/1.x bytes of the head including the final CRLF;
	// HTTP/2 0.
	HeadLen int
}

// Get returns the value of the first field called name (ASCII case-insensitive),
// or nil if there is none. An empty field gives an empty, non-nil slice.
func (r *Response) Get(name string) []byte { return get(r.Headers, name) }

// Has reports whether a field called name is present.
func (r *Response) Has(name string) bool { return has(r.Headers, name) }

// Del deletes every field called name (sets its Name to nil).
func (r *Response) Del(name string) { del(r.Headers, name) }

// Add appends a field. The caller keeps name and value alive and unchanged
// until the response has been written.
func (r *Response) Add(name, value []byte) {
	r.Headers = append(r.Headers, Field{Name: name, Value: value})
}

// Set replaces every field called name by one field (Del, then Add).
func (r *Response) Set(name, value []byte) {
	delBytes(r.Headers, name)
	r.Add(name, value)
}
