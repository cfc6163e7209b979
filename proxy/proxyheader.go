package proxy

import (
	"net/netip"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/proxyproto"
)

// The PROXY protocol (package proxyproto), both ways:
//
//   - Received: a listener with proxy_protocol takes a header from its
//     trusted sources only. Such a connection must begin with one (v1 or
//     v2) within timeouts.header_read, or it is closed with a log line;
//     the client it names becomes the connection's remote address
//     (eventloop.Conn.SetRemoteAddr), so logs, X-Forwarded-For, filters
//     and a header sent on all see the real client. The Accept and
//     Handshake filters of such a connection run once the header is in.
//     A LOCAL header (a health check of the load balancer) leaves the
//     connection's own address. Any other source is taken as it is.
//     On a listener with tls too, the header comes first, in plaintext
//     (as HAProxy's send-proxy-v2 with ssl, or nginx's "listen ... ssl
//     proxy_protocol" expect): proxyFirst reads it before the TLS
//     handshake sees a byte, so an untrusted source's header fails the
//     handshake (not TLS).
//   - Sent: a cluster with send_proxy_protocol writes a header naming the
//     client (and the address it connected to) as the first bytes of each
//     backend connection, queued while the connect is in progress.

// trustsProxy reports whether listener i takes a PROXY header from a.
func (t *table) trustsProxy(i int, a netip.AddrPort) bool {
	ip := a.Addr().Unmap()
	for _, p := range t.proxyFrom[i] {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// buildProxyFrom resolves a listener's trusted sources (validated).
func buildProxyFrom(l *config.Listener) []netip.Prefix {
	if l.ProxyProtocol == nil {
		return nil
	}
	var ps []netip.Prefix
	for _, s := range l.ProxyProtocol.Trusted {
		p, _ := config.ParsePrefix(s)
		ps = append(ps, p)
	}
	return ps
}

// takeProxyHeader reads the PROXY header at the start of data for c. It
// returns the header's length and done once it is in; the address the
// client connected to (zero if the header does not say). A bad header is
// logged and closes c (done false, c closed).
func (ls *loopState) takeProxyHeader(c *eventloop.Conn, data []byte) (n int, dest netip.AddrPort, done bool) {
	h, n, err := proxyproto.Parse(data)
	switch {
	case err == proxyproto.ErrNeedMore:
		return 0, dest, false
	case err != nil:
		ls.stats.proxyHeaderErrors.Add(1)
		ls.srv.log.conn("downstream", c.RemoteIP(ls.ipBuf[:0]), 0, "bad PROXY protocol header from a trusted source ("+err.Error()+"), closed")
		c.Close()
		return 0, dest, false
	}
	if !h.Local {
		c.SetRemoteAddr(h.Source)
		dest = h.Dest
	}
	return n, dest, true
}

// proxyHeaderMissing closes a connection from a trusted source that sent
// no complete PROXY header within timeouts.header_read.
func (ls *loopState) proxyHeaderMissing(c *eventloop.Conn) {
	ls.stats.proxyHeaderErrors.Add(1)
	ls.srv.log.conn("downstream", c.RemoteIP(ls.ipBuf[:0]), 0, "no PROXY protocol header within timeouts.header_read from a trusted source, closed")
	c.Close()
}

// appendProxyHeader appends the header a cluster sends for a client
// connection c, which connected to dest (zero: c's own local address).
func appendProxyHeader(b []byte, version int, c *eventloop.Conn, dest netip.AddrPort) []byte {
	if !dest.IsValid() {
		dest = c.LocalAddr()
	}
	if version == 1 {
		return proxyproto.AppendV1(b, c.RemoteAddr(), dest)
	}
	return proxyproto.AppendV2(b, c.RemoteAddr(), dest)
}

// proxyFirstAcceptor is the Acceptor of a TLS or RPC listener i: a
// trusted source's connection (proxy_protocol, in the current table) is
// read by proxyFirst until its PROXY header is in, then handed to next
// (the TLS terminator, or the listener's own acceptor).
type proxyFirstAcceptor struct {
	s    *Server
	i    int
	next eventloop.Acceptor
}

func (a proxyFirstAcceptor) Accept(c *eventloop.Conn) eventloop.Handler {
	ls := a.s.loops[c.Loop().ID()]
	if !ls.current().trustsProxy(a.i, c.RemoteAddr()) {
		return a.next.Accept(c)
	}
	return &proxyFirst{ls: ls, next: a.next}
}

// proxyFirst is the Handler of a trusted source's connection to a TLS or
// RPC listener until its PROXY header is in (timeouts.header_read).
type proxyFirst struct {
	// Immutable:
	ls   *loopState
	next eventloop.Acceptor

	// Owned by the loop:
	c     *eventloop.Conn
	timer eventloop.Timer
}

// headerDest is what a PROXY header read before the TLS handshake said of
// the address the client connected to, kept in the Conn's Context until
// listenerAcceptor takes it (takenDest).
type headerDest struct{ dest netip.AddrPort }

func (p *proxyFirst) OnOpen(c *eventloop.Conn) {
	p.c = c
	p.timer.Init(c.Loop(), p.onTimer)
	p.timer.Reset(p.ls.current().limits.headerRead)
}

func (p *proxyFirst) onTimer() { p.ls.proxyHeaderMissing(p.c) }

// OnData takes the header, then gives the connection to the TLS
// handshake with the bytes after it (a ClientHello sent in the same
// segment is not left waiting for more input).
func (p *proxyFirst) OnData(c *eventloop.Conn, data []byte) int {
	n, dest, done := p.ls.takeProxyHeader(c, data)
	if !done {
		return n
	}
	p.timer.Stop()
	if dest.IsValid() {
		c.SetContext(&headerDest{dest})
	}
	h := p.next.Accept(c)
	if h == nil {
		c.Close()
		return len(data)
	}
	c.SetHandler(h)
	h.OnOpen(c)
	if n == len(data) || c.Closed() {
		return n
	}
	return n + h.OnData(c, data[n:])
}

func (p *proxyFirst) OnWritable(*eventloop.Conn) {}

func (p *proxyFirst) OnClose(*eventloop.Conn, error) { p.timer.Stop() }

// takenDest returns (and forgets) what proxyFirst learnt of c's
// destination; zero for any other connection.
func takenDest(c *eventloop.Conn) netip.AddrPort {
	hd, ok := c.Context().(*headerDest)
	if !ok {
		return netip.AddrPort{}
	}
	c.SetContext(nil)
	return hd.dest
}
