package head

import "github.com/velox-proxy/velox/codec"

// Request is a request head. A codec fills it; filters read it and may
// change Headers (the header methods) and point Path at a rewritten path;
// writers write Method, Path, Query, Host and Headers, never Target. The
// fields after Headers are derived by the codec: the header methods do not
// update them.
//
// What each protocol sets (HTTP/1.x is h1.ParseRequest, HTTP/2 the proxy's
// mapping of an h2.Head, RFC 9113 section 8.3):
type Request struct {
	// Method: HTTP/1.x the request-line's method; HTTP/2 :method.
	Method []byte
	// Target is the request-target as received: HTTP/1.x the request-line's
	// (origin, absolute, authority or asterisk form); HTTP/2 :path (empty
	// for CONNECT, which has none).
	Target []byte
	// Path is what routes match and writers send: Target up to its first
	// '?' (HTTP/1.x absolute-form: the target's path, "/" when it has
	// none; authority and asterisk form: Target). The proxy points it at
	// the normalised path before any filter runs.
	Path []byte
	// Query is Target after its first '?'; nil when there is no '?'.
	Query []byte
	// Minor is the HTTP/1.Minor version: HTTP/1.x 0 or 1 (1.2 to 1.9 are
	// read as 1); HTTP/2 1, so that an HTTP/1.1 writer treats it as 1.1.
	Minor int
	// Headers are the header fields in received order. HTTP/1.x: every
	// field line (hop-by-hop ones included; writers drop those); HTTP/2:
	// the regular fields without pseudo-fields, host and te, cookie crumbs
	// joined into one cookie field, and "transfer-encoding: chunked" added
	// when Framing is FramingChunked.
	Headers []Field
	// Host is the authority the request is for, which tenant routing
	// matches: HTTP/1.x the single Host field's value, or the target's
	// authority in absolute-form and CONNECT (the Host field then says the
	// same); HTTP/2 :authority, else the host field.
	Host []byte

	// Framing of the request body: HTTP/1.x per RFC 9112 section 6.3
	// (never FramingClose); HTTP/2 FramingNone when the head ended the
	// stream, FramingLength with a content-length, else FramingChunked.
	Framing Framing
	// ContentLength is the body length, valid when Framing is FramingLength.
	ContentLength int64
	// KeepAlive: HTTP/1.x persistence per RFC 9112 section 9.3 (1.1 on by
	// default, 1.0 needs keep-alive); HTTP/2 true (the stream's end does
	// not close the connection).
	KeepAlive bool
	// Expect100: HTTP/1.1 "Expect: 100-continue" (never for 1.0); HTTP/2
	// an expect field of 100-continue.
	Expect100 bool
	// Upgrade: HTTP/1.1 "Connection: upgrade" with an Upgrade field (never
	// for 1.0); HTTP/2 false (it has no Upgrade).
	Upgrade bool
	// HeadLen: HTTP/1.x bytes of the head including the final CRLF and
	// the empty lines skipped before it; HTTP/2 0 (a header block is not
	// kept in the input).
	HeadLen int
}

// AppendURI appends the request-target as writers send it: Path, then "?"
// and Query when the target had a '?'. For HTTP/1.x that is origin-form for
// an origin-form or absolute-form target (RFC 9112 section 3.2.1), and the
// target as received for asterisk-form and authority-form; for HTTP/2 it is
// :path (with Path normalised by the proxy).
func (r *Request) AppendURI(dst []byte) []byte {
	dst = append(dst, r.Path...)
	if r.Query != nil {
		dst = append(dst, '?')
		dst = append(dst, r.Query...)
	}
	return dst
}

// Get returns the value of the first field called name (ASCII case-insensitive),
// or nil if there is none. An empty field gives an empty, non-nil slice.
func (r *Request) Get(name string) []byte { return get(r.Headers, name) }

// Has reports whether a field called name is present.
func (r *Request) Has(name string) bool { return has(r.Headers, name) }

// Del deletes every field called name (sets its Name to nil).
func (r *Request) Del(name string) { del(r.Headers, name) }

// Add appends a field. The caller keeps name and value alive and unchanged
// until the request has been written.
func (r *Request) Add(name, value []byte) {
	r.Headers = append(r.Headers, Field{Name: name, Value: value})
}

// Set replaces every field called name by one field (Del, then Add).
func (r *Request) Set(name, value []byte) {
	delBytes(r.Headers, name)
	r.Add(name, value)
}

// Rebase points every slice of r that lies within from at the same bytes in
// to, a copy of from: a caller that must keep a parsed head past the life of
// the input buffer copies the head and rebases the Request onto the copy
// without parsing it again. Slices outside from (a shared constant, a value
// a filter set) are left as they are. It does not allocate.
func (r *Request) Rebase(from, to []byte) {
	r.Method = codec.Rebase(r.Method, from, to)
	r.Target = codec.Rebase(r.Target, from, to)
	r.Path = codec.Rebase(r.Path, from, to)
	r.Query = codec.Rebase(r.Query, from, to)
	r.Host = codec.Rebase(r.Host, from, to)
	for i := range r.Headers {
		f := &r.Headers[i]
		f.Name = codec.Rebase(f.Name, from, to)
		f.Value = codec.Rebase(f.Value, from, to)
	}
}
