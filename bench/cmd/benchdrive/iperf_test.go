package main

import (
	"errors"
	"strings"
	"testing"
)

// iperf3-single.json is a captured iperf 3.12 run, `iperf3 -c 127.0.0.1 -p
// PORT -t 2 -J`, straight to `iperf3 -s`.
func TestParseIperfSingle(t *testing.T) {
	r, err := ParseIperf(readTestdata(t, "iperf3-single.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := IperfResult{Version: "iperf 3.12", Streams: 1, Seconds: 2.00257, Bytes: 3486253056,
		BitsPerSecond: 13927115880.09408, SentBytes: 3491758080, Retransmits: 5}
	if r != want {
		t.Errorf("ParseIperf =\n%+v\nwant\n%+v", r, want)
	}
	if g := r.Gbps(); g < 13.92 || g > 13.93 {
		t.Errorf("Gbps = %v", g)
	}
}

// iperf3-p4.json: -P 4, four streams; the sums are over all of them.
func TestParseIperfParallel(t *testing.T) {
	r, err := ParseIperf(readTestdata(t, "iperf3-p4.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Streams != 4 || r.Reverse || r.Bytes != 3658743808 || r.SentBytes != 3685744640 || r.Retransmits != 2 || r.Seconds != 2.00109 {
		t.Errorf("ParseIperf = %+v", r)
	}
}

// iperf3-reverse.json: -R through velox's tcp listener; the client
// received, and sum_received is its count.
func TestParseIperfReverse(t *testing.T) {
	r, err := ParseIperf(readTestdata(t, "iperf3-reverse.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Reverse || r.Streams != 1 || r.Bytes != 1370161099 || r.SentBytes != 1380188160 || r.Retransmits != 78 || r.Seconds != 2.000117 {
		t.Errorf("ParseIperf = %+v", r)
	}
}

// iperf3-refused.json: nothing listened; iperf3 3.12 exits 0 and says so
// in "error".
func TestParseIperfRefused(t *testing.T) {
	_, err := ParseIperf(readTestdata(t, "iperf3-refused.json"))
	if err == nil || err.Error() != "iperf3: unable to connect to server: Connection refused" {
		t.Errorf("err = %v", err)
	}
}

func TestParseIperfBad(t *testing.T) {
	if _, err := ParseIperf(`{"start":{},"intervals":[],"end":{}}`); !errors.Is(err, ErrIperfOutput) {
		t.Errorf("no end summary: err = %v, want ErrIperfOutput", err)
	}
	if _, err := ParseIperf("iperf3: error - the server is busy"); err == nil || !strings.HasPrefix(err.Error(), "iperf3: ") {
		t.Errorf("not JSON: err = %v", err)
	}
}
