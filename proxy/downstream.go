package proxy

import (
	"net/netip"

	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/h1"
	"github.com/velox-proxy/velox/h2"
)

// connState is where a client connection is in its request cycle.
type connState uint8

const (
	stHead        connState = iota // waiting for (more of) a request head
	stWaitUp                       // head parsed; waiting for an upstream connection
	stReqBody                      // forwarding the request body
	stAwaitResp                    // request sent; reading paused until the response ends
	stTunnel                       // after 101: raw bytes both ways
	stClosing                      // last response queued; closing after flush
	stH2                           // speaking HTTP/2: h2 has the connection
	stProxyHeader                  // a trusted source: its PROXY protocol header comes first (proxyheader.go)
)

// timerMode says what the client connection's timer is counting.
type timerMode uint8

const (
	tmIdle       timerMode = iota // keep-alive idle: close silently
	tmHeaderRead                  // head started but incomplete: 408
	tmBody                        // waiting for request body bytes: 408 (clock.go)
)

// downConn is one client connection speaking HTTP/1.1: one stream at a time;
// pipelined requests wait in the input buffer, unread, until the response
// before them is complete.
type downConn struct {
	// Immutable:
	ls *loopState
	ec *eventloop.Conn
	// Owned by the loop:
	state      connState
	tmode      timerMode
	inData     bool // inside OnData (lets the stream coalesce head and body)
	peerDone   bool // the client shut down its write side (OnReadEOF)
	nextID     uint32
	timer      eventloop.Timer // idle, header_read, client_body (tmode)
	send       *sendClock      // timeouts.send, while output is queued (clock.go)
	st         *Stream         // the request in progress, nil between requests
	h2         *h2Down         // the HTTP/2 connection, once the preface came (stH2)
	dest       netip.AddrPort  // the address the client connected to, when a PROXY header said it
	listener   int             // the index of the listener that accepted it
	admitted   bool            // its Accept and Handshake filters ran and let it in: Finish runs at its close
	lingering  bool            // written side shut down; reading what the peer still sends until EOF
	prev, next *downConn
}

// An idle keep-alive connection holds only a downConn and its socket: the
// stream, its parsed heads and buffers come from the loop's free list while
// a request is in flight (see loopState.getStream).

func newDownConn(ls *loopState) *downConn {
	dc := &downConn{ls: ls}
	dc.timer.Init(ls.loop, dc.onTimer)
	return dc
}

// reset readies a downConn from the loop's free list for a new connection;
// its timer stays bound to it.
func (dc *downConn) reset(c *eventloop.Conn) {
	dc.ec, dc.state, dc.tmode, dc.inData, dc.nextID, dc.st = c, stHead, tmIdle, false, 0, nil
	dc.peerDone, dc.h2, dc.lingering, dc.dest, dc.admitted = false, nil, false, netip.AddrPort{}, false
}

// remoteIP formats the client's IP into the loop's scratch space; valid
// until the loop formats another.
func (dc *downConn) remoteIP() []byte { return dc.ec.RemoteIP(dc.ls.ipBuf[:0]) }

// idle reports whether no request is in progress.
func (dc *downConn) idle() bool { return dc.state == stHead && dc.st == nil }

// OnOpen arms the idle timer: a client that sends nothing is closed.
func (dc *downConn) OnOpen(c *eventloop.Conn) {
	if dc.state == stProxyHeader {
		dc.armTimer(tmHeaderRead)
		return
	}
	dc.armTimer(tmIdle)
}

func (dc *downConn) armTimer(m timerMode) {
	dc.tmode = m
	lim := &dc.ls.tbl.limits
	if m == tmIdle {
		dc.timer.Reset(lim.idle)
		return
	}
	dc.timer.Reset(lim.headerRead)
}

func (dc *downConn) onTimer() {
	if dc.lingering {
		dc.ec.Close()
		return
	}
	if dc.h2 != nil {
		dc.h2.onIdle()
		return
	}
	if dc.state == stProxyHeader {
		dc.ls.proxyHeaderMissing(dc.ec)
		return
	}
	if dc.tmode == tmBody {
		dc.onBodyTimeout()
		return
	}
	if dc.tmode == tmHeaderRead {
		dc.ls.srv.log.conn("downstream", dc.remoteIP(), 0, "request head not complete in time")
		dc.reject(&h1.Error{Status: 408, Reason: "request head not complete in time"})
		return
	}
	dc.ec.Close()
}

// OnData runs the connection's state machine over the input until it makes
// no more progress, and returns what it consumed.
func (dc *downConn) OnData(c *eventloop.Conn, data []byte) int {
	dc.inData = true
	consumed := 0
	for consumed < len(data) && !c.Closed() {
		n, more := dc.step(data[consumed:])
		consumed += n
		if !more {
			break
		}
	}
	dc.inData = false
	if dc.st != nil && dc.st.headPending {
		dc.st.flushHead()
	}
	return consumed
}

// step handles input in the current state. more says whether the state
// machine may progress further on the rest of the input.
func (dc *downConn) step(data []byte) (n int, more bool) {
	switch dc.state {
	case stHead:
		return dc.onHead(data)
	case stProxyHeader:
		return dc.onProxyHeader(data)
	case stReqBody:
		return dc.st.onRequestBody(data)
	case stTunnel:
		return dc.st.tunnelDown(data), false
	case stClosing:
		return len(data), false // ignore what arrives after the last response
	case stH2:
		return dc.h2.onData(data), false
	}
	// stWaitUp, stAwaitResp: bytes came early (a pipelined request, or the
	// body while we connect): hold them until the stream moves on, when
	// ResumeRead offers them again. Pausing only now, not after every head,
	// saves two epoll_ctl calls per request.
	dc.ec.PauseRead()
	return 0, false
}

// onProxyHeader takes the PROXY header of a trusted source, then runs
// the connection filters the header's client sees.
func (dc *downConn) onProxyHeader(data []byte) (int, bool) {
	n, dest, done := dc.ls.takeProxyHeader(dc.ec, data)
	if !done {
		return n, false
	}
	dc.dest, dc.state = dest, stHead
	if !dc.ls.admit(dc) {
		dc.ec.Close()
		return len(data), false
	}
	dc.armTimer(tmIdle)
	return n, true
}

// onHead parses a request head and starts its stream.
func (dc *downConn) onHead(data []byte) (int, bool) {
	if len(data) == 0 {
		return 0, false
	}
	if dc.nextID == 0 && data[0] == 'P' {
		if _, err := h2.ReadPreface(data); err != h2.ErrBadPreface {
			if err != nil {
				dc.waitHead() // a prefix of the preface: wait for the rest, as for a head
				return 0, false
			}
			dc.timer.Stop()
			dc.startH2()
			return 0, true // the state machine reads the preface itself
		}
	}
	ls := dc.ls
	n, err := h1.ParseRequest(data, &ls.req, &ls.current().limits.h1)
	if err == h1.ErrNeedMore {
		dc.waitHead()
		return 0, false
	}
	if err != nil {
		dc.reject(err)
		return len(data), false
	}
	dc.timer.Stop()
	dc.nextID++
	dc.st = ls.getStream(dc)
	dc.st.begin(data[:n])
	return n, true
}

// waitHead: a head (or the HTTP/2 preface) has begun and is not complete:
// timeouts.header_read runs, from its first byte.
func (dc *downConn) waitHead() {
	if dc.tmode != tmHeaderRead {
		dc.armTimer(tmHeaderRead)
	}
}

// reject answers a request that broke a rule and closes the connection.
func (dc *downConn) reject(err error) {
	status, reason := requestErrorStatus(err)
	dc.ls.stats.badRequests.Add(1)
	if err == h1.ErrNotHTTP {
		dc.ls.srv.log.conn("downstream", dc.remoteIP(), 0, "not HTTP/1.x (nor an HTTP/2 preface), closed")
		dc.ec.Close()
		return
	}
	dc.ls.stats.countStatus(status)
	if dc.ls.srv.log.Verbose() {
		dc.ls.srv.log.conn("downstream", dc.remoteIP(), status, reason)
	}
	dc.writeLocal(status, reason, true)
}

// writeLocal writes a response velox generates, closing after it if asked.
func (dc *downConn) writeLocal(status int, reason string, close bool) {
	ls := dc.ls
	body := append(append(append(ls.scratch[:0], "velox: "...), reason...), '\n')
	out := h1.AppendSimpleResponse(ls.out[:0], status, "text/plain; charset=utf-8", nil, body, close)
	ls.scratch, ls.out = body, out
	dc.ec.Write(out) // copies what the kernel does not take: the buffers are free again
	if close {
		dc.closeAfterFlush()
	}
}

// lingerClose ends a connection whose peer may still be sending (an
// HTTP/2 client that has not seen our GOAWAY yet): our side is shut down
// once the output is out, and what arrives is read and dropped until the
// peer closes or timeouts.send passes, so the close never turns into a TCP
// reset that would destroy the GOAWAY and the last responses in flight
// (the lingering close of nginx and HAProxy).
func (dc *downConn) lingerClose() {
	dc.state = stClosing
	dc.lingering = true
	dc.tmode = tmIdle
	dc.timer.Reset(dc.ls.tbl.limits.send)
	dc.ec.CloseWrite()
}

func (dc *downConn) closeAfterFlush() {
	dc.state = stClosing
	dc.timer.Stop()
	dc.ec.CloseAfterFlush()
	dc.watchSend() // a client that never reads is not kept forever
}

// OnWritable: the client took what was queued; resume the upstream side if
// it was paused for us.
func (dc *downConn) OnWritable(c *eventloop.Conn) {
	dc.stopSend()
	if dc.h2 != nil {
		dc.h2.onWritable()
		return
	}
	if dc.st != nil {
		dc.st.downstreamDrained()
	}
}

// OnClose cancels the stream in flight, if any.
func (dc *downConn) OnClose(c *eventloop.Conn, err error) {
	dc.timer.Stop()
	dc.stopSend()
	if dc.st != nil {
		dc.st.cancel()
	}
	if dc.h2 != nil {
		dc.h2.closeAll()
		dc.h2 = nil
	}
	dc.ls.conns.remove(dc)
	dc.ls.stats.active.Add(-1)
	if dc.admitted {
		dc.ls.srv.connF[Finish].run(dc.session())
	}
	dc.ls.putConn(dc)
}

// OnReadEOF: the client shut down its write side. A complete request still
// gets its response (as nginx answers nc -N), and then the connection
// closes; an incomplete one is abandoned; in a tunnel the half-close is
// passed on to the backend.
func (dc *downConn) OnReadEOF(c *eventloop.Conn) bool {
	dc.peerDone = true
	if dc.lingering {
		return false // the peer saw our FIN and closed: done
	}
	switch dc.state {
	case stHead:
		if dc.st != nil || dc.tmode == tmHeaderRead || c.Buffered() == 0 {
			return false // nothing to answer, or a head cut short
		}
		dc.closeAfterFlush() // the last response is still on its way out
		return true
	case stWaitUp, stAwaitResp:
		if !dc.st.reqDone {
			return false
		}
		dc.st.keepAlive = false
		return true
	case stTunnel:
		return dc.st.tunnelHalfClose()
	case stClosing:
		return true
	case stH2:
		return false // an HTTP/2 client that half-closes is gone (RFC 9113 has no half-closed connection)
	}
	return false // stReqBody: the body was cut short
}

// nextRequest readies the connection for the next request after a response.
func (dc *downConn) nextRequest() {
	if dc.ls.draining {
		dc.closeAfterFlush()
		return
	}
	dc.state = stHead
	dc.armTimer(tmIdle)
	dc.ec.ResumeRead()
}
