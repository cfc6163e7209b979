package proxy

import (
	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/h1"
	"github.com/velox-proxy/velox/h2"
)

// h2Down is a client connection that speaks HTTP/2 (h2c with prior
// knowledge: downConn.onHead saw the connection preface where a request
// line was expected, on the same port as HTTP/1.1). Its downConn stays the
// socket's handler and hands it every byte; the h2.Conn state machine turns
// them into stream events, and each request stream becomes a Stream of the
// same pipeline as HTTP/1.1, with an h2Stream as its downSide.
//
// Flow control is the backpressure: request body bytes are credited back to
// the client (WINDOW_UPDATE) only once the backend took them, so a stream
// whose backend is slow has its window closed while the connection and its
// other streams go on; response bytes the client's window does not take
// wait in that stream's pending buffer, and over Limits.StreamBuffer the
// stream's backend is paused. Memory per connection is bounded by the
// windows we advertise (h2.Config) plus StreamBuffer per stream.
type h2Down struct {
	// Immutable while in use:
	dc   *downConn
	conn *h2.Conn
	// Owned by the loop:
	streams h2.StreamMap[*h2Stream]
	visit   []*h2Stream // a snapshot of streams for loops that may end some
	resp    h1.Response // local responses re-read from Stream.out
	fields  []h2.Field  // response fields being encoded
	via     []byte      // their Via value
	goaway  bool        // a GOAWAY went out (drain)
	// mayWait: a stream may be waiting for a window or for the socket:
	// one had response bytes pending, or saw bytes buffered for the
	// client (so checkDownFull may have paused its backend). Without it,
	// onWritable and a connection WINDOW_UPDATE have no stream to visit.
	mayWait bool
	feeding bool // inside conn.Feed: a close waits for it to return
	closed  bool // the socket closed: events that still come are dropped
}

var _ h2.Handler = (*h2Down)(nil)

// startH2 turns dc into an HTTP/2 connection; data holds the preface.
func (dc *downConn) startH2() {
	ls := dc.ls
	hd := ls.getH2(dc)
	dc.h2, dc.state = hd, stH2
	ls.stats.h2Conns.Add(1)
	hd.conn.Start()
	hd.flush()
}

// getH2 takes an HTTP/2 connection state from the loop's free list.
func (ls *loopState) getH2(dc *downConn) *h2Down {
	var hd *h2Down
	if n := len(ls.freeH2); n > 0 {
		hd, ls.freeH2 = ls.freeH2[n-1], ls.freeH2[:n-1]
		hd.conn.Reinit(h2.Server, &ls.tbl.limits.h2, hd)
	} else {
		hd = &h2Down{}
		ls.madeH2++
		hd.conn = h2.NewConn(h2.Server, &ls.tbl.limits.h2, hd)
	}
	hd.dc, hd.goaway, hd.closed, hd.mayWait = dc, false, false, false
	hd.streams.Clear()
	return hd
}

// onData feeds the connection's input to the state machine.
func (hd *h2Down) onData(data []byte) int {
	hd.feeding = true
	n, err := hd.conn.Feed(data)
	hd.feeding = false
	if hd.closed { // a filter closed the connection while its frames were read
		hd.dc.ls.freeH2 = append(hd.dc.ls.freeH2, hd)
		return len(data)
	}
	hd.flush()
	if err != nil {
		hd.dc.ls.stats.h2ConnErrors.Add(1)
		hd.dc.ls.stats.h2GoAwaysOut.Add(1)
		if hd.dc.ls.srv.log.Verbose() {
			hd.dc.ls.srv.log.conn("downstream", hd.dc.remoteIP(), 0, err.Error())
		}
		hd.dc.lingerClose()
		return len(data)
	}
	hd.checkDone()
	return n
}

// flush gathers the frames the state machine queued into the socket's
// output: the loop writes them with one writev at the end of its
// iteration. Output still waiting from an earlier iteration means a client
// slow to read: timeouts.send times it.
func (hd *h2Down) flush() {
	if hd.dc.ec.Backlogged() && len(hd.conn.Output()) > 0 {
		hd.dc.watchSend()
	}
	gatherFrames(hd.conn, hd.dc.ec)
}

// gatherFrames moves the frames c queued into ec's output, which the loop
// writes with one writev at the end of its iteration (both sides of
// HTTP/2 flush this way).
func gatherFrames(c *h2.Conn, ec *eventloop.Conn) {
	if out := c.Output(); len(out) > 0 {
		ec.Gather(out)
		c.ClearOutput()
	}
}

// drain starts a graceful GOAWAY (shutdown): streams in flight finish.
func (hd *h2Down) drain() {
	if hd.goaway {
		return
	}
	hd.goaway = true
	hd.dc.ls.stats.h2GoAwaysOut.Add(1)
	hd.conn.GoAway(h2.ErrCodeNo, nil)
	hd.flush()
	hd.checkDone()
}

// checkDone closes a connection whose GOAWAY exchange is over, and arms the
// idle timer when no stream is left.
func (hd *h2Down) checkDone() {
	dc := hd.dc
	if dc.ec.Closed() || dc.state == stClosing {
		return
	}
	if hd.conn.Done() {
		dc.lingerClose()
		return
	}
	if hd.streams.Len() == 0 {
		if dc.tmode != tmIdle || !dc.timer.Armed() {
			dc.armTimer(tmIdle)
		}
	} else if dc.timer.Armed() {
		dc.timer.Stop()
	}
}

// onIdle: no stream for timeouts.idle: GOAWAY(NO_ERROR) and close.
func (hd *h2Down) onIdle() {
	if hd.streams.Len() > 0 {
		return
	}
	hd.dc.ls.stats.h2GoAwaysOut.Add(1)
	hd.goaway = true
	hd.conn.GoAway(h2.ErrCodeNo, nil)
	hd.conn.GoAway(h2.ErrCodeNo, nil) // the second call sends the final GOAWAY at once
	hd.flush()
	hd.dc.lingerClose()
}

// onWritable: the socket drained; streams waiting on it go on, and the
// backends paused for it resume.
func (hd *h2Down) onWritable() {
	if hd.mayWait {
		wait := false
		list, mark := hd.snapshot()
		for _, hs := range list {
			if hs.hd != hd { // released by an earlier one
				continue
			}
			hs.sendPending()
			if s := hs.s; s != nil && s.upPaused && len(hs.pend) == 0 {
				s.downstreamDrained()
			}
			wait = wait || hs.waits()
		}
		hd.unsnapshot(mark)
		hd.mayWait = wait
	}
	hd.flush()
	hd.checkDone()
}

// closeAll cancels every stream of a connection that closed.
func (hd *h2Down) closeAll() {
	list, mark := hd.snapshot()
	defer hd.unsnapshot(mark)
	for _, hs := range list {
		hd.streams.Delete(hs.id)
		if s := hs.s; s != nil {
			s.cancel() // may release hs (streamEnded of an ended or reset stream): put is then a no-op
		}
		hd.dc.ls.putH2Stream(hs)
	}
	hd.closed = true
	if !hd.feeding { // else onData gives it back once Feed has returned
		hd.dc.ls.freeH2 = append(hd.dc.ls.freeH2, hd)
	}
}

// OnHeaders starts a request stream, or ends one's body with trailers
// (trailers.go says where they go).
func (hd *h2Down) OnHeaders(id uint32, h *h2.Head, trailers, endStream bool) {
	if hd.closed {
		return
	}
	if trailers {
		if hs := hd.streams.Get(id); hs != nil {
			hs.onTrailers(h.Fields)
		}
		return
	}
	ls := hd.dc.ls
	ls.stats.h2Streams.Add(1)
	hs := ls.getH2Stream(hd, id)
	hd.streams.Put(id, hs)
	hd.dc.nextID++
	ls.current()
	s := ls.getStreamFor(hs)
	hs.s = s
	s.perRequest = perRequest{}
	if err := buildRequest(s, h, endStream); err != nil {
		hs.refuse(err)
		return
	}
	hs.reqEnded = endStream
	s.start()
}

func (hd *h2Down) OnData(id uint32, data []byte, endStream bool) {
	if hd.closed {
		return
	}
	hs := hd.streams.Get(id)
	if hs == nil {
		hd.conn.Consume(id, len(data))
		return
	}
	hs.onData(data, endStream)
}

// OnReset: the client reset the stream (or the state machine did, after a
// stream error): the backend side is cancelled.
func (hd *h2Down) OnReset(id uint32, code h2.ErrCode, remote bool) {
	hs := hd.streams.Get(id)
	if hs == nil {
		return
	}
	hs.reset = true
	hd.dc.ls.stats.countH2Reset(code, remote)
	hs.dropBody()
	if s := hs.s; s != nil {
		s.cancel()
	}
	hs.release()
}

func (hd *h2Down) OnSendWindow(id uint32) {
	if id != 0 {
		if hs := hd.streams.Get(id); hs != nil {
			hs.sendPending()
		}
		return
	}
	if !hd.mayWait {
		return
	}
	list, mark := hd.snapshot()
	for _, hs := range list {
		if hs.hd == hd {
			hs.sendPending()
		}
	}
	hd.unsnapshot(mark)
}

// snapshot lists the streams at the end of hd.visit, for a loop whose
// body may end some (a StreamMap must not change while it is ranged
// over); unsnapshot(mark) drops the list after the loop, so that a loop
// nested in another's body has its own. A stream released meanwhile has
// hs.hd == nil; none starts during such a loop.
func (hd *h2Down) snapshot() (list []*h2Stream, mark int) {
	mark = len(hd.visit)
	for _, hs := range hd.streams.All() {
		hd.visit = append(hd.visit, hs)
	}
	return hd.visit[mark:], mark
}

func (hd *h2Down) unsnapshot(mark int) {
	clear(hd.visit[mark:])
	hd.visit = hd.visit[:mark]
}

func (hd *h2Down) OnGoAway(lastID uint32, code h2.ErrCode, debug []byte) {
	hd.dc.ls.stats.h2GoAwaysIn.Add(1)
}

func (hd *h2Down) OnCapacity() {}
