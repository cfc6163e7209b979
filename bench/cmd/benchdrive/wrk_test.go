package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wrk-keepalive.txt is a captured run against HAProxy.
func TestParseWrkKeepAlive(t *testing.T) {
	w, err := ParseWrk(readTestdata(t, "wrk-keepalive.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := WrkResult{
		Requests: 60342, Seconds: 3.06, RPS: 19728.51,
		LatencyAvg: 7870 * time.Microsecond,
		P50:        1590 * time.Microsecond, P75: 6280 * time.Microsecond,
		P90: 23960 * time.Microsecond, P99: 77520 * time.Microsecond,
	}
	if w != want {
		t.Errorf("ParseWrk =\n%+v\nwant\n%+v", w, want)
	}
	if w.Errors() != 0 {
		t.Errorf("Errors() = %d", w.Errors())
	}
}

// wrk-errors.txt has every error line wrk prints (its printf formats), and
// latencies in seconds.
func TestParseWrkErrors(t *testing.T) {
	w, err := ParseWrk(readTestdata(t, "wrk-errors.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if w.ConnectErrs != 17 || w.ReadErrs != 3 || w.WriteErrs != 0 || w.TimeoutErrs != 212 || w.Non2xx != 41 {
		t.Errorf("errors parsed as %+v", w)
	}
	if w.Errors() != 17+3+212+41 {
		t.Errorf("Errors() = %d", w.Errors())
	}
	if w.P99 != 1520*time.Millisecond || w.LatencyAvg != 405120*time.Microsecond {
		t.Errorf("p99 %v avg %v", w.P99, w.LatencyAvg)
	}
	if w.Requests != 20931 || w.RPS != 2088.92 {
		t.Errorf("requests %d rps %v", w.Requests, w.RPS)
	}
}

func TestParseWrkIncomplete(t *testing.T) {
	full := readTestdata(t, "wrk-keepalive.txt")
	for _, drop := range []string{"requests in", "Requests/sec", "50%"} {
		var kept []string
		for line := range strings.Lines(full) {
			if !strings.Contains(line, drop) {
				kept = append(kept, line)
			}
		}
		if _, err := ParseWrk(strings.Join(kept, "")); err == nil {
			t.Errorf("output without %q accepted", drop)
		}
	}
	if _, err := ParseWrk("unable to connect to 127.0.0.1:1 Connection refused\n"); err == nil {
		t.Error("connection refused output accepted")
	}
}

func TestParseWrkDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"560.00us", 560 * time.Microsecond},
		{"1.23ms", 1230 * time.Microsecond},
		{"10.00s", 10 * time.Second},
		{"2.00m", 2 * time.Minute},
		{"1.00h", time.Hour},
	}
	for _, tt := range tests {
		got, err := parseWrkDuration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseWrkDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "ms", "1.2x", "abc"} {
		if _, err := parseWrkDuration(bad); err == nil {
			t.Errorf("parseWrkDuration(%q) accepted", bad)
		}
	}
}
