package proxy

import "github.com/velox-proxy/velox/h1"

// The response half of an HTTP/1.1 backend (upH1): bytes from its socket,
// parsed into Stream.resp and forwarded; to an HTTP/1.1 client with their
// framing as they came (the fast path), to an HTTP/2 client de-chunked.

// onResponseData handles bytes from the upstream connection.
func (s *Stream) onResponseData(data []byte) int {
	consumed := 0
	for s.uc != nil {
		switch s.up {
		case upHead:
			n, more := s.onResponseHead(data[consumed:])
			consumed += n
			if !more {
				return consumed
			}
		case upBody:
			return consumed + s.onResponseBody(data[consumed:])
		case upTunnel:
			return consumed + s.tunnelUp(data[consumed:])
		default:
			return consumed
		}
	}
	return consumed
}

// onResponseHead parses the response head, runs ReadResponse and writes the
// head downstream with the first body bytes.
func (s *Stream) onResponseHead(data []byte) (int, bool) {
	if len(data) == 0 {
		return 0, false
	}
	n, err := h1.ParseResponse(data, &s.resp, s.isHead, &s.tbl.limits.h1)
	if err == h1.ErrNeedMore {
		return 0, false
	}
	if err != nil {
		s.fail(failBadResponse)
		return len(data), false
	}
	if s.resp.Status < 200 {
		return s.onInformational(data, n)
	}
	s.backend.ReportSuccess()
	if !s.readResponse() {
		return n, false
	}
	rest := data[n:]
	s.respBody.Reset(s.resp.Framing, s.resp.ContentLength)
	s.ds.prepareResponse(s)
	if s.dechunk && s.dc == nil {
		s.respBody.KeepTrailers(s.trailBuf) // an HTTP/2 client gets them as trailing HEADERS
	}
	if s.dechunk {
		// The body is decoded as it goes out, after the head: check the
		// framing of what came with the head first (on a copy of the
		// scanner, a value), so a response broken from its first chunk is
		// still a clean 502 and not a head followed by a reset.
		probe := s.respBody
		if _, _, err := probe.Scan(rest); err != nil {
			s.fail(failBadResponse)
			return len(data), false
		}
		s.writeResponseHead(nil)
		return n + s.onResponseBody(rest), false
	}
	m, done, err := s.respBody.Scan(rest)
	if err != nil {
		s.fail(failBadResponse) // nothing written downstream yet: a 502
		return len(data), false
	}
	s.lastWrite = done
	s.writeResponseHead(rest[:m])
	s.afterBodyWrite(done, m < len(rest))
	return n + m, false
}

// onInformational handles a 1xx head (RFC 9110 section 15.2). A 101 is
// taken only for a request that asked to upgrade, to a protocol it offered;
// it turns both connections into a tunnel. Other 1xx go to HTTP/1.1 clients
// with hop-by-hop fields removed (never to HTTP/1.0 clients, nor a second
// 100 Continue after velox's own).
func (s *Stream) onInformational(data []byte, n int) (int, bool) {
	if s.resp.Status == 101 {
		if !s.upgrade || !offered(s.req.Get("Upgrade"), s.resp.Get("Upgrade")) {
			s.fail(failBadUpgrade)
			return len(data), false
		}
		if s.extConnect {
			return s.acceptExtConnect(n)
		}
		o := h1.WriteOptions{Via: viaName}
		s.out = h1.AppendResponseHead(s.out[:0], &s.resp, &o)
		s.startTunnel()
		return n, true
	}
	if !(s.resp.Status == 100 && s.sent100) {
		s.ds.writeInterim(s)
	}
	s.syncBackendClock(true) // a 1xx (102 Processing) is the backend keeping the request alive
	return n, true
}

// readResponse runs the ReadResponse filters: global, product, route.
func (s *Stream) readResponse() bool {
	s.hasResp = true
	ok := s.runPoint(s.tbl.points[ReadResponse]) &&
		(s.product == nil || s.runPoint(s.product.respFilters)) &&
		(s.route == nil || s.runPoint(s.route.respFilters))
	s.hasResp = false
	return ok
}

// writeResponseHead writes the head with the first body bytes (one writev
// for a small HTTP/1.1 response).
func (s *Stream) writeResponseHead(body []byte) {
	s.ds.writeHead(s, body)
	s.respSent = true
	s.ls.stats.countStatus(s.status)
	s.up = upBody
}

// onResponseBody forwards response body bytes downstream, decoding chunked
// for an HTTP/1.0 client.
func (s *Stream) onResponseBody(data []byte) int {
	var m int
	var done bool
	var err error
	if s.dechunk {
		m, done, err = s.respBody.ScanData(data, s.writeDown)
	} else if m, done, err = s.respBody.Scan(data); m > 0 {
		s.lastWrite = done && err == nil
		s.ds.writeData(data[:m])
	}
	if err != nil {
		s.fail(failBadResponse)
		return len(data)
	}
	if done && s.dechunk && s.dc == nil {
		s.trailersDown()
	}
	s.afterBodyWrite(done, m < len(data))
	return m
}

// trailersDown sends the trailers of an HTTP/1.1 backend's chunked
// response to an HTTP/2 client, as trailing HEADERS.
func (s *Stream) trailersDown() {
	t := s.respBody.Trailers()
	s.trailBuf = t
	if len(t) == 0 {
		return
	}
	s.trFields = trailerFields(s.trFields[:0], t)
	s.ds.(*h2Stream).writeTrailers(s.trFields)
}

// writeDownData writes decoded body data downstream. It is bound once to
// Stream.writeDown so that passing it to ScanData does not allocate.
func (s *Stream) writeDownData(data []byte) { s.ds.writeData(data) }

// afterBodyWrite finishes the stream or applies backpressure.
func (s *Stream) afterBodyWrite(done, leftover bool) {
	if s.uc == nil {
		return
	}
	if done {
		s.finish(!leftover && s.resp.KeepAlive)
		return
	}
	s.ds.watchSend()
	s.checkDownFull()
	s.syncBackendClock(true)
}

// finish ends a stream whose response is complete.
func (s *Stream) finish(reusable bool) {
	s.up = upDone
	if !s.reqDone {
		// The backend answered before the body was all sent: neither
		// connection can be reused.
		s.keepAlive, reusable = false, false
	}
	s.releaseUpstream(reusable)
	s.end()
	s.afterResponse()
}
