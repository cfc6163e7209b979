package tlsloop

import "sync/atomic"

// Stats are a Server's or a Client's counters, by stable snake_case name in the field
// tags (the gauges have no _total suffix).
type Stats struct {
	Handshakes  uint64 `metric:"tls_handshakes_total"`
	Resumed     uint64 `metric:"tls_handshakes_resumed_total"`
	InProgress  uint64 `metric:"tls_handshakes_in_progress"`
	Queued      uint64 `metric:"tls_handshakes_queued"`
	NotTLS      uint64 `metric:"tls_handshake_errors_not_tls_total"`
	Timeouts    uint64 `metric:"tls_handshake_errors_timeout_total"`
	UnknownSNI  uint64 `metric:"tls_handshake_errors_unknown_sni_total"`
	ClientCert  uint64 `metric:"tls_handshake_errors_client_cert_total"`
	ServerCert  uint64 `metric:"tls_handshake_errors_server_cert_total"`
	QueueFull   uint64 `metric:"tls_handshake_errors_queue_full_total"`
	Refused     uint64 `metric:"tls_handshake_errors_refused_total"`
	Aborted     uint64 `metric:"tls_handshake_errors_aborted_total"`
	OtherErrors uint64 `metric:"tls_handshake_errors_other_total"`
}

// counters are the live Stats, updated from loops and pool goroutines.
type counters struct {
	handshakes, resumed                      atomic.Uint64
	notTLS, timeouts, unknownSNI, clientCert atomic.Uint64
	serverCert, queueFull, refused, aborted  atomic.Uint64
	other                                    atomic.Uint64
}

// kindCounter is the counter of each HandshakeError.Kind.
func (c *counters) kindCounter(kind error) *atomic.Uint64 {
	switch kind {
	case ErrNotTLS:
		return &c.notTLS
	case ErrHandshakeTimeout:
		return &c.timeouts
	case ErrUnknownSNI:
		return &c.unknownSNI
	case ErrClientCert:
		return &c.clientCert
	case ErrServerCert:
		return &c.serverCert
	case ErrQueueFull:
		return &c.queueFull
	case ErrRefused:
		return &c.refused
	case ErrAborted:
		return &c.aborted
	}
	return &c.other
}

// Stats returns the counters now.
func (s *Server) Stats() Stats { return s.stats() }

// Stats returns the counters now (the server-only errors stay 0).
func (c *Client) Stats() Stats { return c.stats() }

func (e *core) stats() Stats {
	c := &e.count
	running, queued := e.pool.load()
	return Stats{
		Handshakes: c.handshakes.Load(), Resumed: c.resumed.Load(),
		InProgress: uint64(running), Queued: uint64(queued),
		NotTLS: c.notTLS.Load(), Timeouts: c.timeouts.Load(),
		UnknownSNI: c.unknownSNI.Load(), ClientCert: c.clientCert.Load(),
		ServerCert: c.serverCert.Load(),
		QueueFull:  c.queueFull.Load(), Refused: c.refused.Load(),
		Aborted: c.aborted.Load(), OtherErrors: c.other.Load(),
	}
}
