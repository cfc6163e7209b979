package proxy

import "github.com/velox-proxy/velox/h1"

// Trailers end to end between HTTP/1.1 and HTTP/2 (RFC 9110 section 6.5,
// RFC 9113 section 8.1). Both directions hold them as HTTP/1.1 field lines
// ("name: value" CRLF): an HTTP/1.1 chunked body's trailer section as
// received (h1.BodyScanner.KeepTrailers), an HTTP/2 peer's trailing
// HEADERS written out so. They go on as the other side frames them:
//
//	from                                to                      as
//	HTTP/1.1 backend, chunked           HTTP/2 client           trailing HEADERS (trailersDown)
//	HTTP/2 backend                      HTTP/1.1 client         the last chunk, when the body goes chunked (onH2Trailers)
//	HTTP/1.1 client, chunked            HTTP/2 backend          trailing HEADERS (sendUpTrailers)
//	HTTP/2 client                       HTTP/1.1 backend        the last chunk, when the body goes chunked (forwardTrailers)
//
// A body sent with a Content-Length to an HTTP/1.1 peer has no place for
// trailers: they are dropped there (as nginx and HAProxy do).

// forwardTrailers ends a request body that an HTTP/2 client ended with
// trailers (in s.reqTrail).
func (s *Stream) forwardTrailers() {
	switch {
	case s.reqDone:
	case s.hu != nil:
		s.sendUpTrailers()
	case s.uc == nil:
	case s.req.Framing == h1.FramingChunked:
		b := append(append(s.scratch[:0], "0\r\n"...), s.reqTrail...)
		s.scratch = append(b, "\r\n"...)
		s.uc.EC.Write(s.scratch)
		if s.uc != nil {
			s.requestSent()
		}
	default: // a Content-Length body: no room for trailers in HTTP/1.1
		s.requestSent()
	}
}

// sendUpTrailers ends the request to an HTTP/2 backend with trailing
// HEADERS, after the body bytes its window has not taken yet.
func (s *Stream) sendUpTrailers() {
	hu := s.hu
	if hu == nil || s.reqDone {
		return
	}
	if len(s.upPend) > 0 || s.upPendEnd {
		s.upTrail, s.upPendEnd = true, true
		return
	}
	s.trFields = trailerFields(s.trFields[:0], s.reqTrail)
	if err := hu.conn.WriteTrailers(s.upID, s.trFields); err != nil {
		s.fail(failUpstreamReset)
		return
	}
	hu.flush()
	s.requestSent()
}
