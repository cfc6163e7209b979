package proxy

import (
	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/h1"
	"github.com/velox-proxy/velox/h2"
	"github.com/velox-proxy/velox/head"
	"github.com/velox-proxy/velox/upstream"
)

// upState is where the upstream side of a stream is.
type upState uint8

const (
	upNone     upState = iota // no upstream connection yet
	upDialling                // connect in progress
	upHead                    // request head sent; waiting for the response head
	upBody                    // forwarding the response body
	upTunnel                  // after 101
	upDone                    // response complete
)

// Stream is one request and its response. It comes from its loop's free
// list when a request head is complete and goes back when the request ends
// (loopState.getStream). Filters get it at the request points; it is valid
// only during the filter call.
type Stream struct {
	// Set by getStream for each request:
	ls *loopState
	ds downSide  // the client side: dc, or one stream of an HTTP/2 connection
	dc *downConn // the HTTP/1.1 client connection; nil for an HTTP/2 stream
	// Owned by the loop, kept with the stream on the free list:
	req       h1.Request  // points into reqBuf: valid at every callback point
	resp      h1.Response // valid during ReadResponse
	timer     eventloop.Timer
	writeDown func([]byte) // s.writeDownData, bound once
	writeUp   func([]byte) // s.writeUpData, bound once
	// Buffers, kept with the stream on the loop's free list:
	reqBuf  []byte // the request head as received, which req points into
	head    []byte // the request head as sent upstream
	out     []byte // response heads and local responses
	scratch []byte
	info    []byte // method, host and target, for the log
	ip      []byte // the client's IP, for X-Forwarded-For and logs (points into ipBuf)
	ipBuf   [48]byte
	hdrTmp  [2]h1.Header
	path    []byte   // the normalised path, when it is not the received one (target.go)
	certBuf []byte   // the client certificate header's value (tls.go)
	wsKey   [24]byte // the Sec-WebSocket-Key velox sent for an extended CONNECT (ws_h2.go)
	// For an HTTP/2 backend (stream_h2up.go):
	upFields []h2.Field // the request head's fields
	xff      []byte     // X-Forwarded-For sent
	viaUp    []byte     // Via sent
	upPend   []byte     // request body bytes the backend's window did not take
	// Trailers between HTTP/1.1 chunked bodies and HTTP/2 (trailers.go):
	trailBuf []byte     // the response's, as HTTP/1.1 field lines
	reqTrail []byte     // the request's, likewise
	trFields []h2.Field // either, parsed for HTTP/2
	// Owned by the loop, reset per request:
	perRequest
}

// perRequest is the part of a Stream that begins anew with every request.
type perRequest struct {
	active      bool
	tbl         *table
	hasResp     bool
	product     *product
	route       *route
	cs          *clusterState
	backend     *upstream.Backend
	uc          *upstream.Conn
	reused      bool  // uc came from the pool
	raceRetries uint8 // resent after a reused connection closed unanswered (raceRetry)
	tries       int
	up          upState
	keepAlive   bool // the client connection stays open after this response
	isHead      bool
	upgrade     bool
	idempotent  bool
	reqDone     bool // the whole request has been written upstream
	respSent    bool // the response head has been written downstream
	status      int
	reqBody     h1.BodyScanner
	respBody    h1.BodyScanner
	bodyBytes   int64
	upPaused    bool // upstream reading paused because the client is slow
	dechunk     bool // decode a chunked response for an HTTP/1.0 client
	headPending bool // head held back to go out in one writev with the body
	upStalled   bool // the client is paused because the backend is not taking the body
	sent100     bool // velox answered Expect: 100-continue itself
	lastWrite   bool // the bytes being written end the response (HTTP/2 sets END_STREAM on their frame)
	upTrail     bool // request trailers wait behind upPend for an HTTP/2 backend
	secure      bool // the client connection is TLS: X-Forwarded-Proto https
	clock       streamClock
	lastActive  int64 // loop time of the last tunnel byte (clockTunnel)
	extConnect  bool  // an HTTP/2 extended CONNECT, bridged to an HTTP/1.1 Upgrade (ws_h2.go)
	rpc         bool  // a view of an RPC request lent to filters (rpc_filter.go): Respond keeps status and body

	routePath []byte // the normalised path, for forward_path: original (target.go)

	// With an HTTP/2 backend (stream_h2up.go):
	hu        *h2Up  // the connection; uc is nil
	upID      uint32 // the stream on it (0 while queued)
	upPendEnd bool   // END_STREAM goes after upPend
	upCredit  int    // response bytes received while paused, not yet credited
	chunkOut  bool   // the response body goes chunked to an HTTP/1.1 client
}

// Request is the request head, valid at every callback point from
// BeforeLocation to RequestFinish: it points into the stream's own copy of
// the head, not into the read buffer. It is the same protocol-neutral head
// for every client protocol (HTTP/1.x, HTTP/2; head.Request says what each
// sets). Filters may change its headers (what they add must stay valid
// until the request ends).
func (s *Stream) Request() *head.Request { return &s.req }

// Response is the response head during ReadResponse, else nil; the same
// head.Response for every backend protocol.
func (s *Stream) Response() *head.Response {
	if !s.hasResp {
		return nil
	}
	return &s.resp
}

// Product and Cluster name where the request was routed ("" before).
func (s *Stream) Product() string {
	if s.product == nil {
		return ""
	}
	return s.product.name
}

func (s *Stream) Cluster() string {
	if s.cs == nil {
		return ""
	}
	return s.cs.cluster.Name
}

// Respond ends the request with velox's own response; the filter returns
// what Respond returns. headers and body are copied before Respond returns.
// The client's codec writes the response in its own protocol.
func (s *Stream) Respond(status int, contentType string, headers []head.Field, body []byte) Verdict {
	if s.respSent {
		return Continue
	}
	if s.rpc { // the RPC side writes the protocol's error with body as its message
		s.status, s.out = status, append(s.out[:0], body...)
		return Responded
	}
	if !s.reqDone {
		s.keepAlive = false // the body was not read: the connection cannot go on
	}
	s.out = h1.AppendSimpleResponse(s.out[:0], status, contentType, headers, body, !s.keepAlive)
	if s.isHead && status >= 200 && status != 204 && status != 304 {
		s.out = s.out[:len(s.out)-len(body)] // the head a GET would get, Content-Length included, and no body
	}
	s.status = status
	return Responded
}

const headBufSize = 4096

// newStream makes a stream for loop ls; it lives on ls's free list between
// requests, so the bound timer and writer function are made once.
func newStream(ls *loopState) *Stream {
	s := &Stream{head: make([]byte, 0, headBufSize)}
	s.timer.Init(ls.loop, s.onTimer)
	s.writeDown = s.writeDownData
	s.writeUp = s.writeUpData
	return s
}

// begin starts the stream for head, just parsed into s.req. It runs the
// request points and routing, then connects upstream.
func (s *Stream) begin(head []byte) {
	s.perRequest = perRequest{}
	s.adoptHead(head)
	s.start()
}

// start runs a stream whose request head is in s.req (pointing into
// s.reqBuf) and whose perRequest state is fresh.
func (s *Stream) start() {
	ls := s.ls
	s.active = true
	s.tbl = ls.tbl // onHead has just switched the loop to the current table
	s.keepAlive = s.req.KeepAlive && !ls.draining
	s.isHead = string(s.req.Method) == "HEAD"
	s.upgrade = s.req.Upgrade && s.upgradeAllowed()
	s.req.Upgrade = s.upgrade // an upgrade not allowed is forwarded as a plain request
	s.idempotent = idempotent(s.req.Method)
	s.reqDone = s.req.Framing == h1.FramingNone ||
		(s.req.Framing == h1.FramingLength && s.req.ContentLength == 0)
	s.reqBody.Reset(s.req.Framing, s.req.ContentLength)
	s.info = appendInfo(s.info[:0], &s.req)
	s.ip = s.ds.clientIP(s.ipBuf[:0])
	for _, name := range s.tbl.certHdrs {
		s.req.Del(name) // only velox says which client certificate verified (tls.go)
	}
	if dc := s.ds.clientConn(); dc.ec.Transform() != nil {
		s.fromTLS(dc)
	}
	ls.stats.requests.Add(1)
	ls.stats.inflight.Add(1)
	s.ds.waitUpstream()
	if s.locate() {
		s.connect()
	}
}

// adoptHead copies the head out of the read buffer into the stream's own
// buffer and points s.req there: the read buffer is the loop's, and the next
// read on any connection (the upstream response first) overwrites it.
func (s *Stream) adoptHead(head []byte) {
	s.reqBuf = append(s.reqBuf[:0], head...)
	s.req.Rebase(head, s.reqBuf)
}

func appendInfo(dst []byte, r *h1.Request) []byte {
	dst = append(dst, r.Method...)
	dst = append(dst, ' ')
	dst = append(dst, r.Host...)
	return append(dst, r.Target...)
}

// locate runs BeforeLocation, tenant routing, FoundProduct, cluster routing
// and AfterLocation. It reports whether the request goes upstream; if not,
// it has been answered.
func (s *Stream) locate() bool {
	t := s.tbl
	if string(s.req.Method) == "CONNECT" {
		return s.fail(failConnect) // a reverse proxy does not open tunnels to any host
	}
	if s.extConnect && !s.upgrade {
		return s.fail(failExtConnect) // its :protocol is not on the upgrades list
	}
	if !s.routeTarget() {
		return false
	}
	if !s.runPoint(t.points[BeforeLocation]) {
		return false
	}
	if s.product = t.hosts.lookup(s.req.Host); s.product == nil {
		return s.fail(failNoRoute)
	}
	if !s.runPoint(t.points[FoundProduct]) || !s.runPoint(s.product.filters) {
		return false
	}
	ci := s.product.defaultCluster
	if s.route = s.product.match(s.matchPath(), &s.req); s.route != nil {
		ci = s.route.cluster
	}
	if ci >= 0 {
		s.cs = s.ls.clusters[ci] // AfterLocation filters see the cluster
	}
	if !s.runPoint(t.points[AfterLocation]) {
		return false
	}
	if s.route != nil && !s.runPoint(s.route.filters) {
		return false
	}
	if ci < 0 {
		return s.fail(failNoRoute)
	}
	if s.extConnect && s.cs.h2 != nil {
		return s.fail(failExtConnect) // bridged to HTTP/1.1 Upgrade only
	}
	if !s.checkBody() {
		return false
	}
	s.prepareHead()
	return true
}

// runPoint runs a chain; on a verdict other than Continue it carries it out
// and reports false.
func (s *Stream) runPoint(ch chain) bool {
	switch ch.run(s) {
	case Continue:
		return true
	case Responded:
		s.finishLocal()
	case CloseConn:
		s.ds.closeConn()
	}
	return false
}

// checkBody refuses a declared body over the limit before anything is sent.
func (s *Stream) checkBody() bool {
	max := s.tbl.limits.maxBody
	if max > 0 && s.req.Framing == h1.FramingLength && s.req.ContentLength > max {
		s.keepAlive = false
		s.ls.stats.badRequests.Add(1)
		s.Respond(413, "text/plain; charset=utf-8", nil, []byte("velox: request body too large\n"))
		s.finishLocal()
		return false
	}
	return true
}

// prepareHead writes the head to send upstream into s.head, and answers
// Expect: 100-continue itself (as nginx does) so the body starts flowing.
func (s *Stream) prepareHead() {
	if s.req.Expect100 {
		s.req.Del("Expect")
		if !s.reqDone {
			s.ds.continue100()
			s.sent100 = true
		}
	}
	if s.cs.h2 != nil {
		return // upH2.sendHead maps the head when the stream is open
	}
	o := h1.WriteOptions{ForwardedFor: s.ip, ForwardedProto: s.forwardedProto(), Via: viaName}
	if s.dc == nil {
		o.ViaProtocol = "2" // received over HTTP/2
	}
	s.head = h1.AppendRequestHead(s.head[:0], &s.req, &o)
}

var (
	continue100 = []byte("HTTP/1.1 100 Continue\r\n\r\n")
	protoHTTP   = []byte("http")
	protoHTTPS  = []byte("https")
	viaName     = []byte("velox")
)

// idempotent methods may be retried (RFC 9110 9.2.2).
func idempotent(m []byte) bool {
	switch string(m) {
	case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}

// onRequestBody forwards an HTTP/1.1 client's body bytes (framed as it
// sent them) to the backend side.
func (s *Stream) onRequestBody(data []byte) (int, bool) {
	us := s.upside()
	if us == nil {
		return len(data), false
	}
	return us.takeBody(data)
}

// bodyTooLarge answers 413 to a body over limits.max_body_bytes that had
// no Content-Length to refuse it by (the backend side is cut).
func (s *Stream) bodyTooLarge() bool {
	if max := s.tbl.limits.maxBody; max > 0 && s.bodyBytes > max {
		s.keepAlive = false
		s.ls.stats.badRequests.Add(1)
		s.abortWith(413, "request body too large")
		return true
	}
	return false
}

// requestSent: the whole request is written upstream; from now on the
// backend owes the response.
func (s *Stream) requestSent() {
	s.reqDone = true
	s.ds.requestSent()
	s.syncBackendClock(true)
}

// stallBody pauses the client because the backend is not taking the body:
// the backend's clock runs, not the client's.
func (s *Stream) stallBody() {
	s.ds.pauseBody()
	s.upStalled = true
	s.syncBackendClock(true)
}

// abortWith ends the stream with status (before any response) and closes
// the client connection.
func (s *Stream) abortWith(status int, reason string) {
	s.keepAlive = false
	s.answerError(status, reason)
}

// finishLocal sends the response a filter or Respond prepared and ends the stream.
func (s *Stream) finishLocal() {
	s.dropUpstream()
	s.ds.sendLocal(s)
	s.respSent = true
	s.ls.stats.countStatus(s.status)
	s.end()
	s.afterResponse()
}

// fail answers a proxy failure with the one status statusOf gives it, logs
// it, and reports false so routing code can return it.
func (s *Stream) fail(f failure) bool {
	code := statusOf(f)
	s.logFail(code, f)
	s.answer(code, reasonOf(f), s.backend != nil)
	return false
}

// answerError ends the stream with velox's own error: the status and a body
// saying why if no response has started, else by closing the client, whose
// response is cut short.
func (s *Stream) answerError(status int, why string) { s.answer(status, why, false) }

// answer is answerError, naming the backend in the body when withBackend.
// The body is built in the stream's scratch buffer: no allocation.
func (s *Stream) answer(status int, why string, withBackend bool) {
	if s.respSent {
		s.dropUpstream()
		s.ds.abort()
		s.end()
		return
	}
	b := append(append(s.scratch[:0], "velox: "...), why...)
	if withBackend {
		b = append(append(append(append(append(b, " ("...), s.cs.cluster.Name...), ' '), s.backend.Addr...), ')')
	}
	s.scratch = append(b, '\n')
	s.Respond(status, "text/plain; charset=utf-8", nil, s.scratch)
	s.finishLocal()
}

// afterResponse decides the client connection's fate once the response is
// fully queued downstream.
func (s *Stream) afterResponse() { s.ds.responseDone(s.keepAlive, !s.reqDone) }

// end releases what the stream holds, runs RequestFinish, and marks it done.
func (s *Stream) end() {
	if !s.active {
		return
	}
	s.stopClock()
	s.ds.stopBodyClock()
	if s.backend != nil {
		s.cs.picker.Done(s.backend)
	}
	ls := s.ls
	if fin := s.tbl.points[RequestFinish]; len(fin) > 0 {
		fin.run(s)
	}
	if ls.srv.log.Verbose() {
		ls.srv.log.access(s.ip, s.info, s.status)
	}
	ls.stats.inflight.Add(-1)
	s.active = false
	s.hasResp = false
	s.ds.streamEnded()
	ls.putStream(s)
}

// cancel runs when the client connection closes: the upstream request is
// abandoned and its connection closed, never reused.
func (s *Stream) cancel() {
	if !s.active {
		return
	}
	if s.up != upDone && s.up != upTunnel {
		s.ls.stats.clientAborts.Add(1)
		if s.ls.srv.log.Verbose() {
			s.logFail(statusOf(failClientGone), failClientGone)
		}
	}
	s.dropUpstream()
	s.end()
}

// forwardBody sends request body bytes that an HTTP/2 client sent (already
// de-framed) to the backend side. end says the client's END_STREAM came
// with them.
func (s *Stream) forwardBody(p []byte, end bool) {
	us := s.upside()
	if s.reqDone || us == nil {
		return
	}
	s.bodyBytes += int64(len(p))
	if s.bodyTooLarge() {
		return
	}
	us.sendData(p, end)
}

var (
	crlf      = []byte("\r\n")
	lastChunk = []byte("0\r\n\r\n")
)
