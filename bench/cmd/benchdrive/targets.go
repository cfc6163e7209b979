package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// CPU placement, the same for every target: the process under test alone on
// cpuTarget; wrk, echoload and the origin on cpuLoad.
const (
	cpuTarget = 0
	cpuLoad   = 1
)

// Target is one server under test, started on a port of its own.
type Target struct {
	Name string
	Desc string
	// start launches it on 127.0.0.1:port, in front of the origin when it
	// is a proxy.
	start func(d *driver, port int) (*proc, error)
}

// targets are the servers of the HTTP scenarios and of the idle test, in
// report order.
var targets = []Target{
	{Name: "velox", Desc: "bin/velox proxy --loops 1 --pin-cpus 0", start: startVelox},
	{Name: "nginx", Desc: "nginx, 1 worker (master_process off), upstream keepalive 64", start: startNginxProxy},
	{Name: "haproxy", Desc: "HAProxy, nbthread 1, http-reuse always", start: startHAProxy},
	{Name: "goproxy", Desc: "Go net/http + httputil.ReverseProxy, GOMAXPROCS=1", start: startGoProxy},
	{Name: "direct", Desc: "the origin itself (a second nginx instance on CPU 0): the ceiling", start: startDirect},
}

// bodies are the origin's fixed responses, by path.
var bodies = map[string]int{"/12": 12, "/4k": 4 << 10, "/64k": 64 << 10}

// echoBody is the origin's answer to POST /echo and GET /12 (both written
// into origin.conf.tmpl; /4k is there too, /64k is a file).
const echoBody = "hello world\n"

type confData struct {
	Dir, Listen, Upstream, WWW string
	NoFile, MaxConn            int
	// Half4K is half of the /4k body: the origin answers /4k with it twice
	// from its config (nginx refuses a config token of 4 KiB).
	Half4K string
	// HTTP/2 (h2c) in the h2 phases: nginx's listen parameter (" http2"
	// before 1.25.1) or its `http2 on;` (ServerH2); HAProxy's bind and
	// server options (" proto h2").
	ListenOpts, BindOpts, ServerOpts string
	ServerH2                         bool
}

// half4K is confData.Half4K; bodies["/4k"] is 4 KiB of the same byte.
var half4K = strings.Repeat("x", 2<<10)

// render writes template benchDir/conf/tmpl, filled with data, to out.
func (d *driver) render(tmpl, out string, data confData) error {
	t, err := template.ParseFiles(filepath.Join(d.benchDir, "conf", tmpl))
	if err != nil {
		return err
	}
	data.NoFile = fileLimit()
	data.MaxConn = maxConns()
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return err
	}
	return os.WriteFile(out, b.Bytes(), 0o644)
}

// nginxDir makes a prefix directory for one nginx instance, with its temp dirs.
func (d *driver) nginxDir(name string) (string, error) {
	dir := filepath.Join(d.workDir, name)
	for _, sub := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// startNginx runs nginx from template tmpl on port; h2 makes its listener
// speak h2c (prior knowledge) only.
func (d *driver) startNginx(name, tmpl string, cpu, port int, h2 bool) (*proc, error) {
	dir, err := d.nginxDir(name)
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "nginx.conf")
	data := confData{Dir: dir, Listen: addrOf(port), Upstream: d.originAddr, WWW: d.wwwDir, Half4K: half4K}
	if h2 {
		data.ListenOpts, data.ServerH2 = nginxH2(d.res.Versions["nginx"])
	}
	if err := d.render(tmpl, conf, data); err != nil {
		return nil, err
	}
	return d.procs.Start(name, cpu, nil, "nginx", "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
}

// startOrigin writes the fixed bodies and starts the origin on cpuLoad.
func (d *driver) startOrigin(port int) (*proc, error) {
	if err := os.MkdirAll(d.wwwDir, 0o755); err != nil {
		return nil, err
	}
	for path, n := range bodies {
		body := bytes.Repeat([]byte("x"), n)
		if n == 12 {
			body = []byte(echoBody)
		}
		if err := os.WriteFile(filepath.Join(d.wwwDir, path[1:]), body, 0o644); err != nil {
			return nil, err
		}
	}
	d.originAddr = addrOf(port)
	return d.startNginx("origin", "origin.conf.tmpl", cpuLoad, port, false)
}

func startDirect(d *driver, port int) (*proc, error) {
	return d.startNginx("direct-"+strconv.Itoa(port), "origin.conf.tmpl", cpuTarget, port, false)
}

func startNginxProxy(d *driver, port int) (*proc, error) {
	return d.startNginx("nginx-"+strconv.Itoa(port), "nginx-proxy.conf.tmpl", cpuTarget, port, false)
}

func startHAProxy(d *driver, port int) (*proc, error) {
	return d.startHAProxyWith(port, confData{Upstream: d.originAddr})
}

// startHAProxyWith runs HAProxy on port from haproxy.cfg.tmpl (mode http)
// with data's upstream and options.
func (d *driver) startHAProxyWith(port int, data confData) (*proc, error) {
	return d.startHAProxyFrom("haproxy.cfg.tmpl", port, data)
}

// startHAProxyFrom runs HAProxy on port from template tmpl, with data's
// upstream and options, one process (-db) on cpuTarget.
func (d *driver) startHAProxyFrom(tmpl string, port int, data confData) (*proc, error) {
	name := "haproxy-" + strconv.Itoa(port)
	dir := filepath.Join(d.workDir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	data.Dir, data.Listen = dir, addrOf(port)
	if err := d.render(tmpl, cfg, data); err != nil {
		return nil, err
	}
	return d.procs.Start(name, cpuTarget, nil, "haproxy", "-db", "-f", cfg)
}

func startGoProxy(d *driver, port int) (*proc, error) {
	return d.procs.Start("goproxy-"+strconv.Itoa(port), cpuTarget, []string{"GOMAXPROCS=1"},
		filepath.Join(d.binDir, "goproxy"), "-listen", addrOf(port), "-to", d.originAddr)
}

func startVelox(d *driver, port int) (*proc, error) { return d.startVeloxBin(d.veloxBin, port) }

// startVeloxBase runs the -velox-base binary, an earlier build of velox
// measured beside the current one so that a change's effect is seen in the
// same run, on the same noisy machine.
func startVeloxBase(d *driver, port int) (*proc, error) { return d.startVeloxBin(d.veloxBase, port) }

// withBase adds the velox-base target right after velox when bin is set.
func withBase(ts []Target, bin string) []Target {
	if bin == "" {
		return ts
	}
	base := Target{Name: "velox-base", Desc: "an earlier build (VELOX_BASE), proxy --loops 1 --pin-cpus 0", start: startVeloxBase}
	return append(ts[:1:1], append([]Target{base}, ts[1:]...)...)
}

func (d *driver) startVeloxBin(bin string, port int) (*proc, error) {
	var admin string
	var extra []string
	if d.profile {
		aport, err := freePort()
		if err != nil {
			return nil, err
		}
		admin = addrOf(aport)
		extra = append(extra, "--admin", admin)
	}
	p, err := d.startVeloxTo("velox-", bin, port, d.originAddr, extra...)
	if err == nil && admin != "" && bin == d.veloxBin {
		d.veloxAdmin = admin
	}
	return p, err
}

// startVeloxTo runs `bin proxy --listen PORT --to upstream --loops 1
// --pin-cpus cpuTarget` with extra flags on cpuTarget; name prefixes its
// log.
func (d *driver) startVeloxTo(name, bin string, port int, upstream string, extra ...string) (*proc, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("no velox binary: %w", err)
	}
	args := append([]string{bin, "proxy", "--listen", addrOf(port), "--to", upstream,
		"--loops", "1", "--pin-cpus", strconv.Itoa(cpuTarget)}, extra...)
	return d.procs.Start(name+strconv.Itoa(port), cpuTarget, nil, args...)
}

// maxConns is how many connections a target can be asked to hold: HAProxy
// refuses to start with a maxconn over half the open file limit.
func maxConns() int { return max((fileLimit()-200)/2, 1000) }

// fileLimit is the open file limit this process (and so each target) has.
func fileLimit() int {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur > 1<<20 {
		return 65536
	}
	return int(lim.Cur)
}

func addrOf(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// launch starts t on a free port, waits for it to listen and checks that it
// serves every body of the scenarios correctly.
func (d *driver) launch(t Target) (*proc, string, error) { return d.launchChecked(t, checkServes) }

// launchChecked is launch with the check of the target's phase.
func (d *driver) launchChecked(t Target, check func(addr string) error) (*proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	p, err := t.start(d, port)
	if err != nil {
		return nil, "", err
	}
	addr := addrOf(port)
	if err := waitListening(p, addr, 10*time.Second); err != nil {
		d.procs.Stop(p, time.Second)
		return nil, "", err
	}
	if err := check(addr); err != nil {
		d.procs.Stop(p, time.Second)
		return nil, "", fmt.Errorf("%s does not serve the benchmark correctly: %w\n%s", t.Name, err, p.LogTail(10))
	}
	return p, addr, nil
}

// checkServes fetches each fixed body twice over keep-alive and POSTs 4 KiB
// to /echo.
func checkServes(addr string) error {
	c := &http.Client{Timeout: 5 * time.Second}
	defer c.CloseIdleConnections()
	for range 2 {
		for path, n := range bodies {
			body, err := fetch(c, "GET", "http://"+addr+path, "")
			if err != nil {
				return err
			}
			if len(body) != n {
				return fmt.Errorf("GET %s: %d body bytes, want %d", path, len(body), n)
			}
		}
		body, err := fetch(c, "POST", "http://"+addr+"/echo", strings.Repeat("x", 4096))
		if err != nil {
			return err
		}
		if body != echoBody {
			return fmt.Errorf("POST /echo: body %q, want %q", body, echoBody)
		}
	}
	return nil
}

func fetch(c *http.Client, method, url, body string) (string, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", method, url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s %s: status %d", method, url, resp.StatusCode)
	}
	return string(b), nil
}
