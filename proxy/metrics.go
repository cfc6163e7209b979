package proxy

import "sync/atomic"

// loopStats are one loop's counters: written by the loop, read by /stats.
// Names are the snake_case keys of the JSON the admin listener serves; the
// README lists them and metrics_test.go checks that list.
type loopStats struct {
	accepted          atomic.Uint64 // downstream_connections_total
	active            atomic.Int64  // downstream_connections_active
	requests          atomic.Uint64 // requests_total
	inflight          atomic.Int64  // requests_active
	status            [6]atomic.Uint64
	upstreamConnects  atomic.Uint64 // upstream_connects_total
	upstreamReused    atomic.Uint64 // upstream_reused_total
	retries           atomic.Uint64 // upstream_retries_total
	clientAborts      atomic.Uint64 // client_aborts_total
	badRequests       atomic.Uint64 // bad_requests_total
	proxyHeaderErrors atomic.Uint64 // proxy_protocol_errors_total: trusted sources closed for a missing or bad PROXY header
	h2Stats                         // http2 (metrics_h2.go)
	tcpStats                        // tcp (metrics_tcp.go)
	rpcStats                        // rpc (metrics_rpc.go)
}

// LoopStats is the JSON form of loopStats.
type LoopStats struct {
	Loop                  int      `json:"loop"`
	DownstreamConnsTotal  uint64   `json:"downstream_connections_total"`
	DownstreamConnsActive int64    `json:"downstream_connections_active"`
	RequestsTotal         uint64   `json:"requests_total"`
	RequestsActive        int64    `json:"requests_active"`
	Responses1xx          uint64   `json:"responses_1xx"`
	Responses2xx          uint64   `json:"responses_2xx"`
	Responses3xx          uint64   `json:"responses_3xx"`
	Responses4xx          uint64   `json:"responses_4xx"`
	Responses5xx          uint64   `json:"responses_5xx"`
	UpstreamConnectsTotal uint64   `json:"upstream_connects_total"`
	UpstreamReusedTotal   uint64   `json:"upstream_reused_total"`
	UpstreamRetriesTotal  uint64   `json:"upstream_retries_total"`
	ClientAbortsTotal     uint64   `json:"client_aborts_total"`
	BadRequestsTotal      uint64   `json:"bad_requests_total"`
	ProxyProtocolErrors   uint64   `json:"proxy_protocol_errors_total"`
	HTTP2                 H2Stats  `json:"http2"`
	TCP                   TCPStats `json:"tcp"`
	RPC                   RPCStats `json:"rpc"`
}

func (st *loopStats) countStatus(code int) {
	if c := code / 100; c >= 1 && c <= 5 {
		st.status[c].Add(1)
	}
}

func (st *loopStats) snapshot(id int) LoopStats {
	return LoopStats{
		Loop:                  id,
		DownstreamConnsTotal:  st.accepted.Load(),
		DownstreamConnsActive: st.active.Load(),
		RequestsTotal:         st.requests.Load(),
		RequestsActive:        st.inflight.Load(),
		Responses1xx:          st.status[1].Load(),
		Responses2xx:          st.status[2].Load(),
		Responses3xx:          st.status[3].Load(),
		Responses4xx:          st.status[4].Load(),
		Responses5xx:          st.status[5].Load(),
		UpstreamConnectsTotal: st.upstreamConnects.Load(),
		UpstreamReusedTotal:   st.upstreamReused.Load(),
		UpstreamRetriesTotal:  st.retries.Load(),
		ClientAbortsTotal:     st.clientAborts.Load(),
		BadRequestsTotal:      st.badRequests.Load(),
		ProxyProtocolErrors:   st.proxyHeaderErrors.Load(),
		HTTP2:                 st.h2Stats.snapshot(),
		TCP:                   st.tcpStats.snapshot(),
		RPC:                   st.rpcStats.snapshot(),
	}
}
