package proxy

import (
	"time"

	"github.com/velox-proxy/velox/eventloop"
)

// The clocks of a request, and whom each one blames. A clock runs only while
// the side it times is the one holding things up, so a slow client never
// makes a backend look slow (and never gets it ejected), and a slow backend
// never makes velox cut a client off:
//
//	clock                    timer            runs while                                  when it fires
//	timeouts.header_read     downConn.timer   a request head has begun and is incomplete  408, close
//	timeouts.client_body     downConn.timer   velox wants more request body               408 (or close once answered)
//	timeouts.idle            downConn.timer   keep-alive, between requests                close
//	response_timeout         Stream.timer     the backend owes velox bytes (backendOwes)  504 (or close), a backend failure
//	timeouts.send            downConn.sendT.  bytes are queued for the client              close; bounds CloseAfterFlush
//	timeouts.tunnel_idle     Stream.timer     after 101, no byte either way                close both
//
// The backend owes bytes when the request is all sent and no response head
// has come, when it leaves request body bytes unread (velox has paused the
// client for it), and between two reads of the response body unless velox
// has paused the backend because the client is slow to read.

// streamClock says what Stream.timer is timing.
type streamClock uint8

const (
	clockOff     streamClock = iota
	clockBackend             // response_timeout: the backend owes bytes
	clockTunnel              // tunnel_idle: after 101
)

// backendOwes reports whether the backend is the side the stream waits for.
func (s *Stream) backendOwes() bool {
	if s.upside() == nil {
		return false
	}
	switch s.up {
	case upDialling:
		// Queued for a stream of an HTTP/2 connection (its dial, or the
		// backend's MAX_CONCURRENT_STREAMS): the backend holds it up.
		return s.hu != nil
	case upHead:
		return s.reqDone || s.upStalled
	case upBody:
		return !s.upPaused || s.upStalled
	}
	return false
}

// syncBackendClock starts, restarts or stops the response timeout to match
// backendOwes. progress says the backend just did something (sent bytes or
// took some), which starts its clock afresh.
func (s *Stream) syncBackendClock(progress bool) {
	if !s.backendOwes() {
		if s.clock == clockBackend {
			s.stopClock()
		}
		return
	}
	if progress || s.clock != clockBackend {
		s.clock = clockBackend
		s.timer.Reset(s.cs.cluster.ResponseTimeout)
	}
}

// stopClock stops whatever Stream.timer is timing.
func (s *Stream) stopClock() {
	s.timer.Stop()
	s.clock = clockOff
}

// onTimer fires when the clock the stream runs is out.
func (s *Stream) onTimer() {
	switch s.clock {
	case clockBackend:
		s.clock = clockOff
		if s.backend != nil {
			s.backend.ReportFailure(time.Now())
		}
		s.fail(failResponseTimeout)
	case clockTunnel:
		s.onTunnelTimer()
	}
}

// startTunnelClock arms tunnel_idle; activity only records the time, and the
// timer re-arms itself for what is left, so a busy tunnel costs no timer
// operation per chunk.
func (s *Stream) startTunnelClock() {
	s.clock = clockTunnel
	s.lastActive = s.ls.loop.Now()
	s.timer.Reset(s.tbl.limits.tunnelIdle)
}

func (s *Stream) onTunnelTimer() {
	idle := time.Duration(s.ls.loop.Now() - s.lastActive)
	if left := s.tbl.limits.tunnelIdle - idle; left > 0 {
		s.timer.Reset(left)
		return
	}
	s.clock = clockOff
	if s.ls.srv.log.Verbose() {
		s.ls.srv.log.request("proxy", s.ip, s.info, 0, "tunnel idle for timeouts.tunnel_idle, closed", "", "")
	}
	if s.dc == nil {
		s.closeH2Tunnel()
		return
	}
	s.dc.ec.Close() // OnClose cancels the stream and closes the upstream side
}

// startBodyClock (re)arms client_body while velox reads a request body.
func (dc *downConn) startBodyClock() {
	dc.tmode = tmBody
	dc.timer.Reset(dc.ls.tbl.limits.clientBody)
}

// stopBodyClock stops client_body (the body is in, or the backend is the
// one not taking it).
func (dc *downConn) stopBodyClock() {
	if dc.tmode == tmBody {
		dc.timer.Stop()
		dc.tmode = tmIdle
	}
}

// onBodyTimeout: the client stopped sending its body. Its fault alone: the
// backend is not blamed.
func (dc *downConn) onBodyTimeout() {
	dc.tmode = tmIdle
	s := dc.st
	if s == nil {
		dc.ec.Close()
		return
	}
	dc.ls.srv.log.request("downstream", s.ip, s.info, 408, "request body stalled for timeouts.client_body", "", "")
	dc.ls.stats.badRequests.Add(1)
	s.abortWith(408, "request body not received in time")
}

// sendClock times a client that has bytes queued for it (timeouts.send).
// A connection holds one only while output is queued: it comes from the
// loop's free list, so an idle keep-alive connection does not carry it.
type sendClock struct {
	// Immutable:
	timer eventloop.Timer
	// Owned by the loop:
	dc   *downConn
	mark uint64 // dc.ec.Sent() at the last tick
}

// watchSend starts timeouts.send when bytes are left queued for the client.
// It costs a comparison when the kernel took everything, as it mostly does.
func (dc *downConn) watchSend() {
	if dc.send != nil || dc.ec.Buffered() == 0 {
		return
	}
	sc := dc.ls.getSendClock()
	sc.dc, sc.mark = dc, dc.ec.Sent()
	dc.send = sc
	sc.timer.Reset(dc.ls.tbl.limits.send)
}

// stopSend gives the send clock back: the queue drained or the client is gone.
func (dc *downConn) stopSend() {
	if sc := dc.send; sc != nil {
		sc.timer.Stop()
		sc.dc, dc.send = nil, nil
		dc.ls.freeSend = append(dc.ls.freeSend, sc)
	}
}

// onTimer: a client that took some bytes since the last tick is slow but
// alive; one that took none for the whole timeout is closed.
func (sc *sendClock) onTimer() {
	dc := sc.dc
	ec := dc.ec
	if ec.Closed() || ec.Buffered() == 0 {
		dc.stopSend()
		return
	}
	if sent := ec.Sent(); sent != sc.mark {
		sc.mark = sent
		sc.timer.Reset(dc.ls.tbl.limits.send)
		return
	}
	dc.ls.srv.log.conn("downstream", dc.remoteIP(), 0, "client took no bytes for timeouts.send, closed")
	ec.Close() // OnClose gives the clock back
}

var _ eventloop.HalfCloser = (*downConn)(nil)
