package main

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// WrkResult is what one wrk run printed (wrk 4.x with --latency).
type WrkResult struct {
	Requests    int64         `json:"requests"`
	Seconds     float64       `json:"seconds"`
	RPS         float64       `json:"rps"`
	LatencyAvg  time.Duration `json:"latency_avg"`
	P50         time.Duration `json:"p50"`
	P75         time.Duration `json:"p75"`
	P90         time.Duration `json:"p90"`
	P99         time.Duration `json:"p99"`
	Non2xx      int64         `json:"non_2xx"` // wrk: "Non-2xx or 3xx responses"
	ConnectErrs int64         `json:"connect_errors"`
	ReadErrs    int64         `json:"read_errors"`
	WriteErrs   int64         `json:"write_errors"`
	TimeoutErrs int64         `json:"timeout_errors"`
}

// Errors is every failed request or socket error wrk counted.
func (w WrkResult) Errors() int64 {
	return w.Non2xx + w.ConnectErrs + w.ReadErrs + w.WriteErrs + w.TimeoutErrs
}

// wrkLineParsers maps the first field of a wrk output line to its parser.
var wrkLineParsers = map[string]func(*WrkResult, []string) error{
	"Latency":       parseWrkLatencyAvg,
	"50%":           parseWrkPercentile(func(w *WrkResult) *time.Duration { return &w.P50 }),
	"75%":           parseWrkPercentile(func(w *WrkResult) *time.Duration { return &w.P75 }),
	"90%":           parseWrkPercentile(func(w *WrkResult) *time.Duration { return &w.P90 }),
	"99%":           parseWrkPercentile(func(w *WrkResult) *time.Duration { return &w.P99 }),
	"Socket":        parseWrkSocketErrors,
	"Non-2xx":       parseWrkNon2xx,
	"Requests/sec:": parseWrkRPS,
}

// ParseWrk reads wrk's human output. It needs at least the "N requests in"
// and "Requests/sec:" lines, and the latency distribution (--latency).
func ParseWrk(out string) (WrkResult, error) {
	var w WrkResult
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) >= 4 && f[1] == "requests" && f[2] == "in" {
			if err := parseWrkTotals(&w, f); err != nil {
				return w, err
			}
			continue
		}
		if p, ok := wrkLineParsers[f[0]]; ok {
			if err := p(&w, f); err != nil {
				return w, fmt.Errorf("wrk output %q: %w", sc.Text(), err)
			}
		}
	}
	switch {
	case w.Seconds == 0:
		return w, fmt.Errorf("wrk output has no \"requests in\" line")
	case w.RPS == 0 && w.Requests > 0:
		return w, fmt.Errorf("wrk output has no Requests/sec line")
	case w.P50 == 0 && w.Requests > 0:
		return w, fmt.Errorf("wrk output has no latency distribution (run with --latency)")
	}
	return w, nil
}

// "  1090185 requests in 10.00s, 152.05MB read"
func parseWrkTotals(w *WrkResult, f []string) error {
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return err
	}
	d, err := parseWrkDuration(strings.TrimSuffix(f[3], ","))
	if err != nil {
		return err
	}
	w.Requests, w.Seconds = n, d.Seconds()
	return nil
}

// "    Latency   588.34us  186.37us   9.13ms   92.01%"
func parseWrkLatencyAvg(w *WrkResult, f []string) error {
	if len(f) < 2 || f[1] == "Distribution" {
		return nil
	}
	d, err := parseWrkDuration(f[1])
	w.LatencyAvg = d
	return err
}

// "     50%  560.00us"
func parseWrkPercentile(field func(*WrkResult) *time.Duration) func(*WrkResult, []string) error {
	return func(w *WrkResult, f []string) error {
		if len(f) != 2 {
			return fmt.Errorf("want 2 fields")
		}
		d, err := parseWrkDuration(f[1])
		*field(w) = d
		return err
	}
}

// "  Socket errors: connect 0, read 0, write 0, timeout 0"
func parseWrkSocketErrors(w *WrkResult, f []string) error {
	dst := map[string]*int64{"connect": &w.ConnectErrs, "read": &w.ReadErrs, "write": &w.WriteErrs, "timeout": &w.TimeoutErrs}
	for i := 2; i+1 < len(f); i += 2 {
		p, ok := dst[f[i]]
		if !ok {
			return fmt.Errorf("unknown socket error kind %q", f[i])
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(f[i+1], ","), 10, 64)
		if err != nil {
			return err
		}
		*p = n
	}
	return nil
}

// "  Non-2xx or 3xx responses: 5"
func parseWrkNon2xx(w *WrkResult, f []string) error {
	n, err := strconv.ParseInt(f[len(f)-1], 10, 64)
	w.Non2xx = n
	return err
}

// "Requests/sec: 109011.91"
func parseWrkRPS(w *WrkResult, f []string) error {
	if len(f) != 2 {
		return fmt.Errorf("want 2 fields")
	}
	v, err := strconv.ParseFloat(f[1], 64)
	w.RPS = v
	return err
}

// wrkUnits are the duration suffixes wrk prints, longest first.
var wrkUnits = []struct {
	suffix string
	unit   time.Duration
}{
	{"us", time.Microsecond},
	{"ms", time.Millisecond},
	{"s", time.Second},
	{"m", time.Minute},
	{"h", time.Hour},
}

// parseWrkDuration parses wrk's "560.00us", "1.23ms", "10.00s", "2.00m".
func parseWrkDuration(s string) (time.Duration, error) {
	for _, u := range wrkUnits {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("bad duration %q", s)
			}
			return time.Duration(v * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("bad duration %q", s)
}
