package h2

// ConnStats are a Conn's counters, for the owner to add to /stats.
// Reset counts are by error code; codes above 15 count in slot 15.
type ConnStats struct {
	StreamsOpened   uint64
	ResetsSent      [16]uint64
	ResetsReceived  [16]uint64
	GoAwaysSent     uint64
	GoAwaysReceived uint64
}

// Stats returns the counters since NewConn or Reinit.
func (c *Conn) Stats() ConnStats { return c.stats }

// codeSlot is code's index in the reset counters.
func codeSlot(code ErrCode) int { return int(min(code, 15)) }

// Each calls f with each counter's stable snake_case name and value:
// h2_streams_opened, h2_goaways_sent, h2_goaways_received, and
// h2_resets_sent_<code> and h2_resets_received_<code> for the codes of RFC
// 9113 section 7 (<code> is the code's name in lower case; slot 14 is
// code_14, slot 15 code_15_up).
func (s *ConnStats) Each(f func(name string, v uint64)) {
	f("h2_streams_opened", s.StreamsOpened)
	f("h2_goaways_sent", s.GoAwaysSent)
	f("h2_goaways_received", s.GoAwaysReceived)
	for i := range s.ResetsSent {
		f(resetNames[i][0], s.ResetsSent[i])
		f(resetNames[i][1], s.ResetsReceived[i])
	}
}

// resetNames are the reset counters' names, sent and received, by slot.
var resetNames = func() (n [16][2]string) {
	for i := range n {
		code := "code_14"
		switch {
		case i < len(errCodeNames):
			code = lower(errCodeNames[i])
		case i == 15:
			code = "code_15_up"
		}
		n[i] = [2]string{"h2_resets_sent_" + code, "h2_resets_received_" + code}
	}
	return n
}()

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
