// Command benchdrive runs velox's side-by-side benchmark (issue 3) and
// writes its report: it starts an nginx origin, each proxy in front of it
// (velox, nginx, HAProxy, Go's httputil.ReverseProxy) and the origin alone as
// the ceiling, drives them with wrk in interleaved rounds, measures the
// resident memory of idle connections, measures HTTP/2 (h2load), gRPC
// (ghz) and TCP streams (iperf3) through velox and HAProxy, Dubbo and
// Bolt RPC (rpcload, rpcserve) through velox and MOSN, TLS (keep-alive,
// handshakes, idle connections) through velox, nginx and HAProxy, runs the engine yardstick (velox's
// eventloop, gnet, netpoll), and writes bench/results/<date>-<sha>.md, a PNG
// chart, the raw JSON and bench/results/latest.md.
//
// bench/run.sh installs the tools, builds the binaries and runs it:
//
//	go run ./bench/cmd/benchdrive -bench bench -bin bench/work/bin -velox bin/velox
//
// Every process it starts is pinned with taskset (the one under test on CPU 0,
// load generators and origin on CPU 1) and killed before it exits.
// Read next: scenarios.go, targets.go, then phases.go.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// driver holds the paths and state of one benchmark run.
type driver struct {
	benchDir, workDir, binDir, resultsDir, repoDir string
	veloxBin                                       string
	veloxBase                                      string // -velox-base, "" = none
	wwwDir, originAddr                             string

	origin *proc
	// The h2c origin of the h2h2 phase.
	h2Origin     *proc
	h2OriginAddr string
	// The gRPC server of the grpc phase (grpcserve).
	grpcServer *proc
	grpcAddr   string
	// The iperf3 server of the tcp phase.
	iperfServer *proc
	iperfAddr   string
	// The rpc phase: rpcserve's address by protocol.
	rpcAddr map[string]string
	// The TLS phases: the certificates by key (certs.go), and the admin
	// listener of the velox last started with TLS.
	certs     map[string]tlsCert
	tlsAdmin  string
	maxOthers float64 // cores other work may use during a run before it is measured again
	retries   int     // how many times a run is measured again at most
	// retryBudget is how many more measurements the phase may spend.
	retryBudget int

	// profile: after the rounds, run each scenario once more against velox
	// while fetching a CPU profile from its admin listener (veloxAdmin).
	profile    bool
	veloxAdmin string

	// engineShare is the CPU cap of yardstick servers (-engine-cpu);
	// engineCap is its cgroup while the yardstick runs.
	engineShare float64
	engineCap   *cpuCap

	procs *procs
	res   *Results
	ctx   context.Context
}

func main() {
	log.SetFlags(log.Ltime)
	log.SetPrefix("benchdrive: ")
	var (
		benchDir   = flag.String("bench", "bench", "the bench directory (configs, scripts)")
		binDir     = flag.String("bin", "bench/work/bin", "where run.sh built goproxy, idleconns, echoload, engineserve")
		veloxBin   = flag.String("velox", "bin/velox", "the velox binary")
		veloxBase  = flag.String("velox-base", "", "an earlier velox binary, measured beside -velox as target velox-base (\"\" = none)")
		resultsDir = flag.String("results", "", "where to write the report (default BENCH/results)")
		rounds     = flag.Int("rounds", 3, "interleaved rounds")
		engRounds  = flag.Int("engine-rounds", 0, "interleaved rounds of the engine yardstick (0 = as -rounds)")
		duration   = flag.Duration("duration", 10*time.Second, "measured time of each run")
		warmup     = flag.Duration("warmup", time.Second, "unmeasured run before each measured one")
		scenarioF  = flag.String("scenarios", "", "comma-separated scenarios (default all)")
		quick      = flag.Bool("quick", false, "smoke test: 1 round of 3s, 1,000 idle connections")
		idleN      = flag.Int("idle-conns", 10000, "idle connections per target in the idle test")
		phasesF    = flag.String("phases", "http,idle,engine", "phases to run")
		command    = flag.String("command", "", "the command line to record in the report")
		maxTime    = flag.Duration("max-time", 28*time.Minute, "abort the run after this long")
		maxOthers  = flag.Float64("max-others", 0.25, "measure a run again when other work used more than this many cores meanwhile")
		retries    = flag.Int("retries", 2, "how many times a run is measured again at most")
		profile    = flag.Bool("profile", false, "after the rounds, profile velox (pprof via --admin) during one more run of each scenario")
		nice       = flag.Int("nice", 0, "run every process under test and every load generator with this niceness (e.g. -10 on a busy machine)")
		engineCPU  = flag.Float64("engine-cpu", 0.5, "CPU share of one core each yardstick server may use (a cgroup quota), so that the server and not the load is the limit; 0 = no cap")
		reportOnly = flag.String("report-only", "", "render the report of a saved results JSON and exit")
	)
	flag.Parse()
	if *resultsDir == "" {
		*resultsDir = filepath.Join(*benchDir, "results")
	}
	if *reportOnly != "" {
		paths, err := rerender(*reportOnly, *resultsDir)
		for _, p := range paths {
			fmt.Println("wrote", p)
		}
		if err != nil {
			log.Fatal(err)
		}
		return
	}
	if *quick {
		*rounds, *engRounds, *duration, *warmup = 1, 1, 3*time.Second, time.Second
		if *idleN > 1000 {
			*idleN = 1000
		}
	}
	// wrk takes whole seconds.
	*duration = max(time.Second, duration.Round(time.Second))
	if *warmup > 0 {
		*warmup = max(time.Second, warmup.Round(time.Second))
	}
	if *engineCPU != 0 {
		if _, err := capQuota(*engineCPU); err != nil {
			log.Fatal(err)
		}
	}
	sel, err := selectScenarios(*scenarioF)
	if err != nil {
		log.Fatal(err)
	}
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			log.Fatal(err)
		}
		return a
	}
	d := &driver{
		benchDir:   abs(*benchDir),
		binDir:     abs(*binDir),
		resultsDir: abs(*resultsDir),
		veloxBin:   abs(*veloxBin),
	}
	if *veloxBase != "" {
		d.veloxBase = abs(*veloxBase)
		targets = withBase(targets, d.veloxBase)
	}
	d.repoDir = filepath.Dir(d.benchDir)
	d.workDir = filepath.Join(d.benchDir, "work", "run")
	d.wwwDir = filepath.Join(d.workDir, "www")
	if err := os.RemoveAll(d.workDir); err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(d.workDir, "wrk"), 0o755); err != nil {
		log.Fatal(err)
	}
	d.procs = newProcs(d.workDir)
	d.procs.nice = *nice
	d.maxOthers, d.retries = *maxOthers, *retries
	d.profile = *profile
	d.engineShare = *engineCPU
	raiseFileLimit()

	ctx, cancel := context.WithTimeout(context.Background(), *maxTime)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	d.ctx = ctx

	names := make([]string, len(sel))
	for i, s := range sel {
		names[i] = s.Name
	}
	d.res = &Results{
		Started: time.Now(),
		Command: *command,
		Commit:  gitCommit(d.repoDir),
		Machine: describeMachine(),
		Settings: Settings{Rounds: *rounds, EngineRounds: *engRounds, Duration: *duration, Warmup: *warmup,
			Scenarios: names, Quick: *quick, IdleConns: *idleN, Nice: *nice,
			MaxOthers: *maxOthers, Retries: *retries, EngineCPU: *engineCPU},
	}
	d.res.Machine.LoadStart = loadAvg()
	d.res.Versions = versions(d.binDir)

	phases := strings.Split(*phasesF, ",")
	for i := range phases {
		phases[i] = strings.TrimSpace(phases[i])
	}
	err = d.run(sel, phases)
	d.procs.StopAll()
	if err != nil {
		d.res.Notes = append(d.res.Notes, "The run stopped early: "+err.Error())
		log.Print(err)
	}
	d.res.Finished = time.Now()
	d.res.Machine.LoadEnd = loadAvg()
	// A run that stopped early, a QUICK smoke test, or one without the
	// HTTP/1.1 phase (PHASES=h2,h2h2,h2idle, say) keeps its dated report
	// but does not replace latest.md.
	paths, werr := writeReport(d.res, d.resultsDir, err == nil && !*quick && slices.Contains(phases, "http"))
	if werr != nil {
		log.Fatal(werr)
	}
	for _, p := range paths {
		fmt.Println("wrote", p)
	}
	if err != nil {
		os.Exit(1)
	}
}

// run runs the phases in order; the origin lives through all of them.
func (d *driver) run(sel []Scenario, phases []string) error {
	want := map[string]bool{}
	for _, p := range phases {
		want[strings.TrimSpace(p)] = true
	}
	tlsWanted := want["tls"] || want["tlshs"] || want["tlsidle"]
	if want["http"] || want["idle"] || want["h2"] || want["h2h2"] || want["h2idle"] || tlsWanted {
		port, err := freePort()
		if err != nil {
			return err
		}
		origin, err := d.startOrigin(port)
		d.origin = origin
		if err != nil {
			return err
		}
		if err := waitListening(origin, d.originAddr, 10*time.Second); err != nil {
			return fmt.Errorf("origin: %w", err)
		}
		if err := checkServes(d.originAddr); err != nil {
			return fmt.Errorf("origin: %w", err)
		}
	}
	if want["http"] {
		if err := d.httpPhase(sel); err != nil {
			return err
		}
	}
	if want["idle"] {
		if err := d.idlePhase(); err != nil {
			return err
		}
	}
	for _, phase := range h2Phases {
		if !want[phase] {
			continue
		}
		if phase == "h2h2" {
			if err := d.startH2Origin(); err != nil {
				return err
			}
		}
		if err := d.h2Phase(phase); err != nil {
			return err
		}
	}
	if want["h2idle"] {
		if err := d.h2IdlePhase(); err != nil {
			return err
		}
	}
	if want["grpc"] {
		if err := d.grpcPhase(); err != nil {
			return err
		}
	}
	if want["tcp"] {
		if err := d.tcpPhase(); err != nil {
			return err
		}
	}
	if want["rpc"] {
		if err := d.rpcPhase(); err != nil {
			return err
		}
	}
	if tlsWanted {
		certs, err := makeCerts(filepath.Join(d.workDir, "tls"))
		if err != nil {
			return fmt.Errorf("TLS certificates: %w", err)
		}
		d.certs = certs
	}
	for _, phase := range []string{"tls", "tlshs"} {
		if want[phase] {
			if err := d.tlsPhase(phase); err != nil {
				return err
			}
		}
	}
	if want["tlsidle"] {
		if err := d.tlsIdlePhase(); err != nil {
			return err
		}
	}
	if want["engine"] {
		if err := d.enginePhase(); err != nil {
			return err
		}
	}
	return nil
}

// raiseFileLimit lets the driver and what it starts (wrk with 1,000
// connections, the 10,000 idle connections) open enough files. Setting it
// explicitly also keeps Go from restoring the old limit in child processes.
func raiseFileLimit() {
	lim := syscall.Rlimit{Cur: 65536, Max: 65536}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		return
	}
	var cur syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &cur); err == nil {
		cur.Cur = cur.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &cur); err != nil || cur.Cur < 20000 {
			log.Printf("open file limit is %d: the 1,000-connection and idle tests may fail", cur.Cur)
		}
	}
}

// rerender writes the report of a saved results JSON again.
func rerender(path, resultsDir string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return writeReport(&r, resultsDir, true)
}
