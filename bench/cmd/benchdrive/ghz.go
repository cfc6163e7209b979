package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// GhzResult is what one ghz run printed in its default (summary) format
// (ghz v0.121.0). Count is every call finished in the run, OK or not; the
// latencies are those of the OK calls (ghz leaves errors out of them unless
// --count-errors), printed to 10 µs above 10 µs.
type GhzResult struct {
	Count   int64         `json:"count"`
	Seconds float64       `json:"seconds"` // "Total": the measured time
	RPS     float64       `json:"rps"`
	Average time.Duration `json:"average"`
	Fastest time.Duration `json:"fastest"`
	Slowest time.Duration `json:"slowest"`
	P50     time.Duration `json:"p50"`
	P90     time.Duration `json:"p90"`
	P99     time.Duration `json:"p99"`
	// Status counts the calls by gRPC status ("OK", "Unavailable", ...);
	// ErrorLines are ghz's "Error distribution" lines, "N message".
	Status     map[string]int64 `json:"status"`
	ErrorLines []string         `json:"error_lines,omitempty"`
}

// Errors counts the calls that did not end OK, and, for a run without one
// OK call, at least 1.
func (g GhzResult) Errors() int64 {
	var n int64
	for s, c := range g.Status {
		if s != "OK" {
			n += c
		}
	}
	if n == 0 && g.Status["OK"] == 0 {
		return 1
	}
	return n
}

// ErrGhzOutput is returned by ParseGhz when a line it needs is missing.
var ErrGhzOutput = errors.New("ghz: output without a summary")

// ParseGhz reads ghz's summary: the Summary block, the latency
// distribution, and the status code and error distributions.
func ParseGhz(out string) (GhzResult, error) {
	g := GhzResult{Status: map[string]int64{}}
	seen := map[string]bool{}
	section := ""
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if s, ok := strings.CutSuffix(line, ":"); ok && !strings.Contains(s, ":") {
			section = s
			continue
		}
		parse := ghzSections[section]
		if parse == nil {
			continue
		}
		key, err := parse(&g, line)
		if err != nil {
			return g, fmt.Errorf("ghz: %q: %w", line, err)
		}
		seen[key] = true
	}
	for _, key := range []string{"Count", "Total", "Average", "Requests/sec", "50", "99"} {
		if !seen[key] {
			return g, fmt.Errorf("%w (no %q line)", ErrGhzOutput, key)
		}
	}
	return g, nil
}

// ghzSections parse the lines of each section of the summary, by its
// heading; each returns the key of the line it read ("" for none).
var ghzSections = map[string]func(*GhzResult, string) (string, error){
	"Summary":                  parseGhzSummary,
	"Latency distribution":     parseGhzLatency,
	"Status code distribution": parseGhzStatus,
	"Error distribution":       parseGhzError,
}

// parseGhzSummary reads "Count:	2000", "Total:	1.03 s", "Average:	4.75 ms",
// "Requests/sec:	1941.98".
func parseGhzSummary(g *GhzResult, line string) (string, error) {
	key, val, ok := strings.Cut(line, ":")
	if !ok {
		return "", nil
	}
	val = strings.TrimSpace(val)
	var err error
	switch key {
	case "Count":
		g.Count, err = strconv.ParseInt(val, 10, 64)
	case "Total":
		var d time.Duration
		d, err = ghzDuration(val)
		g.Seconds = d.Seconds()
	case "Slowest":
		g.Slowest, err = ghzDuration(val)
	case "Fastest":
		g.Fastest, err = ghzDuration(val)
	case "Average":
		g.Average, err = ghzDuration(val)
	case "Requests/sec":
		g.RPS, err = strconv.ParseFloat(val, 64)
	default:
		return "", nil
	}
	return key, err
}

// parseGhzLatency reads "50 % in 4.17 ms".
func parseGhzLatency(g *GhzResult, line string) (string, error) {
	pct, d, ok := strings.Cut(line, " % in ")
	if !ok {
		return "", errors.New("want \"N % in DURATION\"")
	}
	lat, err := ghzDuration(d)
	if err != nil {
		return "", err
	}
	switch pct {
	case "50":
		g.P50 = lat
	case "90":
		g.P90 = lat
	case "99":
		g.P99 = lat
	}
	return pct, nil
}

// parseGhzStatus reads "[OK]   1998 responses".
func parseGhzStatus(g *GhzResult, line string) (string, error) {
	name, rest, ok := strings.Cut(strings.TrimPrefix(line, "["), "]")
	f := strings.Fields(rest)
	if !ok || len(f) != 2 || f[1] != "responses" {
		return "", errors.New("want \"[STATUS] N responses\"")
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	g.Status[name] += n
	return "", err
}

// parseGhzError reads "[2]   rpc error: code = Unavailable desc = ...".
func parseGhzError(g *GhzResult, line string) (string, error) {
	n, msg, ok := strings.Cut(strings.TrimPrefix(line, "["), "]")
	if !ok {
		return "", errors.New("want \"[N] message\"")
	}
	g.ErrorLines = append(g.ErrorLines, n+" "+strings.TrimSpace(msg))
	return "", nil
}

// ghzDuration reads ghz's "9876 ns", "4.17 ms" and "1.03 s".
func ghzDuration(s string) (time.Duration, error) {
	num, unit, ok := strings.Cut(strings.TrimSpace(s), " ")
	if !ok {
		return 0, fmt.Errorf("odd duration %q", s)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, err
	}
	scale, ok := map[string]float64{"ns": 1, "ms": 1e6, "s": 1e9}[unit]
	if !ok {
		return 0, fmt.Errorf("odd unit in %q", s)
	}
	return time.Duration(math.Round(v * scale)), nil
}
