package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// H2loadResult is what one h2load run printed (nghttp2's h2load, 1.52).
// h2load prints no percentiles: of the time per request it gives min, max,
// mean and standard deviation, and the report shows the mean and the max.
type H2loadResult struct {
	Seconds float64 `json:"seconds"` // "finished in": the measured time
	RPS     float64 `json:"rps"`
	// The "requests:" line. Succeeded are the requests answered with a
	// 2xx or 3xx; Failed those answered otherwise or reset; Errored those
	// lost with their connection; Timeout those that ran out of time.
	Total     int64 `json:"total"`
	Started   int64 `json:"started"`
	Done      int64 `json:"done"`
	Succeeded int64 `json:"succeeded"`
	Failed    int64 `json:"failed"`
	Errored   int64 `json:"errored"`
	Timeout   int64 `json:"timeout"`
	// The "status codes:" line.
	Status2xx int64 `json:"status_2xx"`
	Status3xx int64 `json:"status_3xx"`
	Status4xx int64 `json:"status_4xx"`
	Status5xx int64 `json:"status_5xx"`
	// The "time for request:" line.
	ReqMin  time.Duration `json:"req_min"`
	ReqMax  time.Duration `json:"req_max"`
	ReqMean time.Duration `json:"req_mean"`
	ReqSD   time.Duration `json:"req_sd"`
}

// Errors counts the requests that did not succeed: failed, errored or timed
// out (a non-2xx answer counts as failed), and, for a run that measured
// nothing, 1.
func (h H2loadResult) Errors() int64 {
	n := h.failures()
	if n == 0 && h.Succeeded == 0 {
		return 1
	}
	return n
}

// failures are the requests that failed, errored or timed out.
func (h H2loadResult) failures() int64 { return h.Failed + h.Errored + h.Timeout }

// ErrH2loadOutput is returned by ParseH2load when a line it needs is missing.
var ErrH2loadOutput = errors.New("h2load: output without a result")

// ParseH2load reads the summary h2load prints at the end of a run; progress
// lines before it are skipped.
func ParseH2load(out string) (H2loadResult, error) {
	var h H2loadResult
	seen := map[string]bool{}
	for line := range strings.Lines(out) {
		line = strings.TrimSpace(line)
		for prefix, parse := range h2loadLines {
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				if err := parse(&h, strings.TrimSpace(rest)); err != nil {
					return h, fmt.Errorf("h2load: %q: %w", line, err)
				}
				seen[prefix] = true
			}
		}
	}
	for prefix := range h2loadLines {
		if !seen[prefix] {
			return h, fmt.Errorf("%w (no %q line)", ErrH2loadOutput, prefix)
		}
	}
	return h, nil
}

// h2loadLines parse the summary lines, by their prefix.
var h2loadLines = map[string]func(*H2loadResult, string) error{
	"finished in":       parseH2Finished,
	"requests:":         parseH2Requests,
	"status codes:":     parseH2Status,
	"time for request:": parseH2ReqTime,
}

// parseH2Finished reads "3.00s, 55114.67 req/s, 2.31MB/s".
func parseH2Finished(h *H2loadResult, s string) error {
	f := strings.Split(s, ",")
	if len(f) < 2 {
		return errors.New("want a time and a rate")
	}
	d, err := time.ParseDuration(strings.TrimSpace(f[0]))
	if err != nil {
		return err
	}
	h.Seconds = d.Seconds()
	rate, ok := strings.CutSuffix(strings.TrimSpace(f[1]), " req/s")
	if !ok {
		return errors.New("no req/s")
	}
	h.RPS, err = strconv.ParseFloat(rate, 64)
	return err
}

// parseH2Requests reads "165344 total, 165856 started, 165344 done, 165344
// succeeded, 0 failed, 0 errored, 0 timeout".
func parseH2Requests(h *H2loadResult, s string) error {
	return countsByWord(s, map[string]*int64{"total": &h.Total, "started": &h.Started, "done": &h.Done,
		"succeeded": &h.Succeeded, "failed": &h.Failed, "errored": &h.Errored, "timeout": &h.Timeout})
}

// parseH2Status reads "165344 2xx, 0 3xx, 0 4xx, 0 5xx".
func parseH2Status(h *H2loadResult, s string) error {
	return countsByWord(s, map[string]*int64{"2xx": &h.Status2xx, "3xx": &h.Status3xx, "4xx": &h.Status4xx, "5xx": &h.Status5xx})
}

// countsByWord reads "N word, N word, ..." into the counters named by word;
// every counter must be there.
func countsByWord(s string, into map[string]*int64) error {
	found := 0
	for part := range strings.SplitSeq(s, ",") {
		f := strings.Fields(part)
		if len(f) != 2 {
			return fmt.Errorf("odd count %q", part)
		}
		p, ok := into[f[1]]
		if !ok {
			continue // a count a later h2load added
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return err
		}
		*p = n
		found++
	}
	if found != len(into) {
		return fmt.Errorf("%d of %d counts", found, len(into))
	}
	return nil
}

// parseH2ReqTime reads "703us     52.66ms      9.14ms      4.68ms    80.85%"
// (min, max, mean, sd, share within one sd).
func parseH2ReqTime(h *H2loadResult, s string) error {
	f := strings.Fields(s)
	if len(f) < 4 {
		return errors.New("want min, max, mean and sd")
	}
	for i, p := range []*time.Duration{&h.ReqMin, &h.ReqMax, &h.ReqMean, &h.ReqSD} {
		d, err := time.ParseDuration(f[i])
		if err != nil {
			return err
		}
		*p = d
	}
	return nil
}
