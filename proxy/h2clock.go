package proxy

import "github.com/velox-proxy/velox/h2"

// The clocks of an HTTP/2 stream (the connection's idle clock is the
// downConn's). HTTP/1.1 times a client through its socket; on a shared
// HTTP/2 connection each stream is timed on its own, by one timer per
// h2Stream:
//
//	clock                  runs while                                     when it fires
//	timeouts.client_body   velox wants more request body and is reading   408 (RST_STREAM once answered)
//	timeouts.send          response bytes wait for the client's window    RST_STREAM(CANCEL), backend released
//
// A zero-window stall thus costs at most limits.stream_buffer bytes (the
// backend is paused above it) for at most timeouts.send. Progress (bytes
// received or sent since the last tick) restarts the clock without a timer
// operation per frame.

// bodyWanted reports whether the stream waits for request body bytes.
func (hs *h2Stream) bodyWanted() bool {
	s := hs.s
	return s != nil && !s.reqDone && !hs.reqEnded && !hs.paused && !hs.waiting
}

// watch arms the stream's clock if either condition holds.
func (hs *h2Stream) watch() {
	if hs.timer.Armed() || hs.hd == nil {
		return
	}
	lim := &hs.hd.dc.ls.tbl.limits
	switch {
	case len(hs.pend) > 0:
		hs.sentMark = hs.sent
		hs.timer.Reset(lim.send)
	case hs.bodyWanted():
		hs.recvMark = hs.recv
		hs.timer.Reset(lim.clientBody)
	}
}

func (hs *h2Stream) onTimer() {
	hd := hs.hd
	if hd == nil {
		return
	}
	ls := hd.dc.ls
	lim := &ls.tbl.limits
	switch {
	case len(hs.pend) > 0:
		if hs.sent != hs.sentMark {
			hs.sentMark = hs.sent
			hs.timer.Reset(lim.send)
			return
		}
		ls.srv.log.conn("downstream", hd.dc.remoteIP(), 0, "HTTP/2 stream window closed for timeouts.send, stream reset")
		hs.resetAndCancel(h2.ErrCodeCancel)
	case hs.bodyWanted():
		if hs.recv != hs.recvMark {
			hs.recvMark = hs.recv
			hs.timer.Reset(lim.clientBody)
			return
		}
		s := hs.s
		ls.srv.log.request("downstream", s.ip, s.info, 408, "request body stalled for timeouts.client_body", "", "")
		ls.stats.badRequests.Add(1)
		s.abortWith(408, "request body not received in time")
	}
}

// resetAndCancel resets the stream toward the client and cancels its
// backend side.
func (hs *h2Stream) resetAndCancel(code h2.ErrCode) {
	hs.dropBody()
	if !hs.reset {
		hs.reset, hs.ended = true, true
		hs.conn().Reset(hs.id, code)
		hs.hd.dc.ls.stats.countH2Reset(code, false)
		hs.hd.flush()
	}
	hs.pend = hs.pend[:0]
	if s := hs.s; s != nil {
		s.cancel()
		return
	}
	hs.release()
}
