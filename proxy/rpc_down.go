package proxy

import (
	"errors"
	"time"

	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/h1"
	"github.com/velox-proxy/velox/head"
	"github.com/velox-proxy/velox/rpcx"
)

// rpcDown is a client connection of an RPC listener. Owned by its loop.
type rpcDown struct {
	ls       *loopState
	r        *rpcRoutes
	ec       *eventloop.Conn
	streams  map[*rpcStream]struct{} // requests waiting for their response
	closed   bool
	draining bool
	waiting  bool      // paused until an upstream connection drains (rpcUp.waiters)
	session  *downConn // what the connection filters saw, for Finish (admitTCP); nil when none are registered
	ip       []byte
	ipBuf    [48]byte
	// The loop's scratch, valid until the next frame (one per loop: a
	// frame is handled to the end before the next one of any connection,
	// so an idle connection holds none of it).
	*rpcScratch
}

// rpcScratch is what handling one frame needs: the decoded frame, its
// head, the neutral head and what the filters did to it (rpc_route.go,
// rpc_filter.go), the answer being built. Owned by the loop.
type rpcScratch struct {
	frame   rpcx.Frame
	head    rpcx.Head
	req     h1.Request
	fields  []head.Field
	orig    []head.Field // the fields before the filters ran (rpc_filter.go)
	changes []rpcx.Change
	rewrite []byte   // the frame with the filters' changes, when they made some
	product *product // where the filters and routes sent the frame
	rt      *route
	path    []byte
	scratch []byte
}

var _ eventloop.Handler = (*rpcDown)(nil)

func (d *rpcDown) OnOpen(c *eventloop.Conn) {}

// OnData decodes and handles every whole frame in data.
func (d *rpcDown) OnData(c *eventloop.Conn, data []byte) int {
	off := 0
	for off < len(data) && !d.closed && !c.Paused() {
		n, err := d.r.proto.Decode(data[off:], &d.frame)
		if err == rpcx.ErrNeedMore {
			break
		}
		if err != nil {
			d.frameError(err)
			return len(data)
		}
		d.handle(&d.frame)
		off += n
	}
	return off
}

// frameError closes the connection for a frame it cannot go on after.
func (d *rpcDown) frameError(err error) {
	d.ls.stats.rpcOf(d.r).frameErrors.Add(1)
	why := "undecodable frame (" + err.Error() + "), closed"
	if errors.Is(err, rpcx.ErrFrameTooLarge) {
		why = err.Error() + " (rpc.max_frame), closed"
	}
	d.ls.srv.log.request(d.r.proto.Name(), d.ip, nil, 0, why, "", "")
	d.closed = true
	d.ec.Close()
}

func (d *rpcDown) handle(f *rpcx.Frame) {
	st := d.ls.stats.rpcOf(d.r)
	switch f.Kind {
	case rpcx.KindHeartbeat:
		st.heartbeats.Add(1)
		d.scratch = d.r.proto.AppendHeartbeatReply(d.scratch[:0], f)
		d.write(d.scratch)
	case rpcx.KindRequest, rpcx.KindOneway:
		st.requests.Add(1)
		if d.session != nil {
			d.session.nextID++ // Session.Requests
		}
		if f.Kind == rpcx.KindOneway {
			st.oneway.Add(1)
		}
		d.request(f)
	}
	// Responses, acknowledgements and events from a client: nothing to do.
}

// request routes f and sends it upstream, or answers it with an error.
func (d *rpcDown) request(f *rpcx.Frame) {
	d.req, d.product, d.rt = h1.Request{}, nil, nil // nothing of the frame before
	if f.Kind == rpcx.KindRequest && len(d.streams) >= d.r.opts.maxClientInFlight {
		d.answerError(f, rpcx.FailOverload)
		return
	}
	ci, fail := d.route(f)
	if fail == failHandled {
		return
	}
	if fail != 0 {
		d.answerError(f, fail)
		return
	}
	cs := d.ls.clusters[ci]
	b, err := cs.picker.Pick(time.Now(), nil)
	if err != nil {
		d.answerError(f, rpcx.FailNoBackend)
		return
	}
	up := d.ls.rpc.pool(d.ls, d.r, cs).conn(b)
	if up == nil {
		cs.picker.Done(b)
		d.answerError(f, rpcx.FailOverload)
		return
	}
	up.send(d, f, cs, b)
	if f.Kind == rpcx.KindOneway {
		d.finishLocal(d.ls.tbl, 200, d.product, d.rt) // it ends when written (a retry after a failed connect is not seen)
	}
}

// answerError writes the protocol's error response for f (nothing for a
// one-way request) and counts it.
func (d *rpcDown) answerError(f *rpcx.Frame, fail rpcx.Failure) {
	if f.Kind != rpcx.KindOneway {
		d.write(d.errorAnswer(f, fail))
	}
	d.finishLocal(d.ls.tbl, failureStatus(fail), d.product, d.rt)
}

// errorAnswer counts fail and returns the protocol's error response for
// f, in d's scratch (valid until the next frame).
func (d *rpcDown) errorAnswer(f *rpcx.Frame, fail rpcx.Failure) []byte {
	d.ls.stats.rpcOf(d.r).count(fail)
	d.scratch = d.r.proto.AppendError(d.scratch[:0], f, fail, "")
	return d.scratch
}

// write sends p to the client at once (a client rarely has two answers in
// one iteration, and gathering them measured slower with few clients). A
// client that does not read its responses is paused once its output
// passes limits.stream_buffer.
func (d *rpcDown) write(p []byte) {
	if d.closed {
		return
	}
	d.ec.Write(p)
	if d.ec.Buffered() > d.ls.tbl.limits.streamBuffer {
		d.ec.PauseRead()
	}
}

func (d *rpcDown) OnWritable(c *eventloop.Conn) {
	if !d.waiting && !d.closed && c.Paused() {
		c.ResumeRead()
	}
}

// resume restarts reading once the upstream connection it waited on drained.
func (d *rpcDown) resume() {
	d.waiting = false
	if !d.closed && d.ec.Paused() && d.ec.Buffered() <= d.ls.tbl.limits.streamBuffer {
		d.ec.ResumeRead()
	}
}

// OnClose forgets the client's streams: their responses will be dropped.
func (d *rpcDown) OnClose(c *eventloop.Conn, err error) {
	d.closed = true
	for st := range d.streams {
		st.down = nil
		st.end(nil)
	}
	clear(d.streams)
	delete(d.ls.rpc.clients, d)
	d.ls.stats.active.Add(-1)
	d.ls.finishTCP(d.session)
	d.session = nil
}

// streamEnded closes a draining client once nothing is pending.
func (d *rpcDown) streamEnded() {
	if d.draining && len(d.streams) == 0 && !d.closed {
		d.ec.CloseAfterFlush()
	}
}

// drain tells the client to go elsewhere, where the protocol can, and
// closes it once its streams are done.
func (d *rpcDown) drain() {
	d.draining = true
	if dr, ok := d.r.proto.(interface{ AppendReadonly([]byte) []byte }); ok {
		d.scratch = dr.AppendReadonly(d.scratch[:0])
		d.write(d.scratch)
	}
	d.streamEnded()
}

func (d *rpcDown) ipOrNil() []byte {
	if d == nil {
		return nil
	}
	return d.ip
}
