package proxy

// Backpressure, the one rule for every pairing of protocols: when more than
// limits.stream_buffer bytes are queued toward one side of a stream, the
// side that feeds it is paused, and it resumes when the queue drains
// (Stream.downstreamDrained, Stream.upstreamDrained). What "queued" and
// "paused" mean is each side's business:
//
//	side                 queued toward it                 paused by
//	HTTP/1.1 client      its socket's output queue        PauseRead of its socket (down_h1.go)
//	HTTP/2 client        its stream's pending bytes       withholding WINDOW_UPDATE for that stream (h2stream.go)
//	HTTP/1.1 backend     its socket's output queue        PauseRead of its socket
//	HTTP/2 backend       the stream's upPend              withholding WINDOW_UPDATE for that stream (stream_h2up.go)
//
// An HTTP/2 connection is never paused as a whole for one stream: its
// socket keeps being read (WINDOW_UPDATE, PING, RST_STREAM, other streams)
// and only the slow stream's window stays closed.

// overLimit reports whether n queued bytes are more than a stream may queue.
func (s *Stream) overLimit(n int) bool { return n > s.tbl.limits.streamBuffer }

// shiftOut drops the n bytes at the front of a pending buffer that a
// window took, and returns what is left (in the same storage).
func shiftOut(pend []byte, n int) []byte { return pend[:copy(pend, pend[n:])] }
