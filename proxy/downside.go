package proxy

// downSide is the client side of one stream, as the stream core sees it:
// an HTTP/1.1 connection (downConn, one stream at a time, down_h1.go) or one
// stream of an HTTP/2 connection (h2Stream, down_h2.go). The core calls it
// for everything that goes to the client or depends on how the client's
// protocol frames a message; the side calls the core back with the request
// body (Stream.onRequestBody, Stream.forwardBody), when the client drained
// what was queued for it (Stream.downstreamDrained), and when the client
// went away (Stream.cancel).
//
// Heads reach a side in one neutral form: the request as an h1.Request built
// by the side (its fields point into the stream's reqBuf), the response as
// the h1.Response parsed from the backend (Stream.resp), and velox's own
// responses rendered by Respond into Stream.out as an HTTP/1.1 message,
// which a side that speaks another protocol re-reads (they are small and off
// the fast path).
type downSide interface {
	clientIP(dst []byte) []byte
	clientConn() *downConn // the client's connection (for a PROXY header naming it)

	// Request side.
	waitUpstream()         // no upstream connection yet: hold further request bytes
	coalescing() bool      // body bytes that came with the head are being handled now
	expectBody(start bool) // the head is upstream; the body follows (start: read it now)
	bodyProgress()         // body bytes went upstream: the client's body clock restarts
	pauseBody()            // the backend is not taking the body: stop reading it
	resumeBody()           // the backend took what was queued: read on
	requestSent()          // the whole request is upstream
	stopBodyClock()
	continue100() // answer Expect: 100-continue

	// Response side.
	writeInterim(s *Stream)                  // a 1xx head in s.resp (not 101, not a second 100)
	prepareResponse(s *Stream)               // decide framing for s.resp (sets s.dechunk, s.keepAlive, s.status)
	writeHead(s *Stream, body []byte)        // the final head with the first body bytes
	writeData(p []byte)                      // response body bytes, already de-framed when s.dechunk
	sendLocal(s *Stream)                     // velox's own complete response, rendered in s.out
	buffered() int                           // bytes queued for the client on this stream
	watchSend()                              // bytes may be queued: time the client (timeouts.send)
	responseDone(keepAlive, bodyUnread bool) // the whole response is queued; bodyUnread: the request body was not all read
	abort()                                  // cut a response that has begun short
	closeConn()                              // a filter's CloseConn: drop the client connection
	streamEnded()                            // the stream is being released
}
