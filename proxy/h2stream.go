package proxy

import (
	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/h1"
	"github.com/velox-proxy/velox/h2"
)

// h2Stream is one request stream of an HTTP/2 client connection, as the
// downSide of its Stream. It outlives the Stream when response bytes still
// wait for the client's window: the Stream ends (and its backend
// connection goes back to the pool) once the whole response is queued here.
type h2Stream struct {
	timer eventloop.Timer // client_body or send stall (h2clock.go); bound once
	h2StreamState
}

// h2StreamState is what begins anew with every stream.
type h2StreamState struct {
	hd *h2Down
	id uint32
	s  *Stream // nil once the Stream ended
	// Request body:
	waiting   bool   // no upstream connection yet: body bytes are held
	held      []byte // body bytes held while waiting (bounded by the stream window)
	heldEnd   bool
	heldTrail bool  // the held body ends with trailers (in the Stream's reqTrail)
	paused    bool  // the backend is not taking the body: credit is withheld
	credit    int   // body bytes forwarded but not yet credited to the client
	reqEnded  bool  // the client's END_STREAM came
	recv      int64 // body bytes received, and at the last clock tick
	recvMark  int64
	// Response:
	pend     []byte     // body bytes the send window did not take
	pendEnd  bool       // END_STREAM goes after pend
	ended    bool       // END_STREAM (or RST_STREAM) went out
	reset    bool       // the stream was reset either way
	trail    []h2.Field // trailers that wait for pend (their bytes in trailBuf)
	trailBuf []byte
	sent     int64 // pending bytes sent, and at the last clock tick
	sentMark int64
	tunnel   bool // after an extended CONNECT's 200 (ws_h2.go)
}

var _ downSide = (*h2Stream)(nil)

func (ls *loopState) getH2Stream(hd *h2Down, id uint32) *h2Stream {
	var hs *h2Stream
	if n := len(ls.freeH2S); n > 0 {
		hs, ls.freeH2S = ls.freeH2S[n-1], ls.freeH2S[:n-1]
	} else {
		hs = &h2Stream{}
		hs.timer.Init(ls.loop, hs.onTimer)
		ls.madeH2S++
	}
	held, pend, trail, tb := hs.held[:0], hs.pend[:0], hs.trail[:0], hs.trailBuf[:0]
	hs.h2StreamState = h2StreamState{hd: hd, id: id, held: held, pend: pend, trail: trail, trailBuf: tb}
	return hs
}

func (ls *loopState) putH2Stream(hs *h2Stream) {
	if hs.hd == nil {
		return // free already: closeAll's cancel may have released it (an ended or reset stream's streamEnded)
	}
	hs.timer.Stop()
	hs.hd, hs.s = nil, nil
	ls.freeH2S = append(ls.freeH2S, hs)
}

// release forgets a stream both of whose sides are over.
func (hs *h2Stream) release() {
	hd := hs.hd
	if hd == nil || hs.s != nil {
		return
	}
	hd.streams.Delete(hs.id)
	hd.dc.ls.putH2Stream(hs)
	hd.checkDone()
}

// refuse answers a request velox cannot map (a malformed head for
// HTTP/1.1) with 400 and no backend.
func (hs *h2Stream) refuse(err error) {
	s := hs.s
	s.tbl, s.keepAlive = s.ls.tbl, true
	s.ls.stats.badRequests.Add(1)
	s.Respond(400, "text/plain; charset=utf-8", nil, []byte("velox: "+err.Error()+"\n"))
	hs.sendLocalOut(s)
	s.ls.stats.countStatus(400)
	s.ls.putStream(s)
	hs.streamEnded() // released once the answer is all out (a closed window may hold it)
}

func (hs *h2Stream) conn() *h2.Conn { return hs.hd.conn }

func (hs *h2Stream) clientIP(dst []byte) []byte { return hs.hd.dc.ec.RemoteIP(dst) }

func (hs *h2Stream) clientConn() *downConn { return hs.hd.dc }

// Request side.

func (hs *h2Stream) waitUpstream() { hs.waiting = true }

func (hs *h2Stream) coalescing() bool { return false }

// expectBody: the head is upstream; forward what was held.
func (hs *h2Stream) expectBody(bool) {
	hs.waiting = false
	hs.watch()
	if len(hs.held) > 0 || hs.heldEnd {
		n, end, trail := len(hs.held), hs.heldEnd, hs.heldTrail
		hs.held, hs.heldEnd, hs.heldTrail = hs.held[:0], false, false
		if n > 0 || !trail {
			hs.forward(hs.held[:n], end && !trail)
		}
		if trail && hs.s != nil {
			hs.s.forwardTrailers()
			hs.hd.flush()
		}
	}
}

// onData takes request body bytes from the client.
func (hs *h2Stream) onData(data []byte, end bool) {
	hs.recv += int64(len(data))
	if end {
		hs.reqEnded = true
	}
	if s := hs.s; s != nil && hs.tunnel && s.up == upTunnel {
		hs.tunnelData(s, data, end)
		return
	}
	if s := hs.s; s != nil && s.extConnect && !hs.tunnel {
		// DATA right after an extended CONNECT, before its 200: the
		// tunnel's first bytes, held (within the stream window velox has
		// not credited) until the backend's 101 opens it (ws_h2.go).
		hs.held = append(hs.held, data...)
		hs.heldEnd = hs.heldEnd || end
		return
	}
	if hs.s == nil || hs.s.reqDone {
		hs.conn().Consume(hs.id, len(data)) // nobody wants them any more
		return
	}
	if hs.waiting {
		hs.held = append(hs.held, data...)
		hs.heldEnd = hs.heldEnd || end
		return
	}
	hs.forward(data, end)
}

// dropBody gives the client back the flow-control credit of body bytes
// nobody will take any more (held while waiting, withheld while paused):
// every byte delivered is credited exactly once, or the connection's
// window would shrink for good.
func (hs *h2Stream) dropBody() {
	if hs.hd != nil {
		hs.giveBack(hs.credit + len(hs.held))
	}
	hs.credit, hs.held, hs.heldEnd, hs.heldTrail = 0, hs.held[:0], false, false
}

// onTrailers ends the request body with the client's trailers.
func (hs *h2Stream) onTrailers(fields []h2.Field) {
	hs.reqEnded = true
	s := hs.s
	if s == nil || s.reqDone {
		return
	}
	s.reqTrail = appendTrailerLines(s.reqTrail[:0], fields)
	if hs.waiting {
		hs.heldEnd, hs.heldTrail = true, true
		return
	}
	s.forwardTrailers()
	hs.hd.flush()
}

// forward sends body bytes upstream and credits them back to the client
// unless the backend is not keeping up.
func (hs *h2Stream) forward(data []byte, end bool) {
	hd, id := hs.hd, hs.id
	hs.s.forwardBody(data, end)
	if hs.hd == nil { // forwarding ended the stream (413): the connection's credit only
		hd.conn.Consume(id, len(data))
		hd.flush()
		return
	}
	if hs.paused && hs.s != nil {
		hs.credit += len(data)
		return
	}
	hs.giveBack(len(data))
}

// giveBack credits n body bytes back to the client (WINDOW_UPDATE once
// enough have come together).
func (hs *h2Stream) giveBack(n int) {
	if n > 0 {
		hs.conn().Consume(hs.id, n)
		hs.hd.flush()
	}
}

func (hs *h2Stream) bodyProgress() { hs.watch() }

func (hs *h2Stream) pauseBody() { hs.paused = true }

func (hs *h2Stream) resumeBody() {
	hs.paused = false
	hs.watch()
	hs.giveBack(hs.credit)
	hs.credit = 0
}

func (hs *h2Stream) requestSent() {}

func (hs *h2Stream) stopBodyClock() {}

func (hs *h2Stream) continue100() {
	hs.writeStatusOnly(100)
}

// Response side.

func (hs *h2Stream) writeInterim(s *Stream) {
	if s.resp.Status == 101 {
		return
	}
	hd := hs.hd
	hd.fields = responseFields(hd.fields[:0], s.resp.Headers) // 103 Early Hints keeps its Link fields
	h := h2.Head{Status: s.resp.Status, Fields: hd.fields, ContentLength: -1}
	hs.conn().WriteHeaders(hs.id, &h, false)
	hd.flush()
}

func (hs *h2Stream) writeStatusOnly(status int) {
	h := h2.Head{Status: status, ContentLength: -1}
	hs.conn().WriteHeaders(hs.id, &h, false)
	hs.hd.flush()
}

// prepareResponse: HTTP/2 frames the body itself, so a chunked response is
// de-chunked; the connection's persistence is not the response's business.
func (hs *h2Stream) prepareResponse(s *Stream) {
	s.dechunk = s.resp.Framing == h1.FramingChunked
	s.status = s.resp.Status
}

// writeHead sends HEADERS for s.resp, then the first body bytes.
func (hs *h2Stream) writeHead(s *Stream, body []byte) {
	hd := hs.hd
	hd.fields = responseFields(hd.fields[:0], s.resp.Headers)
	proto := s.upProtocol()
	if proto == "" {
		proto = "1.1"
	}
	hd.fields, hd.via = appendVia(hd.fields, hd.via, proto)
	h := h2.Head{Status: s.resp.Status, Fields: hd.fields, ContentLength: -1}
	if s.lastWrite && len(body) == 0 {
		// Nothing follows the head (HEAD, 204, 304, an empty body, a gRPC
		// trailers-only answer): END_STREAM on the HEADERS itself.
		hs.conn().WriteHeaders(hs.id, &h, true)
		hs.endSent()
		return
	}
	hs.conn().WriteHeaders(hs.id, &h, false)
	if len(body) > 0 {
		hs.writeData(body)
		return
	}
	hd.flush()
}

// writeData sends what the windows allow and keeps the rest pending. When
// the bytes end the response (Stream.lastWrite), END_STREAM goes on their
// last frame rather than on an empty one after.
func (hs *h2Stream) writeData(p []byte) {
	last := hs.s != nil && hs.s.lastWrite
	if len(hs.pend) > 0 {
		hs.pend = append(hs.pend, p...)
		hs.pendEnd = hs.pendEnd || last
		return
	}
	n := hs.conn().WriteData(hs.id, p, last)
	if n < len(p) {
		hs.hd.mayWait = true
		hs.pend = append(hs.pend, p[n:]...)
		hs.pendEnd = hs.pendEnd || last
		hs.watch()
	} else if last {
		hs.endSent()
		return
	}
	hs.hd.flush()
}

// sendPending sends pending response bytes the windows now allow; when all
// are out, the END_STREAM that waited goes, and the backend resumes.
func (hs *h2Stream) sendPending() {
	if hs.ended || (len(hs.pend) == 0 && !hs.pendEnd) {
		return
	}
	n := hs.conn().WriteData(hs.id, hs.pend, hs.pendEnd && len(hs.trail) == 0)
	hs.sent += int64(n)
	if hs.pend = shiftOut(hs.pend, n); len(hs.pend) > 0 {
		return
	}
	if hs.pendEnd {
		hs.pendEnd = false
		if len(hs.trail) > 0 {
			hs.conn().WriteTrailers(hs.id, hs.trail)
		}
		hs.endSent()
		return
	}
	if s := hs.s; s != nil {
		s.downstreamDrained()
	}
}

// sendLocal sends velox's own response, rendered in s.out as HTTP/1.1.
func (hs *h2Stream) sendLocal(s *Stream) { hs.sendLocalOut(s) }

func (hs *h2Stream) sendLocalOut(s *Stream) {
	hd := hs.hd
	r := &hd.resp
	n, err := h1.ParseResponse(s.out, r, s.isHead, nil)
	if err != nil { // cannot happen: AppendSimpleResponse wrote it
		hs.abort()
		return
	}
	hd.fields = responseFields(hd.fields[:0], r.Headers)
	h := h2.Head{Status: r.Status, Fields: hd.fields, ContentLength: -1}
	body := s.out[n:]
	hs.conn().WriteHeaders(hs.id, &h, len(body) == 0)
	if len(body) == 0 {
		hs.endSent()
		return
	}
	hs.writeData(body)
	hs.finishResponse()
}

// writeTrailers ends the response with trailing HEADERS (gRPC's status),
// after what is pending.
func (hs *h2Stream) writeTrailers(fields []h2.Field) {
	if hs.ended {
		return
	}
	if len(hs.pend) == 0 {
		hs.conn().WriteTrailers(hs.id, fields)
		hs.endSent()
		return
	}
	a := arena{buf: hs.trailBuf[:0]}
	size := 0
	for i := range fields {
		size += len(fields[i].Name) + len(fields[i].Value)
	}
	if cap(a.buf) < size {
		a.buf = make([]byte, 0, size)
	}
	hs.trail = hs.trail[:0]
	for i := range fields {
		hs.trail = append(hs.trail, h2.Field{Name: a.put(fields[i].Name), Value: a.put(fields[i].Value)})
	}
	hs.trailBuf = a.buf
	hs.pendEnd = true
}

// buffered is what waits for this client: the stream's pending bytes and
// the connection's socket queue, which all its streams share (a client that
// does not read its socket pauses every stream's backend).
func (hs *h2Stream) buffered() int {
	n := len(hs.pend) + hs.hd.dc.ec.Buffered()
	if n > 0 {
		hs.hd.mayWait = true
	}
	return n
}

// waits reports whether the stream waits for a window or for the socket
// (h2Down.mayWait).
func (hs *h2Stream) waits() bool {
	return len(hs.pend) > 0 || hs.pendEnd || (hs.s != nil && hs.s.upPaused)
}

func (hs *h2Stream) watchSend() { hs.hd.dc.watchSend() }

func (hs *h2Stream) responseDone(bool, bool) { hs.finishResponse() }

// finishResponse sends END_STREAM after what is pending.
func (hs *h2Stream) finishResponse() {
	if hs.ended {
		return
	}
	if len(hs.pend) > 0 {
		hs.pendEnd = true
		return
	}
	hs.conn().WriteData(hs.id, nil, true)
	hs.endSent()
}

// endSent: the response is complete on the wire. A request body the client
// is still sending is not wanted any more (RFC 9113 section 8.1).
func (hs *h2Stream) endSent() {
	hs.ended = true
	if !hs.reqEnded && !hs.reset {
		hs.reset = true
		hs.conn().Reset(hs.id, h2.ErrCodeNo)
	}
	hs.hd.flush()
	hs.release()
}

// abort resets a stream whose response has begun.
func (hs *h2Stream) abort() { hs.resetWith(h2.ErrCodeInternal) }

// resetWith resets the stream toward the client with code; the Stream ends
// it on its side.
func (hs *h2Stream) resetWith(code h2.ErrCode) {
	hs.dropBody()
	if !hs.reset {
		hs.reset, hs.ended = true, true
		hs.pend = hs.pend[:0]
		hs.conn().Reset(hs.id, code)
		hs.hd.dc.ls.stats.countH2Reset(code, false)
		hs.hd.flush()
	}
}

func (hs *h2Stream) closeConn() { hs.hd.dc.ec.Close() }

func (hs *h2Stream) streamEnded() {
	hs.dropBody()
	hs.s = nil
	if hs.tunnel && !hs.ended && !hs.reset && hs.hd != nil && !hs.hd.closed {
		hs.finishResponse() // the backend closed the tunnel: END_STREAM after what is pending
		return
	}
	if hs.ended || hs.reset {
		hs.release()
	}
}
