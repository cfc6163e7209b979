package main

import (
	"fmt"
	"math"
)

// TLSSummary is the median of the good runs of one (scenario, target)
// cell of a TLS phase.
type TLSSummary struct {
	Runs, Failed int
	Rate         float64 // median req/s or connections/s
	// PerCPU is the median of each run's rate per CPU-second of the proxy.
	PerCPU, LatencyUs, TargetCPU, LoadCPU, Others float64
	Errors                                        int64   // summed over the good runs
	Resumed                                       float64 // resumed share of tlsload's connections, NaN without
	Spread                                        float64 // of Rate
}

// SummarizeTLS gives the TLSSummary of the runs of scenario against target.
func (r *Results) SummarizeTLS(scenario, target string) TLSSummary {
	var s TLSSummary
	var rate, perCPU, lat, tcpu, lcpu, others []float64
	var conns, resumed int64
	for _, run := range r.TLSRuns {
		if run.Scenario != scenario || run.Target != target {
			continue
		}
		if run.Err != "" {
			s.Failed++
			continue
		}
		s.Runs++
		s.Errors += run.Errors
		conns, resumed = conns+run.Conns, resumed+run.Resumed
		rate, perCPU, lat = append(rate, run.Rate), append(perCPU, run.PerCPU()), append(lat, run.LatencyUs)
		tcpu, lcpu, others = append(tcpu, run.TargetCPU), append(lcpu, run.LoadCPU), append(others, run.Others)
	}
	s.Rate, s.PerCPU, s.LatencyUs = median(rate), medianKnown(perCPU), median(lat)
	s.TargetCPU, s.LoadCPU, s.Others = median(tcpu), median(lcpu), median(others)
	s.Resumed = ratio(float64(resumed), float64(conns))
	s.Spread = spread(rate)
	return s
}

// TLSRoundRatios are metric of a's run over b's, round by round in
// scenario, sorted (as RoundRatios).
func (r *Results) TLSRoundRatios(scenario, a, b string, metric func(TLSRun) float64) []float64 {
	return roundRatiosOf(r.TLSRuns, a, b, func(run TLSRun) (string, int, bool) {
		return run.Target, run.Round, run.Scenario == scenario && run.Err == ""
	}, metric)
}

func tlsRate(run TLSRun) float64 { return run.Rate }

func tlsPerCPU(run TLSRun) float64 { return run.PerCPU() }

// tlsRan are the scenarios with runs in r, in report order.
func (r *Results) tlsRan() []TLSScenario {
	ran := map[string]bool{}
	for _, run := range r.TLSRuns {
		ran[run.Scenario] = true
	}
	var out []TLSScenario
	for _, s := range tlsScenarios {
		if ran[s.Name] {
			out = append(out, s)
		}
	}
	return out
}

func renderTLS(p printer, r *Results) {
	scs := r.tlsRan()
	if len(scs) == 0 {
		return
	}
	p("## TLS (medians)")
	p("")
	p("velox, nginx and HAProxy each terminate TLS on one loop, worker or thread on CPU %d, in front of the HTTP/1.1 origin;"+
		" the load on CPU %d. The same certificates for all (self-signed, made at run time: ECDSA P-256 and RSA 2048), TLS 1.3"+
		" (what every client here negotiates), session tickets on everywhere. `h1-c64` (wrk) and `h2-c16-m32` (h2load, ALPN h2):"+
		" keep-alive requests/s. The `tlshs` scenarios: `tlsload -c %d` (GOMAXPROCS=1), a new connection per request: the"+
		" handshake, one `GET /12` with `Connection: close`, the answer to its end; the rate is such connections per second."+
		" `full`: no session kept; `resumed`: a shared client session cache, so each connection offers the ticket of one before"+
		" (`resumed`: the share that did resume). `per CPU-s`: the rate ÷ the CPU (cores) of the proxy process during the run"+
		" (utime + stime from /proc), median of the runs' ratios: the comparison to read where `load CPU` (the load generator and"+
		" the origin) is near 1 or other work took CPU. `latency`: wrk's and tlsload's p50, h2load's mean.",
		cpuTarget, cpuLoad, tlsLoadConns)
	p("")
	p("| phase | scenario | target | rate | spread | per CPU-s | latency | target CPU | load CPU | errors | resumed | others | runs |")
	p("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, sc := range scs {
		for _, t := range r.h2TargetNames(sc.targetPhase()) {
			s := r.SummarizeTLS(sc.Name, t)
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %s | %s | %s |", sc.Phase, sc.Name, bold(t == "velox", t),
				fmtRate(s.Rate), fmtPct(s.Spread), fmtRate(s.PerCPU), fmtUs(s.LatencyUs), fmtRatio(s.TargetCPU), fmtRatio(s.LoadCPU),
				s.Errors, fmtPct(s.Resumed), fmtRatio(s.Others), fmtRuns(Summary{Runs: s.Runs, Failed: s.Failed}))
		}
	}
	p("")
	p(byRoundNote)
	p("")
	p("| scenario | velox/nginx | by round | velox/HAProxy | by round | per CPU-s: velox/nginx | by round | velox/HAProxy | by round |")
	p("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, sc := range scs {
		v, n, h := r.SummarizeTLS(sc.Name, "velox"), r.SummarizeTLS(sc.Name, "nginx"), r.SummarizeTLS(sc.Name, "haproxy")
		p("| %s | %s | %s | %s | %s |", sc.Name,
			ratioByRound(v.Rate, n.Rate, r.TLSRoundRatios(sc.Name, "velox", "nginx", tlsRate)),
			ratioByRound(v.Rate, h.Rate, r.TLSRoundRatios(sc.Name, "velox", "haproxy", tlsRate)),
			ratioByRound(v.PerCPU, n.PerCPU, r.TLSRoundRatios(sc.Name, "velox", "nginx", tlsPerCPU)),
			ratioByRound(v.PerCPU, h.PerCPU, r.TLSRoundRatios(sc.Name, "velox", "haproxy", tlsPerCPU)))
	}
	p("")
	p("Scenarios:")
	for _, sc := range scs {
		p("- `%s` (%s): %s.", sc.Name, sc.Phase, sc.Desc)
	}
	p("")
}

func renderTLSIdle(p printer, r *Results) {
	if len(r.TLSIdle) == 0 {
		return
	}
	p("## Idle TLS connections")
	p("")
	p("Each target started afresh with the ECDSA P-256 certificate; `idleconns -tls` opens the connections (TLS 1.3, ALPN" +
		" http/1.1), sends one GET /12 inside each, reads the answer and keeps them open. Resident memory (VmRSS of the single" +
		" process) one second after the last answer, minus before, per connection. `goroutines`: velox's, from the first line of" +
		" its `--admin` `/debug/pprof/goroutine?debug=1`, before the connections and while it holds them.")
	p("")
	renderIdleGoroutinesTable(p, r.TLSIdle, func(target string) bool { return target == "velox" })
	per := idlePerConn(r.TLSIdle)
	p("Per connection: velox/nginx %s, velox/HAProxy %s.", fmtRatio(ratioOf(per, "velox", "nginx")), fmtRatio(ratioOf(per, "velox", "haproxy")))
	p("")
}

// idlePerConn is each target's memory per idle connection, of the idle
// results without an error.
func idlePerConn(rs []IdleResult) map[string]float64 {
	per := map[string]float64{}
	for _, i := range rs {
		if i.Err == "" {
			per[i.Target] = i.PerConn()
		}
	}
	return per
}

// renderIdleGoroutinesTable prints the table of idle results that count
// velox's goroutines too, and an empty line; isVelox picks the rows in
// bold.
func renderIdleGoroutinesTable(p printer, rs []IdleResult, isVelox func(target string) bool) {
	p("| target | connections | RSS before | RSS after | per connection | goroutines | note |")
	p("|---|--:|--:|--:|--:|--:|---|")
	for _, i := range rs {
		g := "—"
		if i.Goroutines > 0 {
			g = fmt.Sprintf("%d → %d", i.GoroutinesBefore, i.Goroutines)
		}
		p("| %s | %d | %s | %s | %s | %s | %s |", bold(isVelox(i.Target), i.Target), i.Conns,
			fmtMiB(i.RSSBefore), fmtMiB(i.RSSAfter), fmtBytes(i.PerConn()), g, mdEscape(i.Err))
	}
	p("")
}

// ratioOf is m[a] / m[b], NaN when either is missing.
func ratioOf(m map[string]float64, a, b string) float64 {
	va, oka := m[a]
	vb, okb := m[b]
	if !oka || !okb {
		return math.NaN()
	}
	return ratio(va, vb)
}

// tlsChartPanels are the chart's panels of the TLS phases, one per
// scenario.
func tlsChartPanels(r *Results) []panel {
	var ps []panel
	for _, tp := range []string{"tls", "tlshs-ecdsa", "tlshs-rsa"} {
		var scs []TLSScenario
		for _, sc := range r.tlsRan() {
			if sc.targetPhase() == tp {
				scs = append(scs, sc)
			}
		}
		unit := "conn/s"
		if tp == "tls" {
			unit = "req/s"
		}
		ps = append(ps, phaseChartPanels(r, tp, unit, scs,
			func(sc TLSScenario) string { return sc.Phase + " " + sc.Name + ": " + sc.Desc },
			func(sc TLSScenario, target string) float64 { return r.SummarizeTLS(sc.Name, target).Rate })...)
	}
	return ps
}

// renderTLSCommands lists the load commands of round 1, one per scenario.
func renderTLSCommands(p printer, r *Results) { renderRound1Commands(p, r.TLSRuns, tlsCell) }

func tlsFailedRuns(r *Results) []string { return failedRunLines(r.TLSRuns, tlsCell) }

func tlsCell(run TLSRun) runCell {
	return runCell{round: run.Round, what: run.Phase + " " + run.Scenario, target: run.Target, command: run.Command, err: run.Err}
}
