package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// running is a target started for a phase.
type running struct {
	t    Target
	p    *proc
	addr string
}

// startTargets launches every target and records which could not start.
func (d *driver) startTargets() []running {
	var live []running
	d.res.Targets = d.res.Targets[:0]
	for _, t := range targets {
		st := TargetStatus{Name: t.Name, Desc: t.Desc}
		p, addr, err := d.launch(t)
		if err != nil {
			st.Reason = firstLine(err.Error())
			log.Printf("%s not benchmarked: %v", t.Name, err)
		} else {
			st.Available = true
			live = append(live, running{t: t, p: p, addr: addr})
			log.Printf("%s listening on %s (pid %d)", t.Name, addr, p.Pid())
		}
		d.res.Targets = append(d.res.Targets, st)
	}
	return live
}

// httpPhase runs every scenario against every target, interleaved: each
// round runs each scenario against every target, in an order rotated by one
// each round.
func (d *driver) httpPhase(sel []Scenario) error {
	live := d.startTargets()
	defer func() {
		for _, r := range live {
			d.procs.Stop(r.p, 2*time.Second)
		}
	}()
	err := eachRun(d, sel, live, func(round int, s Scenario, r running) {
		run := d.wrkRun(round, s, r)
		d.res.Runs = append(d.res.Runs, run)
		w := run.Wrk
		logRun(fmt.Sprintf("round %d %-10s %-8s", round+1, s.Name, r.t.Name), run.Err,
			"%10.0f req/s  p50 %-9v p99 %-9v errors %d", w.RPS, w.P50, w.P99, w.Errors())
	})
	if err != nil {
		return err
	}
	if d.profile {
		for _, r := range live {
			if r.t.Name == "velox" {
				d.profileVelox(sel, r)
			}
		}
	}
	return nil
}

// profileVelox runs each scenario once more against velox, unmeasured,
// while fetching a CPU profile over its admin listener, into
// WORK/pprof/velox-<scenario>.pprof.
func (d *driver) profileVelox(sel []Scenario, r running) {
	dir := filepath.Join(d.workDir, "pprof")
	if err := os.MkdirAll(dir, 0o755); err != nil || d.veloxAdmin == "" {
		d.res.Notes = append(d.res.Notes, "Profiling: velox has no admin listener; no profiles.")
		return
	}
	set := d.res.Settings
	secs := max(1, int(set.Duration.Seconds())-1)
	var saved []string
	for _, s := range sel {
		if d.ctx.Err() != nil {
			return
		}
		out := filepath.Join(dir, "velox-"+s.Name+".pprof")
		got := make(chan error, 1)
		go func() {
			got <- fetchTo(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", d.veloxAdmin, secs), out, time.Duration(secs+30)*time.Second)
		}()
		args := s.wrkArgs(d.benchDir, r.addr, set.Duration)
		if _, _, err := d.procs.Run(d.ctx, set.Duration+30*time.Second, cpuLoad, nil, append([]string{"wrk"}, args...)...); err != nil {
			log.Printf("profile %s: wrk: %v", s.Name, err)
		}
		if err := <-got; err != nil {
			log.Printf("profile %s: %v", s.Name, err)
			continue
		}
		saved = append(saved, strings.TrimPrefix(out, d.repoDir+"/"))
		log.Printf("profile %s: %s", s.Name, out)
	}
	if len(saved) > 0 {
		d.res.Notes = append(d.res.Notes, "CPU profiles of velox (one extra, unmeasured run per scenario; `go tool pprof -top FILE`): "+
			strings.Join(saved, ", ")+".")
	}
}

// wrkRun runs the warm-up and the measured wrk run of s against r,
// measuring again (bestOf) when other work took too much CPU meanwhile.
func (d *driver) wrkRun(round int, s Scenario, r running) Run {
	set := d.res.Settings
	args := s.wrkArgs(d.benchDir, r.addr, set.Duration)
	run := Run{Round: round + 1, Scenario: s.Name, Target: r.t.Name,
		Command: "taskset -c " + strconv.Itoa(cpuLoad) + " wrk " + strings.ReplaceAll(shellJoin(args), d.repoDir+"/", "")}
	if r.p.Exited() {
		run.Err = "process exited: " + r.p.LogTail(3)
		return run
	}
	if set.Warmup > 0 {
		wargs := s.wrkArgs(d.benchDir, r.addr, set.Warmup)
		if _, _, err := d.procs.Run(d.ctx, set.Warmup+30*time.Second, cpuLoad, nil, append([]string{"wrk"}, wargs...)...); err != nil {
			run.Err = "warm-up: " + err.Error()
			return run
		}
	}
	label := fmt.Sprintf("round %d %s %s", round+1, s.Name, r.t.Name)
	best, attempts := bestOf(d, label, func() (Run, float64, bool) {
		try := run
		m := startMeter(r.p.Pid(), d.originPid())
		out, used, err := d.procs.Run(d.ctx, set.Duration+30*time.Second, cpuLoad, nil, append([]string{"wrk"}, args...)...)
		u := m.Stop(used)
		try.Others, try.TargetCPU = u.Others, u.Procs[r.p.Pid()]
		try.LoadCPU = u.Inner + u.Procs[d.originPid()]
		raw := fmt.Sprintf("%d-%s-%s.txt", round+1, s.Name, r.t.Name)
		_ = os.WriteFile(filepath.Join(d.workDir, "wrk", raw), []byte(try.Command+"\n"+out), 0o644)
		if err == nil {
			try.Wrk, err = ParseWrk(out)
		}
		try.Err = attemptErr(r, err)
		return try, try.Others, try.Err == "" || r.p.Exited()
	})
	best.Attempts = attempts
	return best
}

// eachRun runs run once for every scenario against every target of live,
// round by round (Settings.Rounds), the targets in an order rotated by one
// each round, so that slow drifts of the machine spread over all of them;
// it adds the phase's share to the retry budget and stops when the run's
// context ends. Every phase with proxies in front of one server uses it.
func eachRun[S any](d *driver, scenarios []S, live []running, run func(round int, s S, r running)) error {
	rounds := d.res.Settings.Rounds
	d.retryBudget += retryBudget(rounds * len(scenarios) * len(live))
	for round := range rounds {
		for _, s := range scenarios {
			for _, r := range rotate(live, round) {
				if err := d.ctx.Err(); err != nil {
					return err
				}
				run(round, s, r)
			}
		}
	}
	return nil
}

// startPhaseTargets launches the targets ts of phase, each checked with
// check, and records in Results.H2Targets which could not start. A target
// without a start function is no process of its own (direct: the load
// straight to the phase's server) and runs as direct.
func (d *driver) startPhaseTargets(phase string, ts []Target, direct running, check func(addr string) error) []running {
	var live []running
	for _, t := range ts {
		st := TargetStatus{Phase: phase, Name: t.Name, Desc: t.Desc, Available: true}
		if t.start == nil {
			live = append(live, running{t: t, p: direct.p, addr: direct.addr})
			d.res.H2Targets = append(d.res.H2Targets, st)
			continue
		}
		p, addr, err := d.launchChecked(t, check)
		if err != nil {
			st.Available, st.Reason = false, firstLine(err.Error())
			log.Printf("%s %s not benchmarked: %v", phase, t.Name, err)
		} else {
			live = append(live, running{t: t, p: p, addr: addr})
			log.Printf("%s %s listening on %s (pid %d)", phase, t.Name, addr, p.Pid())
		}
		d.res.H2Targets = append(d.res.H2Targets, st)
	}
	return live
}

// stopPhaseTargets stops the targets startPhaseTargets started (not
// direct's server) and notes what velox logged in phase.
func (d *driver) stopPhaseTargets(phase string, live []running) {
	for _, r := range live {
		if r.t.start != nil {
			d.procs.Stop(r.p, 2*time.Second)
		}
		if r.t.Name == "velox" {
			d.noteVeloxLog(phase, r)
		}
	}
}

// logRun logs one run of a phase, label naming it: its figures (format
// and args), or errMsg when it failed.
func logRun(label, errMsg, format string, args ...any) {
	if errMsg != "" {
		log.Printf("%s error: %s", label, errMsg)
		return
	}
	log.Printf("%s "+format, append([]any{label}, args...)...)
}

// attemptErr is the error of a measured attempt against r: r's exit during
// it, else err, else none.
func attemptErr(r running, err error) string {
	switch {
	case r.p.Exited():
		return "process exited during the run: " + r.p.LogTail(3)
	case err != nil:
		return err.Error()
	}
	return ""
}

// bestOf runs try until it succeeds while the rest of the machine used at
// most d.maxOthers cores, at most 1+d.retries times, and returns the
// successful try that had the least interference (else the last one) and
// how many tries it took. try reports the interference and whether to stop
// retrying anyway (done).
func bestOf[T any](d *driver, label string, try func() (res T, others float64, done bool)) (T, int) {
	var best T
	bestOthers, haveBest := 0.0, false
	for attempt := 1; ; attempt++ {
		res, others, done := try()
		failed := !isOK(res)
		if !failed && (!haveBest || others < bestOthers) {
			best, bestOthers, haveBest = res, others, true
		}
		switch {
		case !haveBest && (done || attempt > d.retries || d.ctx.Err() != nil):
			return res, attempt
		case haveBest && (bestOthers <= d.maxOthers || attempt > d.retries || d.retryBudget <= 0 || d.ctx.Err() != nil):
			return best, attempt
		}
		d.retryBudget--
		if !failed {
			log.Printf("%s: other work used %.2f cores meanwhile; measuring again", label, others)
		}
	}
}

// retryBudget is how many runs a phase of n runs may measure again in all:
// a fifth more, which keeps a full run within its time bound however busy
// the machine is.
func retryBudget(n int) int { return (n + 4) / 5 }

// isOK reports whether a Run or EngineRun has figures.
func isOK(v any) bool {
	switch r := v.(type) {
	case Run:
		return r.Err == ""
	case EngineRun:
		return r.Err == ""
	case H2Run:
		return r.Err == ""
	case GRPCRun:
		return r.Err == ""
	case TCPRun:
		return r.Err == ""
	case TLSRun:
		return r.Err == ""
	case RPCRun:
		return r.Err == ""
	}
	return false
}

func (d *driver) originPid() int {
	if d.origin == nil {
		return 0
	}
	return d.origin.Pid()
}

// idlePhase starts each target afresh, measures its resident memory, has
// idleconns open N keep-alive connections to it (one request each, then
// idle), and measures again.
func (d *driver) idlePhase() error {
	n := d.res.Settings.IdleConns
	if m := maxConns(); n > m {
		d.res.Notes = append(d.res.Notes, fmt.Sprintf("Idle test: %d connections instead of the %d asked for: the open file limit here is %d"+
			" (hard limit, not raisable without CAP_SYS_RESOURCE) and HAProxy refuses a maxconn over half of it.", m, n, fileLimit()))
		n = m
		d.res.Settings.IdleConns = n
	}
	for _, t := range targets {
		if err := d.ctx.Err(); err != nil {
			return err
		}
		if !d.available(t.Name) {
			continue
		}
		r := d.idleOne(t, n, checkServes, nil)
		d.res.Idle = append(d.res.Idle, r)
		if r.Err != "" {
			log.Printf("idle %-8s error: %s", t.Name, r.Err)
			continue
		}
		log.Printf("idle %-8s %d conns: RSS %.1f MiB -> %.1f MiB, %.0f B per conn",
			t.Name, r.Conns, float64(r.RSSBefore)/(1<<20), float64(r.RSSAfter)/(1<<20), r.PerConn())
	}
	return nil
}

// fetchTo saves the body of a GET of url to path.
func fetchTo(url, path string, timeout time.Duration) error {
	c := &http.Client{Timeout: timeout}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// available reports whether target name started in the HTTP phase (or, when
// that phase did not run, always).
func (d *driver) available(name string) bool {
	if len(d.res.Targets) == 0 {
		return true
	}
	for _, st := range d.res.Targets {
		if st.Name == name {
			return st.Available
		}
	}
	return false
}

// idleOne measures t holding n idle connections; check is the check of
// its phase, icArgs more arguments of idleconns (-h2, -tls). probe, when
// not nil, is called with the result when each RSS is read (before:
// without the connections; then while they are held).
func (d *driver) idleOne(t Target, n int, check func(string) error, probe func(before bool, r *IdleResult), icArgs ...string) IdleResult {
	return d.idleWith(t, n, check, probe, "idleconns-"+t.Name+strings.Join(icArgs, ""), func(addr string) []string {
		return append([]string{filepath.Join(d.binDir, "idleconns"), "-addr", addr, "-n", strconv.Itoa(n), "-hold", "300s"}, icArgs...)
	})
}

// idleWith is idleOne with the client command of its own: cmd(addr) must
// open the connections, print "ready OPENED failed FAILED" and hold them
// until SIGTERM; name names its log.
func (d *driver) idleWith(t Target, n int, check func(string) error, probe func(before bool, r *IdleResult), name string, cmd func(addr string) []string) IdleResult {
	r := IdleResult{Target: t.Name}
	p, addr, err := d.launchChecked(t, check)
	if err != nil {
		r.Err = firstLine(err.Error())
		return r
	}
	defer d.procs.Stop(p, 2*time.Second)
	time.Sleep(500 * time.Millisecond)
	if r.RSSBefore, err = vmRSS(p.Pid()); err != nil {
		r.Err = err.Error()
		return r
	}
	if probe != nil {
		probe(true, &r)
	}
	ic, err := d.procs.Start(name, cpuLoad, nil, cmd(addr)...)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	defer d.procs.Stop(ic, 5*time.Second)
	line, err := waitLine(ic, "ready", 120*time.Second)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	var opened, failed int
	if _, err := fmt.Sscanf(line, "ready %d failed %d", &opened, &failed); err != nil {
		r.Err = name + " said " + strconv.Quote(line)
		return r
	}
	r.Conns = opened
	if failed > 0 {
		r.Err = fmt.Sprintf("%d of %d connections failed", failed, n)
	}
	time.Sleep(time.Second)
	if r.RSSAfter, err = vmRSS(p.Pid()); err != nil {
		r.Err = err.Error()
	}
	if probe != nil {
		probe(false, &r)
	}
	return r
}

// engineModes are the yardstick workloads (bench/engine's modes), in report
// order. The driver does not import bench/engine, so that it builds even
// while the eventloop package does not.
var engineModes = []string{"echo", "http"}

// engineOrder is the report order of the engines.
var engineOrder = []string{"velox", "gnet", "netpoll"}

// enginePhase runs the yardstick: each workload against each engine, one
// loop each, interleaved rounds.
func (d *driver) enginePhase() error {
	d.capEngines()
	if d.engineCap != nil {
		defer func() {
			if err := d.engineCap.Close(); err != nil {
				log.Printf("engine CPU cap: %v", err)
			}
			d.engineCap = nil
		}()
	}
	var live []string
	for _, name := range engineOrder {
		st := EngineStatus{Name: name, Desc: engineDesc[name]}
		p, _, err := d.startEngine(name, "echo")
		if err != nil {
			st.Reason = firstLine(err.Error())
			log.Printf("engine %s not benchmarked: %v", name, err)
		} else {
			st.Available = true
			live = append(live, name)
			d.procs.Stop(p, 2*time.Second)
		}
		d.res.Engines = append(d.res.Engines, st)
	}
	rounds := d.res.Settings.engineRounds()
	d.retryBudget += retryBudget(rounds * len(engineModes) * len(live))
	for round := range rounds {
		for _, mode := range engineModes {
			for _, name := range rotate(live, round) {
				if err := d.ctx.Err(); err != nil {
					return err
				}
				run := d.engineRun(round, mode, name)
				d.res.Engine = append(d.res.Engine, run)
				if run.Err != "" {
					log.Printf("round %d engine %-4s %-8s error: %s", round+1, mode, name, run.Err)
					continue
				}
				log.Printf("round %d engine %-4s %-8s %10.0f /s  p50 %.0fus p99 %.0fus errors %d",
					round+1, mode, name, run.Rate, run.P50us, run.P99us, run.Errors)
			}
		}
	}
	return nil
}

// capEngines makes the CPU cap of the yardstick servers (cpucap.go), or
// records why they run without one.
func (d *driver) capEngines() {
	set := &d.res.Settings
	if d.engineShare == 0 {
		set.EngineCPU, set.EngineCap = 0, "none (-engine-cpu 0)"
		return
	}
	c, err := newCPUCap(d.engineShare)
	if err != nil {
		set.EngineCPU, set.EngineCap = 0, "none: "+err.Error()
		log.Printf("engine servers run without a CPU cap: %v", err)
		return
	}
	d.engineCap = c
	set.EngineCPU, set.EngineCap = c.share, c.desc
}

var engineDesc = map[string]string{
	"velox":   "velox eventloop, 1 loop",
	"gnet":    "gnet v2, 1 event loop, no multicore",
	"netpoll": "cloudwego/netpoll, 1 poller, handlers on its goroutine pool",
}

func (d *driver) startEngine(name string, mode string) (*proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	addr := addrOf(port)
	p, err := d.procs.Start(fmt.Sprintf("engine-%s-%s-%d", name, mode, port), cpuTarget, []string{"GOMAXPROCS=1"},
		filepath.Join(d.binDir, "engineserve"), "-engine", name, "-mode", mode, "-addr", addr)
	if err != nil {
		return nil, "", err
	}
	if d.engineCap != nil {
		if err := d.engineCap.Add(p.Pid()); err != nil {
			d.procs.Stop(p, time.Second)
			return nil, "", fmt.Errorf("engine CPU cap: %w", err)
		}
	}
	if _, err := waitLine(p, "listening", 10*time.Second); err != nil {
		d.procs.Stop(p, time.Second)
		return nil, "", err
	}
	return p, addr, nil
}

func (d *driver) engineRun(round int, mode string, name string) EngineRun {
	label := fmt.Sprintf("round %d engine %s %s", round+1, mode, name)
	run, attempts := bestOf(d, label, func() (EngineRun, float64, bool) {
		return d.engineOnce(round, mode, name)
	})
	run.Attempts = attempts
	return run
}

// engineOnce starts the engine's server afresh and runs the load once.
func (d *driver) engineOnce(round int, mode string, name string) (run EngineRun, others float64, done bool) {
	run = EngineRun{Round: round + 1, Mode: mode, Engine: name}
	p, addr, err := d.startEngine(name, mode)
	if err != nil {
		run.Err = firstLine(err.Error())
		return run, 0, true
	}
	defer d.procs.Stop(p, 2*time.Second)
	set := d.res.Settings
	if mode == "echo" {
		m := startMeter(p.Pid())
		out, used, err := d.procs.Run(d.ctx, set.Warmup+set.Duration+30*time.Second, cpuLoad, nil,
			filepath.Join(d.binDir, "echoload"), "-addr", addr, "-c", "64", "-size", "64",
			"-d", set.Duration.String(), "-warmup", set.Warmup.String())
		u := m.Stop(used)
		run.Others, run.TargetCPU, run.LoadCPU = u.Others, u.Procs[p.Pid()], u.Inner
		if err != nil {
			run.Err = err.Error()
			return run, run.Others, false
		}
		var r struct {
			Rate   float64 `json:"rate"`
			P50us  float64 `json:"p50_us"`
			P99us  float64 `json:"p99_us"`
			Errors int64   `json:"errors"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			run.Err = "echoload output: " + err.Error()
			return run, run.Others, false
		}
		run.Rate, run.P50us, run.P99us, run.Errors = r.Rate, r.P50us, r.P99us, r.Errors
	} else {
		s := Scenario{Name: "engine-http", Path: "/", Conns: 64}
		saved := d.retries
		d.retries = 0 // this level retries
		w := d.wrkRun(round, s, running{t: Target{Name: name}, p: p, addr: addr})
		d.retries = saved
		run.Others, run.TargetCPU, run.LoadCPU = w.Others, w.TargetCPU, w.LoadCPU
		if w.Err != "" {
			run.Err = w.Err
			return run, run.Others, false
		}
		run.Rate, run.P50us, run.P99us, run.Errors = w.Wrk.RPS, us(w.Wrk.P50), us(w.Wrk.P99), w.Wrk.Errors()
	}
	if p.Exited() {
		run.Err = "engine exited during the run: " + strings.TrimSpace(p.LogTail(3))
		return run, run.Others, true
	}
	return run, run.Others, false
}

// engineCommands are the load commands of the yardstick, for the report.
func engineCommands(set Settings) map[string]string {
	return map[string]string{
		"echo": fmt.Sprintf("taskset -c %d echoload -addr ADDR -c 64 -size 64 -d %v -warmup %v", cpuLoad, set.Duration, set.Warmup),
		"http": fmt.Sprintf("taskset -c %d wrk -t1 -c64 -d%s --latency http://ADDR/", cpuLoad, wrkSeconds(set.Duration)),
	}
}
