package proxy

// clockReasons are the log lines' reasons for the clocks that close a
// connection, with the configured durations written in once per config, so
// that a loop logs them as static strings, without formatting.
type clockReasons struct {
	tunnelIdle string // after 101, nothing passed either way
	clientBody string // the request body stalled
	send       string // the client took no bytes
}

func newClockReasons(l *limits) clockReasons {
	return clockReasons{
		tunnelIdle: "tunnel idle for " + l.tunnelIdle.String() + ", closed",
		clientBody: "request body stalled for " + l.clientBody.String(),
		send:       "took no bytes for " + l.send.String() + ", closed",
	}
}
