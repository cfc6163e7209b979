package proxy

import (
	"sync/atomic"

	"github.com/velox-proxy/velox/rpcx"
)

// rpcStats are one loop's counters of RPC listeners (rpc.go), by protocol.
type rpcStats struct {
	rpcDubbo, rpcBolt rpcProtoStats
}

// rpcProtoStats are the counters of one RPC protocol; the comments are the
// JSON names under rpc.dubbo and rpc.bolt.
type rpcProtoStats struct {
	requests     atomic.Uint64 // requests_total: requests and one-way requests from clients
	oneway       atomic.Uint64 // oneway_total
	responsesOK  atomic.Uint64 // responses_ok_total: backend responses with a success status
	responsesErr atomic.Uint64 // responses_error_total: backend responses with another status
	noBackend    atomic.Uint64 // no_backend_total: velox's no-backend errors (no route, none healthy, connect failed)
	timeouts     atomic.Uint64 // timeouts_total: velox's timeout errors (response_timeout)
	overload     atomic.Uint64 // overload_total: velox's overload errors (max_in_flight, max_client_in_flight)
	badRequest   atomic.Uint64 // bad_request_total: velox's bad-request errors (head unreadable)
	refused      atomic.Uint64 // refused_total: answers of filters (Stream.Respond), by the status they map to
	upstreamLost atomic.Uint64 // upstream_failed_total: velox's errors for requests pending on a connection that closed
	heartbeats   atomic.Uint64 // heartbeats_total: client heartbeats velox answered
	upHeartbeats atomic.Uint64 // upstream_heartbeats_total: heartbeats velox sent to backends
	upHBTimeouts atomic.Uint64 // upstream_heartbeat_timeouts_total: upstream connections closed for no answer
	late         atomic.Uint64 // late_responses_dropped_total: responses whose stream had ended (timeout, client gone)
	frameErrors  atomic.Uint64 // frame_errors_total: connections closed for a frame over max_frame or undecodable
	inflight     atomic.Int64  // in_flight: requests waiting for their response
}

// RPCStats is the JSON form of rpcStats.
type RPCStats struct {
	Dubbo RPCProtoStats `json:"dubbo"`
	Bolt  RPCProtoStats `json:"bolt"`
}

// RPCProtoStats is the JSON form of rpcProtoStats.
type RPCProtoStats struct {
	Requests          uint64 `json:"requests_total"`
	Oneway            uint64 `json:"oneway_total"`
	ResponsesOK       uint64 `json:"responses_ok_total"`
	ResponsesError    uint64 `json:"responses_error_total"`
	NoBackend         uint64 `json:"no_backend_total"`
	Timeouts          uint64 `json:"timeouts_total"`
	Overload          uint64 `json:"overload_total"`
	BadRequest        uint64 `json:"bad_request_total"`
	UpstreamFailed    uint64 `json:"upstream_failed_total"`
	Refused           uint64 `json:"refused_total"`
	Heartbeats        uint64 `json:"heartbeats_total"`
	UpstreamHeartbeat uint64 `json:"upstream_heartbeats_total"`
	UpstreamHBTimeout uint64 `json:"upstream_heartbeat_timeouts_total"`
	LateDropped       uint64 `json:"late_responses_dropped_total"`
	FrameErrors       uint64 `json:"frame_errors_total"`
	InFlight          int64  `json:"in_flight"`
}

// rpcOf returns the counters of r's protocol.
func (st *loopStats) rpcOf(r *rpcRoutes) *rpcProtoStats {
	if r.proto.Name() == "dubbo" {
		return &st.rpcDubbo
	}
	return &st.rpcBolt
}

func (st *rpcStats) snapshot() RPCStats {
	return RPCStats{Dubbo: st.rpcDubbo.snapshot(), Bolt: st.rpcBolt.snapshot()}
}

func (p *rpcProtoStats) snapshot() RPCProtoStats {
	return RPCProtoStats{
		Requests: p.requests.Load(), Oneway: p.oneway.Load(),
		ResponsesOK: p.responsesOK.Load(), ResponsesError: p.responsesErr.Load(),
		NoBackend: p.noBackend.Load(), Timeouts: p.timeouts.Load(), Overload: p.overload.Load(),
		BadRequest: p.badRequest.Load(), UpstreamFailed: p.upstreamLost.Load(), Refused: p.refused.Load(),
		Heartbeats: p.heartbeats.Load(), UpstreamHeartbeat: p.upHeartbeats.Load(),
		UpstreamHBTimeout: p.upHBTimeouts.Load(), LateDropped: p.late.Load(),
		FrameErrors: p.frameErrors.Load(), InFlight: p.inflight.Load(),
	}
}

// count counts velox's own error answer for f.
func (p *rpcProtoStats) count(f rpcx.Failure) {
	switch f {
	case rpcx.FailNoBackend:
		p.noBackend.Add(1)
	case rpcx.FailTimeout:
		p.timeouts.Add(1)
	case rpcx.FailOverload:
		p.overload.Add(1)
	case rpcx.FailBadRequest:
		p.badRequest.Add(1)
	case rpcx.FailUpstream:
		p.upstreamLost.Add(1)
	case rpcx.FailRefused:
		p.refused.Add(1)
	}
}
