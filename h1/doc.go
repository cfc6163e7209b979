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
// A parse does not allocate once the Headers slice has capacity. BodyScanner
// then says how many of the following bytes belong to the body, so that the
// proxy forwards them raw (a chunked body stays chunked). The Append*
// functions write heads into a caller's buffer.
//
// Strictness (a proxy must not disagree with its origins about where a
// message ends):
//   - Lines end with CRLF only. A bare LF or bare CR anywhere in a head or in
//     chunked framing is a 400 (RFC 9112 section 2.2 allows both choices).
//   - obs-fold, whitespace before the colon, empty field names, CTLs other
//     than HTAB in field values, and obs-text in the request-target are 400.
//   - Transfer-Encoding with Content-Length, Transfer-Encoding in HTTP/1.0,
//     several Content-Length values that differ, and a request whose last
//     transfer coding is not chunked are 400; a request coding other than
//     chunked, gzip, x-gzip, deflate, compress and x-compress is 501. Equal
//     repeated Content-Length values are accepted (RFC 9110 section 8.6).
//   - HTTP/1.2 to HTTP/1.9 are read as HTTP/1.1 (RFC 9110 section 2.5);
//     another major version is 505.
//
// Errors in an upstream response are the same *Error values with Status 502.
//
// Read next: request.go (ParseRequest), header.go (field lines and header
// access), body.go and chunked.go (BodyScanner), write.go.
package h1
