package proxy

import "sync/atomic"

// tcpStats are one loop's counters of tcp listeners (tcp.go).
type tcpStats struct {
	tcpConns           atomic.Uint64 // tcp_connections_total
	tcpConnectFailures atomic.Uint64 // tcp_connect_failures_total: clients closed because no backend connection could be made
	tcpIdleTimeouts    atomic.Uint64 // tcp_idle_timeouts_total
	tcpNoRoute         atomic.Uint64 // tcp_no_route_total: sni_routes matched nothing and there is no default cluster
	tcpPrereadTimeouts atomic.Uint64 // tcp_preread_timeouts_total: no complete ClientHello within header_read
}

// TCPStats is the JSON form of tcpStats.
type TCPStats struct {
	Conns           uint64 `json:"connections_total"`
	ConnectFailures uint64 `json:"connect_failures_total"`
	IdleTimeouts    uint64 `json:"idle_timeouts_total"`
	NoRoute         uint64 `json:"no_route_total"`
	PrereadTimeouts uint64 `json:"preread_timeouts_total"`
}

func (st *tcpStats) snapshot() TCPStats {
	return TCPStats{
		Conns:           st.tcpConns.Load(),
		ConnectFailures: st.tcpConnectFailures.Load(),
		IdleTimeouts:    st.tcpIdleTimeouts.Load(),
		NoRoute:         st.tcpNoRoute.Load(),
		PrereadTimeouts: st.tcpPrereadTimeouts.Load(),
	}
}
