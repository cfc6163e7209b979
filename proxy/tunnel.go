package proxy

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
