package proxy

import (
	"github.com/velox-proxy/velox/h1"
	"time"

	"github.com/velox-proxy/velox/upstream"
)

// upSide is the backend side of one stream, as the stream core sees it:
// an HTTP/1.1 connection from the cluster's pool (upH1, up_h1.go: one
// stream on it at a time, pooled after it) or one stream of a shared
// HTTP/2 connection (upH2, stream_h2up.go, on an h2Up of up_h2.go). It is
// the mirror of downSide: the core calls it for everything that goes to the
// backend or depends on how the backend's protocol frames a message, and
// the side calls the core back with the same events whatever the protocol:
//
//	the response head, in Stream.resp    Stream.readResponse, then Stream.writeResponseHead
//	response body bytes                  downSide.writeData (through writeBody or the h1 scanner)
//	the response's end                   Stream.finish
//	the backend took what was queued     Stream.upstreamDrained
//	a reset or a failure                 Stream.fail (or a retry first)
//
// Both implementations are views of the Stream itself (the fields they use
// live in it, so the free list keeps their buffers); Stream.upside picks
// the one the stream is on, and nil when it is on none.
type upSide interface {
	// sendHead writes the request head once the connection (h1) or the
	// stream (h2) is open, and lets the body follow (downSide.expectBody).
	sendHead()
	// takeBody takes request body bytes as an HTTP/1.1 client framed them
	// (Content-Length or chunked): passed through as they are to an
	// HTTP/1.1 backend, de-framed into DATA for an HTTP/2 one. It returns
	// what it consumed and whether the body ended.
	takeBody(data []byte) (int, bool)
	// sendData sends body bytes already de-framed (an HTTP/2 client's);
	// end: nothing follows.
	sendData(p []byte, end bool)
	// sendTrailers ends the body with the request's trailers (s.reqTrail).
	sendTrailers()
	buffered() int      // request bytes queued toward the backend for this stream
	pauseResponse()     // the client is slow: stop taking the response
	resumeResponse()    // the client caught up: take it again
	release(reuse bool) // leave the backend: pooled if reuse, else cut (h2: RST_STREAM CANCEL)
	protocol() string   // the response's protocol for Via: "" for HTTP/1.x (from its version), "2"
}

// upside is the stream's backend side, or nil while it has none.
func (s *Stream) upside() upSide {
	switch {
	case s.hu != nil:
		return (*upH2)(s)
	case s.uc != nil:
		return (*upH1)(s)
	}
	return nil
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

// connectTo puts the stream on b: the cluster's protocol decides the pool.
func (s *Stream) connectTo(b *upstream.Backend) {
	s.backend = b
	s.tries++
	if s.cs.h2 != nil {
		s.attachH2(b)
		return
	}
	s.attachH1(b)
}

// releaseUpstream leaves the backend side, if any.
func (s *Stream) releaseUpstream(reuse bool) {
	if us := s.upside(); us != nil {
		us.release(reuse)
	}
}

// dropUpstream abandons the backend side, if any.
func (s *Stream) dropUpstream() { s.releaseUpstream(false) }

// upBuffered is what is queued toward the backend for this stream.
func (s *Stream) upBuffered() int {
	if us := s.upside(); us != nil {
		return us.buffered()
	}
	return 0
}

// upProtocol is upSide.protocol, "" without a backend.
func (s *Stream) upProtocol() string {
	if us := s.upside(); us != nil {
		return us.protocol()
	}
	return ""
}

// retry starts the request again on another backend when that is safe: an
// idempotent request that no backend has answered, within the cluster's
// retry budget, with another healthy backend to go to. It reports whether
// it did; if not, the caller reports the original failure.
func (s *Stream) retry() bool {
	if !s.idempotent {
		return false
	}
	b, ok := s.cs.nextBackend(s.backend, s.tries)
	if !ok {
		return false
	}
	s.ls.stats.retries.Add(1)
	s.stopClock()
	s.ds.waitUpstream()
	s.connectTo(b)
	return true
}

// maxRaceRetries bounds raceRetry per request: the pool may hold more
// than one connection the backend has just closed.
const maxRaceRetries = 3

// raceRetry resends a bodiless idempotent request whose reused connection
// the backend closed before any byte of an answer (the keep-alive race)
// on another connection to the same backend, as nginx and HAProxy do. It
// is not the backend's failure and not one of the cluster's retries (a
// cluster of one backend has no other to go to); upstream_retries_total
// counts it.
func (s *Stream) raceRetry() bool {
	if !s.reused || !s.idempotent || s.req.Framing != h1.FramingNone || s.raceRetries >= maxRaceRetries {
		return false
	}
	s.raceRetries++
	s.ls.stats.retries.Add(1)
	s.stopClock()
	s.ds.waitUpstream()
	s.tries-- // connectTo counts a try of the backend: this is none
	s.connectTo(s.backend)
	return true
}

// nextBackend picks the backend a retry goes to after failed failed,
// when tries so far leave room in the cluster's retries and there is
// another backend to go to; failed's pick is done with then.
func (cs *clusterState) nextBackend(failed *upstream.Backend, tries int) (*upstream.Backend, bool) {
	if tries > cs.cluster.Retries {
		return nil, false
	}
	b, err := cs.picker.Pick(time.Now(), failed)
	if err != nil || b == failed {
		if err == nil {
			cs.picker.Done(b)
		}
		return nil, false
	}
	cs.picker.Done(failed)
	return b, true
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
	us := s.upside()
	if !s.upPaused || us == nil {
		return
	}
	s.upPaused = false
	us.resumeResponse()
	s.syncBackendClock(true)
}

// checkDownFull pauses the backend when the client side has too much
// queued (flow.go).
func (s *Stream) checkDownFull() {
	if s.upPaused || !s.overLimit(s.ds.buffered()) {
		return
	}
	s.upPaused = true
	if us := s.upside(); us != nil {
		us.pauseResponse()
	}
}
