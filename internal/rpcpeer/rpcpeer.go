// Package rpcpeer runs the real RPC libraries that velox's rpcx tests
// check against and that are not Go: a node process (node/peer.js) that
// encodes and decodes SOFA Bolt frames with sofa-bolt-node, the version
// sofa-rpc-node@2.10.0 brings, pinned in node/package-lock.json.
//
// The npm packages are installed by `make deps-npm` (part of `make test`);
// Bolt installs them itself with `npm ci` when they are missing, so a plain
// `go test` works too. Without node on the machine the test is skipped.
//
// Imported only by _test.go files (rpcx's).
package rpcpeer

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// Dir is the node package's directory.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "node")
}

// Peer is one running node/peer.js. Calls are serialized.
type Peer struct {
	mu  sync.Mutex
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

var (
	boltOnce sync.Once
	boltPeer *Peer
	boltErr  error
)

// Bolt returns the test binary's Bolt peer, starting it (and installing the
// npm packages) on first use. It skips t when node is not installed and
// fails it when the peer cannot start. The process ends with the test
// binary (its stdin closes).
func Bolt(t testing.TB) *Peer {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: the Bolt differential tests need it")
	}
	boltOnce.Do(func() { boltPeer, boltErr = start() })
	if boltErr != nil {
		t.Fatalf("rpcpeer: %v", boltErr)
	}
	return boltPeer
}

func start() (*Peer, error) {
	dir := Dir()
	if err := install(dir); err != nil {
		return nil, err
	}
	cmd := exec.Command("node", "peer.js")
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &Peer{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}, nil
}

// install runs `npm ci` when the locked packages are not in node_modules.
func install(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "sofa-bolt-node", "package.json")); err == nil {
		return nil
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci in %s: %v\n%s", dir, err, out)
	}
	return nil
}

// Call sends one op to the peer and decodes its answer into out. An
// answer with "fail" (the library threw) is an error.
func (p *Peer) Call(op map[string]any, out any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	b, err := json.Marshal(op)
	if err != nil {
		return err
	}
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		return err
	}
	line, err := p.out.ReadBytes('\n')
	if err != nil {
		return err
	}
	var fail struct{ Fail string }
	if err := json.Unmarshal(line, &fail); err != nil {
		return err
	}
	if fail.Fail != "" {
		return errors.New("sofa-bolt-node: " + fail.Fail)
	}
	return json.Unmarshal(line, out)
}

// Encode asks the peer to encode a frame (ops "request", "response",
// "heartbeat", "heartbeatAck") and returns it.
func (p *Peer) Encode(op map[string]any) ([]byte, error) {
	var r struct{ Frame []byte }
	if err := p.Call(op, &r); err != nil {
		return nil, err
	}
	return r.Frame, nil
}

// Decoded is what sofa-bolt-node reads of a frame.
type Decoded struct {
	PacketType string            // request, response, heartbeat, heartbeat_ack
	PacketID   uint32            `json:"packetId"`
	ClassName  string            `json:"className"`
	Timeout    uint32            `json:"timeout"`
	Header     map[string]string `json:"header"`
	Error      string            `json:"error"` // a response's error message
	Data       struct {
		Service string            `json:"service"`
		Method  string            `json:"method"`
		Args    []any             `json:"args"`
		Props   map[string]string `json:"props"`
		Value   any               `json:"value"`
	} `json:"data"`
}

// Decode asks the peer to decode frame.
func (p *Peer) Decode(frame []byte) (*Decoded, error) {
	var d Decoded
	if err := p.Call(map[string]any{"op": "decode", "frame": frame}, &d); err != nil {
		return nil, err
	}
	return &d, nil
}
