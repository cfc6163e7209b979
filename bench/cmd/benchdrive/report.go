package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// writeReport writes DIR/<date>-<sha>.{md,png,json} and, when latest is
// set, DIR/latest.md, and returns the paths written.
func writeReport(r *Results, dir string, latest bool) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	base := r.Started.UTC().Format("2006-01-02") + "-" + strings.TrimSuffix(r.Commit, "+dirty")
	var written []string
	write := func(name string, data []byte) error {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
		written = append(written, p)
		return nil
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := write(base+".json", append(js, '\n')); err != nil {
		return written, err
	}
	png, err := renderChart(r)
	if err != nil {
		return written, err
	}
	if err := write(base+".png", png); err != nil {
		return written, err
	}
	var md strings.Builder
	renderMarkdown(&md, r, base+".png")
	if err := write(base+".md", []byte(md.String())); err != nil {
		return written, err
	}
	if !latest {
		return written, nil
	}
	return written, write("latest.md", []byte(md.String()))
}

// renderMarkdown writes the whole report; chart is the PNG's file name.
func renderMarkdown(w io.Writer, r *Results, chart string) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("# velox benchmark — %s, commit %s", r.Started.UTC().Format("2006-01-02 15:04 UTC"), r.Commit)
	p("")
	if r.Command != "" {
		p("Command: `%s` (took %s).", r.Command, r.Finished.Sub(r.Started).Round(time.Second))
	}
	if r.Settings.Quick {
		p("")
		p("**QUICK mode: a smoke test (1 round of 3 s), not figures to quote.**")
	}
	p("")
	renderSetup(p, r)
	renderHTTP(p, r)
	renderRatios(p, r)
	renderBaseRatios(p, r)
	renderIdle(p, r)
	renderH2(p, r)
	renderH2Idle(p, r)
	renderGRPC(p, r)
	renderTCP(p, r)
	renderRPC(p, r)
	renderTLS(p, r)
	renderTLSIdle(p, r)
	renderEngine(p, r)
	renderBar(p, r)
	p("## Chart")
	p("")
	p("![requests per second per scenario and proxy](%s)", chart)
	p("")
	renderCommands(p, r)
	if len(r.Notes) > 0 {
		p("## Notes")
		p("")
		for _, n := range r.Notes {
			p("- %s", n)
		}
		p("")
	}
}

type printer func(format string, args ...any)

func renderSetup(p printer, r *Results) {
	m, v, s := r.Machine, r.Versions, r.Settings
	p("## Setup")
	p("")
	p("- Machine: %d cores, %s, kernel %s, %s memory.", m.Cores, orDash(m.CPU), orDash(m.Kernel), orDash(m.Memory))
	p("- Versions: %s, %s, %s, %s, gnet %s, netpoll %s%s%s%s.",
		orDash(v["go"]), orDash(v["nginx"]), orDash(v["haproxy"]), orDash(v["wrk"]), orDash(v["gnet"]), orDash(v["netpoll"]),
		versionNote(v, "h2load"), versionNote(v, "ghz"), versionNote(v, "iperf3")+versionNote(v, "mosn"))
	p("- Load average (1, 5, 15 min) at start: %s; at end: %s. Anything above ~0.5 at start is other work sharing these %d cores:"+
		" compare ratios within this run, not absolute figures across runs.", orDash(m.LoadStart), orDash(m.LoadEnd), m.Cores)
	if s.Nice != 0 {
		p("- Every process under test and every load generator ran with `nice -n %d`, to get the CPU ahead of other work on the machine.", s.Nice)
	}
	p("- CPU placement, the same for every target: the process under test alone on CPU %d (`taskset -c %d`);"+
		" wrk, echoload, idleconns and the origin nginx on CPU %d. The `direct` ceiling is a second origin instance on CPU %d.",
		cpuTarget, cpuTarget, cpuLoad, cpuTarget)
	p("- One core each: velox `--loops 1 --pin-cpus 0`; nginx one process (`master_process off`, one worker's work);" +
		" HAProxy `nbthread 1`; goproxy (`httputil.ReverseProxy`) with `GOMAXPROCS=1`; yardstick engines with one loop and `GOMAXPROCS=1`.")
	p("- Method: %d round(s); each run is a %v wrk warm-up then %v measured (wrk -t1). Within a round every scenario runs"+
		" against every target, in an order rotated by one each round. Figures are medians over rounds; errors are summed.",
		s.Rounds, s.Warmup, s.Duration)
	p("- Interference: during each run the harness measures the CPU that everything else on the machine used"+
		" (/proc/stat busy time minus the target's, the origin's and the load generator's own), in cores: column `others`."+
		" A run during which it exceeded %.2f cores is measured again, up to %d more times (and at most a fifth of the runs in all, to bound the time), and the least disturbed run is kept.",
		s.MaxOthers, s.Retries)
	p("")
	p("| target | what | status |")
	p("|---|---|---|")
	for _, t := range r.Targets {
		p("| %s | %s | %s |", t.Name, t.Desc, status(t))
	}
	for _, t := range r.H2Targets {
		p("| %s %s | %s | %s |", t.Phase, t.Name, t.Desc, status(t))
	}
	for _, t := range r.Engines {
		p("| engine %s | %s | %s |", t.Name, t.Desc, status(t))
	}
	p("")
}

// versionNote is ", NAME VERSION" when the run recorded one.
func versionNote(v map[string]string, name string) string {
	if v[name] == "" {
		return ""
	}
	return ", " + name + " " + v[name]
}

func status(t TargetStatus) string {
	if t.Available {
		return "measured"
	}
	return "**not runnable**: " + mdEscape(t.Reason)
}

// scenarioNames are the scenarios of r, in report order.
func (r *Results) scenarioNames() []string {
	return r.Settings.Scenarios
}

// targetNames are the targets of r that produced runs, in report order.
func (r *Results) targetNames() []string {
	var out []string
	for _, t := range r.Targets {
		if t.Available {
			out = append(out, t.Name)
		}
	}
	return out
}

func scenarioDesc(name string) string {
	for _, s := range scenarios {
		if s.Name == name {
			return s.Desc
		}
	}
	return name
}

func renderHTTP(p printer, r *Results) {
	if len(r.Runs) == 0 {
		return
	}
	p("## HTTP proxying (medians)")
	p("")
	p("`spread`: (max − min) / median of the rounds' req/s; `target CPU`: cores the target used (1.00 = all of CPU %d);"+
		" `req/s per core`: req/s ÷ target CPU; `load CPU`: wrk + origin (1.00 = all of CPU %d); `others`: other work on the machine."+
		" All medians.", cpuTarget, cpuLoad)
	p("")
	p("| scenario | target | req/s | spread | p50 | p99 | errors | target CPU | req/s per core | load CPU | others | runs |")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, sc := range r.scenarioNames() {
		for _, t := range r.targetNames() {
			s := r.SummarizeRuns(sc, t)
			p("| %s | %s | %s | %s | %s | %s | %d | %s | %s | %s | %s | %s |", sc, bold(t == "velox", t), fmtRate(s.Rate), fmtPct(s.Spread),
				fmtUs(s.P50us), fmtUs(s.P99us), s.Errors, fmtRatio(s.TargetCPU), fmtRate(s.PerCore), fmtRatio(s.LoadCPU), fmtRatio(s.Others), fmtRuns(s))
		}
	}
	p("")
	p("Scenarios:")
	for _, sc := range r.scenarioNames() {
		p("- `%s`: %s.", sc, scenarioDesc(sc))
	}
	p("")
}

func renderRatios(p printer, r *Results) {
	if len(r.Runs) == 0 {
		return
	}
	p("## Ratios")
	p("")
	p("Medians of the same run divided; above 1.00 means velox serves more requests per second, or per second of its CPU" +
		" (for p99: is slower).")
	p("")
	p("| scenario | velox/nginx req/s | velox/HAProxy req/s | velox/goproxy req/s | velox/direct req/s | velox/nginx per core | velox/HAProxy per core | velox/nginx p99 |")
	p("|---|--:|--:|--:|--:|--:|--:|--:|")
	for _, sc := range r.scenarioNames() {
		v := r.SummarizeRuns(sc, "velox")
		n, h := r.SummarizeRuns(sc, "nginx"), r.SummarizeRuns(sc, "haproxy")
		g, d := r.SummarizeRuns(sc, "goproxy"), r.SummarizeRuns(sc, "direct")
		p("| %s | %s | %s | %s | %s | %s | %s | %s |", sc, fmtRatio(ratio(v.Rate, n.Rate)), fmtRatio(ratio(v.Rate, h.Rate)),
			fmtRatio(ratio(v.Rate, g.Rate)), fmtRatio(ratio(v.Rate, d.Rate)),
			fmtRatio(ratio(v.PerCore, n.PerCore)), fmtRatio(ratio(v.PerCore, h.PerCore)), fmtRatio(ratio(v.P99us, n.P99us)))
	}
	p("")
}

// renderBaseRatios compares velox with velox-base (VELOX_BASE), when the run
// measured both: a change's before and after, from the same rounds.
func renderBaseRatios(p printer, r *Results) {
	if !slices.Contains(r.targetNames(), "velox-base") {
		return
	}
	p("### velox / velox-base")
	p("")
	p("velox at this commit over `velox-base` (VELOX_BASE), measured in the same rounds, interleaved. `by round`: the req/s ratio" +
		" within each round, median (lowest–highest); a regression beyond noise shows as every round below 1.")
	p("")
	p("| scenario | req/s | per core | p99 | req/s by round |")
	p("|---|--:|--:|--:|--:|")
	rps := func(w WrkResult) float64 { return w.RPS }
	for _, sc := range r.scenarioNames() {
		v, b := r.SummarizeRuns(sc, "velox"), r.SummarizeRuns(sc, "velox-base")
		p("| %s | %s | %s | %s | %s |", sc, fmtRatio(ratio(v.Rate, b.Rate)), fmtRatio(ratio(v.PerCore, b.PerCore)),
			fmtRatio(ratio(v.P99us, b.P99us)), fmtRange(r.RoundRatios(sc, "velox", "velox-base", rps)))
	}
	p("")
}

func renderIdle(p printer, r *Results) {
	if len(r.Idle) == 0 {
		return
	}
	p("## Idle keep-alive connections")
	p("")
	p("Each target started afresh; `idleconns` opens the connections, sends one GET /12 on each, reads the answer and" +
		" keeps them open. Resident memory (VmRSS of the single process) one second after the last answer, minus before.")
	p("")
	p("| target | connections | RSS before | RSS after | per connection | note |")
	p("|---|--:|--:|--:|--:|---|")
	for _, i := range r.Idle {
		p("| %s | %d | %s | %s | %s | %s |", bold(i.Target == "velox", i.Target), i.Conns, fmtMiB(i.RSSBefore), fmtMiB(i.RSSAfter), fmtBytes(i.PerConn()), mdEscape(i.Err))
	}
	p("")
}

func renderEngine(p printer, r *Results) {
	if len(r.Engine) == 0 {
		return
	}
	cmds := engineCommands(r.Settings)
	p("## Engine yardstick (medians)")
	p("")
	p("`echo`: 64 connections, each sending 64 bytes and waiting for their echo (messages/s; `%s`)."+
		" `http`: a fixed 2-byte HTTP response to each request head (requests/s; `%s`).", cmds["echo"], cmds["http"])
	p("")
	renderEngineCap(p, r.Settings)
	p(" %d interleaved round(s), order rotated by one each round; medians over rounds.", r.Settings.engineRounds())
	p("")
	p("| workload | engine | rate | spread | p50 | p99 | errors | server CPU | rate per core | load CPU | others | runs |")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, mode := range engineModes {
		for _, e := range engineOrder {
			s := r.SummarizeEngine(mode, e)
			if s.Runs+s.Failed == 0 {
				continue
			}
			p("| %s | %s | %s | %s | %s | %s | %d | %s | %s | %s | %s | %s |", mode, bold(e == "velox", e), fmtRate(s.Rate), fmtPct(s.Spread),
				fmtUs(s.P50us), fmtUs(s.P99us), s.Errors, fmtRatio(s.TargetCPU), fmtRate(s.PerCore), fmtRatio(s.LoadCPU), fmtRatio(s.Others), fmtRuns(s))
		}
	}
	p("")
	p("`by round`: the same ratio taken within each round (the two runs minutes apart at most), as median (lowest–highest):" +
		" how far the rounds scatter around the medians' ratio.")
	p("")
	p("| workload | velox/gnet | velox/netpoll | velox/gnet per core | velox/netpoll per core | velox/gnet by round | velox/netpoll by round |")
	p("|---|--:|--:|--:|--:|--:|--:|")
	for _, mode := range engineModes {
		v, g, n := r.SummarizeEngine(mode, "velox"), r.SummarizeEngine(mode, "gnet"), r.SummarizeEngine(mode, "netpoll")
		p("| %s | %s | %s | %s | %s | %s | %s |", mode, fmtRatio(ratio(v.Rate, g.Rate)), fmtRatio(ratio(v.Rate, n.Rate)),
			fmtRatio(ratio(v.PerCore, g.PerCore)), fmtRatio(ratio(v.PerCore, n.PerCore)),
			fmtRange(r.EngineRoundRatios(mode, "velox", "gnet")), fmtRange(r.EngineRoundRatios(mode, "velox", "netpoll")))
	}
	p("")
}

// fmtRange shows sorted ratios as "median (lowest–highest)".
func fmtRange(xs []float64) string {
	switch len(xs) {
	case 0:
		return "—"
	case 1:
		return fmtRatio(xs[0])
	}
	return fmt.Sprintf("%s (%s–%s)", fmtRatio(median(xs)), fmtRatio(xs[0]), fmtRatio(xs[len(xs)-1]))
}

// byRoundNote explains the `by round` columns of a phase's ratio table.
const byRoundNote = "`by round`: the ratio within each round, median (lowest–highest)."

// ratioByRound is the two cells "a/b | by round" of a ratio table: a over
// b, then rounds, the same ratio within each round (sorted).
func ratioByRound(a, b float64, rounds []float64) string {
	return fmtRatio(ratio(a, b)) + " | " + fmtRange(rounds)
}

// renderEngineCap says under what CPU cap the yardstick servers ran.
func renderEngineCap(p printer, s Settings) {
	switch {
	case s.EngineCPU > 0:
		p("Each server ran capped at %.2f of a core (%s, in a cgroup of its own), so that the server and not the load generator is the limit:"+
			" `server CPU` should read about %.2f and `load CPU` well under 1. The rate is the engine's throughput on that share of a core.",
			s.EngineCPU, s.EngineCap, s.EngineCPU)
	case s.EngineCap != "":
		p("The servers ran without a CPU cap (%s): where `load CPU` reads about 1 the load generator was the limit, and the rate measures the pair.",
			s.EngineCap)
	default:
		p("The servers ran without a CPU cap (this run predates it): where `load CPU` reads about 1 the load generator was the limit, and the rate measures the pair.")
	}
}

// check is one line of issue 3's bar.
type check struct {
	what     string
	measured float64 // the ratio
	perCore  float64 // the same ratio per core of the target's CPU; NaN when not a rate
	limit    float64 // pass when measured >= limit (or <= when atMost)
	atMost   bool
	rounds   []float64 // the same ratio round by round, sorted; none for idle
}

// roundsPassing says in how many rounds the ratio alone would pass.
func (c check) roundsPassing() string {
	if len(c.rounds) == 0 {
		return ""
	}
	n := 0
	for _, x := range c.rounds {
		if verdict(x, c.limit, c.atMost) == "pass" {
			n++
		}
	}
	return fmt.Sprintf("%d of %d", n, len(c.rounds))
}

func (c check) verdict() string {
	return verdict(c.measured, c.limit, c.atMost)
}

func verdict(measured, limit float64, atMost bool) string {
	switch {
	case math.IsNaN(measured):
		return "n/a"
	case atMost && measured <= limit, !atMost && measured >= limit:
		return "pass"
	default:
		return "**FAIL**"
	}
}

func (r *Results) barChecks() []check {
	var cs []check
	rps := func(w WrkResult) float64 { return w.RPS }
	p99 := func(w WrkResult) float64 { return float64(w.P99) }
	rateCheck := func(what, sc, other string, limit float64) check {
		v, o := r.SummarizeRuns(sc, "velox"), r.SummarizeRuns(sc, other)
		return check{what, ratio(v.Rate, o.Rate), ratio(v.PerCore, o.PerCore), limit, false, r.RoundRatios(sc, "velox", other, rps)}
	}
	nan := math.NaN()
	for _, sc := range []string{"get-12b", "get-4k"} {
		if len(r.Runs) == 0 || !slices.Contains(r.scenarioNames(), sc) {
			continue
		}
		cs = append(cs,
			rateCheck(sc+": velox req/s ≥ nginx", sc, "nginx", 1),
			rateCheck(sc+": velox req/s ≥ HAProxy", sc, "haproxy", 1),
			check{sc + ": velox p99 ≤ nginx p99", ratio(r.SummarizeRuns(sc, "velox").P99us, r.SummarizeRuns(sc, "nginx").P99us), nan, 1, true,
				r.RoundRatios(sc, "velox", "nginx", p99)})
	}
	for _, sc := range []string{"conns-1000", "close-12b"} {
		if len(r.Runs) > 0 && slices.Contains(r.scenarioNames(), sc) {
			cs = append(cs, rateCheck(sc+": velox req/s within 10% of nginx", sc, "nginx", 0.9))
		}
	}
	if len(r.Idle) > 0 {
		cs = append(cs, check{"idle: velox memory per connection ≤ nginx", ratioOf(idlePerConn(r.Idle), "velox", "nginx"), nan, 1, true, nil})
	}
	if len(r.Engine) > 0 {
		for _, mode := range engineModes {
			v := r.SummarizeEngine(mode, "velox")
			for _, other := range []string{"gnet", "netpoll"} {
				o := r.SummarizeEngine(mode, other)
				cs = append(cs, check{"engine " + mode + ": velox ≥ " + other, ratio(v.Rate, o.Rate), ratio(v.PerCore, o.PerCore), 1, false,
					r.EngineRoundRatios(mode, "velox", other)})
			}
		}
	}
	return cs
}

func renderBar(p printer, r *Results) {
	cs := r.barChecks()
	if len(cs) == 0 {
		return
	}
	p("## The bar (issue 3)")
	p("")
	p("`per core` divides each rate by the CPU the server used: the fairer reading when the load side (CPU %d) saturates first."+
		" `by round`: the ratio within each round, median (lowest–highest), and in how many rounds it alone would pass:"+
		" a verdict that some rounds pass and others fail is a tie within this machine's noise.", cpuLoad)
	p("")
	p("| check | velox / other | verdict | per core | verdict per core | by round | rounds passing |")
	p("|---|--:|---|--:|---|--:|--:|")
	for _, c := range cs {
		pc, pv := "", ""
		if !math.IsNaN(c.perCore) {
			pc, pv = fmtRatio3(c.perCore), verdict(c.perCore, c.limit, c.atMost)
		}
		br := ""
		if len(c.rounds) > 0 {
			br = fmtRange(c.rounds)
		}
		p("| %s | %s | %s | %s | %s | %s | %s |", c.what, fmtRatio3(c.measured), c.verdict(), pc, pv, br, c.roundsPassing())
	}
	p("")
	p("The zero-allocation bar is checked by `go test` (testing.AllocsPerRun), not here.")
	p("")
}

func renderCommands(p printer, r *Results) {
	p("## Exact commands")
	p("")
	p("Ports are picked free for each run; configs are rendered from `bench/conf/*.tmpl` into `bench/work/run/`.")
	p("")
	p("```")
	seen := map[string]bool{}
	for _, run := range r.Runs {
		if run.Round != 1 || seen[run.Scenario] {
			continue
		}
		seen[run.Scenario] = true
		p("# %s\n%s", run.Scenario, run.Command)
	}
	renderH2Commands(p, r)
	renderGRPCCommands(p, r)
	renderTCPCommands(p, r)
	renderRPCCommands(p, r)
	renderTLSCommands(p, r)
	for _, mode := range engineModes {
		if len(r.Engine) > 0 {
			p("# engine %s\n%s", mode, engineCommands(r.Settings)[mode])
		}
	}
	p("```")
	p("")
	var failed []string
	for _, run := range r.Runs {
		if run.Err != "" {
			failed = append(failed, fmt.Sprintf("round %d, %s, %s: %s", run.Round, run.Scenario, run.Target, mdEscape(firstLine(run.Err))))
		}
	}
	failed = append(failed, h2FailedRuns(r)...)
	failed = append(failed, grpcFailedRuns(r)...)
	failed = append(failed, tcpFailedRuns(r)...)
	failed = append(failed, rpcFailedRuns(r)...)
	failed = append(failed, tlsFailedRuns(r)...)
	if len(failed) > 0 {
		p("Failed runs:")
		p("")
		for _, f := range failed {
			p("- %s", f)
		}
		p("")
	}
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func bold(b bool, s string) string {
	if b {
		return "**" + s + "**"
	}
	return s
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// fmtRate formats a rate with thousands separators.
func fmtRate(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	s := fmt.Sprintf("%.0f", v)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// fmtUs formats microseconds as µs below 1 ms, else ms.
func fmtUs(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case v < 1000:
		return fmt.Sprintf("%.0f µs", v)
	default:
		return fmt.Sprintf("%.2f ms", v/1000)
	}
}

func fmtRatio(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%.2f", v)
}

// fmtRatio3 shows a third decimal, so that a ratio a hair under a limit does
// not read as equal to it.
func fmtRatio3(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%.3f", v)
}

func fmtPct(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", v*100)
}

func fmtMiB(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func fmtBytes(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	if math.Abs(v) >= 1024 {
		return fmt.Sprintf("%.1f KiB", v/1024)
	}
	return fmt.Sprintf("%.0f B", v)
}

func fmtRuns(s Summary) string {
	if s.Failed > 0 {
		return fmt.Sprintf("%d (+%d failed)", s.Runs, s.Failed)
	}
	return fmt.Sprint(s.Runs)
}
