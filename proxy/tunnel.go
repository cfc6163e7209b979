package proxy

// startTunnel forwards the 101 head and turns both connections into a raw
// byte tunnel, timed by tunnel_idle.
func (s *Stream) startTunnel() {
	s.stopClock()
	s.dc.ec.Write(s.out)
	s.status, s.respSent, s.keepAlive = 101, true, false
	s.ls.stats.countStatus(101)
	s.up = upTunnel
	s.reqDone = true
	s.dc.state = stTunnel
	s.startTunnelClock()
	if s.dc.peerDone {
		s.tunnelHalfClose() // the client half-closed before the 101
	}
	s.dc.ec.ResumeRead()
}

func (s *Stream) tunnelUp(data []byte) int {
	s.lastActive = s.ls.loop.Now()
	if s.dc == nil { // an HTTP/2 stream (ws_h2.go): DATA frames, its window is the backpressure
		s.ds.writeData(data)
		s.checkDownFull()
		return len(data)
	}
	s.dc.ec.Write(data)
	s.dc.watchSend()
	s.checkDownFull()
	return len(data)
}

func (s *Stream) tunnelDown(data []byte) int {
	if s.uc == nil {
		return len(data)
	}
	s.lastActive = s.ls.loop.Now()
	s.uc.EC.Write(data)
	if s.overLimit(s.upBuffered()) {
		s.dc.ec.PauseRead()
	}
	return len(data)
}

// tunnelHalfClose passes the client's half-close on to the backend; the
// tunnel ends when the backend closes its side.
func (s *Stream) tunnelHalfClose() bool {
	if s.uc == nil {
		return false
	}
	s.uc.EC.CloseWrite()
	return true
}
