package proxy

import (
	"github.com/velox-proxy/velox/codec"
	"github.com/velox-proxy/velox/h1"
	"github.com/velox-proxy/velox/h2"
)

// The stream's side of an HTTP/2 backend (cluster protocol h2, up_h2.go):
// the request goes as HEADERS and DATA on a stream of a shared connection,
// the response comes back as events that fill the same neutral head
// (Stream.resp) the HTTP/1.1 path parses, so filters and the client side
// see no difference. Flow control is the backpressure both ways: response
// DATA is credited back to the backend only once the client side took it,
// and request bytes the backend's window does not take wait in upPend
// while the client is paused.

// reasons are the reason phrases of the status line an HTTP/1.1 client
// gets for a response that came over HTTP/2 (which has none).
var reasons = func() (r [600][]byte) {
	for c := 100; c < 600; c++ {
		if t := h1.StatusText(c); t != "" {
			r[c] = []byte(t)
		}
	}
	return r
}()

var (
	schemeHTTP    = []byte("http")
	nameXFF       = []byte("x-forwarded-for")
	nameXFP       = []byte("x-forwarded-proto")
	nameCL        = []byte("content-length")
	valueZero     = []byte("0")
	valueTrailers = []byte("trailers")
)

// upH2 is the stream's side of an HTTP/2 backend: a stream (Stream.hu,
// Stream.upID) of a connection that many streams share.
type upH2 Stream

var _ upSide = (*upH2)(nil)

// sendHead sends the request head as HEADERS (END_STREAM when there is no
// body) and lets the body follow.
func (u *upH2) sendHead() {
	s := (*Stream)(u)
	s.up = upHead
	s.backend.CountRequest()
	h := s.upstreamHead()
	hu := s.hu
	if err := hu.conn.WriteHeaders(s.upID, &h, s.reqDone); err != nil {
		s.fail(failUpstreamReset)
		return
	}
	hu.flush()
	if s.reqDone {
		s.ds.requestSent()
		s.syncBackendClock(true)
		return
	}
	if s.dc != nil && s.req.Framing == h1.FramingChunked {
		s.reqBody.KeepTrailers(s.reqTrail) // they go on as trailing HEADERS
	}
	s.syncBackendClock(false) // the clock of the queue stops: the client owes the body
	s.ds.expectBody(true)
}

// upstreamHead maps the neutral request head to HTTP/2 (RFC 9113 section
// 8.3.1): Host becomes :authority, the fields Connection names are left out
// (the connection-specific ones h2.HeadEncoder drops itself; TE only
// as "trailers"), and X-Forwarded-For and X-Forwarded-Proto are set as the
// HTTP/1.1 writer sets them.
func (s *Stream) upstreamHead() h2.Head {
	r := &s.req
	s.head = r.AppendURI(s.head[:0])
	path := s.head
	fs := s.upFields[:0]
	var conn, xff []byte
	for i := range r.Headers {
		if codec.EqualFold(r.Headers[i].Name, "connection") {
			conn = r.Headers[i].Value
		}
	}
	for i := range r.Headers {
		f := &r.Headers[i]
		switch {
		case f.Name == nil:
			continue
		case codec.EqualFold(f.Name, "te"):
			if listed(f.Value, valueTrailers) { // "trailers, gzip": only trailers may go (RFC 9113 section 8.2.2)
				fs = append(fs, h2.Field{Name: f.Name, Value: valueTrailers})
			}
			continue
		case codec.EqualFold(f.Name, "host"), codec.EqualFold(f.Name, "x-forwarded-proto"),
			conn != nil && listed(conn, f.Name): // connection-specific fields: h2's HeadEncoder drops them
			continue
		case codec.EqualFold(f.Name, "x-forwarded-for"):
			xff = f.Value // the last one wins; HTTP/1.1 clients send one
			continue
		}
		fs = append(fs, h2.Field{Name: f.Name, Value: f.Value})
	}
	s.xff = s.xff[:0]
	if xff != nil {
		s.xff = append(append(s.xff, xff...), ", "...)
	}
	s.xff = append(s.xff, s.ip...)
	fs = append(fs, h2.Field{Name: nameXFF, Value: s.xff}, h2.Field{Name: nameXFP, Value: s.forwardedProto()})
	proto := "1.1" // Via (RFC 9110 section 7.6.3): how the request reached velox
	if s.dc == nil {
		proto = "2"
	}
	fs, s.viaUp = appendVia(fs, s.viaUp, proto)
	s.upFields = fs
	h := h2.Head{Method: r.Method, Path: path, Fields: fs, ContentLength: -1}
	if string(r.Method) != "CONNECT" {
		h.Scheme, h.Authority = schemeHTTP, r.Host
	}
	return h
}

// takeBody forwards an HTTP/1.1 client's body to an HTTP/2 backend,
// de-framed (chunked coding removed) as DATA.
func (u *upH2) takeBody(data []byte) (int, bool) {
	s := (*Stream)(u)
	n, done, err := s.reqBody.ScanData(data, s.writeUp)
	if err != nil {
		s.ls.stats.badRequests.Add(1)
		status, reason := requestErrorStatus(err)
		s.abortWith(status, reason)
		return len(data), false
	}
	if s.hu == nil {
		return len(data), false
	}
	s.bodyBytes += int64(n)
	if s.bodyTooLarge() {
		return len(data), false
	}
	if done {
		if t := s.reqBody.Trailers(); len(t) > 0 {
			s.reqTrail = t
			u.sendTrailers()
		} else {
			u.sendData(nil, true)
		}
		if !s.reqDone && s.hu != nil {
			// The end waits behind bytes the backend's window has not
			// taken: the client has sent its whole request all the same,
			// and what follows it (a pipelined request) waits.
			s.ds.requestSent()
		}
		return n, true
	}
	if n > 0 && !s.upStalled {
		s.ds.bodyProgress()
	}
	return n, false
}

// writeUpData is bound once to Stream.writeUp (no allocation per call).
func (s *Stream) writeUpData(p []byte) { (*upH2)(s).sendData(p, false) }

// sendData queues request body bytes on the upstream stream within its
// windows; what they do not take waits in upPend, and the client is paused.
func (u *upH2) sendData(p []byte, end bool) {
	s := (*Stream)(u)
	hu := s.hu
	if hu == nil || s.reqDone {
		return
	}
	if len(s.upPend) > 0 || s.upPendEnd {
		s.upPend = append(s.upPend, p...)
		s.upPendEnd = s.upPendEnd || end
		return
	}
	n := hu.conn.WriteData(s.upID, p, end)
	hu.flush()
	if n < len(p) {
		s.upPend = append(s.upPend, p[n:]...)
		s.upPendEnd = end
		if !s.upStalled {
			s.stallBody()
		}
		return
	}
	if end {
		s.requestSent()
	}
}

// sendUpPending sends held request bytes when the backend's window opens.
func (s *Stream) sendUpPending() {
	hu := s.hu
	if hu == nil || (len(s.upPend) == 0 && !s.upPendEnd) {
		return
	}
	n := hu.conn.WriteData(s.upID, s.upPend, s.upPendEnd && !s.upTrail)
	if s.upPend = shiftOut(s.upPend, n); len(s.upPend) > 0 {
		return
	}
	if s.upPendEnd {
		s.upPendEnd = false
		if s.upTrail {
			s.upTrail = false
			(*upH2)(s).sendTrailers()
			if s.hu == nil {
				return // the trailers failed and ended the stream
			}
		} else {
			s.requestSent()
		}
	}
	s.upstreamDrained()
}

// sendTrailers ends the request with trailing HEADERS, after the body
// bytes the backend's window has not taken yet.
func (u *upH2) sendTrailers() {
	s := (*Stream)(u)
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

// onH2Head takes the backend's response head into s.resp and sends it on.
func (s *Stream) onH2Head(h *h2.Head, end bool) {
	r := &s.resp
	*r = h1.Response{Headers: r.Headers[:0], Status: h.Status, Minor: 1, KeepAlive: true}
	if h.Status < len(reasons) {
		r.Reason = reasons[h.Status]
	}
	for i := range h.Fields { // repeated content-length fields agree (h2.HeadDecoder); h1's writer sends one
		r.Headers = append(r.Headers, h1.Header{Name: h.Fields[i].Name, Value: h.Fields[i].Value})
	}
	if h.Status < 200 {
		if !(h.Status == 100 && s.sent100) {
			s.ds.writeInterim(s)
		}
		s.syncBackendClock(true)
		return
	}
	bodyless := s.isHead || h.Status == 204 || h.Status == 304
	switch {
	case h.ContentLength >= 0:
		r.Framing, r.ContentLength = h1.FramingLength, h.ContentLength
	case end || bodyless:
		r.Framing = h1.FramingLength
		if !bodyless {
			r.Headers = append(r.Headers, h1.Header{Name: nameCL, Value: valueZero})
		}
	default: // the length comes with END_STREAM: HTTP/1.1 clients get it chunked
		r.Framing = h1.FramingChunked
		r.Headers = append(r.Headers, h1.Header{Name: nameTE, Value: valueChunked})
		s.chunkOut = true
	}
	s.backend.ReportSuccess()
	if !s.readResponse() {
		return
	}
	s.ds.prepareResponse(s)
	s.chunkOut = s.chunkOut && s.dc != nil && !s.dechunk
	s.lastWrite = end
	s.writeResponseHead(nil)
	if end {
		s.endH2Response()
		return
	}
	s.syncBackendClock(true)
}

// onH2Data forwards response DATA to the client and credits it back to the
// backend unless the client is slow.
func (s *Stream) onH2Data(data []byte, end bool) {
	if s.up != upBody {
		s.hu.conn.Consume(s.upID, len(data))
		return
	}
	if len(data) > 0 {
		s.lastWrite = end && !s.chunkOut
		s.writeBody(data)
		if s.hu == nil {
			return // the write failed and ended the stream
		}
		if s.upPaused {
			s.upCredit += len(data)
		} else {
			s.hu.conn.Consume(s.upID, len(data))
		}
	}
	if end {
		s.endH2Response()
		return
	}
	s.ds.watchSend()
	s.checkDownFull()
	s.syncBackendClock(true)
}

// writeBody writes body bytes that came without framing to the client:
// chunked for an HTTP/1.1 client when the length was not known.
func (s *Stream) writeBody(p []byte) {
	if !s.chunkOut {
		s.ds.writeData(p)
		return
	}
	s.scratch = h1.AppendChunkHeader(s.scratch[:0], len(p))
	s.dc.ec.Writev(s.scratch, p, crlf)
}

// onH2Trailers forwards trailers: as trailing HEADERS to an HTTP/2 client,
// in the last chunk to an HTTP/1.1 client that gets the body chunked.
func (s *Stream) onH2Trailers(h *h2.Head) {
	if s.up != upBody {
		s.fail(failBadResponse)
		return
	}
	if hs, ok := s.ds.(*h2Stream); ok {
		hs.writeTrailers(h.Fields)
	} else if s.chunkOut {
		b := append(s.scratch[:0], "0\r\n"...)
		for i := range h.Fields {
			b = append(append(append(append(b, h.Fields[i].Name...), ": "...), h.Fields[i].Value...), "\r\n"...)
		}
		s.scratch = append(b, "\r\n"...)
		s.dc.ec.Write(s.scratch)
		s.chunkOut = false
	}
	s.endH2Response()
}

// endH2Response: the backend's END_STREAM came.
func (s *Stream) endH2Response() {
	if s.chunkOut {
		s.dc.ec.Write(lastChunk)
		s.chunkOut = false
	}
	s.finish(true)
}

// onH2Reset: the backend reset the stream. REFUSED_STREAM (RFC 9113 section
// 8.7: not processed) is retried on another connection whatever the method,
// unless body bytes went (they were the client's, and are gone); anything
// else is the backend's failure.
func (s *Stream) onH2Reset(code h2.ErrCode) {
	if code == h2.ErrCodeRefusedStream && s.up == upHead && !s.respSent && s.bodyBytes == 0 && s.retryRefused() {
		return
	}
	if hs, ok := s.ds.(*h2Stream); ok {
		// An HTTP/2 client gets the reset itself, with the backend's code
		// (a gRPC client reads CANCEL after its deadline as
		// DEADLINE_EXCEEDED); codes about the backend's connection are
		// velox's business, not the client's: INTERNAL_ERROR.
		s.logFail(statusOf(failUpstreamReset), failUpstreamReset)
		s.ls.stats.countStatus(statusOf(failUpstreamReset))
		s.dropUpstream()
		hs.resetWith(clientResetCode(code))
		s.end()
		return
	}
	s.fail(failUpstreamReset)
}

// clientResetCode is the RST_STREAM code an HTTP/2 client gets for a
// backend's reset of its stream.
func clientResetCode(code h2.ErrCode) h2.ErrCode {
	switch code {
	case h2.ErrCodeNo, h2.ErrCodeCancel, h2.ErrCodeRefusedStream, h2.ErrCodeEnhanceYourCalm, h2.ErrCodeInadequateSecurity:
		return code
	}
	return h2.ErrCodeInternal
}

// onH2UpstreamGone: the connection the stream was on (or waited for) closed.
func (s *Stream) onH2UpstreamGone(err error, beforeOpen bool) {
	if beforeOpen || s.up == upDialling {
		if !s.retry() {
			s.fail(connectFailure(err))
		}
		return
	}
	s.fail(failUpstreamReset)
}

// retryRefused sends a request the backend refused unprocessed to another
// connection (to the same or another backend), once.
func (s *Stream) retryRefused() bool {
	if s.tries > s.cs.cluster.Retries+1 {
		return false
	}
	s.ls.stats.retries.Add(1)
	s.stopClock()
	s.upPend, s.upPendEnd = s.upPend[:0], false
	s.ds.waitUpstream()
	s.connectTo(s.backend)
	return true
}

func (u *upH2) buffered() int { return len(u.upPend) }

// pauseResponse: nothing to do now; onH2Data holds the credit of what
// comes while s.upPaused, so the backend's window for this stream closes.
func (u *upH2) pauseResponse() {}

// resumeResponse credits back what was held while paused.
func (u *upH2) resumeResponse() {
	u.hu.conn.Consume(u.upID, u.upCredit)
	u.upCredit = 0
	u.hu.flush()
}

func (u *upH2) protocol() string { return "2" }

// release leaves the upstream stream (reuse means nothing here: the
// connection is shared): a stream that did not end both ways is reset
// (CANCEL), so the backend stops working on it.
func (u *upH2) release(bool) {
	s := (*Stream)(u)
	hu := s.hu
	if s.upCredit > 0 && s.upID != 0 {
		hu.conn.Consume(s.upID, s.upCredit) // the shared connection's window, held for a slow client
	}
	if s.upID != 0 && (s.up != upDone || !s.reqDone) {
		hu.conn.Reset(s.upID, h2.ErrCodeCancel)
		s.ls.stats.countH2Reset(h2.ErrCodeCancel, false)
	}
	s.upPend, s.upPendEnd, s.upCredit = s.upPend[:0], false, 0
	hu.forget(s)
}
