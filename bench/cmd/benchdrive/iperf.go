package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// IperfResult is what one `iperf3 -c ... -J` run reported (iperf 3.12).
// The figures are those of the receiving end (end.sum_received: the
// server, or the client with -R), summed over the streams: the bytes that
// went all the way through.
type IperfResult struct {
	Version string `json:"version"` // start.version, "iperf 3.12"
	Streams int    `json:"streams"` // start.test_start.num_streams (-P)
	Reverse bool   `json:"reverse"` // -R: the server sent
	// end.sum_received: the measured time, the bytes received in it and
	// their rate.
	Seconds       float64 `json:"seconds"`
	Bytes         int64   `json:"bytes"`
	BitsPerSecond float64 `json:"bits_per_second"`
	// end.sum_sent: the bytes sent and the sender's TCP retransmits.
	SentBytes   int64 `json:"sent_bytes"`
	Retransmits int64 `json:"retransmits"`
}

// Gbps is the rate in Gbit/s (10^9 bits per second).
func (r IperfResult) Gbps() float64 { return r.BitsPerSecond / 1e9 }

// ErrIperfOutput is returned by ParseIperf for a JSON report without an end
// summary.
var ErrIperfOutput = errors.New("iperf3: report without end.sum_received")

// iperfJSON is the part of iperf3's -J report that ParseIperf reads.
type iperfJSON struct {
	Start struct {
		Version   string `json:"version"`
		TestStart struct {
			NumStreams int `json:"num_streams"`
			Reverse    int `json:"reverse"`
		} `json:"test_start"`
	} `json:"start"`
	End struct {
		SumSent *struct {
			Bytes       int64 `json:"bytes"`
			Retransmits int64 `json:"retransmits"`
		} `json:"sum_sent"`
		SumReceived *struct {
			Seconds       float64 `json:"seconds"`
			Bytes         int64   `json:"bytes"`
			BitsPerSecond float64 `json:"bits_per_second"`
		} `json:"sum_received"`
	} `json:"end"`
	Error string `json:"error"`
}

// ParseIperf reads iperf3's JSON report (-J). iperf3 3.12 exits 0 even
// when it could not connect, and says so in the report's "error", which
// ParseIperf returns as an error.
func ParseIperf(out string) (IperfResult, error) {
	var j iperfJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		return IperfResult{}, fmt.Errorf("iperf3: %w", err)
	}
	r := IperfResult{Version: j.Start.Version, Streams: j.Start.TestStart.NumStreams, Reverse: j.Start.TestStart.Reverse != 0}
	if j.Error != "" {
		return r, errors.New("iperf3: " + strings.TrimSpace(j.Error))
	}
	rcv, snt := j.End.SumReceived, j.End.SumSent
	if rcv == nil || snt == nil || rcv.Seconds <= 0 {
		return r, ErrIperfOutput
	}
	r.Seconds, r.Bytes, r.BitsPerSecond = rcv.Seconds, rcv.Bytes, rcv.BitsPerSecond
	r.SentBytes, r.Retransmits = snt.Bytes, snt.Retransmits
	return r, nil
}
