// Package h2spec runs the h2spec HTTP/2 conformance tool against a server
// under test and reports its cases. Tests of velox's HTTP/2 side import it;
// nothing else does.
//
// h2spec is pinned by the tools module (tools/go.mod, a module of its own so
// that the main module's ./... never builds it). Run builds it once per
// process with `go build` inside tools/ into a temporary directory keyed by
// tools/go.mod and go.sum, so later runs and other test binaries reuse it.
// By hand: `go tool -modfile=tools/go.mod h2spec -h 127.0.0.1 -p PORT`.
package h2spec

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// toolPkg is h2spec's command package, required by tools/go.mod.
const toolPkg = "github.com/summerwind/h2spec/cmd/h2spec"

// runTimeout bounds one h2spec run (about 150 cases, 2 s timeout each at
// worst).
const runTimeout = 8 * time.Minute

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Run runs h2spec against the h2c (prior knowledge) server at addr
// ("127.0.0.1:PORT"), with its 2-second case timeout, the strict cases too
// if strict, and returns the names of the cases that passed and that failed
// (skipped ones are in neither). A name is the section's id and the case's
// description, as "http2/8.1.2.3: Sends a HEADERS frame ...". Each failure's
// detail is logged. Run fails t if h2spec cannot be built or writes no
// report; h2spec's own exit status (1 when any case fails) is not an error.
func Run(t testing.TB, addr string, strict bool) (passed, failed []string) {
	t.Helper()
	return run(t, addr, strict, false)
}

// RunTLS is Run against an HTTP/2 server over TLS at addr (h2spec -t -k:
// ALPN h2, the certificate not verified).
func RunTLS(t testing.TB, addr string, strict bool) (passed, failed []string) {
	t.Helper()
	return run(t, addr, strict, true)
}

func run(t testing.TB, addr string, strict, tls bool) (passed, failed []string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("h2spec: address %q: %v", addr, err)
	}
	bin := binary(t)
	report := filepath.Join(t.TempDir(), "h2spec-junit.xml")
	args := []string{"-h", host, "-p", port, "-o", "2", "--junit-report", report}
	if strict {
		args = append(args, "-S")
	}
	if tls {
		args = append(args, "-t", "-k")
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	cases, err := parseReport(report)
	if err != nil {
		t.Fatalf("h2spec %v: %v (run: %v)\n%s", args, err, runErr, out.Bytes())
	}
	for _, c := range cases {
		switch {
		case c.Skipped != nil:
			t.Logf("h2spec skipped: %s", c.name())
		case c.Failure != nil || c.Error != nil:
			failed = append(failed, c.name())
			t.Logf("h2spec failed: %s\n%s", c.name(), c.detail())
		default:
			passed = append(passed, c.name())
		}
	}
	if testing.Verbose() {
		t.Logf("h2spec %v:\n%s", args, tail(out.Bytes(), 600))
	}
	return passed, failed
}

// tail returns the last n bytes of b.
func tail(b []byte, n int) []byte { return b[max(0, len(b)-n):] }

// binary returns the path of h2spec, building it on first use.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() { binPath, buildErr = build() })
	if buildErr != nil {
		t.Fatalf("h2spec: %v", buildErr)
	}
	return binPath
}

// build compiles h2spec from the tools module, unless a binary built from
// the same tools/go.mod and go.sum is already there.
func build() (string, error) {
	dir, err := toolsDir()
	if err != nil {
		return "", err
	}
	key, err := modKey(dir)
	if err != nil {
		return "", err
	}
	out := filepath.Join(os.TempDir(), "velox-h2spec-"+key, "h2spec")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	tmp := out + ".tmp" + hex.EncodeToString([]byte{byte(os.Getpid()), byte(os.Getpid() >> 8)})
	cmd := exec.Command("go", "build", "-o", tmp, toolPkg)
	cmd.Dir = dir
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New("go build " + toolPkg + " in " + dir + ": " + err.Error() + "\n" + string(msg))
	}
	return out, os.Rename(tmp, out) // atomic: parallel test binaries may race
}

// toolsDir finds tools/go.mod in the working directory or a parent (go test
// runs in the package's directory).
func toolsDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "tools", "go.mod")); err == nil {
			return filepath.Join(dir, "tools"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no tools/go.mod above the working directory")
		}
		dir = parent
	}
}

// modKey hashes the tools module's go.mod and go.sum.
func modKey(dir string) (string, error) {
	h := sha256.New()
	for _, name := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "", err
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
