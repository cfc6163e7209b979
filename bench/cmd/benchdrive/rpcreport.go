package main

import (
	"fmt"
	"slices"
	"strings"
)

// RPCSummary is the median of the good rpcload runs of one (protocol,
// scenario, target) cell, and the errors of all of them.
type RPCSummary struct {
	Runs, Failed int
	Rate         float64 // median requests/s
	// PerCPU is the median of each run's requests per CPU-second of the
	// proxy (NaN for direct).
	PerCPU, TargetCPU, ServerCPU, LoadCPU, Others float64
	P50us, P99us, P999us                          float64
	Errors                                        int64
	Statuses                                      map[string]int64 // of all runs
	UpstreamConns                                 float64
	Spread                                        float64
}

// SummarizeRPC gives the RPCSummary of the runs of scenario of protocol
// against target.
func (r *Results) SummarizeRPC(protocol, scenario, target string) RPCSummary {
	var s RPCSummary
	var rate, perCPU, tcpu, scpu, lcpu, others, p50, p99, p999, up []float64
	for _, run := range r.RPCRuns {
		if run.Protocol != protocol || run.Scenario != scenario || run.Target != target {
			continue
		}
		s.Errors += run.Load.Errors
		for st, n := range run.Load.Statuses {
			if s.Statuses == nil {
				s.Statuses = map[string]int64{}
			}
			s.Statuses[st] += n
		}
		if run.Err != "" {
			s.Failed++
			continue
		}
		s.Runs++
		l := run.Load
		rate, perCPU = append(rate, l.Rate), append(perCPU, run.PerCPU())
		tcpu, scpu, lcpu, others = append(tcpu, run.TargetCPU), append(scpu, run.ServerCPU), append(lcpu, run.LoadCPU), append(others, run.Others)
		p50, p99, p999 = append(p50, l.P50us), append(p99, l.P99us), append(p999, l.P999us)
		if run.UpstreamConns >= 0 {
			up = append(up, float64(run.UpstreamConns))
		}
	}
	s.Rate, s.PerCPU = median(rate), medianKnown(perCPU)
	s.TargetCPU, s.ServerCPU, s.LoadCPU, s.Others = median(tcpu), median(scpu), median(lcpu), median(others)
	s.P50us, s.P99us, s.P999us, s.UpstreamConns = median(p50), median(p99), median(p999), median(up)
	s.Spread = spread(rate)
	return s
}

// RPCRoundRatios are metric of a's run over b's, round by round in one
// scenario of protocol, sorted (as RoundRatios).
func (r *Results) RPCRoundRatios(protocol, scenario, a, b string, metric func(RPCRun) float64) []float64 {
	return roundRatiosOf(r.RPCRuns, a, b, func(run RPCRun) (string, int, bool) {
		return run.Target, run.Round, run.Protocol == protocol && run.Scenario == scenario && run.Err == ""
	}, metric)
}

func rpcRate(run RPCRun) float64 { return run.Load.Rate }

func rpcPerCPU(run RPCRun) float64 { return run.PerCPU() }

func renderRPC(p printer, r *Results) {
	if len(r.RPCRuns) == 0 && len(r.RPCIdle) == 0 {
		return
	}
	p("## RPC: Dubbo and SOFA Bolt (medians)")
	p("")
	p("`rpcload` (one thread, epoll, non-blocking, every response matched to its request by id) and `rpcserve` (Dubbo hessian2"+
		" or Bolt v1 echo server, `GOMAXPROCS=1`, a process of its own) on CPU %d; the proxy alone on CPU %d:"+
		" velox `proxy --protocol dubbo|bolt --loops 1`, which carries every client's requests on one multiplexed upstream connection,"+
		" and MOSN when `MOSN_BIN` was set. `direct`: rpcload straight to rpcserve (one connection per client connection)."+
		" Each request is a call of `org.velox.Echo:1.0` `Echo(\"hello\")` (Dubbo) or `echo(\"hello\")` (Bolt, a SofaRequest) with a fresh id;"+
		" each answer an OK response with that id and the value `rpcserve:hello`."+
		" `per CPU-s`: requests/s ÷ the cores the proxy process used during the run (utime + stime from /proc), median of the runs' ratios."+
		" p50/p99/p999 are rpcload's, over the OK answers; closed loop from the send, open loop (`rate…`) from the intended send time."+
		" `errors`: answers with a status other than OK, with an id no request of the connection had, frames that are no response,"+
		" failed connections, and (open loop) requests unanswered at the end of the window."+
		" rpcload and rpcserve share CPU %d (`load CPU` + `server CPU`): where they saturate it, req/s is theirs and requests per"+
		" CPU-second of the proxy is the comparison.", cpuLoad, cpuTarget, cpuLoad)
	p("")
	for _, protocol := range rpcProtocols {
		renderRPCProtocol(p, r, protocol)
	}
	renderRPCIdle(p, r)
	p("Scenarios (each protocol):")
	for _, sc := range rpcScenarios {
		p("- `%s`: %s.", sc.Name, sc.Desc)
	}
	p("")
}

func renderRPCProtocol(p printer, r *Results, protocol string) {
	names := r.h2TargetNames("rpc-" + protocol)
	var missing []string
	for _, t := range r.H2Targets {
		if t.Phase == "rpc-"+protocol && !t.Available {
			missing = append(missing, fmt.Sprintf("%s not run: %s", t.Name, mdEscape(t.Reason)))
		}
	}
	if len(names) == 0 {
		return
	}
	p("### %s", map[string]string{"dubbo": "Dubbo (hessian2)", "bolt": "SOFA Bolt v1 (hessian2)"}[protocol])
	p("")
	if len(missing) > 0 {
		p("%s.", strings.Join(missing, "; "))
		p("")
	}
	p("| scenario | target | req/s | spread | per CPU-s | proxy CPU | server CPU | load CPU | p50 | p99 | p999 | errors | upstream conns | others | runs |")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, sc := range rpcScenarios {
		for _, t := range names {
			s := r.SummarizeRPC(protocol, sc.Name, t)
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", sc.Name, bold(t == "velox", t),
				fmtRate(s.Rate), fmtPct(s.Spread), fmtRate(s.PerCPU), fmtRatio(s.TargetCPU), fmtRatio(s.ServerCPU), fmtRatio(s.LoadCPU),
				fmtUs(s.P50us), fmtUs(s.P99us), fmtUs(s.P999us), fmtRPCErrors(s), fmtCount(s.UpstreamConns), fmtRatio(s.Others),
				fmtRuns(Summary{Runs: s.Runs, Failed: s.Failed}))
		}
	}
	p("")
	p("`errors` names the statuses of answers that were not OK (Dubbo: %s; Bolt: %s).", dubboStatusNames, boltStatusNames)
	p("")
	p("%s `overhead p50`: velox's median p50 minus direct's.", byRoundNote)
	p("")
	p("| scenario | velox/direct req/s | by round | velox overhead p50 | velox/MOSN req/s | velox/MOSN per CPU-s | by round |")
	p("|---|--:|--:|--:|--:|--:|--:|")
	for _, sc := range rpcScenarios {
		v, d, m := r.SummarizeRPC(protocol, sc.Name, "velox"), r.SummarizeRPC(protocol, sc.Name, "direct"), r.SummarizeRPC(protocol, sc.Name, "mosn")
		p("| %s | %s | %s | %s | %s |", sc.Name,
			ratioByRound(v.Rate, d.Rate, r.RPCRoundRatios(protocol, sc.Name, "velox", "direct", rpcRate)),
			fmtUs(v.P50us-d.P50us), fmtRatio(ratio(v.Rate, m.Rate)),
			ratioByRound(v.PerCPU, m.PerCPU, r.RPCRoundRatios(protocol, sc.Name, "velox", "mosn", rpcPerCPU)))
	}
	p("")
	if !slices.Contains(names, "velox-base") {
		return
	}
	p("velox at this commit over `velox-base` (VELOX_BASE), measured in the same rounds, interleaved:")
	p("")
	p("| scenario | velox/velox-base req/s | velox/velox-base per CPU-s | by round |")
	p("|---|--:|--:|--:|")
	for _, sc := range rpcScenarios {
		v, b := r.SummarizeRPC(protocol, sc.Name, "velox"), r.SummarizeRPC(protocol, sc.Name, "velox-base")
		p("| %s | %s | %s |", sc.Name, fmtRatio(ratio(v.Rate, b.Rate)),
			ratioByRound(v.PerCPU, b.PerCPU, r.RPCRoundRatios(protocol, sc.Name, "velox", "velox-base", rpcPerCPU)))
	}
	p("")
}

const (
	dubboStatusNames = "30/31 client/server timeout, 60 service not found, 80 server error, 100 thread pool exhausted (velox: max_in_flight reached)"
	boltStatusNames  = "4 thread pool busy (velox: max_in_flight reached), 6 no processor, 7 timeout, 16 connection closed"
)

func renderRPCIdle(p printer, r *Results) {
	if len(r.RPCIdle) == 0 {
		return
	}
	p("### Idle RPC client connections")
	p("")
	p("Each proxy started afresh in front of rpcserve; `rpcload -idle N` opens the connections, has one request answered on each" +
		" (256 at a time), and holds them. Resident memory (VmRSS) one second after the last answer, minus before;" +
		" velox's goroutines from its admin listener (`/debug/pprof/goroutine`), before and while it holds them.")
	p("")
	renderIdleGoroutinesTable(p, r.RPCIdle, func(target string) bool { return strings.HasPrefix(target, "velox") })
}

// rpcChartPanels are the chart's panels of the rpc phase: req/s of each
// scenario of each protocol.
func rpcChartPanels(r *Results) []panel {
	if len(r.RPCRuns) == 0 {
		return nil
	}
	var ps []panel
	for _, protocol := range rpcProtocols {
		if len(r.h2TargetNames("rpc-"+protocol)) == 0 {
			continue
		}
		ps = append(ps, phaseChartPanels(r, "rpc-"+protocol, "req/s", rpcScenarios,
			func(sc RPCScenario) string { return "rpc " + protocol + "-" + sc.Name + ": rpcload, " + sc.Desc },
			func(sc RPCScenario, target string) float64 { return r.SummarizeRPC(protocol, sc.Name, target).Rate })...)
	}
	return ps
}

// renderRPCCommands lists the servers and the rpcload commands of round 1.
func renderRPCCommands(p printer, r *Results) {
	if len(r.RPCRuns) == 0 {
		return
	}
	p("# rpc servers\nGOMAXPROCS=1 taskset -c %d rpcserve -protocol dubbo|bolt -addr 127.0.0.1:PORT", cpuLoad)
	p("# rpc velox\ntaskset -c %d velox proxy --listen 127.0.0.1:PORT --to RPCSERVE --loops 1 --pin-cpus %d --protocol dubbo|bolt", cpuTarget, cpuTarget)
	renderRound1Commands(p, r.RPCRuns, rpcCell)
}

func rpcFailedRuns(r *Results) []string { return failedRunLines(r.RPCRuns, rpcCell) }

func rpcCell(run RPCRun) runCell {
	return runCell{round: run.Round, what: "rpc " + run.Protocol + "-" + run.Scenario, target: run.Target, command: run.Command, err: run.Err}
}

// fmtRPCErrors shows a cell's errors, and the statuses of its answers that
// were not OK ("12 (status 4 ×12)").
func fmtRPCErrors(s RPCSummary) string {
	out := fmt.Sprint(s.Errors)
	var sts []string
	for _, st := range keys(s.Statuses) {
		sts = append(sts, fmt.Sprintf("status %s ×%d", st, s.Statuses[st]))
	}
	if len(sts) > 0 {
		out += " (" + strings.Join(sts, ", ") + ")"
	}
	return out
}
