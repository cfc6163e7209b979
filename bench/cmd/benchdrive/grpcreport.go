package main

import (
	"fmt"
	"math"
	"sort"
)

// GRPCSummary is the median of the good ghz runs of one (scenario, target)
// cell, and the failures of all of them.
type GRPCSummary struct {
	Runs, Failed int
	Rate         float64 // median calls/s
	// PerCPU is the median of each run's calls per CPU-second of the proxy
	// (NaN for direct).
	PerCPU, TargetCPU, LoadCPU, Others float64
	P50us, P99us, MeanUs               float64 // medians of ghz's p50, p99 and average, µs
	Errors, Unmeasured                 int64
	UpstreamConns                      float64
	Spread                             float64
}

// SummarizeGRPC gives the GRPCSummary of the runs of scenario against target.
func (r *Results) SummarizeGRPC(scenario, target string) GRPCSummary {
	var s GRPCSummary
	var rate, perCPU, tcpu, lcpu, others, p50, p99, mean, up []float64
	for _, run := range r.GRPCRuns {
		if run.Scenario != scenario || run.Target != target {
			continue
		}
		s.Unmeasured += run.UnmeasuredFailed
		if run.Err != "" {
			s.Failed++
			continue
		}
		s.Runs++
		g := run.Ghz
		s.Errors += g.Errors()
		rate, tcpu = append(rate, g.RPS), append(tcpu, run.TargetCPU)
		perCPU = append(perCPU, ratio(g.RPS, run.TargetCPU))
		lcpu, others = append(lcpu, run.LoadCPU), append(others, run.Others)
		p50, p99, mean = append(p50, us(g.P50)), append(p99, us(g.P99)), append(mean, us(g.Average))
		if run.UpstreamConns >= 0 {
			up = append(up, float64(run.UpstreamConns))
		}
	}
	s.Rate, s.PerCPU = median(rate), medianKnown(perCPU)
	s.TargetCPU, s.LoadCPU, s.Others = median(tcpu), median(lcpu), median(others)
	s.P50us, s.P99us, s.MeanUs, s.UpstreamConns = median(p50), median(p99), median(mean), median(up)
	s.Spread = spread(rate)
	return s
}

// GRPCRoundOverheads are target's p50 minus direct's, µs, round by round
// in scenario, sorted: the overhead per call, paired within each round.
func (r *Results) GRPCRoundOverheads(scenario, target string) []float64 {
	by := map[string]map[int]float64{target: {}, "direct": {}}
	for _, run := range r.GRPCRuns {
		if m, ok := by[run.Target]; ok && run.Scenario == scenario && run.Err == "" {
			m[run.Round] = us(run.Ghz.P50)
		}
	}
	var out []float64
	for round, x := range by[target] {
		if y, ok := by["direct"][round]; ok {
			out = append(out, x-y)
		}
	}
	sort.Float64s(out)
	return out
}

func renderGRPC(p printer, r *Results) {
	if len(r.GRPCRuns) == 0 {
		return
	}
	p("## gRPC (medians)")
	p("")
	p("ghz (`--cpus 1`, one connection, the service's descriptors by server reflection) and `grpcserve` (grpc-go's interop"+
		" TestService, `GOMAXPROCS=1`, a process of its own) on CPU %d; the proxy alone on CPU %d, one loop or thread, h2c on both sides."+
		" `direct`: ghz straight to grpcserve. A call of `stream-c16` is one FullDuplexCall stream of 10 requests and 10 responses."+
		" `calls per CPU-s`: calls per second of CPU time of the proxy process (utime + stime from /proc), median of the runs' ratios."+
		" p50/p99/mean are ghz's, per call, over the OK calls (ghz prints them to 10 µs);"+
		" `overhead`: the proxy's median p50 (mean) minus direct's, the time a call spends in the proxy and its extra hop."+
		" ghz and grpcserve share CPU %d, which the load side saturates in the concurrent scenarios (`load CPU`):"+
		" there the proxies' calls/s are close to each other and calls per CPU-second is the comparison.", cpuLoad, cpuTarget, cpuLoad)
	p("")
	p("| scenario | target | calls/s | spread | calls per CPU-s | target CPU | load CPU | p50 | p99 | mean | overhead p50 | overhead mean | failed | upstream conns | others | runs |")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	names := r.h2TargetNames("grpc")
	for _, sc := range grpcScenarios {
		d := r.SummarizeGRPC(sc.Name, "direct")
		for _, t := range names {
			s := r.SummarizeGRPC(sc.Name, t)
			over50, overMean := math.NaN(), math.NaN()
			if t != "direct" {
				over50, overMean = s.P50us-d.P50us, s.MeanUs-d.MeanUs
			}
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", sc.Name, bold(t == "velox", t),
				fmtRate(s.Rate), fmtPct(s.Spread), fmtRate(s.PerCPU), fmtRatio(s.TargetCPU), fmtRatio(s.LoadCPU),
				fmtUs(s.P50us), fmtUs(s.P99us), fmtUs(s.MeanUs), fmtUs(over50), fmtUs(overMean),
				fmtGRPCFailed(s), fmtCount(s.UpstreamConns), fmtRatio(s.Others), fmtRuns(Summary{Runs: s.Runs, Failed: s.Failed}))
		}
	}
	p("")
	p("| scenario | velox/HAProxy calls/s | per CPU-s | velox overhead p50 by round | HAProxy overhead p50 by round |")
	p("|---|--:|--:|--:|--:|")
	for _, sc := range grpcScenarios {
		v, h := r.SummarizeGRPC(sc.Name, "velox"), r.SummarizeGRPC(sc.Name, "haproxy")
		p("| %s | %s | %s | %s | %s |", sc.Name, fmtRatio(ratio(v.Rate, h.Rate)), fmtRatio(ratio(v.PerCPU, h.PerCPU)),
			fmtUsRange(r.GRPCRoundOverheads(sc.Name, "velox")), fmtUsRange(r.GRPCRoundOverheads(sc.Name, "haproxy")))
	}
	p("")
	p("Scenarios:")
	for _, sc := range grpcScenarios {
		p("- `%s`: %s.", sc.Name, sc.Desc)
	}
	p("")
}

// grpcChartPanels are the chart's panels of the grpc phase.
func grpcChartPanels(r *Results) []panel {
	if len(r.GRPCRuns) == 0 {
		return nil
	}
	return phaseChartPanels(r, "grpc", "calls/s", grpcScenarios,
		func(sc GRPCScenario) string { return "grpc " + sc.Name + ": " + sc.Desc },
		func(sc GRPCScenario, target string) float64 { return r.SummarizeGRPC(sc.Name, target).Rate })
}

// phaseChartPanels are a panel per scenario of phase, titled by title, with
// a bar of value for each target measured in phase.
func phaseChartPanels[S any](r *Results, phase, unit string, scenarios []S, title func(S) string, value func(S, string) float64) []panel {
	var ps []panel
	for _, sc := range scenarios {
		pn := panel{title: title(sc), unit: unit}
		for _, t := range r.h2TargetNames(phase) {
			pn.bars = append(pn.bars, bar{t, value(sc, t)})
		}
		ps = append(ps, pn)
	}
	return ps
}

// runCell names one run of a phase: its round, "PHASE SCENARIO", target,
// command and error.
type runCell struct {
	round                 int
	what, target, command string
	err                   string
}

// renderRound1Commands lists the command of each scenario's first run in
// round 1, as "# PHASE SCENARIO (TARGET)".
func renderRound1Commands[R any](p printer, runs []R, cell func(R) runCell) {
	seen := map[string]bool{}
	for _, run := range runs {
		c := cell(run)
		if c.round != 1 || seen[c.what] {
			continue
		}
		seen[c.what] = true
		p("# %s (%s)\n%s", c.what, c.target, c.command)
	}
}

// failedRunLines are the report's lines of the failed runs among runs.
func failedRunLines[R any](runs []R, cell func(R) runCell) []string {
	var out []string
	for _, run := range runs {
		if c := cell(run); c.err != "" {
			out = append(out, failedRunLine(c))
		}
	}
	return out
}

// failedRunLine is the report's line of the failed run c.
func failedRunLine(c runCell) string {
	return fmt.Sprintf("round %d, %s, %s: %s", c.round, c.what, c.target, mdEscape(firstLine(c.err)))
}

// renderGRPCCommands lists the ghz commands of round 1.
func renderGRPCCommands(p printer, r *Results) { renderRound1Commands(p, r.GRPCRuns, grpcCell) }

func grpcCell(run GRPCRun) runCell {
	return runCell{round: run.Round, what: "grpc " + run.Scenario, target: run.Target, command: run.Command, err: run.Err}
}

func grpcFailedRuns(r *Results) []string {
	var out []string
	for _, run := range r.GRPCRuns {
		switch {
		case run.Err != "":
			out = append(out, failedRunLine(grpcCell(run)))
		case len(run.Ghz.ErrorLines) > 0:
			out = append(out, fmt.Sprintf("round %d, grpc %s, %s: calls failed: %s", run.Round, run.Scenario, run.Target,
				mdEscape(fmt.Sprint(run.Ghz.ErrorLines))))
		}
	}
	return out
}

func fmtGRPCFailed(s GRPCSummary) string {
	return fmtFailed(H2Summary{Errors: s.Errors, Unmeasured: s.Unmeasured})
}

// fmtUsRange shows sorted µs figures as "median (lowest–highest)".
func fmtUsRange(xs []float64) string {
	switch len(xs) {
	case 0:
		return "—"
	case 1:
		return fmtUs(xs[0])
	}
	return fmt.Sprintf("%s (%s–%s)", fmtUs(median(xs)), fmtUs(xs[0]), fmtUs(xs[len(xs)-1]))
}
