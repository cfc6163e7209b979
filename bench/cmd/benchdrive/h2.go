package main

// The HTTP/2 phases: h2 (h2c clients, the HTTP/1.1 origin), h2h2 (h2c on
// both sides) and h2idle (memory per idle h2c connection). Their targets
// differ from the HTTP/1.1 phases' (nginx and HAProxy need HTTP/2 listeners;
// nginx cannot proxy to an HTTP/2 upstream), so they are started, checked and
// recorded on their own (Results.H2Targets, H2Runs, H2Idle).

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// H2Scenario is one h2load workload: Conns connections of Streams
// concurrent streams each, GET /12 (12 B body).
type H2Scenario struct {
	Name           string
	Desc           string
	Conns, Streams int
}

// h2Scenarios are the h2load workloads of the h2 and h2h2 phases.
var h2Scenarios = []H2Scenario{
	{Name: "c16-m32", Desc: "16 conns x 32 concurrent streams, GET 12 B", Conns: 16, Streams: 32},
	{Name: "c1-m100", Desc: "1 conn x 100 concurrent streams, GET 12 B", Conns: 1, Streams: 100},
}

// h2loadArgs are h2load's arguments for s against addr for dur (whole
// seconds). h2load speaks h2c with prior knowledge to an http:// URL.
func (s H2Scenario) h2loadArgs(addr string, dur time.Duration) []string {
	return []string{"-c" + strconv.Itoa(s.Conns), "-m" + strconv.Itoa(s.Streams), "-t1",
		"-D", strconv.Itoa(int(dur.Seconds())), "http://" + addr + "/12"}
}

// h2Phases are the HTTP/2 benchmark phases, in run and report order.
var h2Phases = []string{"h2", "h2h2"}

var h2PhaseDesc = map[string]string{
	"h2":   "h2c (prior knowledge) from h2load, HTTP/1.1 to the origin",
	"h2h2": "h2c from h2load, h2c to an h2c origin (a second origin nginx, `listen ... http2`)",
}

// h2Targets are the targets of an HTTP/2 phase, in report order.
func h2Targets(phase string) []Target {
	if phase == "h2h2" {
		return []Target{
			{Name: "velox", Desc: "bin/velox -config (cluster protocol: h2) --loops 1 --pin-cpus 0", start: startVeloxH2Up},
			{Name: "haproxy", Desc: "HAProxy, nbthread 1, bind ... proto h2, server ... proto h2", start: startHAProxyH2Up},
		}
	}
	return []Target{
		{Name: "velox", Desc: "bin/velox proxy --loops 1 --pin-cpus 0 (h2c on the HTTP/1.1 port)", start: startVelox},
		{Name: "nginx", Desc: "nginx, 1 worker, h2c listener, upstream keepalive 64 (HTTP/1.1)", start: startNginxH2},
		{Name: "haproxy", Desc: "HAProxy, nbthread 1, bind ... proto h2, HTTP/1.1 upstream, http-reuse always", start: startHAProxyH2},
	}
}

func startNginxH2(d *driver, port int) (*proc, error) {
	return d.startNginx("nginx-h2-"+strconv.Itoa(port), "nginx-proxy.conf.tmpl", cpuTarget, port, true)
}

func startHAProxyH2(d *driver, port int) (*proc, error) {
	return d.startHAProxyWith(port, confData{Upstream: d.originAddr, BindOpts: " proto h2"})
}

func startHAProxyH2Up(d *driver, port int) (*proc, error) {
	return d.startHAProxyWith(port, confData{Upstream: d.h2OriginAddr, BindOpts: " proto h2", ServerOpts: " proto h2"})
}

// startVeloxH2Up runs velox from a config whose one cluster speaks h2c to
// the h2c origin.
func startVeloxH2Up(d *driver, port int) (*proc, error) {
	return d.startVeloxH2To(port, d.h2OriginAddr, "velox-h2up-")
}

// startVeloxH2To runs velox on port from velox-h2up.yaml.tmpl, its one
// cluster speaking h2c to upstream; name prefixes its config and log.
func (d *driver) startVeloxH2To(port int, upstream, name string) (*proc, error) {
	if _, err := os.Stat(d.veloxBin); err != nil {
		return nil, fmt.Errorf("no velox binary: %w", err)
	}
	cfg := filepath.Join(d.workDir, name+strconv.Itoa(port)+".yaml")
	if err := d.render("velox-h2up.yaml.tmpl", cfg, confData{Listen: addrOf(port), Upstream: upstream}); err != nil {
		return nil, err
	}
	return d.procs.Start(name+strconv.Itoa(port), cpuTarget, nil,
		d.veloxBin, "-config", cfg, "--loops", "1", "--pin-cpus", strconv.Itoa(cpuTarget))
}

// nginxH2 is how an nginx of version ("nginx/1.22.1") turns h2c on: the
// `http2` listen parameter before 1.25.1, `http2 on;` from then on.
func nginxH2(version string) (listenOpts string, serverH2 bool) {
	v := strings.TrimPrefix(version, "nginx/")
	var major, minor, patch int
	if n, _ := fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch); n < 2 {
		return " http2", false // unknown: the syntax every version still accepts
	}
	if major > 1 || minor > 25 || minor == 25 && patch >= 1 {
		return "", true
	}
	return " http2", false
}

// startH2Origin starts the h2c origin (the origin's config with an h2c-only
// listener) on cpuLoad; the HTTP/1.1 origin has written the bodies.
func (d *driver) startH2Origin() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	d.h2OriginAddr = addrOf(port)
	p, err := d.startNginx("origin-h2", "origin.conf.tmpl", cpuLoad, port, true)
	d.h2Origin = p
	if err != nil {
		return err
	}
	if err := waitListening(p, d.h2OriginAddr, 10*time.Second); err != nil {
		return fmt.Errorf("h2c origin: %w", err)
	}
	if err := checkServesH2(d.h2OriginAddr); err != nil {
		return fmt.Errorf("h2c origin: %w", err)
	}
	return nil
}

// checkServesH2 fetches each fixed body twice over one h2c connection.
func checkServesH2(addr string) error {
	var protos http.Protocols
	protos.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &protos}
	defer tr.CloseIdleConnections()
	return checkBodies(&http.Client{Timeout: 5 * time.Second, Transport: tr}, "http://"+addr, 2)
}

// checkBodies fetches each fixed body twice with c from base (scheme and
// address); every answer must come in HTTP/major.
func checkBodies(c *http.Client, base string, major int) error {
	for range 2 {
		for path, n := range bodies {
			resp, err := c.Get(base + path)
			if err != nil {
				return err
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case err != nil:
				return fmt.Errorf("GET %s: %w", path, err)
			case resp.ProtoMajor != major:
				return fmt.Errorf("GET %s: answered in %s, want HTTP/%d", path, resp.Proto, major)
			case resp.StatusCode != http.StatusOK:
				return fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
			case len(body) != n:
				return fmt.Errorf("GET %s: %d body bytes, want %d", path, len(body), n)
			}
		}
	}
	return nil
}

// h2Phase runs every h2load scenario against every target of phase,
// interleaved as the HTTP/1.1 phase is.
func (d *driver) h2Phase(phase string) error {
	live := d.startPhaseTargets(phase, h2Targets(phase), running{}, checkServesH2)
	defer d.stopPhaseTargets(phase, live)
	return eachRun(d, h2Scenarios, live, func(round int, s H2Scenario, r running) {
		run := d.h2loadRun(round, phase, s, r)
		d.res.H2Runs = append(d.res.H2Runs, run)
		h := run.H2load
		logRun(fmt.Sprintf("round %d %-4s %-8s %-8s", round+1, phase, s.Name, r.t.Name), run.Err,
			"%10.0f req/s  mean %-9v max %-9v failed %d (+%d unmeasured)  upstream conns %d",
			h.RPS, h.ReqMean, h.ReqMax, h.Errors(), run.UnmeasuredFailed, run.UpstreamConns)
	})
}

// phaseOrigin is the origin of phase and its address.
func (d *driver) phaseOrigin(phase string) (*proc, string) {
	if phase == "h2h2" {
		return d.h2Origin, d.h2OriginAddr
	}
	return d.origin, d.originAddr
}

// h2loadRun runs the warm-up and the measured h2load run of s against r,
// counting r's connections to the origin halfway through.
func (d *driver) h2loadRun(round int, phase string, s H2Scenario, r running) H2Run {
	set := d.res.Settings
	origin, originAddr := d.phaseOrigin(phase)
	args := s.h2loadArgs(r.addr, set.Duration)
	run := H2Run{Round: round + 1, Phase: phase, Scenario: s.Name, Target: r.t.Name, UpstreamConns: -1,
		Command: "taskset -c " + strconv.Itoa(cpuLoad) + " h2load " + shellJoin(args)}
	if r.p.Exited() {
		run.Err = "process exited: " + r.p.LogTail(3)
		return run
	}
	var failures int64 // in the warm-up and every attempt
	if set.Warmup > 0 {
		wargs := s.h2loadArgs(r.addr, set.Warmup)
		out, _, err := d.procs.Run(d.ctx, set.Warmup+30*time.Second, cpuLoad, nil, append([]string{"h2load"}, wargs...)...)
		d.saveOutput(round, phase, s.Name, r.t.Name, "warmup", "h2load "+shellJoin(wargs)+"\n"+out)
		if err != nil {
			run.Err = "warm-up: " + err.Error()
			return run
		}
		if h, err := ParseH2load(out); err == nil {
			failures += h.failures()
		}
	}
	label := fmt.Sprintf("round %d %s %s %s", round+1, phase, s.Name, r.t.Name)
	attempt := 0
	best, attempts := bestOf(d, label, func() (H2Run, float64, bool) {
		try := run
		attempt++
		counted := upstreamConnsAfter(set.Duration/2, true, r.p, originAddr)
		m := startMeter(r.p.Pid(), origin.Pid())
		out, used, err := d.procs.Run(d.ctx, set.Duration+30*time.Second, cpuLoad, nil, append([]string{"h2load"}, args...)...)
		u := m.Stop(used)
		try.UpstreamConns = <-counted
		try.Others, try.TargetCPU = u.Others, u.Procs[r.p.Pid()]
		try.LoadCPU = u.Inner + u.Procs[origin.Pid()]
		d.saveOutput(round, phase, s.Name, r.t.Name, "try"+strconv.Itoa(attempt), try.Command+"\n"+out)
		if err == nil {
			try.H2load, err = ParseH2load(out)
			failures += try.H2load.failures()
		}
		try.Err = attemptErr(r, err)
		return try, try.Others, try.Err == "" || r.p.Exited()
	})
	best.Attempts = attempts
	best.UnmeasuredFailed = failures - best.H2load.failures()
	return best
}

// noteVeloxLog adds to the report's notes the error lines velox logged in
// phase (502s, upstream connection errors): they show failures h2load does
// not count, those of its ramp-up before the measured time starts.
func (d *driver) noteVeloxLog(phase string, r running) {
	b, err := os.ReadFile(r.p.log)
	if err != nil {
		return
	}
	lines := veloxErrorLines(string(b))
	if len(lines) == 0 {
		return
	}
	note := fmt.Sprintf("%s: velox logged %d error line(s) (`%s`), by kind:", phase, len(lines), strings.TrimPrefix(r.p.log, d.repoDir+"/"))
	for _, k := range lineKinds(lines, 4) {
		note += " " + k + ";"
	}
	d.res.Notes = append(d.res.Notes, strings.TrimSuffix(note, ";")+".")
}

// veloxErrorLines are the lines of a velox log other than its start
// (listening on) and stop (terminated) lines, without their timestamps.
func veloxErrorLines(log string) []string {
	var out []string
	for line := range strings.Lines(log) {
		line = strings.TrimSpace(line)
		if line == "" || strings.Contains(line, ": listening on ") || strings.Contains(line, "velox: terminated") {
			continue
		}
		if _, rest, ok := strings.Cut(line, " "); ok && strings.HasPrefix(line, "20") {
			line = rest
		}
		out = append(out, line)
	}
	return out
}

// lineKinds counts identical lines and gives the n most frequent as
// "N × `line`", most frequent first.
func lineKinds(lines []string, n int) []string {
	count := map[string]int{}
	var order []string
	for _, l := range lines {
		if count[l] == 0 {
			order = append(order, l)
		}
		count[l]++
	}
	slices.SortStableFunc(order, func(a, b string) int { return count[b] - count[a] })
	var out []string
	for _, l := range order[:min(n, len(order))] {
		out = append(out, fmt.Sprintf("%d × `%s`", count[l], mdEscape(l)))
	}
	return out
}

// saveOutput keeps a load generator's output of one run (the warm-up, or
// attempt N) as WORK/wrk/ROUND-PHASE-SCENARIO-TARGET-WHICH.txt.
func (d *driver) saveOutput(round int, phase, scenario, target, which, text string) {
	name := fmt.Sprintf("%d-%s-%s-%s-%s.txt", round+1, phase, scenario, target, which)
	_ = os.WriteFile(filepath.Join(d.workDir, "wrk", name), []byte(text), 0o644)
}

// upstreamConns counts pid's established TCP connections to addr, from
// `ss -tnpH` (pid is the driver's child: ss can see its sockets); -1 when ss
// fails.
func upstreamConns(pid int, addr string) int {
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ss", "-tnpH", "state", "established", "( dport = :"+port+" )").Output()
	if err != nil {
		return -1
	}
	return countPid(string(out), pid)
}

// upstreamConnsAfter sends on the channel it returns, once wait has
// passed, the upstreamConns of the proxy p to addr when proxy is set, else
// -1 (the load goes straight to the server).
func upstreamConnsAfter(wait time.Duration, proxy bool, p *proc, addr string) <-chan int {
	counted := make(chan int, 1)
	go func() {
		time.Sleep(wait)
		if proxy {
			counted <- upstreamConns(p.Pid(), addr)
			return
		}
		counted <- -1
	}()
	return counted
}

// meteredPids is what a run meters: the server, and the proxy p when
// proxy is set.
func meteredPids(server int, proxy bool, p *proc) []int {
	if proxy {
		return []int{server, p.Pid()}
	}
	return []int{server}
}

// countPid counts the lines of ss -p output that name pid.
func countPid(ssOut string, pid int) int {
	tag := "pid=" + strconv.Itoa(pid) + ","
	n := 0
	for line := range strings.Lines(ssOut) {
		if strings.Contains(line, tag) {
			n++
		}
	}
	return n
}

// h2IdlePhase is the idle test over h2c: each target of the h2 phase,
// started afresh, holds N connections that have exchanged the preface and
// SETTINGS and sent no request (idleconns -h2).
func (d *driver) h2IdlePhase() error {
	return d.idleTargets("h2idle", "Idle HTTP/2 test", h2Targets("h2"), &d.res.H2Idle,
		func(name string) bool { return d.h2Available("h2", name) }, checkServesH2, nil, "-h2")
}

// idleTargets runs idleOne on each target of ts that avail accepts, into
// *into; label names the phase in the log, test in the note when the open
// file limit caps the connections (Settings.IdleConns).
func (d *driver) idleTargets(label, test string, ts []Target, into *[]IdleResult, avail func(string) bool,
	check func(string) error, probe func(t Target) func(bool, *IdleResult), icArgs ...string) error {
	n := d.res.Settings.IdleConns
	if m := maxConns(); n > m {
		d.res.Notes = append(d.res.Notes, fmt.Sprintf("%s: %d connections instead of the %d asked for (the open file limit is %d,"+
			" and HAProxy refuses a maxconn over half of it).", test, m, n, fileLimit()))
		n = m
	}
	for _, t := range ts {
		if err := d.ctx.Err(); err != nil {
			return err
		}
		if !avail(t.Name) {
			continue
		}
		var pr func(bool, *IdleResult)
		if probe != nil {
			pr = probe(t)
		}
		r := d.idleOne(t, n, check, pr, icArgs...)
		*into = append(*into, r)
		if r.Err != "" {
			log.Printf("%s %-8s error: %s", label, t.Name, r.Err)
			continue
		}
		g := ""
		if r.Goroutines > 0 {
			g = fmt.Sprintf(", goroutines %d -> %d", r.GoroutinesBefore, r.Goroutines)
		}
		log.Printf("%s %-8s %d conns: RSS %.1f MiB -> %.1f MiB, %.0f B per conn%s", label,
			t.Name, r.Conns, float64(r.RSSBefore)/(1<<20), float64(r.RSSAfter)/(1<<20), r.PerConn(), g)
	}
	return nil
}

// h2Available reports whether target name started in phase (or, when that
// phase did not run, always).
func (d *driver) h2Available(phase, name string) bool {
	ran := false
	for _, st := range d.res.H2Targets {
		if st.Phase != phase {
			continue
		}
		ran = true
		if st.Name == name {
			return st.Available
		}
	}
	return !ran
}
