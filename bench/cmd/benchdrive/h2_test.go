package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNginxH2(t *testing.T) {
	for _, c := range []struct {
		version    string
		listenOpts string
		serverH2   bool
	}{
		{"nginx/1.22.1", " http2", false},
		{"nginx/1.25.0", " http2", false},
		{"nginx/1.25.1", "", true},
		{"nginx/1.26.3", "", true},
		{"nginx/2.0", "", true},
		{"", " http2", false},
	} {
		l, s := nginxH2(c.version)
		if l != c.listenOpts || s != c.serverH2 {
			t.Errorf("nginxH2(%q) = %q, %v; want %q, %v", c.version, l, s, c.listenOpts, c.serverH2)
		}
	}
}

func TestH2loadArgs(t *testing.T) {
	got := strings.Join(h2Scenarios[0].h2loadArgs("127.0.0.1:9", 5*time.Second), " ")
	if want := "-c16 -m32 -t1 -D 5 http://127.0.0.1:9/12"; got != want {
		t.Errorf("h2loadArgs = %q, want %q", got, want)
	}
}

// The output of `ss -tnpH state established '( dport = :40767 )'`.
func TestCountPid(t *testing.T) {
	out := `0      0      127.0.0.1:41234 127.0.0.1:40767 users:(("velox",pid=30979,fd=12))
0      0      127.0.0.1:41236 127.0.0.1:40767 users:(("velox",pid=30979,fd=13))
0      0      127.0.0.1:41238 127.0.0.1:40767 users:(("haproxy",pid=309790,fd=13))
0      0      127.0.0.1:41240 127.0.0.1:40767 users:(("haproxy",pid=3097,fd=14))
`
	if n := countPid(out, 30979); n != 2 {
		t.Errorf("countPid = %d, want 2", n)
	}
}

// TestH2Configs renders the HTTP/2 variants of the configs and has nginx
// or HAProxy check them.
func TestH2Configs(t *testing.T) {
	dir := t.TempDir()
	d := &driver{benchDir: filepath.Join("..", ".."), workDir: dir, wwwDir: filepath.Join(dir, "www"), originAddr: "127.0.0.1:1"}
	listen, on := nginxH2(versionWord(output("nginx", "-v"), "version:", 1))
	for _, tmpl := range []string{"origin.conf.tmpl", "nginx-proxy.conf.tmpl"} {
		prefix, err := d.nginxDir("h2-" + strings.TrimSuffix(tmpl, ".conf.tmpl"))
		if err != nil {
			t.Fatal(err)
		}
		conf := filepath.Join(prefix, "nginx.conf")
		data := confData{Dir: prefix, Listen: "127.0.0.1:2", Upstream: "127.0.0.1:1", WWW: d.wwwDir, ListenOpts: listen, ServerH2: on}
		if err := d.render(tmpl, conf, data); err != nil {
			t.Fatal(err)
		}
		checkRendered(t, conf, "nginx", "-t", "-q", "-p", prefix, "-c", conf, "-e", filepath.Join(prefix, "error.log"))
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := d.render("haproxy.cfg.tmpl", cfg, confData{Dir: dir, Listen: "127.0.0.1:2", Upstream: "127.0.0.1:1",
		BindOpts: " proto h2", ServerOpts: " proto h2"}); err != nil {
		t.Fatal(err)
	}
	checkRendered(t, cfg, "haproxy", "-c", "-q", "-f", cfg)
	yaml := filepath.Join(dir, "velox.yaml")
	if err := d.render("velox-h2up.yaml.tmpl", yaml, confData{Listen: "127.0.0.1:2", Upstream: "127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	checkRendered(t, yaml, "true")
}

func sampleH2Results() *Results {
	r := sampleResults()
	r.H2Targets = []TargetStatus{
		{Phase: "h2", Name: "velox", Available: true}, {Phase: "h2", Name: "nginx", Available: true},
		{Phase: "h2", Name: "haproxy", Available: true},
		{Phase: "h2h2", Name: "velox", Available: true}, {Phase: "h2h2", Name: "haproxy", Available: true},
	}
	run := func(round int, phase, target string, rps, cpu float64, failed int64, up int) H2Run {
		return H2Run{Round: round, Phase: phase, Scenario: "c16-m32", Target: target, TargetCPU: cpu, LoadCPU: 0.9, UpstreamConns: up,
			Command: "taskset -c 1 h2load -c16 -m32 -t1 -D 5 http://ADDR/12",
			H2load:  H2loadResult{RPS: rps, Succeeded: 10, Failed: failed, ReqMean: 2 * time.Millisecond, ReqMax: 30 * time.Millisecond}}
	}
	r.H2Runs = []H2Run{
		run(1, "h2", "velox", 60000, 0.5, 0, 512), run(2, "h2", "velox", 80000, 0.5, 2, 500),
		run(1, "h2", "nginx", 50000, 1, 0, 64), run(2, "h2", "nginx", 50000, 1, 0, 64),
		run(1, "h2", "haproxy", 40000, 1, 0, 512), run(2, "h2", "haproxy", 40000, 1, 0, 512),
		run(1, "h2h2", "velox", 30000, 1, 0, 380), run(1, "h2h2", "haproxy", 60000, 1, 0, 6),
	}
	r.H2Runs[7].UnmeasuredFailed = 5
	r.H2Runs = append(r.H2Runs, H2Run{Round: 2, Phase: "h2h2", Scenario: "c16-m32", Target: "velox", Err: "h2load: timed out", UpstreamConns: -1})
	r.H2Idle = []IdleResult{{Target: "velox", Conns: 100, RSSBefore: 1 << 20, RSSAfter: 1<<20 + 400000}}
	return r
}

func TestRenderH2(t *testing.T) {
	var b bytes.Buffer
	renderMarkdown(&b, sampleH2Results(), "chart.png")
	md := b.String()
	reportHas(t, md,
		"| h2 velox |  | measured |",
		"### h2: h2c (prior knowledge) from h2load, HTTP/1.1 to the origin",
		"| c16-m32 | **velox** | 70,000 | 29% | 140,000 | 0.50 | 0.90 | 2.00 ms | 30.00 ms | **2** | 506 | 0.00 | 2 |",
		"| c16-m32 | nginx | 50,000 | 0% | 50,000 | 1.00 | 0.90 | 2.00 ms | 30.00 ms | 0 | 64 |",
		"| c16-m32 | 1.40 | 2.80 | 1.40 (1.20–1.60) | 1.75 | 3.50 | 1.75 (1.50–2.00) |",
		"nginx is not in this phase",
		"| c16-m32 | haproxy | 60,000 | — | 60,000 | 1.00 | 0.90 | 2.00 ms | 30.00 ms | **0 +5 unmeasured** | 6 |",
		"| c16-m32 | **velox** | 30,000 | — | 30,000 | 1.00 | 0.90 | 2.00 ms | 30.00 ms | 0 | 380 | 0.00 | 1 (+1 failed) |",
		"## Idle HTTP/2 connections",
		"| **velox** | 100 | 1.0 MiB | 1.4 MiB | 3.9 KiB |",
		"# h2 c16-m32\ntaskset -c 1 h2load -c16 -m32 -t1 -D 5 http://ADDR/12",
		"- round 2, h2h2 c16-m32, velox: h2load: timed out",
	)
	if ps := h2ChartPanels(sampleH2Results()); len(ps) != 4 || len(ps[0].bars) != 3 || len(ps[2].bars) != 2 {
		t.Errorf("h2ChartPanels: %d panels", len(ps))
	}
	if _, err := renderChart(sampleH2Results()); err != nil {
		t.Fatal(err)
	}
}

func TestVeloxErrorLines(t *testing.T) {
	log := `2026-12-01T11:47:41.336807325Z velox: listening on [127.0.0.1:43975]
2026-12-01T11:47:42.580384476Z upstream: : HTTP/2 connection error from 127.0.0.1:40305: h2: connection error: PROTOCOL_ERROR
2026-12-01T11:47:42.580394759Z proxy: 127.0.0.1 "GET 127.0.0.1:43975/12": 502 backend closed the connection before a complete response (origin 127.0.0.1:40305)
2026-12-01T11:47:42.580465568Z proxy: 127.0.0.1 "GET 127.0.0.1:43975/12": 502 backend closed the connection before a complete response (origin 127.0.0.1:40305)
2026-12-01T11:49:10.1Z velox: terminated: draining
`
	lines := veloxErrorLines(log)
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "upstream: ") {
		t.Fatalf("veloxErrorLines = %q", lines)
	}
	kinds := lineKinds(lines, 4)
	want := []string{
		"2 × `proxy: 127.0.0.1 \"GET 127.0.0.1:43975/12\": 502 backend closed the connection before a complete response (origin 127.0.0.1:40305)`",
		"1 × `upstream: : HTTP/2 connection error from 127.0.0.1:40305: h2: connection error: PROTOCOL_ERROR`",
	}
	if strings.Join(kinds, "\n") != strings.Join(want, "\n") {
		t.Errorf("lineKinds =\n%s\nwant\n%s", strings.Join(kinds, "\n"), strings.Join(want, "\n"))
	}
}
