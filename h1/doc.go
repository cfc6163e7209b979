// Package h1 parses and writes HTTP/1.1 messages (RFC 9112, with the
// semantics of RFC 9110 that framing and forwarding need). It is the
// HTTP/1.x codec of the velox proxy: package proxy imports it to decode
// request heads from downstream connections and response heads from upstream
// ones, to find where each body ends, and to write forwarded heads.
//
// Everything is incremental and zero-copy over a []byte the caller owns:
// ParseRequest and ParseResponse return ErrNeedMore (the same value as
// codec.ErrNeedMore) until a whole head is in the buffer, and then fill a
// reused Request or Response whose []byte fields point into that buffer. They
// stay valid as long as the buffer is neither released nor overwritten.
// A parse does not allocate once the Headers slice has capacity. The parsers
// keep no state between calls: call again with all unconsumed bytes. A
// complete line that breaks a rule is reported at once, and a head that does
// not end within Limits.MaxHeaderBytes is a 431 without waiting for more.
//
// Request, Response, Header and Framing are aliases of the types of package
// head (head.Request, head.Response, head.Field, head.Framing): the parsers
// fill the protocol-neutral head that the proxy, its routing and its filters
// see for every protocol, and the writers write one.
//
// BodyScanner then says how many of the following bytes belong to the body,
// so that the proxy forwards them raw (a chunked body stays chunked);
// ScanData also hands out the de-chunked data, for re-framing. The Append*
// functions write heads into a caller's buffer.
//
// Strictness (a proxy must not disagree with its origins about where a
// message ends):
//   - Lines end with CRLF only. A bare LF or bare CR anywhere in a head or in
//     chunked framing is a 400 (RFC 9112 section 2.2 allows both choices).
//     Empty lines (CRLF) before a request-line are skipped.
//   - obs-fold, whitespace before the colon, empty field names, CTLs other
//     than HTAB in field values, and bytes outside VCHAR in the
//     request-target are 400. Field values may hold obs-text.
//   - HTTP/1.1 needs exactly one Host: uri-host [":" port] of RFC 3986,
//     without pct-encoded or zone ids, or empty (host.go says why). An
//     absolute-form target (which may not hold a userinfo) or a CONNECT
//     target gives Request.Host; the Host field is still required, and for
//     absolute-form its value is replaced by the target's authority
//     (RFC 9112 section 3.2.2), which the writer then sends with an
//     origin-form target.
//   - Transfer-Encoding with Content-Length, Transfer-Encoding in HTTP/1.0,
//     chunked applied twice, a coding that is not a plain token (parameters
//     included), different Content-Length values and a request whose last
//     transfer coding is not chunked are 400; a request coding other than
//     chunked, gzip, x-gzip, deflate, compress and x-compress is 501. Equal
//     repeated Content-Length values are accepted (RFC 9110 section 8.6) and
//     forwarded as one.
//   - A response may use any transfer coding; if chunked is not the last one
//     the body is delimited by the connection close. Every response error has
//     Status 502.
//   - HTTP/1.2 to HTTP/1.9 are read as HTTP/1.1 (RFC 9110 section 2.5);
//     another major version is 505 (so is the HTTP/2 preface "PRI * HTTP/2.0").
//
// Read next: request.go (ParseRequest), header.go (field lines and header
// access), body.go and chunked.go (BodyScanner), write.go.
package h1
