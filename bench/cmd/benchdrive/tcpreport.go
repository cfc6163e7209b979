package main

import (
	"fmt"
	"math"
)

// TCPSummary is the median of the good iperf3 runs of one (scenario,
// target) cell.
type TCPSummary struct {
	Runs, Failed int
	Gbps         float64 // median Gbit/s received
	// PerCPU is the median of each run's bytes received per CPU-second of
	// the proxy (NaN for direct).
	PerCPU, TargetCPU, LoadCPU, Others float64
	Retransmits                        float64 // median of the sender's TCP retransmits
	Spread                             float64 // of Gbps
}

// SummarizeTCP gives the TCPSummary of the runs of scenario against target.
func (r *Results) SummarizeTCP(scenario, target string) TCPSummary {
	var s TCPSummary
	var gbps, perCPU, tcpu, lcpu, others, retr []float64
	for _, run := range r.TCPRuns {
		if run.Scenario != scenario || run.Target != target {
			continue
		}
		if run.Err != "" {
			s.Failed++
			continue
		}
		s.Runs++
		gbps, perCPU = append(gbps, run.Iperf.Gbps()), append(perCPU, run.PerCPU())
		tcpu, lcpu, others = append(tcpu, run.TargetCPU), append(lcpu, run.LoadCPU), append(others, run.Others)
		retr = append(retr, float64(run.Iperf.Retransmits))
	}
	s.Gbps, s.PerCPU = median(gbps), medianKnown(perCPU)
	s.TargetCPU, s.LoadCPU, s.Others, s.Retransmits = median(tcpu), median(lcpu), median(others), median(retr)
	s.Spread = spread(gbps)
	return s
}

// TCPRoundRatios are metric of a's run over b's, round by round in
// scenario, sorted (as RoundRatios).
func (r *Results) TCPRoundRatios(scenario, a, b string, metric func(TCPRun) float64) []float64 {
	return roundRatiosOf(r.TCPRuns, a, b, func(run TCPRun) (string, int, bool) {
		return run.Target, run.Round, run.Scenario == scenario && run.Err == ""
	}, metric)
}

func tcpGbps(run TCPRun) float64 { return run.Iperf.Gbps() }

func tcpPerCPU(run TCPRun) float64 { return run.PerCPU() }

func renderTCP(p printer, r *Results) {
	if len(r.TCPRuns) == 0 {
		return
	}
	p("## TCP streams (medians)")
	p("")
	p("iperf3 (client `-J`, and `iperf3 -s`) on CPU %d; the proxy alone on CPU %d, one loop or thread, forwarding bytes"+
		" (velox: a `protocol: tcp` listener; HAProxy: `mode tcp`). `direct`: the client straight to the server."+
		" `Gbit/s`: iperf3's `end.sum_received`, the bytes that reached the receiver (the server; the client with `-R`) over its"+
		" measured time, summed over the streams. `per CPU-s`: those bytes ÷ the CPU-seconds of the proxy process during the run"+
		" (utime + stime from /proc), median of the runs' ratios, in GB (10^9 bytes). `retransmits`: the sender's TCP retransmits."+
		" Without a proxy the client and the server talk on CPU %d alone; with one, every byte also goes through the proxy on CPU %d and back."+
		" Where neither `target CPU` nor `load CPU` is near 1, no core was the limit and Gbit/s follows how much CPU the processes got"+
		" beside other work: bytes per CPU-second is the steadier comparison. CPU figures are process time: softirq time is not in them.",
		cpuLoad, cpuTarget, cpuLoad, cpuTarget)
	p("")
	p("| scenario | target | Gbit/s | spread | per CPU-s | target CPU | load CPU | retransmits | others | runs |")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
	names := r.h2TargetNames("tcp")
	for _, sc := range tcpScenarios {
		for _, t := range names {
			s := r.SummarizeTCP(sc.Name, t)
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", sc.Name, bold(t == "velox", t),
				fmtGbps(s.Gbps), fmtPct(s.Spread), fmtGB(s.PerCPU), fmtRatio(s.TargetCPU), fmtRatio(s.LoadCPU),
				fmtCount(s.Retransmits), fmtRatio(s.Others), fmtRuns(Summary{Runs: s.Runs, Failed: s.Failed}))
		}
	}
	p("")
	p(byRoundNote)
	p("")
	p("| scenario | velox/HAProxy Gbit/s | by round | velox/HAProxy per CPU-s | by round | velox/direct Gbit/s | HAProxy/direct Gbit/s |")
	p("|---|--:|--:|--:|--:|--:|--:|")
	for _, sc := range tcpScenarios {
		v, h, d := r.SummarizeTCP(sc.Name, "velox"), r.SummarizeTCP(sc.Name, "haproxy"), r.SummarizeTCP(sc.Name, "direct")
		p("| %s | %s | %s | %s | %s |", sc.Name,
			ratioByRound(v.Gbps, h.Gbps, r.TCPRoundRatios(sc.Name, "velox", "haproxy", tcpGbps)),
			ratioByRound(v.PerCPU, h.PerCPU, r.TCPRoundRatios(sc.Name, "velox", "haproxy", tcpPerCPU)),
			fmtRatio(ratio(v.Gbps, d.Gbps)), fmtRatio(ratio(h.Gbps, d.Gbps)))
	}
	p("")
	p("Scenarios:")
	for _, sc := range tcpScenarios {
		p("- `%s`: %s.", sc.Name, sc.Desc)
	}
	p("")
}

// tcpChartPanels are the chart's panels of the tcp phase, in Mbit/s (the
// chart prints whole numbers).
func tcpChartPanels(r *Results) []panel {
	if len(r.TCPRuns) == 0 {
		return nil
	}
	return phaseChartPanels(r, "tcp", "Mbit/s", tcpScenarios,
		func(sc TCPScenario) string { return "tcp " + sc.Name + ": iperf3, " + sc.Desc },
		func(sc TCPScenario, target string) float64 { return r.SummarizeTCP(sc.Name, target).Gbps * 1000 })
}

// renderTCPCommands lists the iperf3 server and the client commands of
// round 1.
func renderTCPCommands(p printer, r *Results) {
	if len(r.TCPRuns) == 0 {
		return
	}
	p("# tcp server\n%s", iperfServerCommand())
	renderRound1Commands(p, r.TCPRuns, tcpCell)
}

func tcpFailedRuns(r *Results) []string { return failedRunLines(r.TCPRuns, tcpCell) }

func tcpCell(run TCPRun) runCell {
	return runCell{round: run.Round, what: "tcp " + run.Scenario, target: run.Target, command: run.Command, err: run.Err}
}

// fmtGbps shows Gbit/s to two decimals.
func fmtGbps(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%.2f", v)
}

// fmtGB shows bytes as GB (10^9) to two decimals.
func fmtGB(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%.2f GB", v/1e9)
}
