package main

// The grpc phase: ghz against grpcserve (grpc-go's interop TestService, a
// process of its own on cpuLoad), directly and through each proxy. The
// latency through a proxy minus the direct latency is its overhead per RPC.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
)

// GRPCScenario is one ghz workload.
type GRPCScenario struct {
	Name string
	Desc string
	// Method is the TestService method; Data its request (JSON); Conc the
	// concurrent calls (ghz -c), all on one connection; StreamMsgs the
	// messages each streaming call sends (ghz --stream-call-count), 0 for
	// a unary call.
	Method     string
	Data       string
	Conc       int
	StreamMsgs int
}

// grpcBody is the 12-byte payload of each request ("hello world\n").
const grpcBody = "aGVsbG8gd29ybGQK"

// grpcScenarios are the ghz workloads of the grpc phase.
var grpcScenarios = []GRPCScenario{
	{Name: "unary-c16", Desc: "UnaryCall, 16 concurrent calls on 1 connection, 12 B each way", Method: "UnaryCall",
		Data: `{"response_size":12,"payload":{"body":"` + grpcBody + `"}}`, Conc: 16},
	{Name: "unary-c1", Desc: "UnaryCall, 1 call at a time, 12 B each way (latency)", Method: "UnaryCall",
		Data: `{"response_size":12,"payload":{"body":"` + grpcBody + `"}}`, Conc: 1},
	{Name: "stream-c16", Desc: "FullDuplexCall, 16 concurrent streams on 1 connection, 10 messages of 12 B each way per stream", Method: "FullDuplexCall",
		Data: `{"response_parameters":[{"size":12}],"payload":{"body":"` + grpcBody + `"}}`, Conc: 16, StreamMsgs: 10},
}

// ghzArgs are ghz's arguments for s against addr for dur. The service's
// descriptors come from server reflection; `--duration-stop wait` lets the
// calls in flight at the end finish instead of counting them as errors.
func (s GRPCScenario) ghzArgs(addr string, dur time.Duration) []string {
	args := []string{"--insecure", "--cpus", "1", "--call", "grpc.testing.TestService/" + s.Method,
		"-d", s.Data, "-c", strconv.Itoa(s.Conc), "--connections", "1",
		"-z", dur.String(), "--duration-stop", "wait", "--disable-template-functions", "--disable-template-data"}
	if s.StreamMsgs > 0 {
		args = append(args, "--stream-call-count", strconv.Itoa(s.StreamMsgs))
	}
	return append(args, addr)
}

// grpcTargets are the targets of the grpc phase, in report order. direct
// is no process of its own: ghz calls grpcserve.
var grpcTargets = []Target{
	{Name: "direct", Desc: "ghz straight to grpcserve: the baseline of the overhead"},
	{Name: "velox", Desc: "bin/velox -config (cluster protocol: h2) --loops 1 --pin-cpus 0", start: startVeloxGRPC},
	{Name: "haproxy", Desc: "HAProxy, nbthread 1, mode http, bind ... proto h2, server ... proto h2", start: startHAProxyGRPC},
}

func startVeloxGRPC(d *driver, port int) (*proc, error) {
	return d.startVeloxH2To(port, d.grpcAddr, "velox-grpc-")
}

func startHAProxyGRPC(d *driver, port int) (*proc, error) {
	return d.startHAProxyWith(port, confData{Upstream: d.grpcAddr, BindOpts: " proto h2", ServerOpts: " proto h2"})
}

// startGRPCServer starts grpcserve on cpuLoad with one P.
func (d *driver) startGRPCServer() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	d.grpcAddr = addrOf(port)
	p, err := d.procs.Start("grpcserve", cpuLoad, []string{"GOMAXPROCS=1"},
		filepath.Join(d.binDir, "grpcserve"), "-addr", d.grpcAddr)
	d.grpcServer = p
	if err != nil {
		return err
	}
	if _, err := waitLine(p, "listening", 10*time.Second); err != nil {
		return fmt.Errorf("grpcserve: %w", err)
	}
	if err := checkServesGRPC(d.grpcAddr); err != nil {
		return fmt.Errorf("grpcserve: %w", err)
	}
	return nil
}

// checkServesGRPC makes a unary call and a streaming call of the benchmark's
// kinds through addr, twice each on one connection.
func checkServesGRPC(addr string) error {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer cc.Close()
	c := testpb.NewTestServiceClient(cc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range 2 {
		resp, err := c.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 12, Payload: &testpb.Payload{Body: []byte(echoBody)}})
		if err != nil {
			return fmt.Errorf("UnaryCall: %w", err)
		}
		if n := len(resp.GetPayload().GetBody()); n != 12 {
			return fmt.Errorf("UnaryCall: %d payload bytes, want 12", n)
		}
		if err := checkFullDuplex(ctx, c, 10); err != nil {
			return fmt.Errorf("FullDuplexCall: %w", err)
		}
	}
	return nil
}

// checkFullDuplex sends n requests on one FullDuplexCall, each asking for a
// 12-byte response, and reads the n responses and the end of the stream.
func checkFullDuplex(ctx context.Context, c testpb.TestServiceClient, n int) error {
	st, err := c.FullDuplexCall(ctx)
	if err != nil {
		return err
	}
	req := &testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 12}},
		Payload: &testpb.Payload{Body: []byte(echoBody)}}
	for range n {
		if err := st.Send(req); err != nil {
			return err
		}
	}
	if err := st.CloseSend(); err != nil {
		return err
	}
	for i := 0; ; i++ {
		resp, err := st.Recv()
		switch {
		case errors.Is(err, io.EOF) && i == n:
			return nil
		case errors.Is(err, io.EOF):
			return fmt.Errorf("%d responses, want %d", i, n)
		case err != nil:
			return err
		case len(resp.GetPayload().GetBody()) != 12:
			return fmt.Errorf("response %d: %d payload bytes, want 12", i, len(resp.GetPayload().GetBody()))
		}
	}
}

// grpcPhase runs every ghz scenario against every target, interleaved as
// the other phases are.
func (d *driver) grpcPhase() error {
	if err := d.startGRPCServer(); err != nil {
		return err
	}
	live := d.startPhaseTargets("grpc", grpcTargets, running{p: d.grpcServer, addr: d.grpcAddr}, checkServesGRPC)
	defer d.stopPhaseTargets("grpc", live)
	return eachRun(d, grpcScenarios, live, func(round int, s GRPCScenario, r running) {
		run := d.ghzRun(round, s, r)
		d.res.GRPCRuns = append(d.res.GRPCRuns, run)
		g := run.Ghz
		logRun(fmt.Sprintf("round %d grpc %-10s %-8s", round+1, s.Name, r.t.Name), run.Err,
			"%10.0f calls/s  p50 %-9v p99 %-9v errors %d (+%d unmeasured)  upstream conns %d",
			g.RPS, g.P50, g.P99, g.Errors(), run.UnmeasuredFailed, run.UpstreamConns)
	})
}

// ghzRun runs the warm-up and the measured ghz run of s against r. The
// proxy's CPU is measured apart from grpcserve's; direct has none.
func (d *driver) ghzRun(round int, s GRPCScenario, r running) GRPCRun {
	set := d.res.Settings
	ghz := filepath.Join(d.binDir, "ghz")
	args := s.ghzArgs(r.addr, set.Duration)
	proxy := r.t.start != nil
	run := GRPCRun{Round: round + 1, Scenario: s.Name, Target: r.t.Name, UpstreamConns: -1,
		Command: "taskset -c " + strconv.Itoa(cpuLoad) + " ghz " + shellJoin(args)}
	if r.p.Exited() {
		run.Err = "process exited: " + r.p.LogTail(3)
		return run
	}
	var failures int64
	if set.Warmup > 0 {
		wargs := s.ghzArgs(r.addr, set.Warmup)
		out, _, err := d.procs.Run(d.ctx, set.Warmup+30*time.Second, cpuLoad, nil, append([]string{ghz}, wargs...)...)
		d.saveOutput(round, "grpc", s.Name, r.t.Name, "warmup", "ghz "+shellJoin(wargs)+"\n"+out)
		if err != nil {
			run.Err = "warm-up: " + err.Error()
			return run
		}
		if g, err := ParseGhz(out); err == nil {
			failures += g.Errors()
		}
	}
	label := fmt.Sprintf("round %d grpc %s %s", round+1, s.Name, r.t.Name)
	attempt := 0
	best, attempts := bestOf(d, label, func() (GRPCRun, float64, bool) {
		try := run
		attempt++
		counted := upstreamConnsAfter(set.Duration/2, proxy, r.p, d.grpcAddr)
		m := startMeter(meteredPids(d.grpcServer.Pid(), proxy, r.p)...)
		out, used, err := d.procs.Run(d.ctx, set.Duration+30*time.Second, cpuLoad, nil, append([]string{ghz}, args...)...)
		u := m.Stop(used)
		try.UpstreamConns = <-counted
		try.Others, try.LoadCPU = u.Others, u.Inner+u.Procs[d.grpcServer.Pid()]
		if proxy {
			try.TargetCPU = u.Procs[r.p.Pid()]
		}
		d.saveOutput(round, "grpc", s.Name, r.t.Name, "try"+strconv.Itoa(attempt), try.Command+"\n"+out)
		if err == nil {
			try.Ghz, err = ParseGhz(out)
		}
		if err == nil && try.Ghz.Errors() > 0 {
			failures += try.Ghz.Errors()
		}
		try.Err = attemptErr(r, err)
		return try, try.Others, try.Err == "" || r.p.Exited()
	})
	best.Attempts = attempts
	if best.Err == "" {
		best.UnmeasuredFailed = failures - best.Ghz.Errors()
	}
	return best
}

// ghzVersion is the module version built into binDir/ghz ("v0.121.0"),
// "" without ghz (`ghz --version` says "dev" when built by go install).
func ghzVersion(binDir string) string {
	return moduleVersion(output("go", "version", "-m", filepath.Join(binDir, "ghz")), "mod", "github.com/bojand/ghz")
}

// moduleVersion is the version of module path on a line of `go version -m`
// output whose first word is kind (mod: the main module; dep).
func moduleVersion(goVersionM, kind, path string) string {
	for line := range strings.Lines(goVersionM) {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == kind && f[1] == path {
			return f[2]
		}
	}
	return ""
}
