package proxy

import "github.com/velox-proxy/velox/h1"

// downConn as the downSide of its one stream at a time: HTTP/1.1 framing,
// keep-alive, pipelining (later requests wait unread in the input) and
// 100-continue stay here.

var _ downSide = (*downConn)(nil)

func (dc *downConn) clientIP(dst []byte) []byte { return dc.ec.RemoteIP(dst) }

func (dc *downConn) clientConn() *downConn { return dc }

// waitUpstream: no backend takes the request yet (a dial, a retry): the
// client is not the one holding it up.
func (dc *downConn) waitUpstream() {
	dc.state = stWaitUp
	dc.stopBodyClock()
}

func (dc *downConn) coalescing() bool { return dc.inData }

func (dc *downConn) expectBody(start bool) {
	dc.state = stReqBody
	if start {
		dc.startBodyClock()
		dc.ec.ResumeRead()
	}
}

func (dc *downConn) bodyProgress() { dc.startBodyClock() }

func (dc *downConn) pauseBody() {
	dc.ec.PauseRead()
	dc.stopBodyClock()
}

func (dc *downConn) resumeBody() {
	switch dc.state {
	case stReqBody:
		dc.startBodyClock()
		dc.ec.ResumeRead()
	case stTunnel:
		dc.ec.ResumeRead()
	}
}

func (dc *downConn) requestSent() {
	dc.stopBodyClock()
	if dc.state == stReqBody || dc.state == stWaitUp {
		dc.state = stAwaitResp
	}
}

func (dc *downConn) continue100() { dc.ec.Write(continue100) }

// writeInterim forwards a 1xx to an HTTP/1.1 client (never to HTTP/1.0).
func (dc *downConn) writeInterim(s *Stream) {
	if s.req.Minor == 0 {
		return
	}
	o := h1.WriteOptions{Via: viaName}
	s.out = h1.AppendResponseHead(s.out[:0], &s.resp, &o)
	dc.ec.Write(s.out)
	dc.watchSend()
}

// prepareResponse puts the head for the client in s.out.
func (dc *downConn) prepareResponse(s *Stream) {
	if s.req.Minor == 0 && s.resp.Framing == h1.FramingChunked {
		// An HTTP/1.0 client knows no chunked coding: send it the data and
		// delimit the response by closing, as nginx does.
		s.dechunk = true
		s.resp.Del("Transfer-Encoding")
	}
	closeAfter := !s.keepAlive || s.resp.Framing == h1.FramingClose || s.dechunk
	s.keepAlive = !closeAfter
	o := h1.WriteOptions{Via: viaName, Close: closeAfter, KeepAlive: !closeAfter && s.req.Minor == 0}
	o.ViaProtocol = s.upProtocol() // "2" when the response came over HTTP/2
	s.out = h1.AppendResponseHead(s.out[:0], &s.resp, &o)
	s.status = s.resp.Status
}

func (dc *downConn) writeHead(s *Stream, body []byte) { dc.ec.Writev(s.out, body) }

func (dc *downConn) writeData(p []byte) { dc.ec.Write(p) }

func (dc *downConn) sendLocal(s *Stream) { dc.ec.Write(s.out) }

func (dc *downConn) buffered() int { return dc.ec.Buffered() }

// responseDone decides the connection's fate once the response is queued.
// An answer given before the request body was all read (413, a
// filter's, a backend's early response) closes the connection lingering:
// the client may still be writing its body, and a close with unread bytes
// would reset the connection and destroy the answer before it is read.
func (dc *downConn) responseDone(keepAlive, bodyUnread bool) {
	if dc.ec.Closed() {
		return
	}
	if !keepAlive && bodyUnread && !dc.peerDone {
		dc.lingerClose()
		dc.ec.ResumeRead() // read and drop the rest of the body
		return
	}
	if !keepAlive || dc.peerDone {
		dc.closeAfterFlush()
		return
	}
	dc.watchSend()
	dc.nextRequest()
}

func (dc *downConn) abort() { dc.ec.Close() }

func (dc *downConn) closeConn() { dc.ec.Close() }

func (dc *downConn) streamEnded() { dc.st = nil }
