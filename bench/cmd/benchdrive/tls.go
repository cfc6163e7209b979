package main

// The TLS phases (issue 13 section 6): velox, nginx and HAProxy each
// terminating TLS on one loop, worker or thread on cpuTarget, in front of
// the HTTP/1.1 origin, with the same certificates, made at run time
// (certs.go):
//
//   - tls: keep-alive over TLS, HTTP/1.1 (wrk) and HTTP/2 (h2load, ALPN h2),
//     ECDSA P-256;
//   - tlshs: handshakes per second, a new connection per request (tlsload),
//     full and resumed, ECDSA P-256 and RSA 2048;
//   - tlsidle: memory per idle TLS connection (idleconns -tls), and velox's
//     goroutines while it holds them.

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// TLSScenario is one workload of a TLS phase.
type TLSScenario struct {
	Name, Desc string
	Phase      string // tls, tlshs
	Key        string // the certificate's key: ecdsa, rsa
	// Tool is the load generator: wrk, h2load or tlsload; Resume is
	// tlsload's -resume.
	Tool   string
	Resume bool
}

// tlsScenarios are the workloads of the TLS phases, in run and report order.
var tlsScenarios = []TLSScenario{
	{Name: "h1-c64", Desc: "HTTP/1.1 keep-alive, 64 conns, GET 12 B (wrk), ECDSA P-256", Phase: "tls", Key: "ecdsa", Tool: "wrk"},
	{Name: "h2-c16-m32", Desc: "HTTP/2 (ALPN h2), 16 conns x 32 streams, GET 12 B (h2load), ECDSA P-256", Phase: "tls", Key: "ecdsa", Tool: "h2load"},
	{Name: "ecdsa-full", Desc: "a new connection per request, full handshakes, ECDSA P-256 (tlsload -c 16)", Phase: "tlshs", Key: "ecdsa", Tool: "tlsload"},
	{Name: "ecdsa-resumed", Desc: "a new connection per request, resumed handshakes (session tickets), ECDSA P-256 (tlsload -c 16 -resume)", Phase: "tlshs", Key: "ecdsa", Tool: "tlsload", Resume: true},
	{Name: "rsa-full", Desc: "a new connection per request, full handshakes, RSA 2048 (tlsload -c 16)", Phase: "tlshs", Key: "rsa", Tool: "tlsload"},
	{Name: "rsa-resumed", Desc: "a new connection per request, resumed handshakes (session tickets), RSA 2048 (tlsload -c 16 -resume)", Phase: "tlshs", Key: "rsa", Tool: "tlsload", Resume: true},
}

// tlsKeys are the certificates' keys, in run order.
var tlsKeys = []string{"ecdsa", "rsa"}

// tlsLoadConns is tlsload's connections in progress at once.
const tlsLoadConns = 16

// tlsScenariosOf are the scenarios of phase with key (any key when "").
func tlsScenariosOf(phase, key string) []TLSScenario {
	var out []TLSScenario
	for _, s := range tlsScenarios {
		if s.Phase == phase && (key == "" || s.Key == key) {
			out = append(out, s)
		}
	}
	return out
}

// targetPhase is the phase name under which the targets of s are recorded
// (H2Targets): tls, or tlshs-KEY (the handshake targets are started once
// per certificate).
func (s TLSScenario) targetPhase() string {
	if s.Phase == "tlshs" {
		return "tlshs-" + s.Key
	}
	return s.Phase
}

// args are the load generator's command line (its path first) for s
// against addr for dur.
func (s TLSScenario) args(binDir, addr string, dur time.Duration) []string {
	switch s.Tool {
	case "wrk":
		return []string{"wrk", "-t1", "-c64", "-d" + wrkSeconds(dur), "--latency", "https://" + addr + "/12"}
	case "h2load":
		return []string{"h2load", "-c16", "-m32", "-t1", "-D", strconv.Itoa(int(dur.Seconds())), "https://" + addr + "/12"}
	}
	args := []string{filepath.Join(binDir, "tlsload"), "-addr", addr, "-c", strconv.Itoa(tlsLoadConns), "-d", dur.String()}
	if s.Resume {
		args = append(args, "-resume")
	}
	return args
}

// parse reads the load generator's output into run.
func (s TLSScenario) parse(out string, run *TLSRun) error {
	switch s.Tool {
	case "wrk":
		w, err := ParseWrk(out)
		run.Rate, run.LatencyUs, run.Errors = w.RPS, us(w.P50), w.Errors()
		return err
	case "h2load":
		h, err := ParseH2load(out)
		run.Rate, run.LatencyUs, run.Errors = h.RPS, us(h.ReqMean), h.Errors()
		return err
	}
	t, err := ParseTLSLoad(out)
	run.Rate, run.LatencyUs, run.Errors, run.Conns, run.Resumed = t.Rate, t.P50us, t.Errors, t.Conns, t.Resumed
	return err
}

// TLSLoadResult is tlsload's JSON output.
type TLSLoadResult struct {
	Conns   int64   `json:"conns"`
	Seconds float64 `json:"seconds"`
	Rate    float64 `json:"rate"`
	Resumed int64   `json:"resumed"`
	Errors  int64   `json:"errors"`
	P50us   float64 `json:"p50_us"`
	P99us   float64 `json:"p99_us"`
}

// ParseTLSLoad reads tlsload's output: one JSON object, on the last
// non-empty line.
func ParseTLSLoad(out string) (TLSLoadResult, error) {
	var r TLSLoadResult
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if last == "" {
		return r, fmt.Errorf("tlsload printed nothing")
	}
	if err := json.Unmarshal([]byte(last), &r); err != nil {
		return r, fmt.Errorf("tlsload output %q: %w", last, err)
	}
	if r.Conns == 0 || r.Seconds <= 0 {
		return r, fmt.Errorf("tlsload completed no connection (%d errors)", r.Errors)
	}
	return r, nil
}

// tlsTargets are the targets of the TLS phases with the certificate of
// key, in report order.
func tlsTargets(key string) []Target {
	return []Target{
		{Name: "velox", Desc: "bin/velox proxy --cert --key --loops 1 --pin-cpus 0 (--admin for the goroutine count)",
			start: func(d *driver, port int) (*proc, error) { return d.startVeloxTLS(port, key) }},
		{Name: "nginx", Desc: "nginx, 1 worker, listen ... ssl http2, session cache and tickets, upstream keepalive 64",
			start: func(d *driver, port int) (*proc, error) { return d.startNginxTLS(port, key) }},
		{Name: "haproxy", Desc: "HAProxy, nbthread 1, bind ... ssl crt alpn h2,http/1.1, http-reuse always",
			start: func(d *driver, port int) (*proc, error) { return d.startHAProxyTLS(port, key) }},
	}
}

// startVeloxTLS runs velox's quick mode with --cert and --key, and an admin
// listener (d.tlsAdmin) the idle test reads the goroutine count from.
func (d *driver) startVeloxTLS(port int, key string) (*proc, error) {
	c := d.certs[key]
	aport, err := freePort()
	if err != nil {
		return nil, err
	}
	admin := addrOf(aport)
	p, err := d.startVeloxTo("velox-tls-"+key+"-", d.veloxBin, port, d.originAddr,
		"--cert", c.Cert, "--key", c.Key, "--admin", admin)
	if err == nil {
		d.tlsAdmin = admin
	}
	return p, err
}

func (d *driver) startNginxTLS(port int, key string) (*proc, error) {
	c := d.certs[key]
	return d.startNginx("nginx-tls-"+strconv.Itoa(port), "nginx-proxy.conf.tmpl", cpuTarget, port, true, func(data *confData) {
		data.Cert, data.Key, data.ListenOpts = c.Cert, c.Key, " ssl"+data.ListenOpts
	})
}

func (d *driver) startHAProxyTLS(port int, key string) (*proc, error) {
	c := d.certs[key]
	return d.startHAProxyWith(port, confData{Upstream: d.originAddr, Cert: c.PEM,
		BindOpts: " ssl crt " + c.PEM + " alpn h2,http/1.1"})
}

// checkServesTLS fetches every body twice over TLS with HTTP/1.1 and
// twice with HTTP/2 (ALPN), each over one connection.
func checkServesTLS(addr string) error {
	for _, major := range []int{1, 2} {
		tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}}
		if major == 2 {
			tr.ForceAttemptHTTP2 = true
		} else {
			tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
		}
		err := checkBodies(&http.Client{Timeout: 5 * time.Second, Transport: tr}, "https://"+addr, major)
		tr.CloseIdleConnections()
		if err != nil {
			return fmt.Errorf("HTTP/%d over TLS: %w", major, err)
		}
	}
	return nil
}

// tlsPhase runs the scenarios of phase (tls: keep-alive; tlshs:
// handshakes, its targets started once per certificate) against velox,
// nginx and HAProxy, interleaved as the other phases are.
func (d *driver) tlsPhase(phase string) error {
	for _, key := range tlsKeys {
		scs := tlsScenariosOf(phase, key)
		if len(scs) == 0 {
			continue
		}
		tp := scs[0].targetPhase()
		live := d.startPhaseTargets(tp, tlsTargets(key), running{}, checkServesTLS)
		err := eachRun(d, scs, live, func(round int, s TLSScenario, r running) {
			run := d.tlsRun(round, s, r)
			d.res.TLSRuns = append(d.res.TLSRuns, run)
			logRun(fmt.Sprintf("round %d %-5s %-13s %-8s", round+1, phase, s.Name, r.t.Name), run.Err,
				"%10.0f /s  proxy CPU %.2f  %.0f per CPU-s  latency %.0fus  errors %d  resumed %d/%d",
				run.Rate, run.TargetCPU, run.PerCPU(), run.LatencyUs, run.Errors, run.Resumed, run.Conns)
		})
		d.stopPhaseTargets(tp, live)
		if err != nil {
			return err
		}
	}
	return nil
}

// tlsRun runs the warm-up and the measured run of s against r.
func (d *driver) tlsRun(round int, s TLSScenario, r running) TLSRun {
	set := d.res.Settings
	args := s.args(d.binDir, r.addr, set.Duration)
	env := []string{"GOMAXPROCS=1"} // tlsload's; wrk and h2load run one thread (-t1)
	run := TLSRun{Round: round + 1, Phase: s.Phase, Scenario: s.Name, Target: r.t.Name,
		Command: "taskset -c " + strconv.Itoa(cpuLoad) + " " + strings.ReplaceAll(shellJoin(args), d.repoDir+"/", "")}
	if s.Tool == "tlsload" {
		run.Command = "GOMAXPROCS=1 " + run.Command
	}
	if r.p.Exited() {
		run.Err = "process exited: " + r.p.LogTail(3)
		return run
	}
	if set.Warmup > 0 {
		wargs := s.args(d.binDir, r.addr, set.Warmup)
		out, _, err := d.procs.Run(d.ctx, set.Warmup+30*time.Second, cpuLoad, env, wargs...)
		d.saveOutput(round, s.Phase, s.Name, r.t.Name, "warmup", shellJoin(wargs)+"\n"+out)
		if err != nil {
			run.Err = "warm-up: " + err.Error()
			return run
		}
	}
	label := fmt.Sprintf("round %d %s %s %s", round+1, s.Phase, s.Name, r.t.Name)
	attempt := 0
	best, attempts := bestOf(d, label, func() (TLSRun, float64, bool) {
		try := run
		attempt++
		m := startMeter(r.p.Pid(), d.originPid())
		out, used, err := d.procs.Run(d.ctx, set.Duration+30*time.Second, cpuLoad, env, args...)
		u := m.Stop(used)
		try.Others, try.TargetCPU = u.Others, u.Procs[r.p.Pid()]
		try.LoadCPU = u.Inner + u.Procs[d.originPid()]
		d.saveOutput(round, s.Phase, s.Name, r.t.Name, "try"+strconv.Itoa(attempt), try.Command+"\n"+out)
		if err == nil {
			err = s.parse(out, &try)
		}
		try.Err = attemptErr(r, err)
		return try, try.Others, try.Err == "" || r.p.Exited()
	})
	best.Attempts = attempts
	return best
}

// tlsIdlePhase is the idle test over TLS: velox, nginx and HAProxy with
// the ECDSA certificate, each started afresh, hold N connections that
// each had one request answered (idleconns -tls); velox's goroutines are
// counted before and while it holds them.
func (d *driver) tlsIdlePhase() error {
	return d.idleTargets("tlsidle", "Idle TLS test", tlsTargets("ecdsa"), &d.res.TLSIdle, d.tlsAvailable, checkServesTLS,
		func(t Target) func(bool, *IdleResult) {
			if t.Name != "velox" {
				return nil
			}
			return goroutineProbe("tlsidle", &d.tlsAdmin)
		}, "-tls")
}

// goroutineProbe is an idle test's probe that records velox's goroutines,
// from the admin listener *admin names when it is called: before the
// connections, or while it holds them; label names the test in the log.
func goroutineProbe(label string, admin *string) func(before bool, r *IdleResult) {
	return func(before bool, r *IdleResult) {
		g, err := goroutines(*admin)
		if err != nil {
			log.Printf("%s velox goroutines: %v", label, err)
			return
		}
		if before {
			r.GoroutinesBefore = g
		} else {
			r.Goroutines = g
		}
	}
}

// goroutines is velox's goroutine count, from its admin listener.
func goroutines(admin string) (int, error) {
	if admin == "" {
		return 0, fmt.Errorf("no admin listener")
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + admin + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("goroutine profile: %s", resp.Status)
	}
	line, _ := bufio.NewReader(resp.Body).ReadString('\n')
	return parseGoroutineTotal(line)
}

// parseGoroutineTotal reads N from the first line of a debug=1 goroutine
// profile, "goroutine profile: total N".
func parseGoroutineTotal(line string) (int, error) {
	var n int
	if _, err := fmt.Sscanf(strings.TrimSpace(line), "goroutine profile: total %d", &n); err != nil {
		return 0, fmt.Errorf("goroutine profile starts %q", strings.TrimSpace(line))
	}
	return n, nil
}

// tlsAvailable reports whether target name started in the keep-alive TLS
// phase (or, when that phase did not run, always).
func (d *driver) tlsAvailable(name string) bool { return d.h2Available("tls", name) }
