package rpcpeer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// The peers that run as their own processes, on 127.0.0.1: servers
// (Start) and clients that print a JSON result (RunJSON), the dubbo-go
// v3.3.2 peer (DubboPeer, internal/dubbopeer) and node/sofarpc.js
// (sofa-rpc-node 2.10.0). Used by the proxy's end-to-end tests and by the
// tests of bench/cmd/rpcload and bench/cmd/rpcserve.

// Bounds of a peer: how long a server may take to listen, and a client to
// finish.
const (
	StartWait = 30 * time.Second
	RunWait   = 60 * time.Second
)

// Proc is a peer server running as a subprocess.
type Proc struct {
	Cmd  *exec.Cmd
	Addr string
	out  bytes.Buffer // its stdout and stderr: read only once done is closed
	done chan struct{}
}

// Start runs name args in dir (the test's directory when empty) as a
// server that listens on addr, and waits up to StartWait until it accepts
// connections. The server is killed at the end of the test.
func Start(t testing.TB, addr, dir, name string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Cmd: exec.Command(name, args...), Addr: addr, done: make(chan struct{})}
	p.Cmd.Dir = dir
	p.Cmd.Stdout, p.Cmd.Stderr = &p.out, &p.out
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.Cmd.Wait(); close(p.done) }()
	t.Cleanup(p.Kill)
	deadline := time.Now().Add(StartWait)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before listening on %s:\n%s", name, addr, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			p.Kill()
			t.Fatalf("%s not listening on %s:\n%s", name, addr, p.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill ends the server and waits for it; it may be called again.
func (p *Proc) Kill() {
	p.Cmd.Process.Kill()
	<-p.done
}

// Result is what a client peer prints: calls answered OK and failed, the
// first errors, and the answers counted by the server name they carry.
type Result struct {
	OK      int            `json:"ok"`
	Failed  int            `json:"failed"`
	Errors  []string       `json:"errors"`
	Servers map[string]int `json:"servers"`
}

// RunJSON runs name args in dir (a client) bounded by RunWait, and decodes
// the JSON line it prints last into out.
func RunJSON(t testing.TB, out any, dir, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), RunWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, tail(stderr.String()))
	}
	var last string
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "{") {
			last = l
		}
	}
	if err := json.Unmarshal([]byte(last), out); err != nil {
		t.Fatalf("%s: no result line (%v):\n%s\n%s", name, err, stdout.String(), tail(stderr.String()))
	}
}

func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}

var (
	dubboOnce sync.Once
	dubboBin  string
	dubboErr  error
)

// DubboPeer returns the path of internal/dubbopeer's binary (its own
// module: dubbo-go v3.3.2): .bin/dubbopeer, the one `make deps-dubbopeer`
// builds (make test builds it first), built there once per test binary
// when it is older than the peer's sources. It skips t with -short.
func DubboPeer(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the dubbo-go peer is not built")
	}
	dubboOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		dir := filepath.Join(filepath.Dir(file), "..", "dubbopeer")
		bin := filepath.Join(dir, ".bin", "dubbopeer")
		if !newerThanSources(bin, dir) {
			cmd := exec.Command("go", "build", "-o", bin, ".")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
			if out, err := cmd.CombinedOutput(); err != nil {
				dubboErr = fmt.Errorf("building %s: %v\n%s", dir, err, out)
				return
			}
		}
		dubboBin = bin
	})
	if dubboErr != nil {
		t.Fatal(dubboErr)
	}
	return dubboBin
}

// newerThanSources reports whether bin exists and is newer than every
// file of dir (its .go files, go.mod, go.sum).
func newerThanSources(bin, dir string) bool {
	st, err := os.Stat(bin)
	if err != nil {
		return false
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, f := range files {
		if info, err := f.Info(); err != nil || !f.IsDir() && info.ModTime().After(st.ModTime()) {
			return false
		}
	}
	return true
}
