// Package rpcpeer runs the real RPC libraries that velox's rpcx tests
// check against and that are not Go, in one node process (node/peer.js):
// sofa-bolt-node 2.0.1 (the version sofa-rpc-node@2.10.0 brings) for SOFA
// Bolt frames, apache-dubbo-js 3.0.0-rc6 for Dubbo frames, hessian.js
// 2.11.0 for hessian2 values; all pinned in node/package-lock.json.
//
// The npm packages are installed by `make deps-npm` (part of `make test`);
// Node installs them itself with `npm ci` when they are missing, so a plain
// `go test` works too. Without node on the machine the test is skipped.
//
// It also runs the peers that are processes of their own, servers and
// clients, and builds the dubbo-go one (proc.go).
//
// Imported only by _test.go files: of rpcx, rpcx/hessian2, proxy,
// bench/rpcwire, bench/cmd/rpcload and bench/cmd/rpcserve.
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
	nodeOnce sync.Once
	nodePeer *Peer
	nodeErr  error
)

// Node returns the test binary's node peer (all three libraries), starting
// it (and installing the npm packages) on first use. It skips t when node is not installed and
// fails it when the peer cannot start. The process ends with the test
// binary (its stdin closes).
func Node(t testing.TB) *Peer {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed: the node peers need it")
	}
	nodeOnce.Do(func() { nodePeer, nodeErr = start() })
	if nodeErr != nil {
		t.Fatalf("rpcpeer: %v", nodeErr)
	}
	return nodePeer
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

// install runs `npm ci` unless node_modules holds what package-lock.json
// pins (npm's own record of the install is newer than the lockfile).
func install(dir string) error {
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return err
	}
	if done, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); err == nil && done.ModTime().After(lock.ModTime()) {
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
		Service string         `json:"service"`
		Method  string         `json:"method"`
		Args    []any          `json:"args"`
		Props   map[string]any `json:"props"`
		Value   any            `json:"value"`
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

// DubboRead is what hessian.js reads back of a request apache-dubbo-js
// encoded: the leading strings and the attachments, each value as a
// string with its JavaScript type beside it.
type DubboRead struct {
	DubboVersion    string            `json:"dubboVersion"`
	Service         string            `json:"service"`
	Version         string            `json:"version"`
	Method          string            `json:"method"`
	Types           string            `json:"types"`
	Attachments     map[string]string `json:"attachments"`
	AttachmentTypes map[string]string `json:"attachmentTypes"`
}

// DubboRequest asks apache-dubbo-js to encode a request (op "dubboRequest",
// see peer.js) and hessian.js to read it back.
func (p *Peer) DubboRequest(op map[string]any) ([]byte, *DubboRead, error) {
	op["op"] = "dubboRequest"
	var r struct {
		Frame []byte
		Read  DubboRead
	}
	if err := p.Call(op, &r); err != nil {
		return nil, nil, err
	}
	return r.Frame, &r.Read, nil
}

// DubboDecoded is what apache-dubbo-js reads of a response frame.
type DubboDecoded struct {
	RequestID uint64 `json:"requestId"`
	Status    uint8  `json:"status"`
	Heartbeat bool   `json:"heartbeat"`
	Error     string `json:"error"`
}

// DubboDecode asks apache-dubbo-js to decode a response frame.
func (p *Peer) DubboDecode(frame []byte) (*DubboDecoded, error) {
	var d DubboDecoded
	if err := p.Call(map[string]any{"op": "dubboDecode", "frame": frame}, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// Hessian asks hessian.js to encode values (java-typed as js-to-java
// builds them: {"$class": "int", "$": 3}) one after another.
func (p *Peer) Hessian(values ...any) ([]byte, error) {
	return p.Encode(map[string]any{"op": "hessian", "values": values})
}
