package proxy

import (
	"time"

	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/h1"
	"github.com/velox-proxy/velox/head"
	"github.com/velox-proxy/velox/rpcx"
	"github.com/velox-proxy/velox/upstream"
)

// rpcStream is one request waiting for its response: in its upstream
// connection's pending map by upID and in its client's set. Owned by the
// loop; recycled through rpcLoop.free.
type rpcStream struct {
	down    *rpcDown
	downID  uint64 // the client's request id
	up      *rpcUp
	upID    uint64 // the id on the upstream connection
	backend *upstream.Backend
	cs      *clusterState
	version uint8 // of the request frame, for AppendError
	codec   uint8
	draft   bool            // the request's content is in the Hessian 2.0 draft (rpcx.Frame.HessianDraft)
	oneway  bool            // a one-way request waiting for its connection's connect (rpcUp.send)
	tries   int             // backends tried (connect failures retry, rpc_retry.go)
	raw     []byte          // a copy of the request while its connection is connecting; else empty
	timer   eventloop.Timer // the cluster's response_timeout
	// For read_response and request_finish filters (rpc_filter.go); tbl
	// is nil when the request has none:
	tbl       *table
	product   *product
	route     *route
	status    int        // what filters see of the answer
	req       h1.Request // the head, in headBuf
	headBuf   []byte
	fields    []head.Field
	statusBuf []byte
	respField [1]head.Field
}

func (st *rpcStream) reset() {
	st.down, st.up, st.backend, st.cs = nil, nil, nil, nil
	st.downID, st.upID, st.version, st.codec, st.tries, st.draft, st.oneway = 0, 0, 0, 0, 0, false, false
	st.raw = st.raw[:0]
	st.tbl, st.product, st.route, st.status = nil, nil, nil, 0
}

// errFrame is what AppendError needs of the request.
func (st *rpcStream) errFrame() rpcx.Frame {
	return rpcx.Frame{ID: st.downID, Version: st.version, Codec: st.codec, HessianDraft: st.draft}
}

// end takes st out of both tables, writes answer (if any) to its client,
// and recycles st; the picker hears the request is done. The counts change
// before the answer is written: the write may reach the client at once,
// and a client that reads its answer then /stats must not find the
// request still in flight.
func (st *rpcStream) end(answer []byte) {
	st.timer.Stop()
	if st.tbl != nil {
		st.requestFinish()
	}
	if st.up != nil {
		delete(st.up.pending, st.upID)
		st.up.ls.stats.rpcOf(st.up.pool.r).inflight.Add(-1)
		st.up.idleCheck()
	}
	st.cs.picker.Done(st.backend)
	ls := st.up.ls
	if d := st.down; d != nil {
		delete(d.streams, st)
		if answer != nil {
			d.write(answer)
		}
		d.streamEnded()
	}
	ls.rpc.putStream(st)
}

// fail answers st's client with the protocol's error for f and ends st.
func (st *rpcStream) fail(f rpcx.Failure) {
	var answer []byte
	st.status = failureStatus(f)
	if d := st.down; d != nil && !st.oneway {
		fr := st.errFrame()
		answer = d.errorAnswer(&fr, f)
	}
	st.end(answer)
}

// onTimeout: no response within the cluster's response_timeout.
func (st *rpcStream) onTimeout() {
	ls := st.up.ls
	st.backend.ReportFailure(time.Now())
	if ls.srv.log.Verbose() {
		ls.srv.log.request(st.up.pool.r.proto.Name(), st.down.ipOrNil(), nil, 0, "no response within response_timeout", st.cs.cluster.Name, st.backend.Addr)
	}
	st.fail(rpcx.FailTimeout)
}
