package proxy

// Session is what ConnFilters see of a client connection (Accept,
// Handshake, Finish). Valid only during the filter call.
type Session struct {
	dc *downConn
}

// RemoteIP is the client's IP in text form. Valid during the call.
func (c *Session) RemoteIP() []byte { return c.dc.ip }

// LoopID is the index of the loop that owns the connection.
func (c *Session) LoopID() int { return c.dc.ls.id }

// Requests is how many requests the connection has begun.
func (c *Session) Requests() uint32 { return c.dc.nextID }
