package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tcpResults has two rounds of the single scenario: direct, velox and
// HAProxy, and one HAProxy run that failed.
func tcpResults() *Results {
	r := &Results{Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Commit: "abc1234",
		H2Targets: []TargetStatus{
			{Phase: "tcp", Name: "direct", Available: true},
			{Phase: "tcp", Name: "velox", Available: true},
			{Phase: "tcp", Name: "haproxy", Available: true},
		}}
	run := func(round int, target string, gbps, cpu float64) TCPRun {
		return TCPRun{Round: round, Scenario: "single", Target: target, TargetCPU: cpu, LoadCPU: 0.95, Wall: 5,
			Command: "taskset -c 1 iperf3 -c 127.0.0.1 -p 9 -t 5 -J",
			Iperf:   IperfResult{Streams: 1, Seconds: 5, Bytes: int64(gbps * 1e9 / 8 * 5), BitsPerSecond: gbps * 1e9, Retransmits: 3}}
	}
	r.TCPRuns = []TCPRun{
		run(1, "direct", 10, 0), run(1, "velox", 8, 0.5), run(1, "haproxy", 6, 0.6),
		run(2, "direct", 12, 0), run(2, "velox", 9, 0.5), run(2, "haproxy", 9, 0.9),
		{Round: 3, Scenario: "single", Target: "haproxy", Err: "iperf3: unable to connect to server: Connection refused"},
	}
	return r
}

func TestSummarizeTCP(t *testing.T) {
	r := tcpResults()
	v := r.SummarizeTCP("single", "velox")
	// 8 Gbit/s = 1 GB/s on half a core: 2 GB per CPU-second; 9: 2.25.
	if v.Runs != 2 || v.Failed != 0 || v.Gbps != 8.5 || math.Abs(v.PerCPU-2.125e9) > 1 || v.TargetCPU != 0.5 || v.Retransmits != 3 {
		t.Errorf("velox = %+v", v)
	}
	h := r.SummarizeTCP("single", "haproxy")
	if h.Runs != 2 || h.Failed != 1 || math.Abs(h.PerCPU-1.25e9) > 1 {
		t.Errorf("haproxy = %+v", h)
	}
	if d := r.SummarizeTCP("single", "direct"); !math.IsNaN(d.PerCPU) || d.Gbps != 11 {
		t.Errorf("direct = %+v; want no bytes per CPU-s (no proxy)", d)
	}
	got := r.TCPRoundRatios("single", "velox", "haproxy", tcpPerCPU)
	if len(got) != 2 || math.Abs(got[0]-1.6) > 1e-9 || math.Abs(got[1]-1.8) > 1e-9 {
		t.Errorf("per CPU-s by round = %v, want [1.6 1.8]", got)
	}
}

func TestRenderTCP(t *testing.T) {
	reportHas(t, rendered(renderTCP, tcpResults()),
		"| single | direct | 11.00 | 18% | — | 0.00 | 0.95 | 3 | 0.00 | 2 |",
		"| single | **velox** | 8.50 | 12% | 2.12 GB | 0.50 | 0.95 | 3 | 0.00 | 2 |",
		"| single | haproxy | 7.50 | 40% | 1.25 GB | 0.75 | 0.95 | 3 | 0.00 | 2 (+1 failed) |",
		"| single | 1.13 | 1.17 (1.00–1.33) | 1.70 | 1.70 (1.60–1.80) | 0.77 | 0.68 |",
		"| p4 | — | — | — | — | — | — |",
	)
	if out := rendered(renderTCP, tcpResults()); strings.Contains(out, "%!") {
		t.Errorf("a bad format:\n%s", out)
	}
	if out := rendered(renderTCP, &Results{}); out != "" {
		t.Errorf("a report without tcp runs has a tcp section: %q", out)
	}
	if ps := tcpChartPanels(tcpResults()); len(ps) != 3 || len(ps[0].bars) != 3 || ps[0].bars[1] != (bar{"velox", 8500}) {
		t.Errorf("tcpChartPanels = %v", ps)
	}
}

// TestTCPReportOnly: the tcp figures survive the JSON, and -report-only
// renders the same report, commands and failures included.
func TestTCPReportOnly(t *testing.T) {
	dir := t.TempDir()
	if _, err := writeReport(tcpResults(), dir, true); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "2026-01-02-abc1234.md"))
	if err != nil {
		t.Fatal(err)
	}
	reportHas(t, string(md),
		"## TCP streams (medians)",
		"# tcp server\ntaskset -c 1 iperf3 -s -B 127.0.0.1 -p PORT",
		"# tcp single (direct)\ntaskset -c 1 iperf3 -c 127.0.0.1 -p 9 -t 5 -J",
		"round 3, tcp single, haproxy: iperf3: unable to connect to server: Connection refused",
		"| tcp haproxy |",
	)
	checkRerender(t, dir, "2026-01-02-abc1234")
}

func TestIperfArgs(t *testing.T) {
	for _, c := range []struct {
		s    TCPScenario
		want string
	}{
		{tcpScenarios[0], "-c 127.0.0.1 -p 9 -t 5 -J"},
		{tcpScenarios[1], "-c 127.0.0.1 -p 9 -t 5 -J -P 4"},
		{tcpScenarios[2], "-c 127.0.0.1 -p 9 -t 5 -J -R"},
	} {
		if got := strings.Join(c.s.iperfArgs("127.0.0.1:9", 5*time.Second), " "); got != c.want {
			t.Errorf("%s: iperfArgs = %q, want %q", c.s.Name, got, c.want)
		}
	}
}

// TestTCPConfig renders HAProxy's mode tcp config and, with HAProxy
// installed, has it checked.
func TestTCPConfig(t *testing.T) {
	dir := t.TempDir()
	d := &driver{benchDir: filepath.Join("..", ".."), workDir: dir}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := d.render("haproxy-tcp.cfg.tmpl", cfg, confData{Dir: dir, Listen: "127.0.0.1:2", Upstream: "127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(cfg)
	if !strings.Contains(string(b), "mode tcp") || !strings.Contains(string(b), "nbthread 1") {
		t.Errorf("config:\n%s", b)
	}
	checkRendered(t, cfg, "haproxy", "-c", "-q", "-f", cfg)
}
