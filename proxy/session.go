package proxy

import "github.com/velox-proxy/velox/tlsloop"

// Session is what ConnFilters see of a client connection (Accept,
// Handshake, Finish): a view of the connection itself, valid only during
// the filter call.
type Session downConn

func (dc *downConn) session() *Session { return (*Session)(dc) }

// RemoteIP is the client's IP in text form, valid during the call.
func (c *Session) RemoteIP() []byte { return (*downConn)(c).remoteIP() }

// LoopID is the index of the loop that owns the connection.
func (c *Session) LoopID() int { return c.ls.id }

// Requests is how many requests the connection has begun.
func (c *Session) Requests() uint32 { return c.nextID }

// TLS is what the TLS handshake of the connection settled (server name,
// ALPN, version, the verified client certificate), nil on a plain
// connection. At Accept and Handshake it is already known: those filters
// run after the handshake.
func (c *Session) TLS() *tlsloop.Info { return tlsloop.State(c.ec) }
