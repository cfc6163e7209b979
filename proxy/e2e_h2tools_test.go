package proxy

import (
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// tool finds a command the Makefile's deps-test installs (nghttp2-client).
func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed: `make test` installs it (make deps-test)", name)
	}
	return path
}

// runTool runs a command with a deadline and returns its combined output.
func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(tool(t, name), args...)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not finish in 60s:\n%s", name, out)
	}
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// h2load with many streams per connection: every request succeeds.
func TestH2LoadThroughVelox(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.URL.Path)
	})
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	out := runTool(t, "h2load", "-n", "4000", "-c", "4", "-m", "32", "-t", "1", tp.url("/load"))
	m := regexp.MustCompile(`requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no requests line in h2load's output:\n%s", out)
	}
	if m[1] != "4000" || m[4] != "4000" || m[5] != "0" || m[6] != "0" {
		t.Fatalf("h2load: %s\n%s", m[0], out)
	}
	if !strings.Contains(out, "status codes: 4000 2xx") {
		t.Fatalf("h2load status codes:\n%s", out)
	}
	if n := o.reqs.Load(); n != 4000 {
		t.Fatalf("origin saw %d requests, want 4000", n)
	}
}

// nghttp (the nghttp2 client) gets the response and velox's SETTINGS.
func TestNghttpThroughVelox(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen-Host", r.Host)
		fmt.Fprint(w, "hello nghttp")
	})
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	out := runTool(t, "nghttp", "-v", "-n", tp.url("/n"))
	for _, want := range []string{"recv SETTINGS frame", ":status: 200", "x-seen-host: " + tp.addr, "END_STREAM"} {
		if !strings.Contains(out, want) {
			t.Fatalf("nghttp output lacks %q:\n%s", want, out)
		}
	}
	out = runTool(t, "nghttp", tp.url("/n"))
	if strings.TrimSpace(out) != "hello nghttp" {
		t.Fatalf("nghttp body: %q", out)
	}
}

// curl with prior knowledge, upload included.
func TestCurlHTTP2PriorKnowledge(t *testing.T) {
	o := newOrigin(t, h2SumHandler)
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	out := runTool(t, "curl", "-sS", "--http2-prior-knowledge", "-D", "-", "--data-binary", "hello curl", tp.url("/c?q=1"))
	if !strings.HasPrefix(out, "HTTP/2 200") {
		t.Fatalf("curl: %s", out)
	}
	if !strings.Contains(out, "POST /c?q=1 10 "+sumOf([]byte("hello curl"))) {
		t.Fatalf("curl body: %s", out)
	}
}
