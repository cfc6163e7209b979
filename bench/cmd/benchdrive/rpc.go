package main

// The rpc phase: rpcload against rpcserve (bench/cmd/rpcload, rpcserve:
// Dubbo hessian2 and SOFA Bolt v1, each a process of its own on cpuLoad)
// directly and through velox (`proxy --protocol dubbo|bolt --loops 1`, one
// multiplexed upstream connection per loop) and, when MOSN_BIN is set,
// MOSN, each proxy alone on cpuTarget; then the idle test: N idle RPC
// client connections held by each proxy.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/velox-proxy/velox/bench/rpcwire"
	"github.com/velox-proxy/velox/rpcx"
)

// rpcProtocols are the protocols of the rpc phase, in report order.
var rpcProtocols = []string{"dubbo", "bolt"}

// RPCScenario is one rpcload workload of one protocol.
type RPCScenario struct {
	Name, Desc string
	// Conns are rpcload's connections; Depth the requests outstanding on
	// each (closed loop), or Rate the requests per second in all (open
	// loop).
	Conns, Depth int
	Rate         float64
}

// rpcScenarios are the workloads of each protocol; a scenario's name in
// the report is PROTOCOL-NAME.
var rpcScenarios = []RPCScenario{
	{Name: "c1000", Desc: "1,000 connections, 1 request outstanding on each (closed loop)", Conns: 1000, Depth: 1},
	{Name: "c10", Desc: "10 connections, 1 request outstanding on each (closed loop: latency)", Conns: 10, Depth: 1},
	{Name: "rate20k", Desc: "1,000 connections, 20,000 requests/s in all (open loop: latency from the intended send time)", Conns: 1000, Rate: 20000},
}

// rpcloadArgs are rpcload's arguments for s of protocol against addr, for
// dur after warm.
func (s RPCScenario) rpcloadArgs(protocol, addr string, dur, warm time.Duration) []string {
	args := []string{"-protocol", protocol, "-addr", addr, "-c", strconv.Itoa(s.Conns), "-d", dur.String(), "-warmup", warm.String()}
	if s.Rate > 0 {
		return append(args, "-rate", strconv.FormatFloat(s.Rate, 'f', -1, 64))
	}
	return append(args, "-depth", strconv.Itoa(s.Depth))
}

// rpcTargets are the targets of the rpc phase for protocol, in report
// order. direct is no process of its own: rpcload calls rpcserve.
func (d *driver) rpcTargets(protocol string) []Target {
	ts := []Target{
		{Name: "direct", Desc: "rpcload straight to rpcserve: the baseline"},
		{Name: "velox", Desc: "bin/velox proxy --protocol " + protocol + " --loops 1 --pin-cpus 0 (one upstream connection)",
			start: func(d *driver, port int) (*proc, error) {
				return d.startVeloxTo("velox-"+protocol+"-", d.veloxBin, port, d.rpcAddr[protocol], "--protocol", protocol)
			}},
		{Name: "mosn", Desc: "MOSN ($MOSN_BIN start -c, bench/conf/mosn-rpc.json.tmpl), GOMAXPROCS=1",
			start: func(d *driver, port int) (*proc, error) { return d.startMOSN(port, protocol) }},
	}
	if d.veloxBase != "" { // VELOX_BASE: the earlier build beside velox
		base := Target{Name: "velox-base", Desc: "an earlier build (VELOX_BASE), the same flags as velox",
			start: func(d *driver, port int) (*proc, error) {
				return d.startVeloxTo("velox-base-"+protocol+"-", d.veloxBase, port, d.rpcAddr[protocol], "--protocol", protocol)
			}}
		ts = append(ts[:2], append([]Target{base}, ts[2:]...)...)
	}
	return ts
}

// mosnData are the fields of bench/conf/mosn-rpc.json.tmpl.
type mosnData struct {
	Listen, Upstream, Protocol string
	AdminPort                  int
}

// startMOSN runs $MOSN_BIN with a config rendered from mosn-rpc.json.tmpl,
// one P, on cpuTarget. MOSN is built by hand outside the repository.
func (d *driver) startMOSN(port int, protocol string) (*proc, error) {
	bin := os.Getenv("MOSN_BIN")
	if bin == "" {
		return nil, errors.New("MOSN_BIN is not set (a MOSN binary built by hand outside the repository): MOSN not run")
	}
	tmpl := filepath.Join(d.benchDir, "conf", "mosn-rpc.json.tmpl")
	t, err := template.ParseFiles(tmpl)
	if err != nil {
		return nil, fmt.Errorf("no MOSN config template (%v): MOSN not run", err)
	}
	aport, err := freePort()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, mosnData{Listen: addrOf(port), Upstream: d.rpcAddr[protocol], Protocol: protocol, AdminPort: aport}); err != nil {
		return nil, err
	}
	// MOSN writes DIR/logs/mosn.pid, DIR the parent of the config's
	// directory: each instance gets a directory of its own.
	name := "mosn-" + protocol + "-" + strconv.Itoa(port)
	conf := filepath.Join(d.workDir, name, "conf", "mosn.json")
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(conf, b.Bytes(), 0o644); err != nil {
		return nil, err
	}
	return d.procs.Start(name, cpuTarget, []string{"GOMAXPROCS=1"}, bin, "start", "-c", conf)
}

// mosnVersion is what `$MOSN_BIN version` says, "" without MOSN_BIN.
func mosnVersion() string {
	if bin := os.Getenv("MOSN_BIN"); bin != "" {
		return strings.TrimSpace(firstLine(output(bin, "version")))
	}
	return ""
}

// startRPCServer starts rpcserve for protocol on cpuLoad with one P.
func (d *driver) startRPCServer(protocol string) (*proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := addrOf(port)
	p, err := d.procs.Start("rpcserve-"+protocol, cpuLoad, []string{"GOMAXPROCS=1"},
		filepath.Join(d.binDir, "rpcserve"), "-protocol", protocol, "-addr", addr)
	if err != nil {
		return nil, err
	}
	if _, err := waitLine(p, "listening", 10*time.Second); err != nil {
		d.procs.Stop(p, time.Second)
		return nil, fmt.Errorf("rpcserve: %w", err)
	}
	if err := checkServesRPC(protocol)(addr); err != nil {
		d.procs.Stop(p, time.Second)
		return nil, fmt.Errorf("rpcserve: %w", err)
	}
	d.rpcAddr[protocol] = addr
	return p, nil
}

// checkServesRPC is the check of a target of protocol: on one connection,
// three requests of the benchmark's kind at once, each answered OK with
// its own id and the echo of its argument.
func checkServesRPC(protocol string) func(addr string) error {
	return func(addr string) error {
		proto, err := rpcwire.ProtocolOf(protocol)
		if err != nil {
			return err
		}
		frame, err := rpcwire.RequestFrame(protocol, rpcCall(protocol))
		if err != nil {
			return err
		}
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		var out []byte
		ids := map[uint64]bool{}
		for id := uint64(101); id < 104; id++ {
			n := len(out)
			out = append(out, frame...)
			proto.SetID(out[n:], id)
			ids[id] = true
		}
		if _, err := c.Write(out); err != nil {
			return err
		}
		var buf []byte
		tmp := make([]byte, 16<<10)
		for len(ids) > 0 {
			n, err := c.Read(tmp)
			if err != nil {
				return fmt.Errorf("%d answers missing: %w", len(ids), err)
			}
			buf = append(buf, tmp[:n]...)
			for {
				var f rpcx.Frame
				k, err := proto.Decode(buf, &f)
				if err == rpcx.ErrNeedMore {
					break
				}
				if err != nil {
					return err
				}
				switch {
				case f.Kind != rpcx.KindResponse || !f.OK:
					return fmt.Errorf("answer to %d: kind %v status %d, want an OK response", f.ID, f.Kind, f.Status)
				case !ids[f.ID]:
					return fmt.Errorf("answer with id %d, asked for none", f.ID)
				case !bytes.Contains(f.Raw, []byte(":"+rpcCall(protocol).Arg)):
					return fmt.Errorf("answer to %d does not echo the argument", f.ID)
				}
				delete(ids, f.ID)
				buf = buf[k:]
			}
		}
		return nil
	}
}

// rpcCall is the call rpcload makes (its defaults).
func rpcCall(protocol string) rpcwire.Call {
	m := map[string]string{"dubbo": "Echo", "bolt": "echo"}[protocol]
	return rpcwire.Call{Service: "org.velox.Echo", Version: "1.0", Method: m, Arg: "hello", App: "rpcload", TimeoutMs: 3000}
}

// rpcPhase runs, for each protocol, every scenario against every target,
// interleaved as the other phases are, then the idle test.
func (d *driver) rpcPhase() error {
	d.rpcAddr = map[string]string{}
	for _, protocol := range rpcProtocols {
		if err := d.rpcProtocol(protocol); err != nil {
			return err
		}
	}
	return d.rpcIdle()
}

func (d *driver) rpcProtocol(protocol string) error {
	server, err := d.startRPCServer(protocol)
	if err != nil {
		d.res.Notes = append(d.res.Notes, "RPC phase, "+protocol+": rpcserve does not start: "+firstLine(err.Error()))
		return nil
	}
	defer d.procs.Stop(server, 2*time.Second)
	phase := "rpc-" + protocol
	live := d.startPhaseTargets(phase, d.rpcTargets(protocol), running{p: server, addr: d.rpcAddr[protocol]}, checkServesRPC(protocol))
	defer d.stopPhaseTargets(phase, live)
	return eachRun(d, rpcScenarios, live, func(round int, s RPCScenario, r running) {
		run := d.rpcloadRun(round, protocol, s, r, server)
		d.res.RPCRuns = append(d.res.RPCRuns, run)
		l := run.Load
		logRun(fmt.Sprintf("round %d %s %-8s %-8s", round+1, protocol, s.Name, r.t.Name), run.Err,
			"%10.0f req/s  proxy CPU %.2f  p50 %.0fus p99 %.0fus  errors %d  upstream conns %d",
			l.Rate, run.TargetCPU, l.P50us, l.P99us, l.Errors, run.UpstreamConns)
	})
}

// rpcloadRun runs the warm-up and the measured rpcload run of s against r.
// The proxy's CPU is measured apart from rpcserve's; direct has none.
func (d *driver) rpcloadRun(round int, protocol string, s RPCScenario, r running, server *proc) RPCRun {
	set := d.res.Settings
	bin := filepath.Join(d.binDir, "rpcload")
	args := s.rpcloadArgs(protocol, r.addr, set.Duration, 0)
	proxy := r.t.start != nil
	run := RPCRun{Round: round + 1, Protocol: protocol, Scenario: s.Name, Target: r.t.Name, UpstreamConns: -1,
		Command: "taskset -c " + strconv.Itoa(cpuLoad) + " rpcload " + shellJoin(args)}
	if r.p.Exited() {
		run.Err = "process exited: " + r.p.LogTail(3)
		return run
	}
	name := protocol + "-" + s.Name
	if set.Warmup > 0 {
		wargs := s.rpcloadArgs(protocol, r.addr, set.Warmup, 0)
		out, _, err := d.procs.Run(d.ctx, set.Warmup+30*time.Second, cpuLoad, nil, append([]string{bin}, wargs...)...)
		d.saveOutput(round, "rpc", name, r.t.Name, "warmup", "rpcload "+shellJoin(wargs)+"\n"+out)
		if err != nil {
			run.Err = "warm-up: " + err.Error()
			return run
		}
	}
	label := fmt.Sprintf("round %d rpc %s %s", round+1, name, r.t.Name)
	attempt := 0
	best, attempts := bestOf(d, label, func() (RPCRun, float64, bool) {
		try := run
		attempt++
		counted := upstreamConnsAfter(set.Duration/2, proxy, r.p, d.rpcAddr[protocol])
		m := startMeter(meteredPids(server.Pid(), proxy, r.p)...)
		out, used, err := d.procs.Run(d.ctx, set.Duration+40*time.Second, cpuLoad, nil, append([]string{bin}, args...)...)
		u := m.Stop(used)
		try.UpstreamConns = <-counted
		try.Others, try.LoadCPU, try.ServerCPU = u.Others, u.Inner, u.Procs[server.Pid()]
		if proxy {
			try.TargetCPU = u.Procs[r.p.Pid()]
		}
		d.saveOutput(round, "rpc", name, r.t.Name, "try"+strconv.Itoa(attempt), try.Command+"\n"+out)
		if err == nil {
			try.Load, err = ParseRPCLoad(out)
		}
		try.Err = attemptErr(r, err)
		return try, try.Others, try.Err == "" || r.p.Exited()
	})
	best.Attempts = attempts
	return best
}

// RPCLoadResult is what rpcload prints (bench/cmd/rpcload Result).
type RPCLoadResult struct {
	Conns      int     `json:"conns"`
	Requests   int64   `json:"requests"`
	Seconds    float64 `json:"seconds"`
	Rate       float64 `json:"rate"`
	Offered    float64 `json:"offered_rate,omitempty"`
	P50us      float64 `json:"p50_us"`
	P99us      float64 `json:"p99_us"`
	P999us     float64 `json:"p999_us"`
	MaxUs      float64 `json:"max_us"`
	Errors     int64   `json:"errors"`
	BadStatus  int64   `json:"bad_status"`
	UnknownID  int64   `json:"unknown_id"`
	BadFrames  int64   `json:"bad_frames"`
	ConnErrors int64   `json:"conn_errors"`
	Unanswered int64   `json:"unanswered"`
	// Statuses are the BadStatus answers by native status (Dubbo status
	// byte, Bolt respstatus), in decimal.
	Statuses map[string]int64 `json:"statuses,omitempty"`
}

// ParseRPCLoad reads rpcload's JSON line.
func ParseRPCLoad(out string) (RPCLoadResult, error) {
	var r RPCLoadResult
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&r); err != nil && err != io.EOF {
		return r, fmt.Errorf("rpcload output %q: %w", firstLine(out), err)
	}
	if r.Requests == 0 || r.Seconds <= 0 {
		return r, fmt.Errorf("rpcload counted no answer (%q)", firstLine(out))
	}
	return r, nil
}

// rpcIdle starts velox (and MOSN) afresh for each protocol and measures
// them holding N idle client connections (rpcload -idle), each of which
// had one request answered; velox's goroutines are counted before and
// while it holds them.
func (d *driver) rpcIdle() error {
	n := d.res.Settings.IdleConns
	if m := maxConns(); n > m {
		d.res.Notes = append(d.res.Notes, fmt.Sprintf("RPC idle test: %d connections instead of the %d asked for (the open file limit is %d).", m, n, fileLimit()))
		n = m
	}
	for _, protocol := range rpcProtocols {
		if d.rpcAddr[protocol] == "" {
			continue
		}
		server, err := d.startRPCServer(protocol)
		if err != nil {
			return err
		}
		for _, t := range d.rpcTargets(protocol) {
			if err := d.ctx.Err(); err != nil {
				d.procs.Stop(server, 2*time.Second)
				return err
			}
			if t.start == nil || !d.h2Available("rpc-"+protocol, t.Name) {
				continue
			}
			var admin string
			var probe func(bool, *IdleResult)
			if t.Name == "velox" {
				t.start = func(d *driver, port int) (*proc, error) {
					aport, err := freePort()
					if err != nil {
						return nil, err
					}
					admin = addrOf(aport)
					return d.startVeloxTo("velox-idle-"+protocol+"-", d.veloxBin, port, d.rpcAddr[protocol], "--protocol", protocol, "--admin", admin)
				}
				// start sets admin before the probe first runs.
				probe = goroutineProbe("rpc idle", &admin)
			}
			r := d.idleWith(t, n, checkServesRPC(protocol), probe, "rpcload-idle-"+protocol+"-"+t.Name, func(addr string) []string {
				return []string{filepath.Join(d.binDir, "rpcload"), "-protocol", protocol, "-addr", addr, "-idle", strconv.Itoa(n), "-hold", "300s"}
			})
			r.Target = t.Name + " " + protocol
			d.res.RPCIdle = append(d.res.RPCIdle, r)
			if r.Err != "" {
				log.Printf("rpc idle %s error: %s", r.Target, r.Err)
				continue
			}
			log.Printf("rpc idle %-12s %d conns: RSS %.1f MiB -> %.1f MiB, %.0f B per conn, goroutines %d -> %d", r.Target,
				r.Conns, float64(r.RSSBefore)/(1<<20), float64(r.RSSAfter)/(1<<20), r.PerConn(), r.GoroutinesBefore, r.Goroutines)
		}
		d.procs.Stop(server, 2*time.Second)
	}
	return nil
}
