package proxy

import (
	"time"

	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/h2"
	"github.com/velox-proxy/velox/upstream"
)

// h2Up is one HTTP/2 connection to a backend of a cluster with protocol
// h2, on one loop: many streams share it, each found by its stream id in
// streams (the stream table's (upstream session, id) key). It is its
// socket's handler for its whole life, idle or busy, so PING, SETTINGS and
// GOAWAY are answered while no stream uses it.
//
// Streams that arrive while it connects, or while it is at the backend's
// MAX_CONCURRENT_STREAMS, wait in queue (at most h2MaxQueued); a GOAWAY
// makes it drain: no new stream, those above the last id are retried, the
// queued ones go to another connection (or, at max_conns, wait in its
// queue until it closes).
type h2Up struct {
	// Immutable:
	pool *h2Pool
	uc   *upstream.Conn
	conn *h2.Conn
	// Owned by the loop:
	streams    map[uint32]*Stream
	queue      []*Stream // waiting to open a stream
	connecting bool
	draining   bool // GOAWAY received: no new stream; the queue goes elsewhere
	feeding    bool // in Feed: frames queued by its events go out once, after it
	closed     bool
	idleSince  int64 // loop time when the last stream left (0 = busy)
	timer      eventloop.Timer
	prev, next *h2Up
}

// h2MaxQueued bounds the streams waiting on one connection (its dial or
// its stream limit); a stream that finds every connection full and the
// connection limit reached gets 503.
const h2MaxQueued = 1024

// h2Pool is one cluster's HTTP/2 connections on one loop, by backend.
type h2Pool struct {
	ls     *loopState
	cs     *clusterState
	conns  [][]*h2Up // by Backend.Index
	closed bool
}

var _ eventloop.Handler = (*h2Up)(nil)
var _ h2.Handler = (*h2UpEvents)(nil)

// h2UpEvents is h2Up as the handler of its state machine's events (the
// socket's handler has methods of the same names).
type h2UpEvents h2Up

func newH2Pool(ls *loopState, cs *clusterState) *h2Pool {
	return &h2Pool{ls: ls, cs: cs, conns: make([][]*h2Up, len(cs.cluster.Backends))}
}

// attachH2 puts s on a stream of an HTTP/2 connection to b: one with room,
// else the queue of one being dialled that its first SETTINGS will likely
// let take it, else a new connection, else the queue of the least busy.
func (s *Stream) attachH2(b *upstream.Backend) {
	p := s.cs.h2
	var best, drained *h2Up
	for _, hu := range p.conns[b.Index] {
		if hu.closed {
			continue
		}
		if hu.draining {
			drained = hu
			continue
		}
		if hu.connecting {
			// It will take as many streams as the backend allows: wait
			// for it rather than dial a connection per stream (a burst
			// shares the connection being dialled).
			if len(hu.queue) < h2.DefaultMaxConcurrentStreams {
				s.queueOn(hu)
				return
			}
		} else if len(hu.queue) == 0 && hu.conn.CanOpen() {
			s.ls.stats.upstreamReused.Add(1)
			s.reused = true
			hu.open(s)
			return
		}
		if best == nil || len(hu.queue) < len(best.queue) {
			best = hu
		}
	}
	hu, err := p.dial(b)
	if err != nil {
		if best == nil && err == upstream.ErrConnLimit && !p.closed {
			best = drained // it holds the place: when it closes, its queue dials anew
		}
		if best == nil || len(best.queue) >= h2MaxQueued {
			s.fail(pickFailure(err))
			return
		}
		hu = best
	} else {
		s.ls.stats.upstreamConnects.Add(1)
	}
	s.queueOn(hu)
}

// queueOn makes s wait for a stream on hu, under response_timeout
// (clock.go: the backend holds it up).
func (s *Stream) queueOn(hu *h2Up) {
	s.reused = false
	s.up, s.hu = upDialling, hu
	hu.queue = append(hu.queue, s)
	s.syncBackendClock(true)
}

// dial opens a new connection to b (counted against max_conns).
func (p *h2Pool) dial(b *upstream.Backend) (*h2Up, error) {
	if p.closed {
		return nil, upstream.ErrConnLimit
	}
	hu := &h2Up{pool: p, streams: map[uint32]*Stream{}, connecting: true}
	uc, err := p.cs.dial(b, hu, false)
	if err != nil {
		return nil, err
	}
	hu.uc = uc
	p.ls.stats.h2UpConns.Add(1)
	hu.conn = h2.NewConn(h2.Client, &p.ls.tbl.limits.h2, (*h2UpEvents)(hu))
	hu.timer.Init(p.ls.loop, hu.onIdleTimer)
	p.conns[b.Index] = append(p.conns[b.Index], hu)
	return hu, nil
}

// close closes every idle connection (reload, shutdown). A busy one
// serves what it has, its queue included (those streams were the old
// configuration's to serve, and a reload loses no request), and closes
// when it has nothing left (checkIdle); no new stream comes to it, since
// new requests use the new configuration's pool.
func (p *h2Pool) close() {
	p.closed = true
	for _, list := range p.conns {
		// A close runs OnClose, which takes hu out of this very list.
		for _, hu := range append([]*h2Up(nil), list...) {
			if len(hu.streams) == 0 && len(hu.queue) == 0 {
				hu.uc.EC.Close()
			}
		}
	}
}

func (p *h2Pool) remove(hu *h2Up) {
	list := p.conns[hu.uc.Backend.Index]
	for i, x := range list {
		if x == hu {
			list[i] = list[len(list)-1]
			list[len(list)-1] = nil
			p.conns[hu.uc.Backend.Index] = list[:len(list)-1]
			return
		}
	}
}

// open starts s's stream on hu and sends its head.
func (hu *h2Up) open(s *Stream) {
	id, ok := hu.conn.OpenStream()
	if !ok { // cannot happen: callers checked CanOpen
		s.fail(failUpstreamReset)
		return
	}
	s.hu, s.upID = hu, id
	hu.streams[id] = s
	hu.pool.ls.stats.h2UpStreams.Add(1)
	hu.idleSince = 0
	hu.timer.Stop()
	(*upH2)(s).sendHead()
}

// flush moves queued frames to the socket: at once, or at the end of Feed
// when its events queued them (one write per read, not one per event).
func (hu *h2Up) flush() {
	if hu.feeding {
		return
	}
	gatherFrames(hu.conn, hu.uc.EC)
}

// openQueued opens streams for queued requests while the backend allows.
func (hu *h2Up) openQueued() {
	for len(hu.queue) > 0 && !hu.draining && hu.conn.CanOpen() {
		s := hu.queue[0]
		copy(hu.queue, hu.queue[1:])
		hu.queue[len(hu.queue)-1] = nil
		hu.queue = hu.queue[:len(hu.queue)-1]
		hu.open(s)
	}
	hu.flush()
	if hu.draining && len(hu.queue) > 0 {
		hu.requeue()
	}
}

// requeue sends the queued streams to another connection to the same
// backend: this one will not take them (GOAWAY, or closed), and they were
// never sent, so any method may go again.
func (hu *h2Up) requeue() {
	q := hu.queue
	hu.queue = nil
	for _, s := range q {
		s.hu, s.up = nil, upNone
		s.attachH2(s.backend)
	}
}

// forget removes s's stream from the connection (it ended or was reset).
func (hu *h2Up) forget(s *Stream) {
	if s.upID != 0 {
		delete(hu.streams, s.upID)
	} else {
		for i, q := range hu.queue {
			if q == s {
				hu.queue = append(hu.queue[:i], hu.queue[i+1:]...)
				break
			}
		}
	}
	s.hu, s.upID = nil, 0
	hu.flush()
	hu.checkIdle()
}

// checkIdle closes a drained connection with no stream left, and times an
// idle one (idle_timeout; max_idle 0 closes it at once).
func (hu *h2Up) checkIdle() {
	if hu.closed || len(hu.streams) > 0 || (len(hu.queue) > 0 && !hu.draining) {
		return // a drained one closes with a queue: OnClose requeues it
	}
	cl := hu.pool.cs.cluster
	if hu.draining || hu.pool.closed || cl.MaxIdle == 0 {
		hu.uc.EC.Close()
		return
	}
	hu.idleSince = hu.pool.ls.loop.Now()
	hu.timer.Reset(cl.IdleTimeout)
}

func (hu *h2Up) onIdleTimer() {
	if len(hu.streams) == 0 && len(hu.queue) == 0 {
		hu.uc.EC.Close()
	}
}

// eventloop.Handler: the socket.

func (hu *h2Up) OnOpen(c *eventloop.Conn) {
	hu.connecting = false
	hu.conn.Start()
	hu.flush()
	// The backend's SETTINGS are not in yet: streams open under the
	// default limit (RFC 9113 section 6.5.2: unlimited until then; the
	// state machine assumes 100), the rest when OnCapacity says so.
	hu.openQueued()
}

func (hu *h2Up) OnData(c *eventloop.Conn, data []byte) int {
	hu.feeding = true
	n, err := hu.conn.Feed(data)
	hu.feeding = false
	hu.flush()
	if err != nil {
		hu.pool.ls.stats.h2ConnErrors.Add(1)
		hu.pool.ls.srv.log.conn("upstream", nil, 0, "HTTP/2 connection error from "+hu.uc.Backend.Addr+": "+err.Error())
		c.CloseAfterFlush()
		return len(data)
	}
	if hu.conn.Done() {
		c.CloseAfterFlush()
	}
	return n
}

func (hu *h2Up) OnWritable(c *eventloop.Conn) {}

// OnClose fails or retries every stream that was on the connection.
func (hu *h2Up) OnClose(c *eventloop.Conn, err error) {
	hu.closed = true
	hu.timer.Stop()
	hu.pool.cs.pool.Forget(hu.uc)
	hu.pool.remove(hu)
	if hu.connecting && err != nil { // not velox's own Close of a dial nobody waits for
		hu.uc.Backend.ReportFailure(time.Now())
	}
	for id, s := range hu.streams {
		delete(hu.streams, id)
		s.hu, s.upID = nil, 0
		s.onH2UpstreamGone(err, hu.connecting)
	}
	if !hu.connecting {
		hu.requeue() // streams waiting for room: a new connection takes them
		return
	}
	q := hu.queue
	hu.queue = nil
	for _, s := range q {
		s.hu = nil
		s.onH2UpstreamGone(err, true)
	}
}

// h2.Handler: the streams.

func (e *h2UpEvents) OnHeaders(id uint32, h *h2.Head, trailers, endStream bool) {
	hu := (*h2Up)(e)
	s := hu.streams[id]
	if s == nil {
		return
	}
	if trailers {
		s.onH2Trailers(h)
	} else {
		s.onH2Head(h, endStream)
	}
	hu.flush()
}

func (e *h2UpEvents) OnData(id uint32, data []byte, endStream bool) {
	hu := (*h2Up)(e)
	s := hu.streams[id]
	if s == nil {
		hu.conn.Consume(id, len(data))
		return
	}
	s.onH2Data(data, endStream)
	hu.flush()
}

func (e *h2UpEvents) OnReset(id uint32, code h2.ErrCode, remote bool) {
	hu := (*h2Up)(e)
	s := hu.streams[id]
	if s == nil {
		return
	}
	if s.upCredit > 0 {
		hu.conn.Consume(id, s.upCredit) // the connection's share of the window
		s.upCredit = 0
	}
	hu.pool.ls.stats.countH2Reset(code, remote)
	delete(hu.streams, id)
	s.hu, s.upID = nil, 0
	s.onH2Reset(code)
	hu.checkIdle()
}

func (e *h2UpEvents) OnSendWindow(id uint32) {
	hu := (*h2Up)(e)
	if id != 0 {
		if s := hu.streams[id]; s != nil {
			s.sendUpPending()
		}
	} else {
		for _, s := range hu.streams {
			s.sendUpPending()
		}
	}
	hu.flush()
}

func (e *h2UpEvents) OnGoAway(lastID uint32, code h2.ErrCode, debug []byte) {
	hu := (*h2Up)(e)
	hu.pool.ls.stats.h2GoAwaysIn.Add(1)
	hu.draining = true
	hu.requeue()
	hu.checkIdle()
}

func (e *h2UpEvents) OnCapacity() { (*h2Up)(e).openQueued() }
