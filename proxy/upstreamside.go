package proxy

import (
	"io"
	"time"

	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/h1"
	"github.com/velox-proxy/velox/upstream"
)

// upstreamHandler is the handler of every upstream connection a stream is
// using on one loop. It finds the stream through the loop's stream table; a
// connection no stream claims is closed.
type upstreamHandler struct{ ls *loopState }

var _ eventloop.Handler = (*upstreamHandler)(nil)

func (h *upstreamHandler) OnOpen(c *eventloop.Conn) {
	if s := h.ls.streams.upstreamOf(c); s != nil {
		s.sendHead()
	}
}

func (h *upstreamHandler) OnData(c *eventloop.Conn, data []byte) int {
	s := h.ls.streams.upstreamOf(c)
	if s == nil {
		c.Close()
		return len(data)
	}
	return s.onResponseData(data)
}

func (h *upstreamHandler) OnWritable(c *eventloop.Conn) {
	if s := h.ls.streams.upstreamOf(c); s != nil {
		s.upstreamDrained()
	}
}

func (h *upstreamHandler) OnClose(c *eventloop.Conn, err error) {
	if s := h.ls.streams.upstreamOf(c); s != nil {
		s.onUpstreamClose(err)
	}
}

// connect picks a backend and connects to it.
func (s *Stream) connect() {
	b, err := s.cs.picker.Pick(time.Now(), nil)
	if err != nil {
		s.fail(failNoHealthy)
		return
	}
	s.connectTo(b)
}

// connectTo takes a pooled connection to b or dials one.
func (s *Stream) connectTo(b *upstream.Backend) {
	s.backend = b
	s.tries++
	ls := s.dc.ls
	if uc := s.cs.pool.Get(b); uc != nil {
		ls.stats.upstreamReused.Add(1)
		s.reused = true
		s.attach(uc)
		s.sendHead()
		return
	}
	uc, err := s.cs.pool.Dial(b, &ls.up)
	if err != nil {
		s.fail(pickFailure(err))
		return
	}
	ls.stats.upstreamConnects.Add(1)
	s.reused = false
	s.up = upDialling
	s.attach(uc)
}

func (s *Stream) attach(uc *upstream.Conn) {
	s.uc = uc
	s.dc.ls.streams.bindUp(uc.EC, s)
	uc.EC.SetHandler(&s.dc.ls.up)
}

// sendHead writes the request head upstream and lets the body follow.
func (s *Stream) sendHead() {
	s.up = upHead
	s.uc.Requests++
	s.backend.CountRequest()
	s.timer.Reset(s.cs.cluster.ResponseTimeout)
	if !s.reqDone && s.dc.inData {
		// The body that came with the head is being handled right now:
		// send both with one writev (onRequestBody, or flushHead when the
		// client's OnData ends without body bytes).
		s.headPending = true
		s.dc.state = stReqBody
		return
	}
	if s.uc.EC.Write(s.head) != nil {
		return // the close is reported through OnClose
	}
	if s.reqDone {
		s.dc.state = stAwaitResp
		return
	}
	s.dc.state = stReqBody
	s.dc.ec.ResumeRead()
}

// flushHead sends a head held back for coalescing when no body bytes came.
func (s *Stream) flushHead() {
	s.headPending = false
	if s.uc != nil {
		s.uc.EC.Write(s.head)
	}
}

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
	s.prepareResponseHead()
	if s.dechunk {
		s.writeResponseHead(nil)
		return n + s.onResponseBody(rest), false
	}
	m, done, err := s.respBody.Scan(rest)
	if err != nil {
		s.fail(failBadResponse) // nothing written downstream yet: a 502
		return len(data), false
	}
	s.writeResponseHead(rest[:m])
	s.afterBodyWrite(done, m < len(rest))
	return n + m, false
}

// onInformational forwards a 1xx (but 100, which velox answered itself) and
// switches to a tunnel after 101 on an upgrade request.
func (s *Stream) onInformational(data []byte, n int) (int, bool) {
	if s.resp.Status == 101 && s.upgrade {
		s.startTunnel(data[:n])
		return n, true
	}
	if s.resp.Status != 100 {
		s.dc.ec.Write(data[:n])
	}
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

// prepareResponseHead puts the head for the client in s.out.
func (s *Stream) prepareResponseHead() {
	if s.req.Minor == 0 && s.resp.Framing == h1.FramingChunked {
		// An HTTP/1.0 client knows no chunked coding: send it the data and
		// delimit the response by closing, as nginx does.
		s.dechunk = true
		s.resp.Del("Transfer-Encoding")
	}
	closeAfter := !s.keepAlive || s.resp.Framing == h1.FramingClose || s.dechunk
	s.keepAlive = !closeAfter
	o := h1.WriteOptions{Via: viaName, Close: closeAfter, KeepAlive: !closeAfter && s.req.Minor == 0}
	s.out = h1.AppendResponseHead(s.out[:0], &s.resp, &o)
	s.status = s.resp.Status
}

// writeResponseHead writes the head with the first body bytes (one writev
// for a small response).
func (s *Stream) writeResponseHead(body []byte) {
	s.dc.ec.Writev(s.out, body)
	s.respSent = true
	s.dc.ls.stats.countStatus(s.status)
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
		s.dc.ec.Write(data[:m])
	}
	if err != nil {
		s.fail(failBadResponse)
		return len(data)
	}
	s.afterBodyWrite(done, m < len(data))
	return m
}

// writeDownData writes decoded body data downstream. It is bound once to
// Stream.writeDown so that passing it to ScanData does not allocate.
func (s *Stream) writeDownData(data []byte) { s.dc.ec.Write(data) }

// afterBodyWrite finishes the stream or applies backpressure.
func (s *Stream) afterBodyWrite(done, leftover bool) {
	if s.uc == nil {
		return
	}
	if done {
		s.finish(!leftover && s.resp.KeepAlive)
		return
	}
	s.timer.Reset(s.cs.cluster.ResponseTimeout)
	if s.dc.ec.Buffered() > s.tbl.limits.streamBuffer {
		s.upPaused = true
		s.uc.EC.PauseRead()
	}
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

// releaseUpstream gives the connection back to the pool or closes it.
func (s *Stream) releaseUpstream(reuse bool) {
	uc := s.uc
	if uc == nil {
		return
	}
	s.uc = nil
	s.dc.ls.streams.unbindUp(uc.EC)
	if reuse && s.tbl == s.dc.ls.tbl && !s.upPaused {
		s.cs.pool.Put(uc)
		return
	}
	s.cs.pool.Forget(uc)
	uc.EC.Close()
}

// dropUpstream abandons the upstream connection, if any.
func (s *Stream) dropUpstream() { s.releaseUpstream(false) }

// onUpstreamClose handles the upstream connection closing under the stream.
func (s *Stream) onUpstreamClose(err error) {
	uc := s.uc
	s.uc = nil
	s.dc.ls.streams.unbindUp(uc.EC)
	s.cs.pool.Forget(uc)
	switch s.up {
	case upDialling:
		s.backend.ReportFailure(time.Now())
		if !s.retry() {
			s.fail(connectFailure(err))
		}
	case upHead:
		if !s.reused && isReset(err) {
			s.backend.ReportFailure(time.Now())
		}
		// A reused connection the backend closed just as we sent on it is
		// the classic keep-alive race: safe to resend a bodiless request.
		if !s.reused || s.req.Framing != h1.FramingNone || !s.retry() {
			s.fail(failUpstreamReset)
		}
	case upBody:
		if err == io.EOF && s.resp.Framing == h1.FramingClose {
			s.keepAlive = false
			s.finish(false)
			return
		}
		s.fail(failUpstreamReset)
	case upTunnel:
		s.up = upDone
		s.dc.closeAfterFlush()
		s.end()
	}
}

// retry starts the request again on another backend when that is safe: an
// idempotent request that no backend has answered, within the cluster's
// retry budget, with another healthy backend to go to. It reports whether
// it did; if not, the caller reports the original failure.
func (s *Stream) retry() bool {
	if !s.idempotent || s.tries > s.cs.cluster.Retries {
		return false
	}
	failed := s.backend
	b, err := s.cs.picker.Pick(time.Now(), failed)
	if err != nil || b == failed {
		if err == nil {
			s.cs.picker.Done(b)
		}
		return false
	}
	s.cs.picker.Done(failed)
	s.dc.ls.stats.retries.Add(1)
	s.timer.Stop()
	s.dc.state = stWaitUp
	s.connectTo(b)
	return true
}

// upstreamDrained resumes the client side once upstream took its bytes.
func (s *Stream) upstreamDrained() {
	if s.dc.state == stReqBody || s.dc.state == stTunnel {
		s.dc.ec.ResumeRead()
	}
}

// downstreamDrained resumes the upstream side once the client caught up.
func (s *Stream) downstreamDrained() {
	if s.upPaused && s.uc != nil {
		s.upPaused = false
		s.uc.EC.ResumeRead()
	}
}

// startTunnel forwards the 101 head as received and turns both connections
// into a raw byte tunnel.
func (s *Stream) startTunnel(head []byte) {
	s.timer.Stop()
	s.dc.ec.Write(head)
	s.status, s.respSent, s.keepAlive = 101, true, false
	s.dc.ls.stats.countStatus(101)
	s.up = upTunnel
	s.reqDone = true
	s.dc.state = stTunnel
	s.dc.ec.ResumeRead()
}

func (s *Stream) tunnelUp(data []byte) int {
	s.dc.ec.Write(data)
	if s.uc != nil && s.dc.ec.Buffered() > s.tbl.limits.streamBuffer {
		s.upPaused = true
		s.uc.EC.PauseRead()
	}
	return len(data)
}

func (s *Stream) tunnelDown(data []byte) int {
	if s.uc == nil {
		return len(data)
	}
	s.uc.EC.Write(data)
	if s.uc != nil && s.uc.EC.Buffered() > s.tbl.limits.streamBuffer {
		s.dc.ec.PauseRead()
	}
	return len(data)
}
