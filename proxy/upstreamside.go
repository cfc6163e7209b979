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
	if s.cs.h2 != nil {
		s.attachH2(b)
		return
	}
	ls := s.ls
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
	s.ls.streams.bindUp(uc.EC, s)
	uc.EC.SetHandler(&s.ls.up)
}

// sendHead writes the request head upstream and lets the body follow.
func (s *Stream) sendHead() {
	if s.hu != nil {
		s.sendHeadH2()
		return
	}
	s.up = upHead
	s.uc.Requests++
	s.backend.CountRequest()
	if !s.reqDone && s.ds.coalescing() {
		// The body that came with the head is being handled right now:
		// send both with one writev (onRequestBody, or flushHead when the
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

// releaseUpstream gives the connection back to the pool or closes it.
func (s *Stream) releaseUpstream(reuse bool) {
	if s.hu != nil {
		s.releaseH2()
		return
	}
	uc := s.uc
	if uc == nil {
		return
	}
	s.uc = nil
	s.ls.streams.unbindUp(uc.EC)
	if reuse && !s.upPaused { // a pool a reload replaced closes what it is given
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
	s.ls.stats.retries.Add(1)
	s.stopClock()
	s.ds.waitUpstream()
	s.connectTo(b)
	return true
}

// upstreamDrained resumes the client side once upstream took its bytes: the
// body clock is the client's again.
func (s *Stream) upstreamDrained() {
	if s.upStalled {
		s.upStalled = false
		s.syncBackendClock(true)
	}
	s.ds.resumeBody()
}

// downstreamDrained resumes the upstream side once the client caught up:
// the backend's clock starts afresh.
func (s *Stream) downstreamDrained() {
	if !s.upPaused {
		return
	}
	switch {
	case s.uc != nil:
		s.upPaused = false
		s.uc.EC.ResumeRead()
		s.syncBackendClock(true)
	case s.hu != nil:
		s.upPaused = false
		s.hu.conn.Consume(s.upID, s.upCredit)
		s.upCredit = 0
		s.hu.flush()
		s.syncBackendClock(true)
	}
}
