package main

import (
	"math"
	"slices"
	"sort"
	"time"
)

// Results is everything one benchmark run measured; it is saved as JSON next
// to the report so that the report can be rendered again (-report-only).
type Results struct {
	Started  time.Time         `json:"started"`
	Finished time.Time         `json:"finished"`
	Command  string            `json:"command"`
	Commit   string            `json:"commit"`
	Machine  Machine           `json:"machine"`
	Versions map[string]string `json:"versions"`
	Settings Settings          `json:"settings"`
	Targets  []TargetStatus    `json:"targets"`
	Runs     []Run             `json:"runs"`
	Idle     []IdleResult      `json:"idle"`
	// The HTTP/2 phases (h2.go): their targets, h2load runs and idle test.
	H2Targets []TargetStatus `json:"h2_targets,omitempty"`
	H2Runs    []H2Run        `json:"h2_runs,omitempty"`
	H2Idle    []IdleResult   `json:"h2_idle,omitempty"`
	// The grpc phase (grpc.go): ghz runs; its targets are in H2Targets
	// with Phase "grpc".
	GRPCRuns []GRPCRun `json:"grpc_runs,omitempty"`
	// The tcp phase (tcp.go): iperf3 runs; its targets are in H2Targets
	// with Phase "tcp".
	TCPRuns []TCPRun `json:"tcp_runs,omitempty"`
	// The TLS phases (tls.go): keep-alive and handshake runs, and the idle
	// TLS test; their targets are in H2Targets with Phase "tls",
	// "tlshs-ecdsa" and "tlshs-rsa".
	TLSRuns []TLSRun `json:"tls_runs,omitempty"`
	// The rpc phase (rpc.go): rpcload runs and the idle RPC test; its
	// targets are in H2Targets with Phase "rpc-dubbo" and "rpc-bolt".
	RPCRuns []RPCRun       `json:"rpc_runs,omitempty"`
	RPCIdle []IdleResult   `json:"rpc_idle,omitempty"`
	TLSIdle []IdleResult   `json:"tls_idle,omitempty"`
	Engines []EngineStatus `json:"engines"`
	Engine  []EngineRun    `json:"engine_runs"`
	Notes   []string       `json:"notes"`
}

// Machine describes where the run happened.
type Machine struct {
	Cores  int    `json:"cores"`
	CPU    string `json:"cpu"`
	Kernel string `json:"kernel"`
	Memory string `json:"memory"`
	// /proc/loadavg at the start and end: other work on the machine.
	LoadStart string `json:"load_start"`
	LoadEnd   string `json:"load_end"`
}

// Settings are the knobs of the run.
type Settings struct {
	Rounds int `json:"rounds"`
	// EngineRounds is the yardstick's round count (0 in runs before it
	// had its own: Rounds then); see Settings.engineRounds.
	EngineRounds int           `json:"engine_rounds,omitempty"`
	Duration     time.Duration `json:"duration"`
	Warmup       time.Duration `json:"warmup"`
	Scenarios    []string      `json:"scenarios"`
	Quick        bool          `json:"quick"`
	IdleConns    int           `json:"idle_conns"`
	Nice         int           `json:"nice"`
	MaxOthers    float64       `json:"max_others"`
	Retries      int           `json:"retries"`
	// EngineCPU is the share of a core each yardstick server was allowed
	// (0 = no cap); EngineCap says how it was set, or why it was not.
	EngineCPU float64 `json:"engine_cpu"`
	EngineCap string  `json:"engine_cap"`
}

// TargetStatus says whether a target could be benchmarked, and if not why.
type TargetStatus struct {
	Phase     string `json:"phase,omitempty"` // "" = the HTTP/1.1 phases; h2, h2h2
	Name      string `json:"name"`
	Desc      string `json:"desc"`
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"`
}

// Run is one wrk run of one scenario against one target.
type Run struct {
	Round    int       `json:"round"`
	Scenario string    `json:"scenario"`
	Target   string    `json:"target"`
	Command  string    `json:"command"`
	Wrk      WrkResult `json:"wrk"`
	Err      string    `json:"error,omitempty"`
	// CPU used during the run, in cores: by the target; by the load side
	// (wrk and the origin); by everything else on the machine. Attempts is
	// how many runs it took to get one with Others under the limit.
	TargetCPU float64 `json:"target_cpu"`
	LoadCPU   float64 `json:"load_cpu"`
	Others    float64 `json:"others_cpu"`
	Attempts  int     `json:"attempts"`
}

// H2Run is one h2load run of one HTTP/2 scenario against one target.
type H2Run struct {
	Round    int          `json:"round"`
	Phase    string       `json:"phase"` // h2 (HTTP/1.1 origin) or h2h2 (h2c origin)
	Scenario string       `json:"scenario"`
	Target   string       `json:"target"`
	Command  string       `json:"command"`
	H2load   H2loadResult `json:"h2load"`
	Err      string       `json:"error,omitempty"`
	// As in Run; the load side is h2load and the origin.
	TargetCPU float64 `json:"target_cpu"`
	LoadCPU   float64 `json:"load_cpu"`
	Others    float64 `json:"others_cpu"`
	Attempts  int     `json:"attempts"`
	// UpstreamConns is how many established connections the target had to
	// the origin halfway through the run (ss -tnp); -1 = not counted.
	UpstreamConns int `json:"upstream_conns"`
	// UnmeasuredFailed are the requests h2load counted failed, errored or
	// timed out in the warm-up and in attempts measured again: failures
	// are reported wherever they happened.
	UnmeasuredFailed int64 `json:"unmeasured_failed,omitempty"`
}

// GRPCRun is one ghz run of one gRPC scenario against one target.
type GRPCRun struct {
	Round    int       `json:"round"`
	Scenario string    `json:"scenario"`
	Target   string    `json:"target"` // direct, velox, haproxy
	Command  string    `json:"command"`
	Ghz      GhzResult `json:"ghz"`
	Err      string    `json:"error,omitempty"`
	// As in Run; the load side is ghz and grpcserve; TargetCPU is 0 for
	// direct (no proxy).
	TargetCPU float64 `json:"target_cpu"`
	LoadCPU   float64 `json:"load_cpu"`
	Others    float64 `json:"others_cpu"`
	Attempts  int     `json:"attempts"`
	// As in H2Run, to grpcserve; -1 for direct.
	UpstreamConns    int   `json:"upstream_conns"`
	UnmeasuredFailed int64 `json:"unmeasured_failed,omitempty"`
}

// TCPRun is one iperf3 run of one tcp scenario against one target.
type TCPRun struct {
	Round    int         `json:"round"`
	Scenario string      `json:"scenario"`
	Target   string      `json:"target"` // direct, velox, haproxy
	Command  string      `json:"command"`
	Iperf    IperfResult `json:"iperf"`
	Err      string      `json:"error,omitempty"`
	// As in Run; the load side is the iperf3 client and server; TargetCPU
	// is 0 for direct (no proxy).
	TargetCPU float64 `json:"target_cpu"`
	LoadCPU   float64 `json:"load_cpu"`
	Others    float64 `json:"others_cpu"`
	Attempts  int     `json:"attempts"`
	// Wall is how long the measurement took, seconds (the client's whole
	// run): the proxy used TargetCPU × Wall CPU-seconds.
	Wall float64 `json:"wall_seconds"`
}

// PerCPU is the bytes received per CPU-second of the proxy (NaN for direct).
func (run TCPRun) PerCPU() float64 {
	return ratio(float64(run.Iperf.Bytes), run.TargetCPU*run.Wall)
}

// RPCRun is one rpcload run of one RPC scenario against one target.
type RPCRun struct {
	Round    int           `json:"round"`
	Protocol string        `json:"protocol"` // dubbo, bolt
	Scenario string        `json:"scenario"`
	Target   string        `json:"target"` // direct, velox, mosn
	Command  string        `json:"command"`
	Load     RPCLoadResult `json:"rpcload"`
	Err      string        `json:"error,omitempty"`
	// As in Run; TargetCPU is the proxy's (0 for direct), ServerCPU
	// rpcserve's, LoadCPU rpcload's.
	TargetCPU float64 `json:"target_cpu"`
	ServerCPU float64 `json:"server_cpu"`
	LoadCPU   float64 `json:"load_cpu"`
	Others    float64 `json:"others_cpu"`
	Attempts  int     `json:"attempts"`
	// As in H2Run, to rpcserve; -1 for direct.
	UpstreamConns int `json:"upstream_conns"`
}

// PerCPU is the requests per CPU-second of the proxy (NaN for direct).
func (run RPCRun) PerCPU() float64 { return ratio(run.Load.Rate, run.TargetCPU) }

// TLSRun is one run of one TLS scenario (tls.go) against one target.
type TLSRun struct {
	Round    int    `json:"round"`
	Phase    string `json:"phase"` // tls, tlshs
	Scenario string `json:"scenario"`
	Target   string `json:"target"`
	Command  string `json:"command"`
	// Rate is requests per second (wrk, h2load) or connections, each a
	// handshake and one request, per second (tlsload).
	Rate float64 `json:"rate"`
	// LatencyUs is wrk's and tlsload's p50, h2load's mean, µs.
	LatencyUs float64 `json:"latency_us"`
	Errors    int64   `json:"errors"`
	// Conns and Resumed are tlsload's connections and how many of them
	// resumed a session (0 for wrk and h2load).
	Conns   int64  `json:"conns,omitempty"`
	Resumed int64  `json:"resumed,omitempty"`
	Err     string `json:"error,omitempty"`
	// As in Run.
	TargetCPU float64 `json:"target_cpu"`
	LoadCPU   float64 `json:"load_cpu"`
	Others    float64 `json:"others_cpu"`
	Attempts  int     `json:"attempts"`
}

// PerCPU is the rate per CPU-second of the proxy (Rate ÷ its cores).
func (run TLSRun) PerCPU() float64 { return ratio(run.Rate, run.TargetCPU) }

// IdleResult is the resident memory of one target before and after it holds
// Conns idle keep-alive connections.
type IdleResult struct {
	Target    string `json:"target"`
	Conns     int    `json:"conns"`
	RSSBefore int64  `json:"rss_before"`
	RSSAfter  int64  `json:"rss_after"`
	Err       string `json:"error,omitempty"`
	// Goroutines of velox before and while it holds the connections (the
	// first line of its /debug/pprof/goroutine?debug=1), in the idle TLS
	// test; 0 = not read.
	GoroutinesBefore int `json:"goroutines_before,omitempty"`
	Goroutines       int `json:"goroutines,omitempty"`
}

// PerConn is the resident memory each idle connection costs, in bytes.
func (r IdleResult) PerConn() float64 {
	if r.Conns == 0 {
		return math.NaN()
	}
	return float64(r.RSSAfter-r.RSSBefore) / float64(r.Conns)
}

// EngineStatus is TargetStatus for the engine yardstick.
type EngineStatus = TargetStatus

// EngineRun is one run of one yardstick workload against one engine.
type EngineRun struct {
	Round  int     `json:"round"`
	Mode   string  `json:"mode"`
	Engine string  `json:"engine"`
	Rate   float64 `json:"rate"` // messages or requests per second
	P50us  float64 `json:"p50_us"`
	P99us  float64 `json:"p99_us"`
	Errors int64   `json:"errors"`
	Err    string  `json:"error,omitempty"`
	// As in Run; the load side is echoload or wrk.
	TargetCPU float64 `json:"target_cpu"`
	LoadCPU   float64 `json:"load_cpu"`
	Others    float64 `json:"others_cpu"`
	Attempts  int     `json:"attempts"`
}

// Summary is the median of the good runs of one (scenario, target) or
// (mode, engine) cell, and the errors of all of them.
type Summary struct {
	Runs   int     // runs that produced numbers
	Failed int     // runs that did not
	Rate   float64 // median requests (messages) per second
	P50us  float64 // median of the runs' p50, µs
	P99us  float64 // median of the runs' p99, µs
	Errors int64   // sum over all runs
	Others float64 // median CPU used by other work during the good runs, cores
	// Median CPU of the target and of the load side, cores, and the median
	// of each run's requests per second per core of target CPU.
	TargetCPU, LoadCPU, PerCore float64
	// Spread is (max - min) / median of the runs' rates: how far the rounds
	// disagree.
	Spread float64
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// spread is (max - min) / median of xs; NaN for fewer than two.
func spread(xs []float64) float64 {
	if len(xs) < 2 {
		return math.NaN()
	}
	return ratio(slices.Max(xs)-slices.Min(xs), median(xs))
}

// medianKnown is the median of the xs that are not NaN.
func medianKnown(xs []float64) float64 {
	var known []float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			known = append(known, x)
		}
	}
	return median(known)
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// SummarizeRuns gives the Summary of the runs of scenario against target.
func (r *Results) SummarizeRuns(scenario, target string) Summary {
	var s Summary
	var rate, p50, p99, others, tcpu, lcpu, perCore []float64
	for _, run := range r.Runs {
		if run.Scenario != scenario || run.Target != target {
			continue
		}
		s.Errors += run.Wrk.Errors()
		if run.Err != "" {
			s.Failed++
			continue
		}
		s.Runs++
		rate = append(rate, run.Wrk.RPS)
		p50 = append(p50, us(run.Wrk.P50))
		p99 = append(p99, us(run.Wrk.P99))
		others = append(others, run.Others)
		tcpu, lcpu = append(tcpu, run.TargetCPU), append(lcpu, run.LoadCPU)
		perCore = append(perCore, ratio(run.Wrk.RPS, run.TargetCPU))
	}
	s.Rate, s.P50us, s.P99us, s.Others = median(rate), median(p50), median(p99), median(others)
	s.TargetCPU, s.LoadCPU, s.PerCore = median(tcpu), median(lcpu), medianKnown(perCore)
	s.Spread = spread(rate)
	return s
}

// SummarizeEngine gives the Summary of the yardstick runs of mode on engine.
func (r *Results) SummarizeEngine(mode, engine string) Summary {
	var s Summary
	var rate, p50, p99, others, tcpu, lcpu, perCore []float64
	for _, run := range r.Engine {
		if run.Mode != mode || run.Engine != engine {
			continue
		}
		s.Errors += run.Errors
		if run.Err != "" {
			s.Failed++
			continue
		}
		s.Runs++
		rate = append(rate, run.Rate)
		p50 = append(p50, run.P50us)
		p99 = append(p99, run.P99us)
		others = append(others, run.Others)
		tcpu, lcpu = append(tcpu, run.TargetCPU), append(lcpu, run.LoadCPU)
		perCore = append(perCore, ratio(run.Rate, run.TargetCPU))
	}
	s.Rate, s.P50us, s.P99us, s.Others = median(rate), median(p50), median(p99), median(others)
	s.TargetCPU, s.LoadCPU, s.PerCore = median(tcpu), median(lcpu), medianKnown(perCore)
	s.Spread = spread(rate)
	return s
}

// engineRounds is how many rounds the yardstick ran.
func (s Settings) engineRounds() int {
	if s.EngineRounds > 0 {
		return s.EngineRounds
	}
	return s.Rounds
}

// EngineRoundRatios are a's rate over b's, round by round, for the rounds in
// which both measured mode: paired figures, taken minutes apart at most, so
// that drift of the machine over the run cancels out.
func (r *Results) EngineRoundRatios(mode, a, b string) []float64 {
	by := map[string]map[int]float64{a: {}, b: {}}
	for _, run := range r.Engine {
		if m, ok := by[run.Engine]; ok && run.Mode == mode && run.Err == "" {
			m[run.Round] = run.Rate
		}
	}
	return pairRatios(by[a], by[b])
}

// RoundRatios is EngineRoundRatios for a figure of a proxying scenario
// (req/s or a latency percentile, as metric picks it from wrk's result).
func (r *Results) RoundRatios(scenario, a, b string, metric func(WrkResult) float64) []float64 {
	by := map[string]map[int]float64{a: {}, b: {}}
	for _, run := range r.Runs {
		if m, ok := by[run.Target]; ok && run.Scenario == scenario && run.Err == "" {
			m[run.Round] = metric(run.Wrk)
		}
	}
	return pairRatios(by[a], by[b])
}

// roundRatiosOf are metric of a's run over b's, round by round, among the
// good runs of one scenario: cell gives a run's target and round, and
// whether it is one of them. Sorted (as RoundRatios).
func roundRatiosOf[R any](runs []R, a, b string, cell func(R) (target string, round int, ok bool), metric func(R) float64) []float64 {
	by := map[string]map[int]float64{a: {}, b: {}}
	for _, run := range runs {
		target, round, ok := cell(run)
		if m, found := by[target]; found && ok {
			m[round] = metric(run)
		}
	}
	return pairRatios(by[a], by[b])
}

// pairRatios divides a's figure by b's in every round both have, sorted.
func pairRatios(a, b map[int]float64) []float64 {
	var out []float64
	for round, x := range a {
		if y, ok := b[round]; ok {
			out = append(out, ratio(x, y))
		}
	}
	sort.Float64s(out)
	return out
}

// ratio is a/b, NaN when either is missing.
func ratio(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return math.NaN()
	}
	return a / b
}

// rotate returns xs starting at index k mod len: the order of round k.
func rotate[T any](xs []T, k int) []T {
	if len(xs) == 0 {
		return nil
	}
	k %= len(xs)
	return append(slices.Clone(xs[k:]), xs[:k]...)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
