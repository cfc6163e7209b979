package proxy

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"

	"github.com/velox-proxy/velox/codec"
	"github.com/velox-proxy/velox/h1"
	"github.com/velox-proxy/velox/h2"
)

// WebSocket over HTTP/2 (RFC 8441): an extended CONNECT from an HTTP/2
// client (:method CONNECT with :protocol; h2.Conn accepts it because it
// advertised SETTINGS_ENABLE_CONNECT_PROTOCOL) becomes, for the pipeline,
// a GET of its :path with Upgrade: <protocol> (filters, products and routes
// see an upgrade request), and goes to an HTTP/1.1 backend as that GET
// with Connection: upgrade and, for websocket, a Sec-WebSocket-Key velox
// makes (RFC 6455 section 4.1; RFC 8441 section 5 has no key). The
// backend's 101 is checked (the offered protocol; for websocket its
// Sec-WebSocket-Accept against velox's key, else 502) and becomes a 200
// HEADERS; from then on the stream's DATA and the backend connection's
// bytes are one tunnel (tunnel.go), with the stream's flow control as the
// backpressure toward the client, END_STREAM as half-close and RST_STREAM
// as close. Before the 101 everything is an ordinary HTTP/2 response; DATA
// the client sends before the 200 is held (within the stream's window,
// not credited) and goes to the backend first when the tunnel opens.

// wsGUID is RFC 6455 section 1.3's magic string.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

var (
	methodGET   = []byte("GET")
	nameUpgrade = []byte("Upgrade")
	nameWSKey   = []byte("Sec-WebSocket-Key")
	protocolWS  = "websocket"
)

// extendedConnect turns the request buildRequest mapped from an extended
// CONNECT into the GET with Upgrade that the pipeline routes; the request
// has no body (what DATA follows the 200 is the tunnel's).
func (s *Stream) extendedConnect(a *arena, h *h2.Head) {
	r := &s.req
	s.extConnect = true
	r.Method = methodGET
	r.Upgrade = true
	r.Headers = append(r.Headers, h1.Header{Name: nameUpgrade, Value: a.put(h.Protocol)})
	if codec.EqualFold(h.Protocol, protocolWS) {
		s.newWSKey()
		r.Headers = append(r.Headers, h1.Header{Name: nameWSKey, Value: s.wsKey[:]})
	}
}

// newWSKey fills s.wsKey with a fresh Sec-WebSocket-Key: 16 random bytes,
// base64 (RFC 6455 section 4.1).
func (s *Stream) newWSKey() {
	var raw [16]byte
	rand.Read(raw[:])
	base64.StdEncoding.Encode(s.wsKey[:], raw[:])
}

// wsAccept is the Sec-WebSocket-Accept for key (RFC 6455 section 4.2.2).
func wsAccept(dst *[28]byte, key []byte) {
	var b [24 + len(wsGUID)]byte
	n := copy(b[:], key)
	n += copy(b[n:], wsGUID)
	sum := sha1.Sum(b[:n])
	base64.StdEncoding.Encode(dst[:], sum[:])
}

// acceptExtConnect takes a backend's 101 to an extended CONNECT: for
// websocket its Sec-WebSocket-Accept must match velox's key (else 502);
// the client gets a 200 and the stream becomes a tunnel.
func (s *Stream) acceptExtConnect(n int) (int, bool) {
	hs, ok := s.ds.(*h2Stream)
	if !ok {
		s.fail(failBadUpgrade)
		return n, false
	}
	if codec.EqualFold(s.req.Get("Upgrade"), protocolWS) {
		var want [28]byte
		wsAccept(&want, s.wsKey[:])
		if subtle.ConstantTimeCompare(want[:], s.resp.Get("Sec-WebSocket-Accept")) != 1 {
			s.fail(failBadAccept)
			return n, false
		}
	}
	s.stopClock()
	hs.writeTunnelHead(s)
	s.status, s.respSent, s.keepAlive = 200, true, false
	s.ls.stats.countStatus(200)
	s.up = upTunnel
	s.reqDone = true
	s.startTunnelClock()
	if len(hs.held) > 0 { // what the client sent before the 200 goes first
		held := hs.held
		hs.held, hs.heldEnd = hs.held[:0], false
		hs.tunnelData(s, held, false)
		if hs.s != s {
			return n, false // the write failed and ended the stream
		}
	}
	if hs.reqEnded {
		s.tunnelHalfClose()
	}
	return n, true
}

// writeTunnelHead sends the 200 that answers an extended CONNECT, with the
// 101's fields but Sec-WebSocket-Accept (the chosen sec-websocket-protocol
// and -extensions go on; the connection-specific ones HTTP/2 forbids).
func (hs *h2Stream) writeTunnelHead(s *Stream) {
	hd := hs.hd
	hs.tunnel = true
	hd.fields = responseFields(hd.fields[:0], s.resp.Headers)
	kept := hd.fields[:0]
	for _, f := range hd.fields {
		if !codec.EqualFold(f.Name, "sec-websocket-accept") {
			kept = append(kept, f)
		}
	}
	hd.fields, hd.via = appendVia(kept, hd.via, "1.1")
	h := h2.Head{Status: 200, Fields: hd.fields, ContentLength: -1}
	hs.conn().WriteHeaders(hs.id, &h, false)
	hd.flush()
}

// tunnelData forwards DATA of a tunnelled stream to the backend. Its credit
// goes back to the client only while the backend takes what it is given:
// over limits.stream_buffer queued toward it, WINDOW_UPDATE is withheld
// until it drained (Stream.upstreamDrained, resumeBody). END_STREAM
// half-closes the backend connection.
func (hs *h2Stream) tunnelData(s *Stream, data []byte, end bool) {
	hd, id := hs.hd, hs.id
	s.lastActive = s.ls.loop.Now()
	if len(data) > 0 && s.uc != nil {
		s.uc.EC.Write(data)
	}
	if end && s.uc != nil {
		s.tunnelHalfClose()
	}
	if hs.s != s || hs.hd == nil { // the write failed and ended the stream
		hd.conn.Consume(id, len(data))
		hd.flush()
		return
	}
	if s.uc != nil && !hs.paused && s.overLimit(s.upBuffered()) {
		s.stallBody()
	}
	if hs.paused {
		hs.credit += len(data)
		return
	}
	hs.giveBack(len(data))
}

// closeH2Tunnel ends a tunnelled stream after tunnel_idle: the backend
// connection is closed and the client's stream reset with CANCEL.
func (s *Stream) closeH2Tunnel() {
	hs, _ := s.ds.(*h2Stream)
	s.dropUpstream()
	if hs != nil {
		hs.resetWith(h2.ErrCodeCancel)
	}
	s.end()
}
