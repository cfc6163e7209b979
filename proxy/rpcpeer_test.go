package proxy

// Helpers of the RPC end-to-end tests: the peers run as subprocesses
// (dubbo-go's built from internal/dubbopeer, sofa-rpc-node's in node), on
// 127.0.0.1, each bounded by testWait or its own flags.

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
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// freePort returns a port of 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// peerProc is a peer server running as a subprocess.
type peerProc struct {
	cmd  *exec.Cmd
	addr string
	out  *syncBuffer
	done chan struct{}
}

// startPeer runs name args as a server that listens on addr, and waits
// until it accepts connections. Killed at the end of the test.
func startPeer(t *testing.T, addr string, name string, args ...string) *peerProc {
	t.Helper()
	p := &peerProc{cmd: exec.Command(name, args...), addr: addr, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.kill)
	deadline := time.Now().Add(3 * testWait)
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
			t.Fatalf("%s not listening on %s:\n%s", name, addr, p.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill ends the peer and waits for it.
func (p *peerProc) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// runJSON runs name args (a client) with a bound, and decodes the JSON line
// it prints last into out.
func runJSON(t *testing.T, out any, dir, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 6*testWait)
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

// rpcResult is what a client peer prints.
type rpcResult struct {
	OK      int            `json:"ok"`
	Failed  int            `json:"failed"`
	Errors  []string       `json:"errors"`
	Servers map[string]int `json:"servers"`
}

var (
	dubboPeerOnce sync.Once
	dubboPeerBin  string
	dubboPeerErr  error
)

// dubboPeer builds internal/dubbopeer (its own module: dubbo-go v3.3.2)
// once per test binary and returns the binary's path. `make test` builds
// it first (make deps-dubbopeer), so this is a link from a warm cache.
func dubboPeer(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the dubbo-go peer is not built")
	}
	dubboPeerOnce.Do(func() {
		dir, _ := filepath.Abs("../internal/dubbopeer")
		bin := filepath.Join(dir, ".bin", "dubbopeer")
		cmd := exec.Command("go", "build", "-o", bin, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
		if out, err := cmd.CombinedOutput(); err != nil {
			dubboPeerErr = fmt.Errorf("building %s: %v\n%s", dir, err, out)
			return
		}
		dubboPeerBin = bin
	})
	if dubboPeerErr != nil {
		t.Fatal(dubboPeerErr)
	}
	return dubboPeerBin
}

// rpcTotals sums the rpc counters of protocol name over the loops.
func (tp *testProxy) rpcTotals(name string) RPCProtoStats {
	var sum RPCProtoStats
	total := reflect.ValueOf(&sum).Elem()
	for _, l := range tp.Stats().Loops {
		v := reflect.ValueOf(l.RPC.Dubbo)
		if name == "bolt" {
			v = reflect.ValueOf(l.RPC.Bolt)
		}
		for i := range total.NumField() {
			if f := total.Field(i); f.CanInt() {
				f.SetInt(f.Int() + v.Field(i).Int())
			} else {
				f.SetUint(f.Uint() + v.Field(i).Uint())
			}
		}
	}
	return sum
}

// checkRPCLeaks waits until no RPC stream is left in any loop's tables
// (in_flight is their count) and no client connection is open.
func (tp *testProxy) checkRPCLeaks(t *testing.T, name string) {
	t.Helper()
	eventually(t, "no RPC stream and no client connection left", func() bool {
		return tp.rpcTotals(name).InFlight == 0 && tp.totals().DownstreamConnsActive == 0
	})
}
