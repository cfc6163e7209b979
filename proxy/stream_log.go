package proxy

// logFail logs that the stream ended with status for failure f, naming the
// backend if one was picked. It copies what it needs (Logger.request).
func (s *Stream) logFail(status int, f failure) {
	cluster, addr := "", ""
	if s.backend != nil {
		cluster, addr = s.cs.cluster.Name, s.backend.Addr
	}
	s.ls.srv.log.request("proxy", s.ip, s.info, status, reasonOf(f), cluster, addr)
}
