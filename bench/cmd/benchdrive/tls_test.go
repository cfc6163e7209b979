package main

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseTLSLoad(t *testing.T) {
	for _, c := range []struct {
		file           string
		conns, resumed int64
		rate, p50      float64
		wantErr        string
	}{
		{file: "tlsload-resumed.json", conns: 4013, resumed: 3997, rate: 1333.06, p50: 11222.291},
		{file: "tlsload-full.json", conns: 2180, resumed: 0, rate: 714.05, p50: 16558.61},
		{file: "tlsload-refused.json", wantErr: "no connection (23688 errors)"},
	} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseTLSLoad(string(b))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: err = %v, want %q", c.file, err, c.wantErr)
			}
			continue
		}
		if err != nil || r.Conns != c.conns || r.Resumed != c.resumed || math.Abs(r.Rate-c.rate) > 0.01 || r.P50us != c.p50 {
			t.Errorf("%s: %+v, %v", c.file, r, err)
		}
	}
	if _, err := ParseTLSLoad(""); err == nil {
		t.Error("empty output parsed")
	}
	if _, err := ParseTLSLoad("tlsload: dial tcp: refused\n"); err == nil {
		t.Error("an error line parsed")
	}
}

// TestParseTLSLoads: wrk and h2load over TLS print what they print in
// clear (h2load adds its TLS lines), and the scenarios read them.
func TestParseTLSLoads(t *testing.T) {
	for _, c := range []struct {
		file string
		sc   TLSScenario
		rate float64
	}{
		{"wrk-tls.txt", tlsScenarios[0], 24952.8},
		{"h2load-tls.txt", tlsScenarios[1], 6783},
		{"tlsload-resumed.json", tlsScenarios[3], 1333.0557140447593},
	} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		var run TLSRun
		if err := c.sc.parse(string(b), &run); err != nil || math.Abs(run.Rate-c.rate) > 0.01 || run.LatencyUs <= 0 || run.Errors != 0 {
			t.Errorf("%s: %+v, %v", c.file, run, err)
		}
	}
}

func TestParseGoroutineTotal(t *testing.T) {
	if n, err := parseGoroutineTotal("goroutine profile: total 9\n"); n != 9 || err != nil {
		t.Errorf("= %d, %v", n, err)
	}
	if _, err := parseGoroutineTotal("404 page not found"); err == nil {
		t.Error("a 404 body parsed")
	}
}

func TestTLSArgs(t *testing.T) {
	want := map[string]string{
		"h1-c64":        "wrk -t1 -c64 -d5s --latency https://127.0.0.1:9/12",
		"h2-c16-m32":    "h2load -c16 -m32 -t1 -D 5 https://127.0.0.1:9/12",
		"ecdsa-full":    "B/tlsload -addr 127.0.0.1:9 -c 16 -d 5s",
		"rsa-resumed":   "B/tlsload -addr 127.0.0.1:9 -c 16 -d 5s -resume",
		"ecdsa-resumed": "B/tlsload -addr 127.0.0.1:9 -c 16 -d 5s -resume",
		"rsa-full":      "B/tlsload -addr 127.0.0.1:9 -c 16 -d 5s",
	}
	for _, s := range tlsScenarios {
		if got := strings.Join(s.args("B", "127.0.0.1:9", 5*time.Second), " "); got != want[s.Name] {
			t.Errorf("%s: %q, want %q", s.Name, got, want[s.Name])
		}
	}
	if n := len(tlsScenariosOf("tlshs", "rsa")); n != 2 {
		t.Errorf("tlshs rsa scenarios: %d", n)
	}
	if p := tlsScenarios[4].targetPhase(); p != "tlshs-rsa" {
		t.Errorf("targetPhase = %q", p)
	}
}

// TestMakeCerts: both certificates load as crypto/tls loads them (and
// the combined PEM, HAProxy's crt, too), with the key types asked for.
func TestMakeCerts(t *testing.T) {
	certs, err := makeCerts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for key, c := range certs {
		for _, pair := range [][2]string{{c.Cert, c.Key}, {c.PEM, c.PEM}} {
			kp, err := tls.LoadX509KeyPair(pair[0], pair[1])
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			switch k := kp.PrivateKey.(type) {
			case *ecdsa.PrivateKey:
				if key != "ecdsa" || k.Curve.Params().Name != "P-256" {
					t.Errorf("%s: an ECDSA %s key", key, k.Curve.Params().Name)
				}
			case *rsa.PrivateKey:
				if key != "rsa" || k.N.BitLen() != 2048 {
					t.Errorf("%s: an RSA %d key", key, k.N.BitLen())
				}
			default:
				t.Errorf("%s: a %T", key, k)
			}
			if kp.Leaf.DNSNames[0] != "localhost" {
				t.Errorf("%s: names %v", key, kp.Leaf.DNSNames)
			}
		}
	}
	if len(certs) != 2 {
		t.Errorf("%d certificates", len(certs))
	}
}

// TestTLSConfigs renders nginx's and HAProxy's TLS configs and, when they
// are installed, has them checked (they read the certificates).
func TestTLSConfigs(t *testing.T) {
	dir := t.TempDir()
	certs, err := makeCerts(filepath.Join(dir, "tls"))
	if err != nil {
		t.Fatal(err)
	}
	c := certs["ecdsa"]
	d := &driver{benchDir: filepath.Join("..", ".."), workDir: dir, originAddr: "127.0.0.1:1"}
	prefix, err := d.nginxDir("nginx")
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(prefix, "nginx.conf")
	if err := d.render("nginx-proxy.conf.tmpl", conf, confData{Dir: prefix, Listen: "127.0.0.1:2", Upstream: "127.0.0.1:1",
		ListenOpts: " ssl http2", Cert: c.Cert, Key: c.Key}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(conf); !strings.Contains(string(b), "ssl_certificate "+c.Cert+";") || !strings.Contains(string(b), "listen 127.0.0.1:2 ssl http2") {
		t.Errorf("nginx config:\n%s", b)
	}
	checkRendered(t, conf, "nginx", "-t", "-q", "-p", prefix, "-c", conf, "-e", filepath.Join(prefix, "error.log"))
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := d.render("haproxy.cfg.tmpl", cfg, confData{Dir: dir, Listen: "127.0.0.1:2", Upstream: "127.0.0.1:1", Cert: c.PEM,
		BindOpts: " ssl crt " + c.PEM + " alpn h2,http/1.1"}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(cfg); !strings.Contains(string(b), "X-Forwarded-Proto https") {
		t.Errorf("HAProxy config:\n%s", b)
	}
	checkRendered(t, cfg, "haproxy", "-c", "-q", "-f", cfg)
}

// tlsResults has two rounds of h1-c64 and of ecdsa-resumed against velox,
// nginx and HAProxy (one HAProxy run failed), and the idle TLS test.
func tlsResults() *Results {
	r := &Results{Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Commit: "abc1234"}
	for _, tp := range []string{"tls", "tlshs-ecdsa"} {
		for _, n := range []string{"velox", "nginx", "haproxy"} {
			r.H2Targets = append(r.H2Targets, TargetStatus{Phase: tp, Name: n, Available: true})
		}
	}
	run := func(round int, sc TLSScenario, target string, rate, cpu float64) TLSRun {
		run := TLSRun{Round: round, Phase: sc.Phase, Scenario: sc.Name, Target: target, Rate: rate, TargetCPU: cpu, LoadCPU: 0.9,
			LatencyUs: 900, Command: "taskset -c 1 " + shellJoin(sc.args("bench/work/bin", "127.0.0.1:9", 5*time.Second))}
		if sc.Tool == "tlsload" {
			run.Conns, run.Resumed = int64(rate*5), int64(rate*5)-16
		}
		return run
	}
	h1, res := tlsScenarios[0], tlsScenarios[3]
	r.TLSRuns = []TLSRun{
		run(1, h1, "velox", 30000, 0.5), run(1, h1, "nginx", 20000, 0.5), run(1, h1, "haproxy", 15000, 0.5),
		run(2, h1, "velox", 32000, 0.4), run(2, h1, "nginx", 16000, 0.4), run(2, h1, "haproxy", 16000, 0.4),
		run(1, res, "velox", 1600, 0.8), run(1, res, "nginx", 800, 0.4), run(1, res, "haproxy", 1000, 0.5),
		run(2, res, "velox", 1400, 0.7), run(2, res, "nginx", 1000, 0.5),
		{Round: 2, Phase: "tlshs", Scenario: res.Name, Target: "haproxy", Err: "tlsload: exit status 1: tlsload: EOF"},
	}
	r.TLSIdle = []IdleResult{
		{Target: "velox", Conns: 1000, RSSBefore: 10 << 20, RSSAfter: 10<<20 + 16000*1000, GoroutinesBefore: 9, Goroutines: 9},
		{Target: "nginx", Conns: 1000, RSSBefore: 16 << 20, RSSAfter: 16<<20 + 20000*1000},
		{Target: "haproxy", Err: "haproxy does not serve the benchmark correctly"},
	}
	return r
}

func TestSummarizeTLS(t *testing.T) {
	r := tlsResults()
	v := r.SummarizeTLS("h1-c64", "velox")
	// 30,000 on half a core: 60,000 per CPU-s; 32,000 on 0.4: 80,000.
	if v.Runs != 2 || v.Rate != 31000 || v.PerCPU != 70000 || v.LatencyUs != 900 || !math.IsNaN(v.Resumed) {
		t.Errorf("velox h1 = %+v", v)
	}
	h := r.SummarizeTLS("ecdsa-resumed", "haproxy")
	if h.Runs != 1 || h.Failed != 1 || h.PerCPU != 2000 || math.Abs(h.Resumed-(5000-16)/5000.0) > 1e-9 {
		t.Errorf("haproxy resumed = %+v", h)
	}
	got := r.TLSRoundRatios("h1-c64", "velox", "nginx", tlsRate)
	if len(got) != 2 || got[0] != 1.5 || got[1] != 2 {
		t.Errorf("velox/nginx by round = %v, want [1.5 2]", got)
	}
}

func TestRenderTLS(t *testing.T) {
	out := rendered(renderTLS, tlsResults())
	reportHas(t, out,
		"## TLS (medians)",
		"| tls | h1-c64 | **velox** | 31,000 | 6% | 70,000 | 900 µs | 0.45 | 0.90 | 0 | — | 0.00 | 2 |",
		"| tlshs | ecdsa-resumed | haproxy | 1,000 | — | 2,000 | 900 µs | 0.50 | 0.90 | 0 | 100% | 0.00 | 1 (+1 failed) |",
		"| h1-c64 | 1.72 | 1.75 (1.50–2.00) | 2.00 | 2.00 (2.00–2.00) | 1.75 | 1.75 (1.50–2.00) | 2.00 | 2.00 (2.00–2.00) |",
		"- `ecdsa-resumed` (tlshs): a new connection per request, resumed handshakes",
	)
	if strings.Contains(out, "%!") || strings.Contains(out, "rsa-full") {
		t.Errorf("a bad format verb, or a scenario that did not run:\n%s", out)
	}
	reportHas(t, rendered(renderTLSIdle, tlsResults()),
		"| **velox** | 1000 | 10.0 MiB | 25.3 MiB | 15.6 KiB | 9 → 9 |  |",
		"| nginx | 1000 | 16.0 MiB | 35.1 MiB | 19.5 KiB | — |  |",
		"| haproxy | 0 | 0.0 MiB | 0.0 MiB | — | — | haproxy does not serve the benchmark correctly |",
		"Per connection: velox/nginx 0.80, velox/HAProxy —.",
	)
	for _, f := range []func(printer, *Results){renderTLS, renderTLSIdle} {
		if out := rendered(f, &Results{}); out != "" {
			t.Errorf("a report without TLS runs has a TLS section: %q", out)
		}
	}
	if ps := tlsChartPanels(tlsResults()); len(ps) != 2 || len(ps[0].bars) != 3 || ps[0].bars[0] != (bar{"velox", 31000}) || ps[1].unit != "conn/s" {
		t.Errorf("tlsChartPanels = %v", ps)
	}
}

// TestTLSReportOnly: the TLS figures survive the JSON, and -report-only
// renders the same report, commands and failures included.
func TestTLSReportOnly(t *testing.T) {
	reportOnlyHas(t, tlsResults(),
		"## TLS (medians)",
		"## Idle TLS connections",
		"# tls h1-c64 (velox)\ntaskset -c 1 wrk -t1 -c64 -d5s --latency https://127.0.0.1:9/12",
		"# tlshs ecdsa-resumed (velox)\ntaskset -c 1 bench/work/bin/tlsload -addr 127.0.0.1:9 -c 16 -d 5s -resume",
		"round 2, tlshs ecdsa-resumed, haproxy: tlsload: exit status 1: tlsload: EOF",
	)
}
