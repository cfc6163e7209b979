package proxy

import (
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/h1"
	"github.com/velox-proxy/velox/upstream"
)

// loopState is what the proxy keeps per loop: the table in use, the pools
// and pickers of its clusters, the stream table, the client connections.
type loopState struct {
	// Immutable:
	srv  *Server
	loop *eventloop.Loop
	id   int
	up   upstreamHandler // handler of every active upstream connection
	// Owned by the loop:
	tbl      *table
	clusters []*clusterState // by table cluster index
	streams  streamTable
	free     []*Stream    // streams not in use, with their buffers
	freeDC   []*downConn  // client connection states not in use
	freeSend []*sendClock // send clocks not in use
	freeH2   []*h2Down    // HTTP/2 connection states not in use
	freeH2S  []*h2Stream  // HTTP/2 stream states not in use
	madeH2   int          // HTTP/2 connection states ever made: less len(freeH2), those in use
	madeH2S  int          // HTTP/2 stream states ever made: less len(freeH2S), those in use
	conns    connList     // client connections, for draining
	draining bool
	req      h1.Request // where heads are parsed; handed to the stream that takes the request
	rpc      rpcLoop    // RPC listeners' clients, pools and streams (rpc_loop.go)
	// Scratch space, valid until the loop's next use of it:
	scratch, out []byte   // local responses on connections without a stream
	ipBuf        [64]byte // client IPs for logs and filters
	// Shared (atomics):
	stats loopStats
}

// clusterState is one cluster's balancer and pool on one loop.
type clusterState struct {
	cluster *upstream.Cluster
	pool    *upstream.Pool
	picker  upstream.Picker
	h2      *h2Pool      // the HTTP/2 connections, for protocol h2; else nil
	tls     *upstreamTLS // TLS to the backends; nil = none (tls_upstream.go)
}

func newLoopState(s *Server, l *eventloop.Loop, id int) *loopState {
	ls := &loopState{srv: s, loop: l, id: id, streams: newStreamTable()}
	ls.up.ls = ls
	return ls
}

// current returns the table to use for a new request, switching the loop's
// pools and pickers when a reload has published a new one. A cluster that
// did not change keeps its pool and picker; the pools of the others close
// their idle connections, and streams still using them finish and close
// their connection instead of pooling it (see Stream.releaseUpstream).
func (ls *loopState) current() *table {
	t := ls.srv.table.Load()
	if t == ls.tbl {
		return t
	}
	old := ls.clusters
	ls.clusters = make([]*clusterState, 0, len(t.clusters))
	for i, c := range t.clusters {
		cs := takeUnchanged(old, c, t.upTLS[i])
		if cs == nil {
			cs = &clusterState{cluster: c, pool: upstream.NewPool(ls.loop, c), picker: staggered(upstream.NewPicker(c), ls.id), tls: t.upTLS[i]}
			if c.Protocol == config.ProtocolH2 {
				cs.h2 = newH2Pool(ls, cs)
			}
		}
		ls.clusters = append(ls.clusters, cs)
	}
	for _, cs := range old {
		if cs != nil {
			cs.pool.Close()
			if cs.h2 != nil {
				cs.h2.close()
			}
		}
	}
	ls.tbl = t
	return t
}

// takeUnchanged finds the state of c's cluster in old if c and its TLS
// are unchanged, and takes it out of old (so that it is not closed).
func takeUnchanged(old []*clusterState, c *upstream.Cluster, tls *upstreamTLS) *clusterState {
	for i, cs := range old {
		if cs != nil && cs.cluster.Name == c.Name && cs.tls == tls && cs.cluster.Unchanged(c) {
			old[i] = nil
			return cs
		}
	}
	return nil
}

// switchTable runs on the loop as a task when a table is published.
func (ls *loopState) switchTable() { ls.current() }

// staggered advances loop n's picker by n picks, so that the loops' round
// robins do not all begin with the same backend: two clients on two loops
// reach two backends, as they would behind one shared rotation.
func staggered(p upstream.Picker, n int) upstream.Picker {
	now := time.Now()
	for i := 0; i < n; i++ {
		if b, err := p.Pick(now, nil); err == nil {
			p.Done(b)
		}
	}
	return p
}

// accept makes the handler of a new client connection of an http
// listener (listenerAcceptor checked the limits). A connection that first
// sends a PROXY header (proxied) runs the Accept and Handshake filters once
// the header named its client (downConn.onProxyHeader).
func (ls *loopState) accept(c *eventloop.Conn, listener int, proxied bool) eventloop.Handler {
	dc := ls.getConn(c)
	dc.listener, dc.dest = listener, takenDest(c)
	if proxied {
		dc.state = stProxyHeader
	} else if !ls.admit(dc) {
		ls.putConn(dc)
		return nil
	}
	ls.stats.accepted.Add(1)
	ls.stats.active.Add(1)
	ls.conns.push(dc)
	return dc
}

// admit runs the Accept and Handshake filters; false: a filter closes dc.
// Finish runs at the close of an admitted connection only.
func (ls *loopState) admit(dc *downConn) bool {
	dc.admitted = ls.srv.connF[Accept].run(dc.session()) != CloseConn &&
		ls.srv.connF[Handshake].run(dc.session()) != CloseConn
	return dc.admitted
}

// admitTCP runs the connection filters for a tcp listener's connection c,
// seen through a downConn lent for the call (a Session is one); the
// returned one is for finishTCP, nil when a filter closed c.
func (ls *loopState) admitTCP(c *eventloop.Conn) *downConn {
	dc := ls.getConn(c)
	if !ls.admit(dc) {
		ls.putConn(dc)
		return nil
	}
	return dc
}

// finishTCP runs the Finish filters of a tcp connection that admitTCP let
// in, and gives its downConn back.
func (ls *loopState) finishTCP(dc *downConn) {
	if dc != nil {
		ls.srv.connF[Finish].run(dc.session())
		ls.putConn(dc)
	}
}

// getStream takes a stream from the free list (or makes one) for a request
// of dc whose head was just parsed into ls.req; the head moves into the
// stream, and the stream's old head storage becomes the loop's parse target.
func (ls *loopState) getStream(dc *downConn) *Stream {
	s := ls.takeStream(dc)
	s.dc = dc
	s.req, ls.req = ls.req, s.req
	return s
}

// getStreamFor takes a stream for an HTTP/2 request stream; its head is
// built into it by buildRequest.
func (ls *loopState) getStreamFor(hs *h2Stream) *Stream { return ls.takeStream(hs) }

// takeStream takes a stream from the free list (or makes one) for the
// client side ds.
func (ls *loopState) takeStream(ds downSide) *Stream {
	var s *Stream
	if n := len(ls.free); n > 0 {
		s, ls.free = ls.free[n-1], ls.free[:n-1]
	} else {
		s = newStream(ls)
	}
	s.ls, s.ds, s.dc = ls, ds, nil
	return s
}

// putStream returns a stream whose request has ended. Its fields stay
// readable until getStream hands it out again, which never happens while
// a callback of its old request is still running.
func (ls *loopState) putStream(s *Stream) {
	ls.free = append(ls.free, s)
}

// getConn takes a downConn from the free list (or makes one) for c: a new
// connection allocates nothing once the loop has seen as many at once.
func (ls *loopState) getConn(c *eventloop.Conn) *downConn {
	var dc *downConn
	if n := len(ls.freeDC); n > 0 {
		dc, ls.freeDC = ls.freeDC[n-1], ls.freeDC[:n-1]
	} else {
		dc = newDownConn(ls)
	}
	dc.reset(c)
	return dc
}

// getSendClock takes a send clock from the free list (or makes one).
func (ls *loopState) getSendClock() *sendClock {
	if n := len(ls.freeSend); n > 0 {
		sc := ls.freeSend[n-1]
		ls.freeSend = ls.freeSend[:n-1]
		return sc
	}
	sc := &sendClock{}
	sc.timer.Init(ls.loop, sc.onTimer)
	return sc
}

// putConn returns the state of a closed connection (after its OnClose).
// dc.ec keeps pointing at the closed Conn, which is inert, so a caller up
// the stack that touches it after Close gets ErrClosed, not a nil pointer.
func (ls *loopState) putConn(dc *downConn) {
	ls.freeDC = append(ls.freeDC, dc)
}

// startDrain runs on the loop at shutdown: idle client connections close now,
// busy ones close after their current response.
func (ls *loopState) startDrain() {
	ls.draining = true
	ls.rpc.drain()
	ls.conns.each(func(dc *downConn) {
		if dc.h2 != nil {
			dc.h2.drain() // GOAWAY: streams in flight finish, then it closes
		} else if dc.idle() {
			dc.ec.Close()
		}
	})
}

// connList is an intrusive list of a loop's client connections.
type connList struct{ head *downConn }

func (l *connList) push(dc *downConn) {
	dc.next = l.head
	if l.head != nil {
		l.head.prev = dc
	}
	l.head = dc
}

func (l *connList) remove(dc *downConn) {
	if dc.prev != nil {
		dc.prev.next = dc.next
	} else if l.head == dc {
		l.head = dc.next
	}
	if dc.next != nil {
		dc.next.prev = dc.prev
	}
	dc.prev, dc.next = nil, nil
}

// each calls f for every connection; f may remove the one it is given.
func (l *connList) each(f func(*downConn)) {
	for dc := l.head; dc != nil; {
		next := dc.next
		f(dc)
		dc = next
	}
}
