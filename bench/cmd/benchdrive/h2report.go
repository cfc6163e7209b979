package main

import (
	"fmt"
	"math"
)

// H2Summary is the median of the good h2load runs of one (phase, scenario,
// target) cell, and the failures of all of them.
type H2Summary struct {
	Runs, Failed int     // runs with figures; runs without
	Rate         float64 // median req/s
	// PerCPU is the median of each run's requests per CPU-second of the
	// target (req/s ÷ target CPU in cores).
	PerCPU, TargetCPU, LoadCPU, Others float64
	MeanUs, MaxUs                      float64 // medians of h2load's mean and max time per request, µs
	Errors                             int64   // failed + errored + timed out, summed over all runs
	Unmeasured                         int64   // the same in warm-ups and attempts measured again
	UpstreamConns                      float64 // median connections to the origin halfway through; NaN = not counted
	Spread                             float64
}

// SummarizeH2 gives the H2Summary of the runs of scenario against target in
// phase.
func (r *Results) SummarizeH2(phase, scenario, target string) H2Summary {
	var s H2Summary
	var rate, perCPU, tcpu, lcpu, others, mean, maxUs, up []float64
	for _, run := range r.H2Runs {
		if run.Phase != phase || run.Scenario != scenario || run.Target != target {
			continue
		}
		s.Unmeasured += run.UnmeasuredFailed
		if run.Err != "" {
			s.Failed++
			s.Errors += run.H2load.failures()
			continue
		}
		s.Runs++
		h := run.H2load
		s.Errors += h.Errors()
		rate, perCPU = append(rate, h.RPS), append(perCPU, ratio(h.RPS, run.TargetCPU))
		tcpu, lcpu, others = append(tcpu, run.TargetCPU), append(lcpu, run.LoadCPU), append(others, run.Others)
		mean, maxUs = append(mean, us(h.ReqMean)), append(maxUs, us(h.ReqMax))
		if run.UpstreamConns >= 0 {
			up = append(up, float64(run.UpstreamConns))
		}
	}
	s.Rate, s.PerCPU = median(rate), medianKnown(perCPU)
	s.TargetCPU, s.LoadCPU, s.Others = median(tcpu), median(lcpu), median(others)
	s.MeanUs, s.MaxUs, s.UpstreamConns = median(mean), median(maxUs), median(up)
	s.Spread = spread(rate)
	return s
}

// H2RoundRatios are a's req/s over b's round by round in phase and
// scenario, sorted (as RoundRatios).
func (r *Results) H2RoundRatios(phase, scenario, a, b string) []float64 {
	return roundRatiosOf(r.H2Runs, a, b, func(run H2Run) (string, int, bool) {
		return run.Target, run.Round, run.Phase == phase && run.Scenario == scenario && run.Err == ""
	}, func(run H2Run) float64 { return run.H2load.RPS })
}

// h2TargetNames are the targets of phase that were measured, in report order.
func (r *Results) h2TargetNames(phase string) []string {
	var out []string
	for _, t := range r.H2Targets {
		if t.Phase == phase && t.Available {
			out = append(out, t.Name)
		}
	}
	return out
}

func (r *Results) hasH2Phase(phase string) bool {
	for _, run := range r.H2Runs {
		if run.Phase == phase {
			return true
		}
	}
	return false
}

func renderH2(p printer, r *Results) {
	if len(r.H2Runs) == 0 {
		return
	}
	p("## HTTP/2 (medians)")
	p("")
	p("h2load (`-t1`, one thread, h2c with prior knowledge) on CPU %d with the origin; the proxy alone on CPU %d, one loop, worker or thread."+
		" Each measured run follows a warm-up run; the rounds interleave the targets as in the HTTP/1.1 phase."+
		" `req per CPU-s`: requests per second of CPU time of the proxy process (utime + stime from /proc), median of the runs' ratios."+
		" h2load prints no percentiles: `mean` and `max` are its time per request (mean and maximum over the run)."+
		" `failed`: requests h2load counted failed (non-2xx or reset), errored or timed out, summed over the runs;"+
		" `+N unmeasured`: as many more in the warm-ups and in attempts measured again (other work took the CPU), which are reported too."+
		" `upstream conns`: established connections from the proxy process to the origin halfway through each run (`ss -tnp`), median;"+
		" they include idle pooled connections left from earlier runs (velox and HAProxy keep idle upstream connections open).", cpuLoad, cpuTarget)
	p("")
	for _, phase := range h2Phases {
		if !r.hasH2Phase(phase) {
			continue
		}
		renderH2Phase(p, r, phase)
	}
}

func renderH2Phase(p printer, r *Results, phase string) {
	p("### %s: %s", phase, h2PhaseDesc[phase])
	p("")
	if phase == "h2h2" {
		p("nginx is not in this phase: it cannot proxy to an HTTP/2 upstream (only gRPC, with `grpc_pass`).")
		p("")
	}
	p("| scenario | target | req/s | spread | req per CPU-s | target CPU | load CPU | mean | max | failed | upstream conns | others | runs |")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	names := r.h2TargetNames(phase)
	for _, sc := range h2Scenarios {
		for _, t := range names {
			s := r.SummarizeH2(phase, sc.Name, t)
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", sc.Name, bold(t == "velox", t),
				fmtRate(s.Rate), fmtPct(s.Spread), fmtRate(s.PerCPU), fmtRatio(s.TargetCPU), fmtRatio(s.LoadCPU),
				fmtUs(s.MeanUs), fmtUs(s.MaxUs), fmtFailed(s), fmtCount(s.UpstreamConns), fmtRatio(s.Others),
				fmtRuns(Summary{Runs: s.Runs, Failed: s.Failed}))
		}
	}
	p("")
	others := []string{"nginx", "haproxy"}
	if phase == "h2h2" {
		others = []string{"haproxy"}
	}
	head, rule := "| scenario |", "|---|"
	for _, o := range others {
		head += fmt.Sprintf(" velox/%s req/s | per CPU-s | by round |", o)
		rule += "--:|--:|--:|"
	}
	p("%s", head)
	p("%s", rule)
	for _, sc := range h2Scenarios {
		v := r.SummarizeH2(phase, sc.Name, "velox")
		line := "| " + sc.Name + " |"
		for _, o := range others {
			s := r.SummarizeH2(phase, sc.Name, o)
			line += fmt.Sprintf(" %s | %s | %s |", fmtRatio(ratio(v.Rate, s.Rate)), fmtRatio(ratio(v.PerCPU, s.PerCPU)),
				fmtRange(r.H2RoundRatios(phase, sc.Name, "velox", o)))
		}
		p("%s", line)
	}
	p("")
}

func renderH2Idle(p printer, r *Results) {
	if len(r.H2Idle) == 0 {
		return
	}
	p("## Idle HTTP/2 connections")
	p("")
	p("Each target of the h2 phase started afresh; `idleconns -h2` opens the connections, each writing the client preface and an" +
		" empty SETTINGS frame, reading the server's SETTINGS (and acknowledging it) and the acknowledgement of its own, then sending" +
		" nothing more. Resident memory (VmRSS of the single process) one second after the last handshake, minus before.")
	p("")
	p("| target | connections | RSS before | RSS after | per connection | note |")
	p("|---|--:|--:|--:|--:|---|")
	for _, i := range r.H2Idle {
		p("| %s | %d | %s | %s | %s | %s |", bold(i.Target == "velox", i.Target), i.Conns, fmtMiB(i.RSSBefore), fmtMiB(i.RSSAfter), fmtBytes(i.PerConn()), mdEscape(i.Err))
	}
	p("")
}

// h2ChartPanels are the chart's panels of the HTTP/2 phases.
func h2ChartPanels(r *Results) []panel {
	var ps []panel
	for _, phase := range h2Phases {
		if !r.hasH2Phase(phase) {
			continue
		}
		for _, sc := range h2Scenarios {
			pn := panel{title: phase + " " + sc.Name + ": " + sc.Desc + ", " + h2OriginWord[phase], unit: "req/s"}
			for _, t := range r.h2TargetNames(phase) {
				pn.bars = append(pn.bars, bar{t, r.SummarizeH2(phase, sc.Name, t).Rate})
			}
			ps = append(ps, pn)
		}
	}
	return ps
}

var h2OriginWord = map[string]string{"h2": "HTTP/1.1 origin", "h2h2": "h2c origin"}

// renderH2Commands lists the h2load commands of round 1 and the failed runs.
func renderH2Commands(p printer, r *Results) {
	seen := map[string]bool{}
	for _, run := range r.H2Runs {
		key := run.Phase + " " + run.Scenario
		if run.Round != 1 || seen[key] {
			continue
		}
		seen[key] = true
		p("# %s\n%s", key, run.Command)
	}
}

func h2FailedRuns(r *Results) []string { return failedRunLines(r.H2Runs, h2Cell) }

func h2Cell(run H2Run) runCell {
	return runCell{round: run.Round, what: run.Phase + " " + run.Scenario, target: run.Target, command: run.Command, err: run.Err}
}

func fmtFailed(s H2Summary) string {
	if s.Unmeasured > 0 {
		return fmt.Sprintf("**%d +%d unmeasured**", s.Errors, s.Unmeasured)
	}
	if s.Errors > 0 {
		return fmt.Sprintf("**%d**", s.Errors)
	}
	return "0"
}

func fmtCount(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%.0f", v)
}
