package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// grpcResults has two rounds of unary-c1: direct, velox and HAProxy, and
// one velox run that failed.
func grpcResults() *Results {
	r := &Results{H2Targets: []TargetStatus{
		{Phase: "grpc", Name: "direct", Available: true},
		{Phase: "grpc", Name: "velox", Available: true},
		{Phase: "grpc", Name: "haproxy", Available: true},
	}}
	run := func(round int, target string, rps float64, p50us int, cpu float64) GRPCRun {
		return GRPCRun{Round: round, Scenario: "unary-c1", Target: target, TargetCPU: cpu, UpstreamConns: 1,
			Ghz: GhzResult{RPS: rps, P50: time.Duration(p50us) * time.Microsecond, Average: time.Duration(p50us+10) * time.Microsecond,
				Status: map[string]int64{"OK": 100}}}
	}
	r.GRPCRuns = []GRPCRun{
		run(1, "direct", 8000, 100, 0), run(1, "velox", 2000, 400, 0.25), run(1, "haproxy", 1800, 450, 0.2),
		run(2, "direct", 9000, 90, 0), run(2, "velox", 2200, 410, 0.25), run(2, "haproxy", 2000, 420, 0.25),
		{Round: 3, Scenario: "unary-c1", Target: "velox", Err: "process exited during the run: boom"},
	}
	r.GRPCRuns[0].UpstreamConns = -1
	r.GRPCRuns[3].UpstreamConns = -1
	return r
}

func TestSummarizeGRPC(t *testing.T) {
	r := grpcResults()
	v := r.SummarizeGRPC("unary-c1", "velox")
	if v.Runs != 2 || v.Failed != 1 || v.Rate != 2100 || v.PerCPU != 8400 || v.P50us != 405 || v.UpstreamConns != 1 {
		t.Errorf("velox = %+v", v)
	}
	d := r.SummarizeGRPC("unary-c1", "direct")
	if !math.IsNaN(d.PerCPU) || !math.IsNaN(d.UpstreamConns) || d.P50us != 95 {
		t.Errorf("direct = %+v; want no calls per CPU-s (no proxy), no upstream conns", d)
	}
	if got := r.GRPCRoundOverheads("unary-c1", "velox"); !slices.Equal(got, []float64{300, 320}) {
		t.Errorf("overheads = %v, want [300 320]", got)
	}
}

func TestRenderGRPC(t *testing.T) {
	reportHas(t, rendered(renderGRPC, grpcResults()),
		"| unary-c1 | direct | 8,500 | 12% | — | 0.00 |",
		"| unary-c1 | **velox** | 2,100 | 10% | 8,400 | 0.25 |",
		"| 310 µs | 310 µs | 0 | 1 |", // velox overhead p50 and mean
		"| unary-c1 | 1.11 | 0.99 | 310 µs (300 µs–320 µs) | 340 µs (330 µs–350 µs) |",
	)
}

// TestRenderBaseRatios: with a velox-base target the report compares it
// with velox round by round; without one it says nothing.
func TestRenderBaseRatios(t *testing.T) {
	r := &Results{Settings: Settings{Scenarios: []string{"get-12b"}},
		Targets: []TargetStatus{{Name: "velox", Available: true}, {Name: "velox-base", Available: true}}}
	for round, rates := range [][2]float64{{100, 100}, {90, 100}, {110, 100}} {
		for i, target := range []string{"velox", "velox-base"} {
			r.Runs = append(r.Runs, Run{Round: round + 1, Scenario: "get-12b", Target: target, TargetCPU: 0.5,
				Wrk: WrkResult{RPS: rates[i], P99: time.Millisecond}})
		}
	}
	var b strings.Builder
	p := func(f string, args ...any) { fmt.Fprintf(&b, f+"\n", args...) }
	renderBaseRatios(p, r)
	if want := "| get-12b | 1.00 | 1.00 | 1.00 | 1.00 (0.90–1.10) |"; !strings.Contains(b.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, b.String())
	}
	b.Reset()
	r.Targets = r.Targets[:1]
	renderBaseRatios(p, r)
	if b.Len() != 0 {
		t.Errorf("without velox-base: %q", b.String())
	}
}
