package proxy

import (
	"net/netip"
	"time"

	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/upstream"
)

// TCP stream proxying (a listener with protocol tcp): each client
// connection gets a connection to a backend of the listener's cluster,
// and bytes go both ways as they come, nothing parsed. What HTTP users of
// nginx's stream module and HAProxy's mode tcp expect:
//
//   - Balancing per connection: the cluster's balancer picks a backend
//     when the client connects; picker.Done when the pair closes.
//   - With sni_routes the cluster is the one the server name of the
//     client's TLS ClientHello picks (tcp_sni.go), read before any
//     backend is dialled and passed on untouched: TLS passthrough.
//   - Connect failures (refused, reset, connect_timeout) try the next
//     backend, up to the cluster's retries; after that the client is
//     closed, with a log line. The client's first bytes wait meanwhile
//     (its socket is paused; nothing is lost or buffered beyond the
//     kernel's and the loop's input buffer).
//   - Backpressure: when more than limits.stream_buffer bytes are queued
//     toward one side, the other side's reading pauses until the queue
//     drains (OnWritable), as in flow.go.
//   - Half-close is carried through: a FIN from one side becomes a
//     shutdown(SHUT_WR) toward the other once what was queued is flushed;
//     the pair closes when both sides have sent theirs, or when either
//     closes or resets.
//   - timeouts.tunnel_idle: no byte either way for that long closes both
//     (the same clock as a tunnel after 101).
//   - The listener counts against limits.max_conns like any client
//     connection; a drain (shutdown) lets pairs finish until timeouts.drain.
//
// A tcpConn is the handler of both its sockets: tcpDown of the client's,
// tcpUp of the backend's (the same struct, two method sets).
type tcpConn struct {
	ls       *loopState
	listener int           // the listener's index (tcp_sni.go routes by the current table's)
	session  *downConn     // what the connection filters saw, for Finish (admitTCP)
	cs       *clusterState // nil while the ClientHello is awaited (tcp_sni.go)
	down     *eventloop.Conn
	up       *upstream.Conn // nil until dialled, and after it closed
	backend  *upstream.Backend
	tries    int
	open     bool           // the backend connection is established
	downFIN  bool           // the client sent its FIN (passed on to the backend)
	upFIN    bool           // the backend sent its FIN (passed on to the client)
	done     bool           // the pair is closing: no more retries, no more logs
	proxied  bool           // a trusted source's PROXY header is awaited (proxyheader.go)
	dest     netip.AddrPort // the address the client connected to, when a PROXY header said it
	last     int64
	timer    eventloop.Timer
	ip       []byte
	ipBuf    [48]byte
}

type (
	tcpDown tcpConn
	tcpUp   tcpConn
)

var (
	_ eventloop.HalfCloser = (*tcpDown)(nil)
	_ eventloop.HalfCloser = (*tcpUp)(nil)
)

var tcpInfo = []byte("TCP")

// acceptTCP makes the handlers of a new connection of a tcp listener
// whose routes (in the table of the accept) are r.
func (ls *loopState) acceptTCP(c *eventloop.Conn, listener int, r *tcpRoutes, proxied bool) eventloop.Handler {
	t := &tcpConn{ls: ls, listener: listener, down: c, proxied: proxied, dest: takenDest(c)}
	if !proxied { // else once the PROXY header named the client
		if t.session = ls.admitTCP(c); t.session == nil {
			return nil
		}
	}
	if r.sni == nil {
		t.cs = ls.clusters[r.cluster]
	}
	t.ip = c.RemoteIP(t.ipBuf[:0])
	t.timer.Init(ls.loop, t.onTimer)
	ls.stats.accepted.Add(1)
	ls.stats.active.Add(1)
	ls.stats.tcpConns.Add(1)
	return (*tcpDown)(t)
}

// connect dials the backend the cluster's balancer picks.
func (t *tcpConn) connect() {
	b, err := t.cs.picker.Pick(time.Now(), nil)
	if err != nil {
		t.fail(pickFailure(err), nil)
		return
	}
	t.dial(b)
}

// retry dials another backend after a connect failure, within the
// cluster's retries, when there is another to go to (as Stream.retry).
func (t *tcpConn) retry() bool {
	b, ok := t.cs.nextBackend(t.backend, t.tries)
	if !ok {
		return false
	}
	t.ls.stats.retries.Add(1)
	t.dial(b)
	return true
}

// dial connects to b; a failure before any connect closes the client.
func (t *tcpConn) dial(b *upstream.Backend) {
	t.backend = b
	t.tries++
	uc, err := t.cs.dial(b, (*tcpUp)(t), true)
	if err != nil {
		t.fail(pickFailure(err), b)
		return
	}
	t.ls.stats.upstreamConnects.Add(1)
	t.up = uc
	if v := t.cs.cluster.SendProxy; v > 0 {
		uc.EC.Write(appendProxyHeader(nil, v, t.down, t.dest)) // first, once connected
	}
}

// fail logs why the pair could not be made and closes the client.
func (t *tcpConn) fail(f failure, b *upstream.Backend) {
	if t.done {
		return
	}
	t.done = true
	t.ls.stats.tcpConnectFailures.Add(1)
	addr := ""
	if b != nil {
		addr = b.Addr
	}
	t.ls.srv.log.request("tcp", t.ip, tcpInfo, 0, reasonOf(f), t.cs.cluster.Name, addr)
	t.down.Close()
}

// closeWith closes the client before any backend with a log line.
func (t *tcpConn) closeWith(reason string) {
	t.done = true
	t.ls.srv.log.request("tcp", t.ip, tcpInfo, 0, reason, "", "")
	t.down.Close()
}

// pass writes p, read from one side, to the other side, and pauses the
// reader when the writer has too much queued.
func (t *tcpConn) pass(from, to *eventloop.Conn, p []byte) {
	t.last = t.ls.loop.Now()
	to.Write(p)
	if to.Buffered() > t.ls.tbl.limits.streamBuffer {
		from.PauseRead()
	}
}

// drained resumes the reader of a side whose output queue drained.
func (t *tcpConn) drained(reader *eventloop.Conn, fin bool) {
	if t.open && !fin && reader.Paused() {
		reader.ResumeRead()
	}
}

// halfClosed passes a FIN on; when both sides sent theirs the pair ends
// (each socket closes once its output is flushed).
func (t *tcpConn) halfClosed() {
	if !t.downFIN || !t.upFIN {
		return
	}
	t.done = true
	t.down.CloseAfterFlush()
	if t.up != nil {
		t.up.EC.CloseAfterFlush()
	}
}

func (t *tcpConn) onTimer() {
	if t.proxied {
		t.done = true
		t.ls.proxyHeaderMissing(t.down)
		return
	}
	if t.cs == nil {
		t.ls.stats.tcpPrereadTimeouts.Add(1)
		t.closeWith("no complete TLS ClientHello within timeouts.header_read, closed")
		return
	}
	if t.down.Closed() { // both FINs in; the backend never took the client's last bytes
		if t.up != nil {
			t.up.EC.Close()
		}
		return
	}
	idle := time.Duration(t.ls.loop.Now() - t.last)
	if left := t.ls.tbl.limits.tunnelIdle - idle; left > 0 {
		t.timer.Reset(left)
		return
	}
	t.done = true
	t.ls.stats.tcpIdleTimeouts.Add(1)
	if t.ls.srv.log.Verbose() {
		t.ls.srv.log.request("tcp", t.ip, tcpInfo, 0, "idle for timeouts.tunnel_idle, closed", t.cs.cluster.Name, t.backend.Addr)
	}
	t.down.Close() // OnClose closes the backend's side
}

// The client's socket.

func (d *tcpDown) OnOpen(c *eventloop.Conn) {
	t := (*tcpConn)(d)
	t.last = t.ls.loop.Now()
	if t.proxied || t.cs == nil {
		t.timer.Reset(t.ls.tbl.limits.headerRead) // the PROXY header, the ClientHello first
		return
	}
	c.PauseRead() // until the backend connection is up
	t.connect()
}

func (d *tcpDown) OnData(c *eventloop.Conn, data []byte) int {
	t := (*tcpConn)(d)
	n := 0
	if t.proxied {
		k, dest, done := t.ls.takeProxyHeader(c, data)
		if !done {
			t.done = t.done || c.Closed()
			return k
		}
		t.proxied, t.dest, n, data = false, dest, k, data[k:]
		t.ip = c.RemoteIP(t.ipBuf[:0]) // the client the header named
		if t.session = t.ls.admitTCP(c); t.session == nil {
			t.done = true
			c.Close()
			return len(data) + n
		}
		if t.cs != nil {
			t.timer.Stop()
			c.PauseRead()
			t.connect()
			return n // what follows waits, kept, for the backend
		}
	}
	if t.cs == nil {
		t.preread(data)
		return n // kept: the backend gets the ClientHello too
	}
	if !t.open {
		c.PauseRead()
		return n // kept until the backend connection is up
	}
	t.pass(c, t.up.EC, data)
	return n + len(data)
}

func (d *tcpDown) OnWritable(c *eventloop.Conn) {
	if t := (*tcpConn)(d); t.up != nil {
		t.drained(t.up.EC, t.upFIN)
	}
}

func (d *tcpDown) OnReadEOF(c *eventloop.Conn) bool {
	t := (*tcpConn)(d)
	t.downFIN = true
	if t.proxied && !t.done {
		t.closeWith("closed before a complete PROXY protocol header")
		return false
	}
	if t.cs == nil && !t.done {
		t.closeWith("closed before a complete TLS ClientHello")
		return false
	}
	if t.open {
		t.up.EC.CloseWrite()
	}
	t.halfClosed()
	return true
}

func (d *tcpDown) OnClose(c *eventloop.Conn, err error) {
	t := (*tcpConn)(d)
	ended := t.done && t.downFIN && t.upFIN
	t.done = true // before closing the backend: its OnClose must not retry or report
	if t.up != nil && ended {
		t.up.EC.CloseAfterFlush() // both sides ended: what the client sent last still goes, under tunnel_idle
	} else {
		t.timer.Stop()
		if t.up != nil {
			t.up.EC.Close() // its OnClose forgets it
		}
	}
	if t.backend != nil {
		t.cs.picker.Done(t.backend)
		t.backend = nil
	}
	t.ls.stats.active.Add(-1)
	t.ls.finishTCP(t.session)
	t.session = nil
}

// The backend's socket.

func (u *tcpUp) OnOpen(c *eventloop.Conn) {
	t := (*tcpConn)(u)
	t.open = true
	t.backend.CountRequest()
	t.last = t.ls.loop.Now()
	t.timer.Reset(t.ls.tbl.limits.tunnelIdle)
	if t.downFIN {
		c.CloseWrite() // the client sent all it had before we connected
	} else {
		t.down.ResumeRead()
	}
}

func (u *tcpUp) OnData(c *eventloop.Conn, data []byte) int {
	t := (*tcpConn)(u)
	t.pass(c, t.down, data)
	return len(data)
}

func (u *tcpUp) OnWritable(c *eventloop.Conn) {
	t := (*tcpConn)(u)
	t.drained(t.down, t.downFIN)
}

func (u *tcpUp) OnReadEOF(c *eventloop.Conn) bool {
	t := (*tcpConn)(u)
	t.upFIN = true
	t.down.CloseWrite()
	t.halfClosed()
	return true
}

// OnClose: a connect that failed tries the next backend; a connection
// that closed under a live pair closes the client once what the backend
// sent is flushed.
func (u *tcpUp) OnClose(c *eventloop.Conn, err error) {
	t := (*tcpConn)(u)
	uc := t.up
	t.up = nil
	t.cs.pool.Forget(uc)
	if t.down.Closed() {
		t.timer.Stop()
	}
	if t.done {
		return
	}
	if !t.open {
		t.backend.ReportFailure(time.Now())
		if !t.retry() {
			t.fail(connectFailure(err), t.backend)
		}
		return
	}
	t.done = true
	t.down.CloseAfterFlush()
}
