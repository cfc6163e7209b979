package main

// rpcserve's answers read by the real clients: dubbo-go v3.3.2's (built
// from internal/dubbopeer) and sofa-rpc-node 2.10.0's (internal/rpcpeer's
// sofarpc.js), each making calls of Echo/echo and checking that every
// answer is NAME:ARG for its own argument. Skipped with -short, and
// without node for the Bolt client.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/velox-proxy/velox/internal/rpcpeer"
)

// peerResult is what a client peer prints.
type peerResult struct {
	OK      int            `json:"ok"`
	Failed  int            `json:"failed"`
	Errors  []string       `json:"errors"`
	Servers map[string]int `json:"servers"`
}

// serve runs rpcserve's server of protocol on a loopback port for the
// test and returns its address.
func serve(t *testing.T, protocol string) string {
	t.Helper()
	s, err := newServer(protocol, "rpcserve")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go s.serve(ln)
	return ln.Addr().String()
}

// runClient runs a client peer (bounded in time) in dir and decodes the
// last JSON line it prints.
func runClient(t *testing.T, dir, name string, args ...string) peerResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	var last string
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, "{") {
			last = l
		}
	}
	var r peerResult
	if err := json.Unmarshal([]byte(last), &r); err != nil {
		t.Fatalf("%s: no result line (%v):\n%s\n%s", name, err, stdout.String(), stderr.String())
	}
	return r
}

// dubboPeer is internal/dubbopeer's binary (its own module: dubbo-go
// v3.3.2): the one `make deps-dubbopeer` built (make test builds it
// first) when it is newer than the peer's sources, else one built into the
// test's temporary directory.
func dubboPeer(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../../internal/dubbopeer")
	if err != nil {
		t.Fatal(err)
	}
	if bin := filepath.Join(dir, ".bin", "dubbopeer"); newerThanSources(bin, dir) {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "dubbopeer")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", dir, err, out)
	}
	return bin
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

// The dubbo-go client calls Echo("hello#i") 200 times, 8 at once, and
// checks each answer is "rpcserve:hello#i".
func TestDubboGoClientReadsAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the dubbo-go peer is not built")
	}
	addr := serve(t, "dubbo")
	const calls = 200
	r := runClient(t, "", dubboPeer(t), "client", "-addr", addr, "-interface", "org.velox.Echo", "-version", "1.0",
		"-calls", strconv.Itoa(calls), "-conc", "8", "-timeout", "5s", "-arg", "hello")
	if r.OK != calls || r.Failed != 0 || r.Servers["rpcserve"] != calls {
		t.Errorf("dubbo-go client: %+v, want %d answers from rpcserve", r, calls)
	}
}

// The sofa-rpc-node client calls echo("hello#i") 200 times, 8 at once
// over 2 connections, and checks each answer is "rpcserve:hello#i".
func TestSofaRPCNodeClientReadsAnswers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no node peers")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: the sofa-rpc-node client needs it")
	}
	rpcpeer.Node(t) // npm ci when node_modules is missing or stale
	addr := serve(t, "bolt")
	const calls = 200
	r := runClient(t, rpcpeer.Dir(), "node", "sofarpc.js", "client", addr, "org.velox.Echo", "1.0",
		strconv.Itoa(calls), "8", "2", "5000", "hello")
	if r.OK != calls || r.Failed != 0 || r.Servers["rpcserve"] != calls {
		t.Errorf("sofa-rpc-node client: %+v, want %d answers from rpcserve", r, calls)
	}
}
