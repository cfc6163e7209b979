package main

// The tcp phase: iperf3 streams straight to an iperf3 server (direct), and
// through velox's tcp listener and HAProxy's mode tcp, each one process on
// cpuTarget. Client and server share cpuLoad, as the load and the origin do
// in the other phases. A proxy moves every byte twice (in from one socket,
// out to the other), so its figure is bytes per CPU-second of the proxy
// process next to the throughput.

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// TCPScenario is one iperf3 workload.
type TCPScenario struct {
	Name string
	Desc string
	// Parallel is iperf3's -P (0: one stream); Reverse its -R (the server
	// sends, the client receives).
	Parallel int
	Reverse  bool
}

// tcpScenarios are the iperf3 workloads of the tcp phase.
var tcpScenarios = []TCPScenario{
	{Name: "single", Desc: "1 stream, client to server"},
	{Name: "p4", Desc: "4 parallel streams (-P 4), client to server", Parallel: 4},
	{Name: "reverse", Desc: "1 stream, server to client (-R)", Reverse: true},
}

// iperfArgs are iperf3's client arguments for s against addr for dur
// (whole seconds), with the JSON report (-J).
func (s TCPScenario) iperfArgs(addr string, dur time.Duration) []string {
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"-c", host, "-p", port, "-t", strconv.Itoa(int(dur.Seconds())), "-J"}
	if s.Parallel > 1 {
		args = append(args, "-P", strconv.Itoa(s.Parallel))
	}
	if s.Reverse {
		args = append(args, "-R")
	}
	return args
}

// tcpTargets are the targets of the tcp phase, in report order. direct is
// no process of its own: iperf3 connects to the server.
var tcpTargets = []Target{
	{Name: "direct", Desc: "iperf3 straight to iperf3 -s: the baseline"},
	{Name: "velox", Desc: "bin/velox proxy --protocol tcp --loops 1 --pin-cpus 0", start: startVeloxTCP},
	{Name: "haproxy", Desc: "HAProxy, nbthread 1, mode tcp (bench/conf/haproxy-tcp.cfg.tmpl)", start: startHAProxyTCP},
}

func startVeloxTCP(d *driver, port int) (*proc, error) {
	return d.startVeloxTo("velox-tcp-", d.veloxBin, port, d.iperfAddr, "--protocol", "tcp")
}

func startHAProxyTCP(d *driver, port int) (*proc, error) {
	return d.startHAProxyFrom("haproxy-tcp.cfg.tmpl", port, confData{Upstream: d.iperfAddr})
}

// startIperfServer starts `iperf3 -s` on 127.0.0.1 on cpuLoad. It serves
// one test at a time, which is all the phase asks of it.
func (d *driver) startIperfServer() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	d.iperfAddr = addrOf(port)
	p, err := d.procs.Start("iperf3-server", cpuLoad, nil, "iperf3", "-s", "-B", "127.0.0.1", "-p", strconv.Itoa(port))
	d.iperfServer = p
	if err != nil {
		return err
	}
	// The probe connection of waitListening sends no test parameters:
	// the server logs an error about it and serves the next client.
	if err := waitListening(p, d.iperfAddr, 10*time.Second); err != nil {
		return fmt.Errorf("iperf3 server: %w", err)
	}
	if err := d.checkIperf(d.iperfAddr); err != nil {
		return fmt.Errorf("iperf3 server: %w", err)
	}
	return nil
}

// checkIperf sends 4 MiB through addr each way (iperf3 -n 4M, then with
// -R): a proxy must carry iperf3's control connection and its data
// connection to the server.
func (d *driver) checkIperf(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	for _, reverse := range []bool{false, true} {
		args := []string{"iperf3", "-c", host, "-p", port, "-n", "4M", "-J"}
		if reverse {
			args = append(args, "-R")
		}
		out, _, err := d.procs.Run(d.ctx, 30*time.Second, cpuLoad, nil, args...)
		if err == nil {
			var r IperfResult
			r, err = ParseIperf(out)
			if err == nil && (r.SentBytes < 4<<20 || r.Bytes <= 0) {
				err = fmt.Errorf("%d bytes sent and %d received, want 4 MiB sent", r.SentBytes, r.Bytes)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", shellJoin(args[1:]), err)
		}
	}
	return nil
}

// tcpPhase runs every iperf3 scenario against every target, interleaved as
// the other phases are.
func (d *driver) tcpPhase() error {
	if err := d.startIperfServer(); err != nil {
		return err
	}
	live := d.startPhaseTargets("tcp", tcpTargets, running{p: d.iperfServer, addr: d.iperfAddr}, d.checkIperf)
	defer d.stopPhaseTargets("tcp", live)
	return eachRun(d, tcpScenarios, live, func(round int, s TCPScenario, r running) {
		run := d.iperfRun(round, s, r)
		d.res.TCPRuns = append(d.res.TCPRuns, run)
		logRun(fmt.Sprintf("round %d tcp %-8s %-8s", round+1, s.Name, r.t.Name), run.Err,
			"%7.2f Gbit/s  proxy CPU %.2f  %s per CPU-s  retransmits %d",
			run.Iperf.Gbps(), run.TargetCPU, fmtGB(run.PerCPU()), run.Iperf.Retransmits)
	})
}

// iperfRun runs the warm-up and the measured iperf3 run of s against r. The
// proxy's CPU is measured apart from the server's; direct has none.
func (d *driver) iperfRun(round int, s TCPScenario, r running) TCPRun {
	set := d.res.Settings
	args := s.iperfArgs(r.addr, set.Duration)
	proxy := r.t.start != nil
	run := TCPRun{Round: round + 1, Scenario: s.Name, Target: r.t.Name,
		Command: "taskset -c " + strconv.Itoa(cpuLoad) + " iperf3 " + shellJoin(args)}
	if r.p.Exited() {
		run.Err = "process exited: " + r.p.LogTail(3)
		return run
	}
	if set.Warmup > 0 {
		wargs := s.iperfArgs(r.addr, set.Warmup)
		out, _, err := d.procs.Run(d.ctx, set.Warmup+30*time.Second, cpuLoad, nil, append([]string{"iperf3"}, wargs...)...)
		d.saveOutput(round, "tcp", s.Name, r.t.Name, "warmup", "iperf3 "+shellJoin(wargs)+"\n"+out)
		if err == nil {
			_, err = ParseIperf(out)
		}
		if err != nil {
			run.Err = "warm-up: " + err.Error()
			return run
		}
	}
	label := fmt.Sprintf("round %d tcp %s %s", round+1, s.Name, r.t.Name)
	attempt := 0
	best, attempts := bestOf(d, label, func() (TCPRun, float64, bool) {
		try := run
		attempt++
		server := d.iperfServer.Pid()
		start := time.Now()
		m := startMeter(meteredPids(server, proxy, r.p)...)
		out, used, err := d.procs.Run(d.ctx, set.Duration+30*time.Second, cpuLoad, nil, append([]string{"iperf3"}, args...)...)
		u := m.Stop(used)
		try.Wall = time.Since(start).Seconds()
		try.Others, try.LoadCPU = u.Others, u.Inner+u.Procs[server]
		if proxy {
			try.TargetCPU = u.Procs[r.p.Pid()]
		}
		d.saveOutput(round, "tcp", s.Name, r.t.Name, "try"+strconv.Itoa(attempt), try.Command+"\n"+out)
		if err == nil {
			try.Iperf, err = ParseIperf(out)
		}
		try.Err = attemptErr(r, err)
		return try, try.Others, try.Err == "" || r.p.Exited()
	})
	best.Attempts = attempts
	return best
}

// iperfVersion is iperf3's version ("3.12"), "" without iperf3.
func iperfVersion() string {
	if out := output("iperf3", "--version"); out != "" {
		return versionWord(out, "iperf", 1) // "iperf 3.12 (cJSON 1.7.15)"
	}
	return ""
}

// iperfServerCommand is how the phase runs the server, for the report.
func iperfServerCommand() string {
	return "taskset -c " + strconv.Itoa(cpuLoad) + " iperf3 -s -B 127.0.0.1 -p PORT"
}
