package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

// rpcResults has two rounds of dubbo c1000 (direct, velox, mosn), a
// failed mosn run, and one idle result.
func rpcResults() *Results {
	r := &Results{Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Commit: "abc1234",
		H2Targets: []TargetStatus{
			{Phase: "rpc-dubbo", Name: "direct", Available: true},
			{Phase: "rpc-dubbo", Name: "velox", Available: true},
			{Phase: "rpc-dubbo", Name: "mosn", Available: true},
			{Phase: "rpc-bolt", Name: "mosn", Reason: "MOSN_BIN is not set"},
		}}
	run := func(round int, target string, rate, cpu, p50 float64) RPCRun {
		return RPCRun{Round: round, Protocol: "dubbo", Scenario: "c1000", Target: target, TargetCPU: cpu, ServerCPU: 0.4, LoadCPU: 0.5,
			UpstreamConns: 1, Command: "taskset -c 1 rpcload -protocol dubbo -addr 127.0.0.1:9 -c 1000 -d 5s -warmup 0s -depth 1",
			Load: RPCLoadResult{Requests: int64(rate * 5), Seconds: 5, Rate: rate, P50us: p50, P99us: 2 * p50, P999us: 3 * p50}}
	}
	bad := run(2, "mosn", 30000, 0.6, 900)
	bad.Load.Errors, bad.Load.BadStatus, bad.Load.Statuses = 7, 7, map[string]int64{"100": 7}
	r.RPCRuns = []RPCRun{
		run(1, "direct", 100000, 0, 500), run(1, "velox", 80000, 0.8, 700), run(1, "mosn", 40000, 1, 1000),
		run(2, "direct", 100000, 0, 500), run(2, "velox", 90000, 0.9, 800), bad,
		{Round: 3, Protocol: "dubbo", Scenario: "c1000", Target: "mosn", Err: "rpcload: no answer in the window"},
	}
	r.RPCIdle = []IdleResult{{Target: "velox dubbo", Conns: 1000, RSSBefore: 10 << 20, RSSAfter: 12 << 20, GoroutinesBefore: 8, Goroutines: 8}}
	return r
}

func TestSummarizeRPC(t *testing.T) {
	r := rpcResults()
	v := r.SummarizeRPC("dubbo", "c1000", "velox")
	// 80,000 req/s on 0.8 cores and 90,000 on 0.9: 100,000 per CPU-second.
	if v.Runs != 2 || v.Rate != 85000 || math.Abs(v.PerCPU-100000) > 1e-6 || v.P50us != 750 || v.UpstreamConns != 1 {
		t.Errorf("velox = %+v", v)
	}
	m := r.SummarizeRPC("dubbo", "c1000", "mosn")
	if m.Runs != 2 || m.Failed != 1 || m.Errors != 7 || m.Statuses["100"] != 7 || math.Abs(m.PerCPU-45000) > 1e-6 {
		t.Errorf("mosn = %+v", m)
	}
	if d := r.SummarizeRPC("dubbo", "c1000", "direct"); !math.IsNaN(d.PerCPU) {
		t.Errorf("direct = %+v; want no requests per CPU-s (no proxy)", d)
	}
	got := r.RPCRoundRatios("dubbo", "c1000", "velox", "mosn", rpcPerCPU)
	if len(got) != 2 || math.Abs(got[0]-2) > 1e-9 || math.Abs(got[1]-2.5) > 1e-9 {
		t.Errorf("velox/mosn per CPU-s by round = %v, want [2 2.5]", got)
	}
}

func TestRenderRPC(t *testing.T) {
	out := rendered(renderRPC, rpcResults())
	reportHas(t, out,
		"| c1000 | direct | 100,000 | 0% | — | 0.00 | 0.40 | 0.50 | 500 µs | 1.00 ms | 1.50 ms | 0 | 1 | 0.00 | 2 |",
		"| c1000 | **velox** | 85,000 | 12% | 100,000 |",
		"| 7 (status 100 ×7) |",
		"| c1000 | 0.85 | 0.85 (0.80–0.90) | 250 µs | 2.43 | 2.22 | 2.25 (2.00–2.50) |",
		"| **velox dubbo** | 1000 | 10.0 MiB | 12.0 MiB | 2.0 KiB | 8 → 8 |",
	)
	if strings.Contains(out, "%!") {
		t.Errorf("a bad format:\n%s", out)
	}
	if ps := rpcChartPanels(rpcResults()); len(ps) != 3 || len(ps[0].bars) != 3 || ps[0].bars[1] != (bar{"velox", 85000}) {
		t.Errorf("rpcChartPanels = %v", ps)
	}
	if out := rendered(renderRPC, &Results{}); out != "" {
		t.Errorf("a report without rpc runs has an rpc section: %q", out)
	}
}

func TestRPCReportOnly(t *testing.T) {
	reportOnlyHas(t, rpcResults(),
		"## RPC: Dubbo and SOFA Bolt (medians)",
		"# rpc dubbo-c1000 (direct)\ntaskset -c 1 rpcload -protocol dubbo",
		"round 3, rpc dubbo-c1000, mosn: rpcload: no answer in the window",
	)
}

func TestParseRPCLoad(t *testing.T) {
	r, err := ParseRPCLoad(`{"protocol":"bolt","conns":10,"requests":500,"seconds":5,"rate":100,"p50_us":120,"p99_us":300,` +
		`"p999_us":900,"max_us":1000,"errors":2,"bad_status":2,"statuses":{"4":2}}` + "\n")
	if err != nil || r.Rate != 100 || r.P99us != 300 || r.Errors != 2 || r.Statuses["4"] != 2 {
		t.Errorf("ParseRPCLoad = %+v, %v", r, err)
	}
	if _, err := ParseRPCLoad("rpcload: no answer\n"); err == nil {
		t.Error("ParseRPCLoad of no JSON: no error")
	}
}
