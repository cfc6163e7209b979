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
