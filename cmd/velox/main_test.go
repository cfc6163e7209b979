package main

// End-to-end tests of the velox command: TestMain builds the binary once, and
// each test runs it as a subprocess against net/http origins on 127.0.0.1.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// e2Wait bounds every wait in these tests.
const e2Wait = 10 * time.Second

// e2Bin is the velox binary TestMain built.
var e2Bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "velox-cmd-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	e2Bin = filepath.Join(dir, "velox")
	build := exec.Command("go", append(append([]string{"build"}, buildTags...), "-o", e2Bin, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building velox:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// e2Lines collects a process's output (it is the cmd's Stdout or Stderr,
// so Wait returns only once all of it is in) and lets tests wait for text.
type e2Lines struct {
	mu   sync.Mutex
	text strings.Builder
	more chan struct{} // closed and replaced on every write
}

func newE2Lines() *e2Lines { return &e2Lines{more: make(chan struct{})} }

func (l *e2Lines) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.text.Write(b)
	close(l.more)
	l.more = make(chan struct{})
	return len(b), nil
}

func (l *e2Lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.text.String()
}

// waitMatch waits until re matches the output after offset from (a byte
// offset from an earlier String), and returns the submatches. exited, when
// closed, means no more output will come.
func (l *e2Lines) waitMatch(t *testing.T, re *regexp.Regexp, from int, exited <-chan struct{}) []string {
	t.Helper()
	deadline := time.After(e2Wait)
	for {
		l.mu.Lock()
		s, more := l.text.String(), l.more
		l.mu.Unlock()
		if m := re.FindStringSubmatch(s[from:]); m != nil {
			return m
		}
		select {
		case <-more:
		case <-exited:
			if m := re.FindStringSubmatch(l.String()[from:]); m != nil {
				return m
			}
			t.Fatalf("velox exited without output matching %q; got:\n%s", re, s)
		case <-deadline:
			t.Fatalf("no output matching %q within %v; got:\n%s", re, e2Wait, s)
		}
	}
}

// waitStderr waits for re on the process's stderr after offset from.
func (p *e2Proc) waitStderr(t *testing.T, re *regexp.Regexp, from int) []string {
	t.Helper()
	return p.stderr.waitMatch(t, re, from, p.done)
}

// e2Proc is a running velox.
type e2Proc struct {
	cmd    *exec.Cmd
	stdout *e2Lines
	stderr *e2Lines
	done   chan struct{}
	err    error // valid after done
}

// e2Start runs velox with args; the process is killed when the test ends if
// it is still running.
func e2Start(t *testing.T, args ...string) *e2Proc {
	t.Helper()
	cmd := exec.Command(e2Bin, args...)
	p := &e2Proc{cmd: cmd, done: make(chan struct{}), stdout: newE2Lines(), stderr: newE2Lines()}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting velox: %v", err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// signal sends sig to the process.
func (p *e2Proc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *e2Proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(e2Wait):
		t.Fatalf("velox did not exit within %v; stderr:\n%s", e2Wait, p.stderr)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatalf("velox: %v", p.err)
	}
	return 0
}

var (
	e2ListenRE = regexp.MustCompile(`velox: listening on \[([0-9.]+:[0-9]+)\]`)
	e2AdminRE  = regexp.MustCompile(`admin: listening on http://([0-9.]+:[0-9]+)`)
)

// e2NamedOrigin is an origin that answers its name; hold, if set, is how long
// it sleeps on /slow. entered gets a value when a /slow request arrives.
func e2NamedOrigin(t *testing.T, name string, hold time.Duration, entered chan<- struct{}) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			if entered != nil {
				entered <- struct{}{}
			}
			time.Sleep(hold)
		}
		w.Header().Set("X-Origin", name)
		io.WriteString(w, name)
	}))
	t.Cleanup(s.Close)
	return s
}

func e2Addr(s *httptest.Server) string { return s.Listener.Addr().String() }

// e2Client is a keep-alive client with a bounded timeout.
func e2Client(t *testing.T) *http.Client {
	tr := &http.Transport{Proxy: nil}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: e2Wait,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// e2Get fetches url and returns the status, the X-Origin header and the body.
func e2Get(t *testing.T, c *http.Client, url string) (int, string, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: body: %v", url, err)
	}
	return resp.StatusCode, resp.Header.Get("X-Origin"), string(b)
}

// TestDemo runs `velox` with no arguments: it prints what to curl and
// serves the demo on 127.0.0.1:8080.
func TestDemo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:8080")
	if err != nil {
		t.Skipf("the demo binds 127.0.0.1:8080, which is busy: %v", err)
	}
	ln.Close()
	p := e2Start(t)
	p.stdout.waitMatch(t, regexp.MustCompile(`curl -i http://127\.0\.0\.1:8080/api/hello`), 0, p.done)
	m := p.stdout.waitMatch(t, regexp.MustCompile(`two origins on (127\.0\.0\.1:\d+) and (127\.0\.0\.1:\d+)`), 0, p.done)
	if m[1] == m[2] {
		t.Errorf("both demo origins on %s", m[1])
	}

	c := e2Client(t)
	// One keep-alive connection stays on one loop, whose round robin
	// alternates between the origins.
	var seen []string
	for range 4 {
		status, origin, body := e2Get(t, c, "http://127.0.0.1:8080/api/hello")
		if status != 200 || !strings.Contains(body, "GET /api/hello") || !strings.Contains(body, "X-Demo: velox") {
			t.Fatalf("GET /api/hello: %d %q", status, body)
		}
		seen = append(seen, origin)
	}
	if seen[0] == seen[1] || seen[0] != seen[2] || seen[1] != seen[3] ||
		!strings.HasPrefix(seen[0], "origin-") || !strings.HasPrefix(seen[1], "origin-") {
		t.Errorf("answered by %v, want origin-1 and origin-2 in turn", seen)
	}
	if status, _, body := e2Get(t, c, "http://127.0.0.1:8080/admin"); status != 403 || body != "admin is closed\n" {
		t.Errorf("GET /admin: %d %q, want 403", status, body)
	}
	resp, err := c.Get("http://127.0.0.1:8080/old")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 301 || resp.Header.Get("Location") != "/new" {
		t.Errorf("GET /old: %d Location %q, want 301 /new", resp.StatusCode, resp.Header.Get("Location"))
	}
	p.signal(t, syscall.SIGINT)
	if code := p.wait(t); code != 0 {
		t.Errorf("demo exited %d after SIGINT, want 0; stderr:\n%s", code, p.stderr)
	}
}

// e2StatsDoc is the part of /stats the tests read.
type e2StatsDoc struct {
	Loops []struct {
		Loop          int    `json:"loop"`
		RequestsTotal uint64 `json:"requests_total"`
		Responses2xx  uint64 `json:"responses_2xx"`
	} `json:"loops"`
	Clusters map[string][]struct {
		Addr     string `json:"addr"`
		Healthy  bool   `json:"healthy"`
		Requests uint64 `json:"requests"`
	} `json:"clusters"`
}

// TestQuickMode runs `velox proxy --listen --to --admin`.
func TestQuickMode(t *testing.T) {
	a, b := e2NamedOrigin(t, "A", 0, nil), e2NamedOrigin(t, "B", 0, nil)
	p := e2Start(t, "proxy", "--listen", "127.0.0.1:0", "--to", e2Addr(a)+","+e2Addr(b),
		"--admin", "127.0.0.1:0", "--loops", "2", "--busy-poll", "50us")
	admin := p.waitStderr(t, e2AdminRE, 0)[1]
	addr := p.waitStderr(t, e2ListenRE, 0)[1]
	c := e2Client(t)

	var seen []string
	for range 6 {
		status, origin, body := e2Get(t, c, "http://"+addr+"/rr")
		if status != 200 || body != origin {
			t.Fatalf("GET /rr: %d %q from %q", status, body, origin)
		}
		seen = append(seen, origin)
	}
	if got := strings.Join(seen, ""); got != "ABABAB" && got != "BABABA" {
		t.Errorf("answered by %s, want A and B in turn", got)
	}

	if status, _, body := e2Get(t, c, "http://"+admin+"/healthz"); status != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", status, body)
	}
	// The counters of the last response may be a moment behind its bytes
	// (the loop counts after writing): read /stats until they settle.
	var st e2StatsDoc
	var body string
	var reqs, ok uint64
	for deadline := time.Now().Add(5 * time.Second); ; {
		var status int
		status, _, body = e2Get(t, c, "http://"+admin+"/stats")
		if status != 200 {
			t.Fatalf("/stats: %d", status)
		}
		st = e2StatsDoc{}
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatalf("/stats is not JSON: %v\n%s", err, body)
		}
		reqs, ok = 0, 0
		for _, l := range st.Loops {
			reqs += l.RequestsTotal
			ok += l.Responses2xx
		}
		if reqs == 6 && ok == 6 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(st.Loops) != 2 {
		t.Errorf("/stats has %d loops, want 2 (--loops 2)", len(st.Loops))
	}
	if reqs != 6 || ok != 6 {
		t.Errorf("/stats loops: requests_total %d, responses_2xx %d; want 6 and 6\n%s", reqs, ok, body)
	}
	per := map[string]uint64{}
	for _, bs := range st.Clusters["backends"] {
		per[bs.Addr] = bs.Requests
		if !bs.Healthy {
			t.Errorf("backend %s not healthy", bs.Addr)
		}
	}
	if per[e2Addr(a)] != 3 || per[e2Addr(b)] != 3 {
		t.Errorf("/stats clusters.backends requests %v, want 3 each for %s and %s\n%s", per, e2Addr(a), e2Addr(b), body)
	}
	if status, _, body := e2Get(t, c, "http://"+admin+"/debug/pprof/"); status != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/: %d, body without goroutine profile", status)
	}

	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0; stderr:\n%s", code, p.stderr)
	}
}

// e2ConfigFor is a config routing everything to one origin, with its
// listener on a free port.
func e2ConfigFor(origin string) string {
	return fmt.Sprintf(`listeners:
  - address: 127.0.0.1:0
products:
  - name: site
    hosts: [localhost]
    default_cluster: origin
default_product: site
clusters:
  - name: origin
    backends:
      - address: %s
timeouts:
  drain: 5s
`, origin)
}

// e2BadWeightConfig has one error: line 11, clusters[0].backends[0].weight.
const e2BadWeightConfig = `listeners:
  - address: 127.0.0.1:0
products:
  - name: site
    hosts: [localhost]
    default_cluster: origin
clusters:
  - name: origin
    backends:
      - address: 127.0.0.1:9
        weight: -3
`

func e2WriteFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestBadConfig: an invalid file is refused at start, naming line and field.
func TestBadConfig(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string
	}{
		{"bad weight", e2BadWeightConfig, []string{"bad.yaml:11:", "clusters[0].backends[0].weight"}},
		{"unknown field", "listeners:\n  - address: 127.0.0.1:0\n    adress: x\n",
			[]string{"bad.yaml:3:", "adress"}},
		{"unknown cluster", strings.Replace(e2ConfigFor("127.0.0.1:9"), "default_cluster: origin", "default_cluster: nope", 1),
			[]string{"bad.yaml:6:", "products[0].default_cluster", "nope"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.yaml")
			e2WriteFile(t, path, tc.text)
			ctx, cancel := context.WithTimeout(context.Background(), e2Wait)
			defer cancel()
			out, err := exec.CommandContext(ctx, e2Bin, "-config", path).CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 0 {
				t.Fatalf("velox -config bad.yaml: err %v, want a non-zero exit; output:\n%s", err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output does not name %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestBadBusyPoll: a --busy-poll out of range is refused, naming the flag.
func TestBadBusyPoll(t *testing.T) {
	for _, v := range []string{"2ms", "-1us"} {
		ctx, cancel := context.WithTimeout(context.Background(), e2Wait)
		out, err := exec.CommandContext(ctx, e2Bin, "proxy", "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--busy-poll", v).CombinedOutput()
		cancel()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() == 0 {
			t.Fatalf("--busy-poll %s: err %v, want a non-zero exit; output:\n%s", v, err, out)
		}
		if !strings.Contains(string(out), "--busy-poll") || !strings.Contains(string(out), "out of range") {
			t.Errorf("--busy-poll %s: output does not say the flag is out of range:\n%s", v, out)
		}
	}
}

// TestReload: SIGHUP with a valid edit switches routing; with an invalid
// one, velox logs why and keeps serving the old config.
func TestReload(t *testing.T) {
	a, b := e2NamedOrigin(t, "A", 0, nil), e2NamedOrigin(t, "B", 0, nil)
	path := filepath.Join(t.TempDir(), "velox.yaml")
	e2WriteFile(t, path, e2ConfigFor(e2Addr(a)))
	p := e2Start(t, "-config", path, "--loops", "2")
	addr := p.waitStderr(t, e2ListenRE, 0)[1]
	c := e2Client(t)
	if _, origin, _ := e2Get(t, c, "http://"+addr+"/"); origin != "A" {
		t.Fatalf("before reload: answered by %q, want A", origin)
	}

	e2WriteFile(t, path, e2ConfigFor(e2Addr(b)))
	from := len(p.stderr.String())
	p.signal(t, syscall.SIGHUP)
	p.waitStderr(t, regexp.MustCompile(`reload: new config in use`), from)
	// The same keep-alive connection and new ones both see the new routing.
	for i := range 4 {
		if i == 2 {
			c = e2Client(t)
		}
		if _, origin, _ := e2Get(t, c, "http://"+addr+"/"); origin != "B" {
			t.Fatalf("after a valid reload, request %d answered by %q, want B", i, origin)
		}
	}

	e2WriteFile(t, path, e2BadWeightConfig)
	from = len(p.stderr.String())
	p.signal(t, syscall.SIGHUP)
	m := p.waitStderr(t, regexp.MustCompile(`reload: refused, old config keeps serving: (.*)`), from)
	if !strings.Contains(m[1], "velox.yaml:11:") || !strings.Contains(m[1], "clusters[0].backends[0].weight") {
		t.Errorf("reload error does not name line and field: %q", m[1])
	}
	for range 3 {
		if status, origin, _ := e2Get(t, c, "http://"+addr+"/"); status != 200 || origin != "B" {
			t.Fatalf("after a refused reload: %d from %q, want 200 from B", status, origin)
		}
	}
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Errorf("exit code %d, want 0; stderr:\n%s", code, p.stderr)
	}
}

// TestSIGTERMDrainsInFlight: a request in flight when SIGTERM arrives
// completes with 200, and velox then exits 0.
func TestSIGTERMDrainsInFlight(t *testing.T) {
	entered := make(chan struct{}, 1)
	slow := e2NamedOrigin(t, "slow", 300*time.Millisecond, entered)
	path := filepath.Join(t.TempDir(), "velox.yaml")
	e2WriteFile(t, path, e2ConfigFor(e2Addr(slow)))
	p := e2Start(t, "-config", path)
	addr := p.waitStderr(t, e2ListenRE, 0)[1]

	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		c := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: e2Wait}
		resp, err := c.Get("http://" + addr + "/slow")
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{resp.StatusCode, string(b), err}
	}()
	select {
	case <-entered:
	case <-time.After(e2Wait):
		t.Fatal("the slow request never reached the origin")
	}
	p.signal(t, syscall.SIGTERM)
	select {
	case r := <-done:
		if r.err != nil || r.status != 200 || r.body != "slow" {
			t.Errorf("in-flight request: %d %q %v, want 200 \"slow\"", r.status, r.body, r.err)
		}
	case <-time.After(e2Wait):
		t.Fatal("in-flight request did not finish")
	}
	if code := p.wait(t); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0; stderr:\n%s", code, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "terminated: draining") {
		t.Errorf("stderr does not log the drain:\n%s", p.stderr)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Errorf("velox still accepts on %s after exiting", addr)
	}
}

// TestHelp: -h, --help and help print every mode and every flag to stdout
// and exit 0, for velox and for velox proxy; a wrong flag exits non-zero
// and says where help is.
func TestHelp(t *testing.T) {
	common := []string{"-loops", "-pin-cpus", "-busy-poll", "-admin", "-verbose"}
	top := append([]string{"velox -config FILE", "velox proxy --listen", "h2c://ADDR", "demo", "-config"}, common...)
	quick := append([]string{"velox proxy --listen ADDR --to ADDR", "--to h2c://ADDR", "-listen", "-to", "h2c://host:port", "-balancer"}, common...)
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"-h"}, top},
		{[]string{"--help"}, top},
		{[]string{"help"}, top},
		{[]string{"proxy", "-h"}, quick},
		{[]string{"proxy", "--help"}, quick},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), e2Wait)
			defer cancel()
			cmd := exec.CommandContext(ctx, e2Bin, tc.args...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("velox %v: %v, want exit 0; stderr:\n%s", tc.args, err, stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("velox %v does not list %q:\n%s", tc.args, w, out)
				}
			}
		})
	}
	for _, args := range [][]string{{"-nope"}, {"proxy", "-nope"}} {
		out, err := exec.Command(e2Bin, args...).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() == 0 || !strings.Contains(string(out), "-h lists the flags") {
			t.Errorf("velox %v: err %v, output %q; want a non-zero exit pointing at -h", args, err, out)
		}
	}
}

// TestLogRepeatsFlag: with --log-repeats 1, a burst of identical failures
// (a dead backend: 502, then 503 once it is ejected) writes few lines, and
// the summary lines account for every one left out.
func TestLogRepeatsFlag(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	p := e2Start(t, "proxy", "--listen", "127.0.0.1:0", "--to", deadAddr, "--log-repeats", "1", "--loops", "1")
	addr := p.waitStderr(t, e2ListenRE, 0)[1]
	c := e2Client(t)
	const n = 20
	for range n {
		if status, _, _ := e2Get(t, c, "http://"+addr+"/"); status != 502 && status != 503 {
			t.Fatalf("GET through a dead backend: %d, want 502 or 503", status)
		}
	}
	p.signal(t, syscall.SIGTERM) // Close sums up the last interval
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, p.stderr)
	}
	log := p.stderr.String()
	written := len(regexp.MustCompile(`proxy: 127\.0\.0\.1 "GET `).FindAllString(log, -1))
	left := 0
	for _, m := range regexp.MustCompile(`proxy: 50[23] [^\n]*: repeated (\d+) more times in 1s`).FindAllStringSubmatch(log, -1) {
		k, _ := strconv.Atoi(m[1])
		left += k
	}
	if written+left != n || written >= n {
		t.Errorf("%d lines written and %d summed up, want %d in all with some summed up; stderr:\n%s", written, left, n, log)
	}
}

// TestBadLogRepeats: a negative --log-repeats is refused, naming the flag.
func TestBadLogRepeats(t *testing.T) {
	out, err := exec.Command(e2Bin, "proxy", "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9", "--log-repeats", "-1").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 || !strings.Contains(string(out), "--log-repeats") {
		t.Errorf("--log-repeats -1: err %v, output %q; want a non-zero exit naming the flag", err, out)
	}
}

// TestReloadKeepsMaxInput: limits.max_input is read at start; a reload that
// changes it is applied otherwise and says the new value waits for a restart.
func TestReloadKeepsMaxInput(t *testing.T) {
	a := e2NamedOrigin(t, "A", 0, nil)
	path := filepath.Join(t.TempDir(), "velox.yaml")
	e2WriteFile(t, path, e2ConfigFor(e2Addr(a)))
	p := e2Start(t, "-config", path, "--loops", "1")
	p.waitStderr(t, e2ListenRE, 0)
	e2WriteFile(t, path, e2ConfigFor(e2Addr(a))+"limits:\n  max_input: 65536\n")
	from := len(p.stderr.String())
	p.signal(t, syscall.SIGHUP)
	p.waitStderr(t, regexp.MustCompile(`reload: new config in use`), from)
	p.waitStderr(t, regexp.MustCompile(`reload: limits.max_input 65536 takes effect at the next start; 1048576 stays in force`), from)
	p.signal(t, syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Errorf("exit code %d, want 0; stderr:\n%s", code, p.stderr)
	}
}

// e2AnyListenRE and e2AnyAdminRE match the "listening" lines with any host.
var (
	e2AnyListenRE = regexp.MustCompile(`velox: listening on \[(\S+):([0-9]+)\]`)
	e2AnyAdminRE  = regexp.MustCompile(`admin: listening on http://(\S+):([0-9]+)(.*)`)
)

// TestPortOnlyMeansEveryIPv4Address: ":PORT" is read one way for --listen,
// a config file's listeners and --admin: every IPv4 address (0.0.0.0), as
// nginx and HAProxy read it; each answers on 127.0.0.1, and the admin line
// warns that it is not loopback only. "127.0.0.1:PORT" stays loopback.
func TestPortOnlyMeansEveryIPv4Address(t *testing.T) {
	a := e2NamedOrigin(t, "A", 0, nil)
	c := e2Client(t)
	check := func(t *testing.T, p *e2Proc, wantAdmin bool) {
		t.Helper()
		m := p.waitStderr(t, e2AnyListenRE, 0)
		if m[1] != "0.0.0.0" || e2KernelListenIP(t, m[2]) != "00000000" {
			t.Errorf("listener on %s (kernel: %s), want 0.0.0.0", m[1], e2KernelListenIP(t, m[2]))
		}
		if status, origin, _ := e2Get(t, c, "http://127.0.0.1:"+m[2]+"/"); status != 200 || origin != "A" {
			t.Errorf("GET on 127.0.0.1:%s: %d from %q", m[2], status, origin)
		}
		if !wantAdmin {
			return
		}
		m = p.waitStderr(t, e2AnyAdminRE, 0)
		if m[1] != "0.0.0.0" || e2KernelListenIP(t, m[2]) != "00000000" || !strings.Contains(m[3], "not loopback") {
			t.Errorf("admin on %s (kernel: %s) with %q, want 0.0.0.0 and a not-loopback warning", m[1], e2KernelListenIP(t, m[2]), m[3])
		}
		if status, _, _ := e2Get(t, c, "http://127.0.0.1:"+m[2]+"/healthz"); status != 200 {
			t.Errorf("admin /healthz on 127.0.0.1:%s: %d", m[2], status)
		}
	}
	t.Run("--listen and --admin", func(t *testing.T) {
		check(t, e2Start(t, "proxy", "--listen", ":0", "--admin", ":0", "--to", e2Addr(a), "--loops", "1"), true)
	})
	t.Run("config listener", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "velox.yaml")
		e2WriteFile(t, path, strings.Replace(e2ConfigFor(e2Addr(a)), "address: 127.0.0.1:0", "address: :0", 1))
		check(t, e2Start(t, "-config", path, "--loops", "1"), false)
	})
	t.Run("loopback stays loopback", func(t *testing.T) {
		p := e2Start(t, "proxy", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--to", e2Addr(a), "--loops", "1")
		if m := p.waitStderr(t, e2AnyAdminRE, 0); m[1] != "127.0.0.1" || m[3] != "" {
			t.Errorf("admin 127.0.0.1:0 logged as %s with %q, want 127.0.0.1 and no warning", m[1], m[3])
		}
		if m := p.waitStderr(t, e2AnyListenRE, 0); m[1] != "127.0.0.1" || e2KernelListenIP(t, m[2]) != "0100007F" {
			t.Errorf("listener 127.0.0.1:0 logged as %s (kernel: %s)", m[1], e2KernelListenIP(t, m[2]))
		}
	})
	t.Run("admin host name refused", func(t *testing.T) {
		out, err := exec.Command(e2Bin, "proxy", "--listen", "127.0.0.1:0", "--to", e2Addr(a), "--admin", "example.com:9901").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "--admin: host must be an IP address") {
			t.Errorf("--admin example.com:9901: err %v, output %q; want it refused", err, out)
		}
	})
}

// e2KernelListenIP is the local IPv4 address, as /proc/net/tcp writes it
// (hex, "00000000" = 0.0.0.0, "0100007F" = 127.0.0.1), of the socket
// listening on port: what the kernel bound, not what velox logged.
func e2KernelListenIP(t *testing.T, port string) string {
	t.Helper()
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("port %q: %v", port, err)
	}
	data, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Skipf("no /proc/net/tcp: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 3 && f[3] == "0A" && strings.HasSuffix(f[1], fmt.Sprintf(":%04X", n)) {
			return strings.TrimSuffix(f[1], fmt.Sprintf(":%04X", n))
		}
	}
	return "none"
}

// TestQuickModeH2C runs `velox proxy --to h2c://ADDR` in front of a Go
// origin that speaks only h2c: HTTP/1.1 and HTTP/2 clients reach it over
// HTTP/2, sharing one connection.
func TestQuickModeH2C(t *testing.T) {
	var conns atomic.Int64
	o := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	}))
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	o.Config.Protocols = &p
	o.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	o.Start()
	defer o.Close()
	proc := e2Start(t, "proxy", "--listen", "127.0.0.1:0", "--to", "h2c://"+e2Addr(o), "--loops", "1")
	addr := proc.waitStderr(t, e2ListenRE, 0)[1]
	var cp http.Protocols
	cp.SetUnencryptedHTTP2(true)
	h2c := &http.Client{Transport: &http.Transport{Protocols: &cp}, Timeout: e2Wait}
	for _, c := range []*http.Client{e2Client(t), h2c, e2Client(t)} {
		resp, err := c.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "HTTP/2.0" {
			t.Fatalf("client %s: %d %q, want the origin to see HTTP/2.0", resp.Proto, resp.StatusCode, b)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("origin saw %d connections, want 1", n)
	}
}

// TestQuickModeMixedSchemes: h2c:// and plain backends together, or
// another scheme, are refused with a message that says why.
func TestQuickModeMixedSchemes(t *testing.T) {
	for _, tc := range []struct{ to, want string }{
		{"h2c://127.0.0.1:9,127.0.0.1:10", "mixes h2c:// and plain backends"},
		{"127.0.0.1:9,h2c://127.0.0.1:10", "mixes h2c:// and plain backends"},
		{"http://127.0.0.1:9", "scheme http:// is not supported"},
	} {
		out, err := exec.Command(e2Bin, "proxy", "--listen", "127.0.0.1:0", "--to", tc.to).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() == 0 || !strings.Contains(string(out), tc.want) {
			t.Errorf("--to %s: err %v, output %q; want a non-zero exit saying %q", tc.to, err, out, tc.want)
		}
	}
}
