package main

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median odd = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median even = %v", m)
	}
	if m := median(nil); !math.IsNaN(m) {
		t.Errorf("median empty = %v", m)
	}
}

func TestRotate(t *testing.T) {
	xs := []string{"a", "b", "c"}
	for k, want := range [][]string{{"a", "b", "c"}, {"b", "c", "a"}, {"c", "a", "b"}, {"a", "b", "c"}} {
		if got := rotate(xs, k); !slices.Equal(got, want) {
			t.Errorf("rotate(%v, %d) = %v, want %v", xs, k, got, want)
		}
	}
}

func TestSelectScenarios(t *testing.T) {
	all, err := selectScenarios("")
	if err != nil || len(all) != len(scenarios) {
		t.Fatalf("all: %v %v", all, err)
	}
	two, err := selectScenarios("close-12b, get-12b")
	if err != nil || len(two) != 2 || two[0].Name != "get-12b" || two[1].Name != "close-12b" {
		t.Fatalf("two: %v %v", two, err)
	}
	if _, err := selectScenarios("get-12b,nope"); err == nil {
		t.Fatal("unknown scenario accepted")
	}
}

func TestWrkArgs(t *testing.T) {
	post, _ := selectScenarios("post-4k")
	got := shellJoin(post[0].wrkArgs("bench", "127.0.0.1:1", 10*time.Second))
	if want := "-t1 -c64 -d10s --latency -s bench/post4k.lua http://127.0.0.1:1/echo"; got != want {
		t.Errorf("post-4k: %s\nwant    %s", got, want)
	}
	cl, _ := selectScenarios("close-12b")
	got = shellJoin(cl[0].wrkArgs("bench", "127.0.0.1:1", 1500*time.Millisecond))
	if want := "-t1 -c64 -d2s --latency -H 'Connection: close' http://127.0.0.1:1/12"; got != want {
		t.Errorf("close-12b: %s\nwant      %s", got, want)
	}
}

func TestParseTicks(t *testing.T) {
	busy, err := parseBusyTicks("cpu  100 2 30 5000 7 1 3 4 0 0")
	if err != nil || busy != 100+2+30+4 {
		t.Errorf("parseBusyTicks = %d, %v", busy, err)
	}
	if _, err := parseBusyTicks("cpu0 1 2 3"); err == nil {
		t.Error("odd cpu line accepted")
	}
	stat := "4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0 1000 0 0"
	ticks, err := parseProcTicks(stat)
	if err != nil || ticks != 325 {
		t.Errorf("parseProcTicks = %d, %v", ticks, err)
	}
	if _, err := parseProcTicks("1 (x) S 1"); err == nil {
		t.Error("short stat accepted")
	}
}

func TestBestOf(t *testing.T) {
	d := &driver{ctx: t.Context(), maxOthers: 0.25, retries: 2, retryBudget: 100}
	// Disturbed, then quiet: stops at the quiet one.
	others := []float64{0.9, 0.1, 0.0}
	i := 0
	got, n := bestOf(d, "t", func() (Run, float64, bool) {
		o := others[i]
		i++
		return Run{Others: o}, o, false
	})
	if n != 2 || got.Others != 0.1 {
		t.Errorf("bestOf = %+v after %d tries", got, n)
	}
	// Always disturbed: three tries, the least disturbed kept.
	others, i = []float64{0.9, 0.5, 0.7}, 0
	got, n = bestOf(d, "t", func() (Run, float64, bool) {
		o := others[i]
		i++
		return Run{Others: o}, o, false
	})
	if n != 3 || got.Others != 0.5 {
		t.Errorf("bestOf = %+v after %d tries", got, n)
	}
	// No budget left: one try.
	d.retryBudget = 0
	others, i = []float64{0.9, 0.5, 0.7}, 0
	if _, n = bestOf(d, "t", func() (Run, float64, bool) {
		o := others[i]
		i++
		return Run{Others: o}, o, false
	}); n != 1 {
		t.Errorf("bestOf without budget tried %d times", n)
	}
	// A failure that says stop: one try.
	got, n = bestOf(d, "t", func() (Run, float64, bool) { return Run{Err: "exited"}, 0, true })
	if n != 1 || got.Err != "exited" {
		t.Errorf("bestOf = %+v after %d tries", got, n)
	}
}

func TestParseVmRSS(t *testing.T) {
	got, err := parseVmRSS("Name:\tnginx\nVmPeak:\t  100 kB\nVmRSS:\t    8584 kB\nThreads:\t1\n")
	if err != nil || got != 8584*1024 {
		t.Errorf("parseVmRSS = %d, %v", got, err)
	}
	if _, err := parseVmRSS("Name:\tx\n"); err == nil {
		t.Error("status without VmRSS accepted")
	}
}

// sampleResults has two rounds of two scenarios, a failed run, idle and
// yardstick figures.
func sampleResults() *Results {
	r := &Results{
		Started:  time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Command:  "ROUNDS=2 DURATION=10s ./bench/run.sh",
		Commit:   "abc1234+dirty",
		Machine:  Machine{Cores: 2, CPU: "Test CPU", Kernel: "6.1.0", Memory: "24.0 GiB"},
		Versions: map[string]string{"go": "go1.26", "nginx": "nginx/1.22.1"},
		Settings: Settings{Rounds: 2, Duration: 10 * time.Second, Warmup: time.Second, Scenarios: []string{"get-12b", "close-12b"}, IdleConns: 100,
			EngineRounds: 3, EngineCPU: 0.5, EngineCap: "cgroup v1 `cpu.cfs_quota_us` = 5000 per `cpu.cfs_period_us` = 10000"},
		Targets: []TargetStatus{
			{Name: "velox", Available: true}, {Name: "nginx", Available: true},
			{Name: "haproxy", Reason: "exited | badly"},
		},
		Engines: []EngineStatus{{Name: "velox", Available: true}, {Name: "gnet", Available: true}},
	}
	r.Finished = r.Started.Add(time.Minute)
	add := func(round int, sc, t string, rps float64, p99 time.Duration, errs int64, fail string) {
		r.Runs = append(r.Runs, Run{Round: round, Scenario: sc, Target: t, Command: "wrk " + sc, Err: fail,
			Wrk: WrkResult{RPS: rps, P50: p99 / 4, P99: p99, Non2xx: errs}, TargetCPU: 0.5, LoadCPU: 0.9})
	}
	add(1, "get-12b", "velox", 100, 4*time.Millisecond, 0, "")
	add(2, "get-12b", "velox", 120, 2*time.Millisecond, 1, "")
	add(1, "get-12b", "nginx", 100, 2*time.Millisecond, 0, "")
	add(2, "get-12b", "nginx", 90, 2*time.Millisecond, 0, "")
	add(1, "close-12b", "velox", 50, time.Millisecond, 0, "")
	add(2, "close-12b", "velox", 0, 0, 0, "wrk: timed out")
	add(1, "close-12b", "nginx", 60, time.Millisecond, 0, "")
	r.Idle = []IdleResult{
		{Target: "velox", Conns: 100, RSSBefore: 1 << 20, RSSAfter: 1<<20 + 100*2048},
		{Target: "nginx", Conns: 100, RSSBefore: 1 << 20, RSSAfter: 1<<20 + 100*1024},
	}
	r.Engine = []EngineRun{
		{Round: 1, Mode: "echo", Engine: "velox", Rate: 200},
		{Round: 1, Mode: "echo", Engine: "gnet", Rate: 100},
		{Round: 2, Mode: "echo", Engine: "gnet", Rate: 200},
		{Round: 2, Mode: "echo", Engine: "velox", Rate: 180},
		{Round: 3, Mode: "echo", Engine: "velox", Rate: 190},
		{Round: 3, Mode: "echo", Engine: "gnet", Err: "engineserve exited"},
	}
	return r
}

func TestEngineRoundRatios(t *testing.T) {
	r := sampleResults()
	// Round 3 has no gnet figure: only rounds 1 (200/100) and 2 (180/200) pair.
	if got := r.EngineRoundRatios("echo", "velox", "gnet"); !slices.Equal(got, []float64{0.9, 2}) {
		t.Errorf("velox/gnet by round = %v, want [0.9 2]", got)
	}
	if got := r.EngineRoundRatios("echo", "velox", "netpoll"); len(got) != 0 {
		t.Errorf("velox/netpoll by round = %v, want none", got)
	}
	if got, want := fmtRange([]float64{0.9, 1.1, 2}), "1.10 (0.90–2.00)"; got != want {
		t.Errorf("fmtRange = %q, want %q", got, want)
	}
	if got := fmtRange(nil); got != "—" {
		t.Errorf("fmtRange(nil) = %q", got)
	}
	if got := (Settings{Rounds: 3}).engineRounds(); got != 3 {
		t.Errorf("engineRounds without EngineRounds = %d, want Rounds", got)
	}
}

func TestSummarizeRuns(t *testing.T) {
	r := sampleResults()
	s := r.SummarizeRuns("get-12b", "velox")
	if s.Runs != 2 || s.Rate != 110 || s.P99us != 3000 || s.Errors != 1 {
		t.Errorf("get-12b velox = %+v", s)
	}
	s = r.SummarizeRuns("close-12b", "velox")
	if s.Runs != 1 || s.Failed != 1 || s.Rate != 50 {
		t.Errorf("close-12b velox = %+v", s)
	}
	if s := r.SummarizeRuns("get-64k", "velox"); s.Runs != 0 || !math.IsNaN(s.Rate) {
		t.Errorf("missing cell = %+v", s)
	}
}

func TestBarChecks(t *testing.T) {
	got := map[string]string{}
	for _, c := range sampleResults().barChecks() {
		got[c.what] = c.verdict()
	}
	want := map[string]string{
		"get-12b: velox req/s ≥ nginx":               "pass",     // 110 / 95
		"get-12b: velox req/s ≥ HAProxy":             "n/a",      // not runnable
		"get-12b: velox p99 ≤ nginx p99":             "**FAIL**", // 3 ms / 2 ms
		"close-12b: velox req/s within 10% of nginx": "**FAIL**", // 50 / 60
		"idle: velox memory per connection ≤ nginx":  "**FAIL**", // 2 KiB / 1 KiB
		"engine echo: velox ≥ gnet":                  "pass",
		"engine echo: velox ≥ netpoll":               "n/a",
		"engine http: velox ≥ gnet":                  "n/a",
		"engine http: velox ≥ netpoll":               "n/a",
	}
	for what, v := range want {
		if got[what] != v {
			t.Errorf("%s: %q, want %q", what, got[what], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("checks %v", got)
	}
}

func TestWriteReport(t *testing.T) {
	dir := t.TempDir()
	if paths, err := writeReport(sampleResults(), t.TempDir(), false); err != nil || len(paths) != 3 {
		t.Fatalf("without latest.md: wrote %v, %v", paths, err)
	}
	paths, err := writeReport(sampleResults(), dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 4 {
		t.Fatalf("wrote %v", paths)
	}
	md, err := os.ReadFile(filepath.Join(dir, "2026-01-02-abc1234.md"))
	if err != nil {
		t.Fatal(err)
	}
	latest, _ := os.ReadFile(filepath.Join(dir, "latest.md"))
	if !bytes.Equal(md, latest) {
		t.Error("latest.md differs from the dated report")
	}
	reportHas(t, string(md),
		"Command: `ROUNDS=2 DURATION=10s ./bench/run.sh`",
		"| get-12b | **velox** | 110 | 18% | 750 µs | 3.00 ms | 1 | 0.50 | 220 | 0.90 | 0.00 | 2 |",
		"| close-12b | **velox** | 50 | — | 250 µs | 1.00 ms | 0 | 0.50 | 100 | 0.90 | 0.00 | 1 (+1 failed) |",
		"| get-12b | 1.16 | — | — | — | 1.16 | — | 1.50 |",
		"| get-12b: velox req/s ≥ nginx | 1.158 | pass | 1.158 | pass | 1.17 (1.00–1.33) | 2 of 2 |",
		"| get-12b: velox p99 ≤ nginx p99 | 1.500 | **FAIL** |  |  | 1.50 (1.00–2.00) | 1 of 2 |",
		"| engine echo: velox ≥ gnet | 1.267 | pass |  |  | 1.45 (0.90–2.00) | 1 of 2 |",
		"| idle: velox memory per connection ≤ nginx | 2.000 | **FAIL** |  |  |  |  |",
		"**not runnable**: exited \\| badly",
		"| **velox** | 100 | 1.0 MiB | 1.2 MiB | 2.0 KiB |",
		"| echo | 1.27 | — | — | — | 1.45 (0.90–2.00) | — |",
		"3 interleaved round(s), order rotated by one each round",
		"Each server ran capped at 0.50 of a core (cgroup v1 `cpu.cfs_quota_us` = 5000 per `cpu.cfs_period_us` = 10000, in a cgroup of its own)",
		"![requests per second per scenario and proxy](2026-01-02-abc1234.png)",
		"round 2, close-12b, velox: wrk: timed out",
	)
	f, err := os.Open(filepath.Join(dir, "2026-01-02-abc1234.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != chartWidth || b.Dy() < 200 {
		t.Errorf("chart is %v", b)
	}
	checkRerender(t, dir, "2026-01-02-abc1234")
}

// reportHas checks that report has every line of want.
func reportHas(t *testing.T, report string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(report, w) {
			t.Errorf("report lacks %q:\n%s", w, report)
		}
	}
}

// rendered is what render writes of r.
func rendered(render func(printer, *Results), r *Results) string {
	var b strings.Builder
	render(func(f string, args ...any) { fmt.Fprintf(&b, f+"\n", args...) }, r)
	return b.String()
}

// checkRerender renders the report of dir's BASE.json again (-report-only)
// and compares it with BASE.md, which must have no bad format verb.
func checkRerender(t *testing.T, dir, base string) {
	t.Helper()
	md, err := os.ReadFile(filepath.Join(dir, base+".md"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(md, []byte("%!")) {
		t.Errorf("%s.md has a bad format verb:\n%s", base, md)
	}
	again := t.TempDir()
	if _, err := rerender(filepath.Join(dir, base+".json"), again); err != nil {
		t.Fatal(err)
	}
	md2, _ := os.ReadFile(filepath.Join(again, "latest.md"))
	if !bytes.Equal(md, md2) {
		t.Error("report rendered from JSON differs")
	}
}

// TestConfigs renders each config template and, when the program is
// installed, has nginx or HAProxy check it (no server is started).
func TestConfigs(t *testing.T) {
	dir := t.TempDir()
	d := &driver{benchDir: filepath.Join("..", ".."), workDir: dir, wwwDir: filepath.Join(dir, "www"), originAddr: "127.0.0.1:1"}
	for _, tmpl := range []string{"origin.conf.tmpl", "nginx-proxy.conf.tmpl"} {
		prefix, err := d.nginxDir(strings.TrimSuffix(tmpl, ".conf.tmpl"))
		if err != nil {
			t.Fatal(err)
		}
		conf := filepath.Join(prefix, "nginx.conf")
		if err := d.render(tmpl, conf, confData{Dir: prefix, Listen: "127.0.0.1:2", Upstream: "127.0.0.1:1", WWW: d.wwwDir}); err != nil {
			t.Fatal(err)
		}
		checkRendered(t, conf, "nginx", "-t", "-q", "-p", prefix, "-c", conf, "-e", filepath.Join(prefix, "error.log"))
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := d.render("haproxy.cfg.tmpl", cfg, confData{Dir: dir, Listen: "127.0.0.1:2", Upstream: "127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	checkRendered(t, cfg, "haproxy", "-c", "-q", "-f", cfg)
}

func checkRendered(t *testing.T, path string, check ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "{{") || !strings.Contains(string(b), "127.0.0.1:2") {
		t.Errorf("%s badly rendered:\n%s", path, b)
	}
	if _, err := exec.LookPath(check[0]); err != nil {
		t.Logf("%s not installed: config not checked", check[0])
		return
	}
	if out, err := exec.Command(check[0], check[1:]...).CombinedOutput(); err != nil {
		t.Errorf("%s: %v\n%s", strings.Join(check, " "), err, out)
	}
}

func TestRenderEngineCap(t *testing.T) {
	for _, c := range []struct {
		set  Settings
		want string
	}{
		{Settings{EngineCPU: 0.25, EngineCap: "cgroup v2 `cpu.max` = `2500 10000`"}, "capped at 0.25 of a core (cgroup v2 `cpu.max` = `2500 10000`"},
		{Settings{EngineCap: "none: permission denied"}, "without a CPU cap (none: permission denied)"},
		{Settings{}, "this run predates it"},
	} {
		var b strings.Builder
		renderEngineCap(func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }, c.set)
		if !strings.Contains(b.String(), c.want) {
			t.Errorf("%+v: %q lacks %q", c.set, b.String(), c.want)
		}
	}
}
