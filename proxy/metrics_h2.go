package proxy

import (
	"sync/atomic"

	"github.com/velox-proxy/velox/h2"
)

// h2Stats are one loop's HTTP/2 counters (downstream and upstream).
type h2Stats struct {
	h2Conns      atomic.Uint64     // h2_downstream_connections_total
	h2Streams    atomic.Uint64     // h2_downstream_streams_total
	h2UpConns    atomic.Uint64     // h2_upstream_connections_total
	h2UpStreams  atomic.Uint64     // h2_upstream_streams_total
	h2ConnErrors atomic.Uint64     // h2_connection_errors_total: GOAWAY with an error sent
	h2GoAwaysIn  atomic.Uint64     // h2_goaways_received_total
	h2GoAwaysOut atomic.Uint64     // h2_goaways_sent_total
	h2ResetsIn   [14]atomic.Uint64 // h2_resets_received_by_code
	h2ResetsOut  [14]atomic.Uint64 // h2_resets_sent_by_code
}

// H2Stats is the JSON form of h2Stats; resets are keyed by the RFC 9113
// error code name.
type H2Stats struct {
	DownstreamConns  uint64            `json:"downstream_connections_total"`
	DownstreamStream uint64            `json:"downstream_streams_total"`
	UpstreamConns    uint64            `json:"upstream_connections_total"`
	UpstreamStreams  uint64            `json:"upstream_streams_total"`
	ConnErrors       uint64            `json:"connection_errors_total"`
	GoAwaysIn        uint64            `json:"goaways_received_total"`
	GoAwaysOut       uint64            `json:"goaways_sent_total"`
	ResetsIn         map[string]uint64 `json:"resets_received"`
	ResetsOut        map[string]uint64 `json:"resets_sent"`
}

// countH2Reset counts a stream reset by the peer (remote) or by velox.
func (st *h2Stats) countH2Reset(code h2.ErrCode, remote bool) {
	c := min(int(code), len(st.h2ResetsIn)-1)
	if remote {
		st.h2ResetsIn[c].Add(1)
	} else {
		st.h2ResetsOut[c].Add(1)
	}
}

func (st *h2Stats) snapshot() H2Stats {
	return H2Stats{
		DownstreamConns:  st.h2Conns.Load(),
		DownstreamStream: st.h2Streams.Load(),
		UpstreamConns:    st.h2UpConns.Load(),
		UpstreamStreams:  st.h2UpStreams.Load(),
		ConnErrors:       st.h2ConnErrors.Load(),
		GoAwaysIn:        st.h2GoAwaysIn.Load(),
		GoAwaysOut:       st.h2GoAwaysOut.Load(),
		ResetsIn:         codeCounts(&st.h2ResetsIn),
		ResetsOut:        codeCounts(&st.h2ResetsOut),
	}
}

func codeCounts(a *[14]atomic.Uint64) map[string]uint64 {
	m := map[string]uint64{}
	for i := range a {
		if n := a[i].Load(); n > 0 {
			m[h2.ErrCode(i).String()] = n
		}
	}
	return m
}
