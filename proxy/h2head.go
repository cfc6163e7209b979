package proxy

import (
	"errors"

	"github.com/velox-proxy/velox/codec"
	"github.com/velox-proxy/velox/h1"
	"github.com/velox-proxy/velox/h2"
)

// Header mapping between HTTP/2 and the neutral head (RFC 9113 section
// 8.3): a request's pseudo-headers become the request line and Host, cookie
// crumbs are joined into one field (section 8.2.3), TE is dropped (it can
// only say "trailers", a hop-by-hop matter); a body of unknown length goes
// to an HTTP/1.1 backend chunked. A response loses the fields HTTP/2 forbids
// (connection-specific ones and those Connection names).

var (
	errBadAuthority = errors.New("invalid :authority")
	errNoAuthority  = errors.New("no :authority or host")
	errTwoHosts     = errors.New(":authority and host differ")
	nameTE          = []byte("transfer-encoding")
	valueChunked    = []byte("chunked")
	nameCookie      = []byte("cookie")
)

// arena appends byte strings to one buffer sized beforehand, so the slices
// it returns stay valid (no reallocation moves them).
type arena struct{ buf []byte }

func (a *arena) put(b []byte) []byte {
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	return a.buf[start:len(a.buf):len(a.buf)]
}

// buildRequest fills s.req from an HTTP/2 request head, copying what it
// keeps into s.reqBuf. end says the head had END_STREAM (no body).
func buildRequest(s *Stream, h *h2.Head, end bool) error {
	size, cookies := len(h.Method)+len(h.Path)+len(h.Authority)+len(h.Protocol), 0
	for i := range h.Fields {
		f := &h.Fields[i]
		size += len(f.Name) + len(f.Value)
		if string(f.Name) == "cookie" {
			cookies++
			size += 2
		}
	}
	a := arena{buf: s.reqBuf[:0]}
	if cap(a.buf) < size {
		a.buf = make([]byte, 0, size+size/2)
	}
	r := &s.req
	*r = h1.Request{Headers: r.Headers[:0], Minor: 1, KeepAlive: true}
	r.Method = a.put(h.Method)
	r.Target = a.put(h.Path)
	r.Path, r.Query = splitTarget(r.Target)
	if h.Authority != nil {
		r.Host = a.put(h.Authority)
	}
	for i := range h.Fields {
		f := &h.Fields[i]
		switch string(f.Name) {
		case "te":
			continue
		case "cookie":
			if cookies > 1 {
				continue // joined below
			}
		case "host":
			v := a.put(f.Value)
			if r.Host == nil {
				r.Host = v
			} else if !codec.EqualFoldBytes(r.Host, v) {
				return errTwoHosts
			}
			continue
		case "expect":
			r.Expect100 = codec.EqualFold(f.Value, "100-continue")
		case "sec-websocket-key":
			if h.Protocol != nil {
				continue // velox makes the key the backend sees (RFC 8441 section 5 has none; ws_h2.go)
			}
		}
		r.Headers = append(r.Headers, h1.Header{Name: a.put(f.Name), Value: a.put(f.Value)})
	}
	if cookies > 1 {
		r.Headers = append(r.Headers, h1.Header{Name: nameCookie, Value: joinCookies(&a, h.Fields)})
	}
	s.reqBuf = a.buf
	if r.Host == nil && string(r.Method) != "CONNECT" {
		return errNoAuthority
	}
	if !h1.ValidHost(r.Host) {
		return errBadAuthority
	}
	if h.Protocol != nil {
		s.extendedConnect(&a, h)
		s.reqBuf = a.buf
		return nil
	}
	switch {
	case end:
		r.Framing = h1.FramingNone
	case h.ContentLength >= 0:
		r.Framing, r.ContentLength = h1.FramingLength, h.ContentLength
	default:
		r.Framing = h1.FramingChunked
		r.Headers = append(r.Headers, h1.Header{Name: nameTE, Value: valueChunked})
	}
	return nil
}

// joinCookies puts the cookie crumbs into the arena as one value, joined
// by "; " (RFC 9113 section 8.2.3).
func joinCookies(a *arena, fields []h2.Field) []byte {
	start := len(a.buf)
	for i := range fields {
		if string(fields[i].Name) != "cookie" {
			continue
		}
		if len(a.buf) > start {
			a.buf = append(a.buf, "; "...)
		}
		a.buf = append(a.buf, fields[i].Value...)
	}
	return a.buf[start:len(a.buf):len(a.buf)]
}

// splitTarget cuts a :path into path and query (nil without '?').
func splitTarget(t []byte) (path, query []byte) {
	for i, c := range t {
		if c == '?' {
			return t[:i], t[i+1:]
		}
	}
	return t, nil
}

// responseFields maps an HTTP/1.1 response's fields to HTTP/2: the fields
// Connection names are left out here; the connection-specific ones (RFC
// 9113 section 8.2.2: Connection, Keep-Alive, Proxy-Connection,
// Transfer-Encoding, Upgrade, and TE but for "trailers") h2's HeadEncoder
// never encodes.
func responseFields(dst []h2.Field, hs []h1.Header) []h2.Field {
	var conn []byte
	for i := range hs {
		if codec.EqualFold(hs[i].Name, "connection") {
			conn = hs[i].Value
		}
	}
	for i := range hs {
		f := &hs[i]
		if f.Name == nil || (conn != nil && listed(conn, f.Name)) {
			continue
		}
		dst = append(dst, h2.Field{Name: f.Name, Value: f.Value})
	}
	return dst
}

// listed reports whether name is an element of the Connection list v.
func listed(v, name []byte) bool {
	for len(v) > 0 {
		var e []byte
		e, v, _ = codec.CutElement(v)
		if codec.EqualFoldBytes(e, name) {
			return true
		}
	}
	return false
}

var nameVia = []byte("via")

// appendVia adds velox to the response's Via (RFC 9110 section 7.6.3),
// after what the backend sent; proto is how the response came to velox
// ("1.1" from an HTTP/1.1 backend, "2" from an HTTP/2 one). The joined
// value is built in buf, which the caller keeps until the fields are sent.
func appendVia(fs []h2.Field, buf []byte, proto string) ([]h2.Field, []byte) {
	buf = buf[:0]
	kept := fs[:0]
	for _, f := range fs {
		if !codec.EqualFold(f.Name, "via") {
			kept = append(kept, f)
			continue
		}
		buf = append(append(buf, f.Value...), ", "...)
	}
	buf = append(append(append(buf, proto...), ' '), viaName...)
	return append(kept, h2.Field{Name: nameVia, Value: buf}), buf
}

// trailerFields parses trailer field lines (HTTP/1.1, as
// h1.BodyScanner.Trailers keeps them) into HTTP/2 fields pointing into
// raw; the encoder lower-cases the names and leaves out the fields HTTP/2
// forbids.
func trailerFields(dst []h2.Field, raw []byte) []h2.Field {
	h1.EachTrailer(raw, func(name, value []byte) {
		dst = append(dst, h2.Field{Name: name, Value: value})
	})
	return dst
}

// appendTrailerLines appends fields as HTTP/1.1 trailer field lines.
func appendTrailerLines(dst []byte, fields []h2.Field) []byte {
	for i := range fields {
		f := &fields[i]
		dst = append(append(append(append(dst, f.Name...), ": "...), f.Value...), "\r\n"...)
	}
	return dst
}
