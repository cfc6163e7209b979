package proxy

// Trailers end to end between HTTP/1.1 and HTTP/2 (RFC 9110 section 6.5,
// RFC 9113 section 8.1). Both directions hold them as HTTP/1.1 field lines
// ("name: value" CRLF): an HTTP/1.1 chunked body's trailer section as
// received (h1.BodyScanner.KeepTrailers), an HTTP/2 peer's trailing
// HEADERS written out so. They go on as the other side frames them:
//
//	from                                to                      as
//	HTTP/1.1 backend, chunked           HTTP/2 client           trailing HEADERS (trailersDown)
//	HTTP/2 backend                      HTTP/1.1 client         the last chunk, when the body goes chunked (onH2Trailers)
//	HTTP/1.1 client, chunked            HTTP/2 backend          trailing HEADERS (upH2.sendTrailers)
//	HTTP/2 client                       HTTP/1.1 backend        the last chunk, when the body goes chunked (upH1.sendTrailers)
//
// A body sent with a Content-Length to an HTTP/1.1 peer has no place for
// trailers: they are dropped there (as nginx and HAProxy do).

// forwardTrailers ends a request body that an HTTP/2 client ended with
// trailers (in s.reqTrail).
func (s *Stream) forwardTrailers() {
	if us := s.upside(); us != nil && !s.reqDone {
		us.sendTrailers()
	}
}
