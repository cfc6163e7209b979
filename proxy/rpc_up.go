package proxy

import (
	"time"

	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/rpcx"
	"github.com/velox-proxy/velox/upstream"
)

// rpcUp is one multiplexed upstream connection of an rpcPool: it allocates
// the ids of the requests it carries, finds each response's stream by its
// id, and keeps itself alive with heartbeats. Owned by the loop.
type rpcUp struct {
	ls      *loopState
	pool    *rpcPool
	b       *upstream.Backend
	uc      *upstream.Conn
	open    bool   // connected (a TLS one: its handshake done)
	hold    bool   // a TLS connection: requests wait in early until open
	early   []byte // requests written before a TLS connection opened (rpc_pool.go)
	closed  bool
	closing bool // no new requests (readonly event, retired pool): close when pending is empty
	pending map[uint64]*rpcStream
	nextID  uint64
	waiters []*rpcDown // clients paused until this connection's output drains
	// Heartbeats: lastRead is the loop time of the last read; hbID the id of
	// the heartbeat in flight, hbSent when it went (0 = none in flight).
	lastRead int64
	hbID     uint64
	hbSent   int64
	timer    eventloop.Timer
	frame    rpcx.Frame
	scratch  []byte
}

var _ eventloop.Handler = (*rpcUp)(nil)

func newRPCUp(p *rpcPool, b *upstream.Backend) *rpcUp {
	u := &rpcUp{ls: p.ls, pool: p, b: b, pending: map[uint64]*rpcStream{}, nextID: 1}
	u.timer.Init(p.ls.loop, u.onTimer)
	return u
}

// usable reports whether new requests may go on u.
func (u *rpcUp) usable() bool { return !u.closed && !u.closing }

// allocID returns an id no request in flight on u has.
func (u *rpcUp) allocID() uint64 {
	max := u.pool.r.proto.MaxID()
	for {
		id := u.nextID
		if u.nextID++; u.nextID > max || u.nextID == 0 {
			u.nextID = 1
		}
		if _, busy := u.pending[id]; !busy && (u.hbSent == 0 || id != u.hbID) {
			return id
		}
	}
}

// send writes request f of client d on u with a fresh id, in place; a
// two-way request becomes a stream waiting for its response.
func (u *rpcUp) send(d *rpcDown, f *rpcx.Frame, cs *clusterState, b *upstream.Backend) {
	id := u.allocID()
	downID := f.ID
	u.pool.r.proto.SetID(f.Raw, id)
	u.write(f.Raw)
	b.CountRequest()
	u.uc.Requests++
	oneway := f.Kind == rpcx.KindOneway
	if oneway && u.open {
		cs.picker.Done(b) // ends when written
	} else {
		// A one-way request written while u is connecting is a stream
		// until the connect is done: a failed connect sends it on.
		st := u.ls.rpc.getStream(u.ls)
		st.down, st.downID, st.up, st.upID, st.backend, st.cs = d, downID, u, id, b, cs
		st.version, st.codec, st.tries, st.draft = f.Version, f.Codec, 1, f.HessianDraft
		st.oneway = oneway
		if t := u.ls.tbl; !oneway && respFilters(t, d.product, d.rt) {
			st.tbl, st.product, st.route = t, d.product, d.rt
			st.keepHead(&d.req)
		}
		if !u.open {
			st.raw = append(st.raw[:0], f.Raw...) // for a retry if the connect fails
		}
		u.pending[id] = st
		d.streams[st] = struct{}{}
		u.ls.stats.rpcOf(u.pool.r).inflight.Add(1)
		if !oneway {
			st.timer.Reset(cs.cluster.ResponseTimeout)
		}
	}
	if u.buffered() > u.ls.tbl.limits.streamBuffer && !d.waiting {
		d.waiting = true
		d.ec.PauseRead()
		u.waiters = append(u.waiters, d)
	}
}

func (u *rpcUp) OnOpen(c *eventloop.Conn) {
	u.open = true
	u.sendEarly()
	for _, st := range u.pending {
		st.raw = st.raw[:0] // sent: no retry from here on
		if st.oneway {
			st.end(nil) // and a one-way request is done
		}
	}
	u.lastRead = u.ls.loop.Now()
	u.timer.Reset(u.pool.r.opts.hbInterval)
}

func (u *rpcUp) OnData(c *eventloop.Conn, data []byte) int {
	u.lastRead = u.ls.loop.Now()
	off := 0
	for off < len(data) && !u.closed {
		n, err := u.pool.r.proto.Decode(data[off:], &u.frame)
		if err == rpcx.ErrNeedMore {
			break
		}
		if err != nil {
			u.ls.stats.rpcOf(u.pool.r).frameErrors.Add(1)
			u.ls.srv.log.request(u.pool.r.proto.Name(), nil, nil, 0, "backend sent an undecodable frame ("+err.Error()+"), closed", u.pool.cs.cluster.Name, u.b.Addr)
			c.Close()
			return len(data)
		}
		u.handle(&u.frame)
		off += n
	}
	return off
}

func (u *rpcUp) handle(f *rpcx.Frame) {
	switch f.Kind {
	case rpcx.KindResponse:
		u.response(f)
	case rpcx.KindHeartbeatAck:
		if u.hbSent != 0 && f.ID == u.hbID {
			u.hbSent = 0
		}
	case rpcx.KindHeartbeat:
		u.scratch = u.pool.r.proto.AppendHeartbeatReply(u.scratch[:0], f)
		u.uc.EC.Write(u.scratch)
	case rpcx.KindEvent: // Dubbo's readonly event: the backend is going away
		u.closing = true
		u.idleCheck()
	}
}

// response hands f to its stream's client with the client's id.
func (u *rpcUp) response(f *rpcx.Frame) {
	stats := u.ls.stats.rpcOf(u.pool.r)
	st := u.pending[f.ID]
	if st == nil {
		// Its stream timed out or its client closed; or it answers a
		// one-way request (sofa-rpc-node's server answers those too).
		// Ids go round before they are reused, so such an answer never
		// finds a later request.
		stats.late.Add(1)
		return
	}
	u.b.ReportSuccess()
	if f.OK {
		stats.responsesOK.Add(1)
	} else {
		stats.responsesErr.Add(1)
	}
	u.pool.r.proto.SetID(f.Raw, st.downID)
	if st.tbl == nil {
		st.end(f.Raw)
		return
	}
	answer, closeClient := st.readResponse(f)
	d := st.down
	st.end(answer)
	if closeClient {
		d.closeNow()
	}
}

func (u *rpcUp) OnWritable(c *eventloop.Conn) {
	if c.Buffered() > u.ls.tbl.limits.streamBuffer {
		return
	}
	ws := u.waiters
	u.waiters = nil
	for _, d := range ws {
		d.resume()
	}
}

// idleCheck closes a closing connection once nothing is pending on it.
func (u *rpcUp) idleCheck() {
	if u.closing && len(u.pending) == 0 && !u.closed && u.uc != nil {
		u.uc.EC.CloseAfterFlush()
	}
}

// onTimer sends a heartbeat on a connection idle for heartbeat_interval,
// and closes one whose heartbeat went unanswered for heartbeat_timeout.
func (u *rpcUp) onTimer() {
	now := u.ls.loop.Now()
	o := &u.pool.r.opts
	if u.hbSent != 0 {
		if wait := o.hbTimeout - time.Duration(now-u.hbSent); wait > 0 {
			u.timer.Reset(wait)
			return
		}
		u.ls.stats.rpcOf(u.pool.r).upHBTimeouts.Add(1)
		u.ls.srv.log.request(u.pool.r.proto.Name(), nil, nil, 0, "no heartbeat answer within rpc.heartbeat_timeout, closed", u.pool.cs.cluster.Name, u.b.Addr)
		u.uc.EC.Close()
		return
	}
	if wait := o.hbInterval - time.Duration(now-u.lastRead); wait > 0 {
		u.timer.Reset(wait)
		return
	}
	u.hbID = u.allocID()
	u.hbSent = now
	u.ls.stats.rpcOf(u.pool.r).upHeartbeats.Add(1)
	u.scratch = u.pool.r.proto.AppendHeartbeat(u.scratch[:0], u.hbID)
	u.uc.EC.Write(u.scratch)
	u.timer.Reset(o.hbTimeout)
}

// OnClose fails every pending request: with no backend when the connect
// failed, with the upstream error when an open connection closed.
func (u *rpcUp) OnClose(c *eventloop.Conn, err error) {
	u.closed = true
	u.timer.Stop()
	u.pool.cs.pool.Forget(u.uc)
	u.pool.remove(u)
	fail := rpcx.FailUpstream
	if !u.open {
		fail = rpcx.FailNoBackend
	}
	if len(u.pending) > 0 || !u.open {
		u.b.ReportFailure(time.Now())
		if u.ls.srv.log.Verbose() || !u.open {
			u.ls.srv.log.request(u.pool.r.proto.Name(), nil, nil, 0, "upstream connection closed: "+errText(err), u.pool.cs.cluster.Name, u.b.Addr)
		}
	}
	for _, st := range u.pending {
		if !u.open && st.retry() {
			continue
		}
		st.fail(fail)
	}
	for _, d := range u.waiters {
		d.resume()
	}
	u.waiters = nil
}

func errText(err error) string {
	if err == nil {
		return "closed"
	}
	return err.Error()
}
