package proxy

import (
	"io"
	"time"

	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/h1"
	"github.com/velox-proxy/velox/upstream"
)

// upH1 is the stream's side of an HTTP/1.1 backend connection (Stream.uc,
// one stream on it at a time): the request goes as the head prepareHead
// wrote into s.head and the body as the client framed it (or chunked, for
// an HTTP/2 client's body of unknown length); the response comes back as
// bytes that response.go parses. The connection returns to the cluster's
// pool after a complete exchange, or is closed.
type upH1 Stream

var _ upSide = (*upH1)(nil)

// upstreamHandler is the handler of every HTTP/1.1 upstream connection a
// stream is using on one loop. It finds the stream through the loop's
// stream table; a connection no stream claims is closed.
type upstreamHandler struct{ ls *loopState }

var _ eventloop.Handler = (*upstreamHandler)(nil)

func (h *upstreamHandler) OnOpen(c *eventloop.Conn) {
	if s := h.ls.streams.upstreamOf(c); s != nil {
		(*upH1)(s).sendHead()
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

// attachH1 takes a pooled connection to b or dials one.
func (s *Stream) attachH1(b *upstream.Backend) {
	ls := s.ls
	if uc := s.cs.pool.Get(b); uc != nil {
		ls.stats.upstreamReused.Add(1)
		s.reused = true
		uc.EC.SetHandler(&ls.up) // from the pool's idling handler
		s.bindH1(uc)
		(*upH1)(s).sendHead()
		return
	}
	uc, err := s.cs.dial(b, &ls.up, false)
	if err != nil {
		s.fail(pickFailure(err))
		return
	}
	ls.stats.upstreamConnects.Add(1)
	s.reused = false
	s.up = upDialling
	s.bindH1(uc)
	if v := s.cs.cluster.SendProxy; v > 0 {
		dc := s.ds.clientConn()
		s.scratch = appendProxyHeader(s.scratch[:0], v, dc.ec, dc.dest)
		uc.EC.Write(s.scratch) // the first bytes, once connected
	}
}

// bindH1 makes uc the stream's. Its handler is the loop's upstreamHandler
// already: set by attachH1 for a pooled one, given to dial for a new one
// (where, with TLS, the handshaker holds it until the handshake is done).
func (s *Stream) bindH1(uc *upstream.Conn) {
	s.uc = uc
	s.ls.streams.bindUp(uc.EC, s)
}

// sendHead writes the request head upstream and lets the body follow.
func (u *upH1) sendHead() {
	s := (*Stream)(u)
	s.up = upHead
	s.uc.Requests++
	s.backend.CountRequest()
	if !s.reqDone && s.ds.coalescing() {
		// The body that came with the head is being handled right now:
		// send both with one writev (takeBody, or flushHead when the
		// client's OnData ends without body bytes).
		s.headPending = true
		s.ds.expectBody(false)
		return
	}
	if s.uc.EC.Write(s.head) != nil {
		return // the close is reported through OnClose
	}
	if s.reqDone {
		s.ds.requestSent()
		s.syncBackendClock(true)
		return
	}
	s.ds.expectBody(true)
}

// flushHead sends a head held back for coalescing when no body bytes came.
func (s *Stream) flushHead() {
	s.headPending = false
	if s.uc != nil && s.uc.EC.Write(s.head) == nil && !s.reqDone {
		s.ds.bodyProgress()
	}
}

// takeBody passes an HTTP/1.1 client's body through, framing and all.
func (u *upH1) takeBody(data []byte) (int, bool) {
	s := (*Stream)(u)
	n, done, err := s.reqBody.Scan(data)
	if err != nil {
		// Broken body framing: 400 unless the backend already answered.
		s.ls.stats.badRequests.Add(1)
		status, reason := requestErrorStatus(err)
		s.abortWith(status, reason)
		return len(data), false
	}
	s.bodyBytes += int64(n)
	if s.bodyTooLarge() {
		return len(data), false
	}
	if s.headPending {
		s.headPending = false
		s.uc.EC.Writev(s.head, data[:n])
	} else if n > 0 {
		s.uc.EC.Write(data[:n])
	}
	if s.uc == nil {
		return len(data), false // the upstream side is gone
	}
	if done {
		s.requestSent()
		return n, true
	}
	if s.overLimit(u.buffered()) {
		s.stallBody()
	} else if n > 0 {
		s.ds.bodyProgress()
	}
	return n, false
}

// sendData sends an HTTP/2 client's body bytes: as they are when the
// length is known, else chunk-encoded (buildRequest added
// Transfer-Encoding).
func (u *upH1) sendData(p []byte, end bool) {
	s := (*Stream)(u)
	ec := s.uc.EC
	if s.req.Framing == h1.FramingChunked {
		if len(p) > 0 {
			s.scratch = h1.AppendChunkHeader(s.scratch[:0], len(p))
			ec.Writev(s.scratch, p, crlf)
		}
		if end {
			ec.Write(lastChunk)
		}
	} else if len(p) > 0 {
		ec.Write(p)
	}
	if s.uc == nil {
		return // the write failed and closed it
	}
	if end {
		s.requestSent()
		return
	}
	if s.overLimit(u.buffered()) {
		s.stallBody()
	}
}

// sendTrailers ends a chunked body with the trailers in its last chunk; a
// Content-Length body has no room for them (trailers.go).
func (u *upH1) sendTrailers() {
	s := (*Stream)(u)
	if s.req.Framing != h1.FramingChunked {
		s.requestSent()
		return
	}
	b := append(append(s.scratch[:0], "0\r\n"...), s.reqTrail...)
	s.scratch = append(b, "\r\n"...)
	s.uc.EC.Write(s.scratch)
	if s.uc != nil {
		s.requestSent()
	}
}

func (u *upH1) buffered() int { return u.uc.EC.Buffered() }

func (u *upH1) pauseResponse() { u.uc.EC.PauseRead() }

func (u *upH1) resumeResponse() { u.uc.EC.ResumeRead() }

func (u *upH1) protocol() string { return "" }

// release gives the connection back to the pool or closes it.
func (u *upH1) release(reuse bool) {
	s := (*Stream)(u)
	uc := s.uc
	s.uc = nil
	s.ls.streams.unbindUp(uc.EC)
	if reuse && !s.upPaused && s.cs.cluster.SendProxy == 0 { // a pool a reload replaced closes what it is given; a PROXY header named one client
		s.cs.pool.Put(uc)
		return
	}
	s.cs.pool.Forget(uc)
	uc.EC.Close()
}

// onUpstreamClose handles the upstream connection closing under the stream.
func (s *Stream) onUpstreamClose(err error) {
	uc := s.uc
	s.uc = nil
	s.ls.streams.unbindUp(uc.EC)
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
		// the classic keep-alive race: safe to resend a bodiless request,
		// on another connection to the same backend first (raceRetry),
		// else to the next backend.
		if s.raceRetry() {
			return
		}
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
		if s.dc != nil {
			s.dc.closeAfterFlush()
		} // an HTTP/2 stream's tunnel (ws_h2.go): end() ends it, END_STREAM after what is pending (h2Stream.streamEnded)
		s.end()
	}
}
