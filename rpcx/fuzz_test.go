package rpcx

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/velox-proxy/velox/internal/rpcpeer"
)

// Fuzzers of the two decoders. Seeds: Dubbo frames the library encodes
// here; Bolt frames sofa-bolt-node encoded, in testdata/fuzz/FuzzBoltDecode
// (go test ./rpcx -run TestWriteBoltSeeds -rpcx.write-seeds writes them
// again), and velox's own answers for both.

// checkFrame is what must hold of any input: no panic; a decoded frame is
// a prefix of the input; Head and Lookup end (with or without an error);
// an id rewrite leaves a frame that decodes the same with the new id; the
// answers velox builds decode as what they are.
func checkFrame(t *testing.T, p Protocol, data []byte) {
	var f Frame
	n, err := p.Decode(data, &f)
	if err != nil {
		if n != 0 {
			t.Fatalf("Decode = %d with %v", n, err)
		}
		return
	}
	if n <= 0 || n > len(data) || f.Len != n || !bytes.Equal(f.Raw, data[:n]) {
		t.Fatalf("Decode = %d, Len %d, of %d bytes", n, f.Len, len(data))
	}
	var h Head
	if p.Head(&f, &h) == nil {
		h.Lookup("group")
		h.Lookup("service")
	}
	frame := bytes.Clone(f.Raw)
	p.SetID(frame, ^f.ID&p.MaxID())
	var g Frame
	if m, err := p.Decode(frame, &g); err != nil || m != n || g.ID != ^f.ID&p.MaxID() || g.Kind != f.Kind || g.Status != f.Status {
		t.Fatalf("after SetID: %d, %v, %+v; was %+v", m, err, g, f)
	}
	if r := p.AppendHeartbeatReply(nil, &f); len(r) > 0 {
		if _, err := p.Decode(r, &g); err != nil || g.Kind != KindHeartbeatAck || g.ID != f.ID {
			t.Fatalf("heartbeat reply decodes as %v, %+v", err, g)
		}
	}
	if f.Kind == KindRequest {
		e := p.AppendError(nil, &f, FailBadRequest, string(data[:min(len(data), 100)]))
		if _, err := p.Decode(e, &g); err != nil || g.Kind != KindResponse || g.OK || g.ID != f.ID {
			t.Fatalf("error response decodes as %v, %+v", err, g)
		}
	}
}

func FuzzDubboDecode(f *testing.F) {
	svc := hessian.Service{Path: "org.velox.Svc", Version: "1.0", Method: "m", Group: "g", Timeout: 1e9}
	for i, args := range [][]any{nil, {"a", int32(1)}, {map[any]any{"k": []any{1.5, nil}}, &testUser{Name: "u", Inner: &testUser{}}}} {
		f.Add(libEncodeRequest(f, svc, hessian.PackageRequest_TwoWay, int64(i), args, map[string]string{"t": "x"}))
	}
	c := hessian.NewHessianCodec(nil)
	for _, hdr := range []hessian.DubboHeader{
		{SerialID: 2, Type: hessian.PackageResponse, ID: 5, ResponseStatus: hessian.Response_OK},
		{SerialID: 2, Type: hessian.PackageHeartbeat, ID: 6},
	} {
		b, err := c.Write(svc, hdr, hessian.NewRequest([]any{}, nil))
		if hdr.Type == hessian.PackageResponse {
			b, err = c.Write(svc, hdr, hessian.NewResponse("ok", nil, nil))
		}
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	var d Dubbo
	f.Add(d.AppendError(nil, &Frame{ID: 3}, FailTimeout, "t"))
	f.Fuzz(func(t *testing.T, data []byte) { checkFrame(t, &Dubbo{MaxFrame: 1 << 16}, data) })
}

func FuzzBoltDecode(f *testing.F) {
	var b Bolt
	f.Add(b.AppendHeartbeat(nil, 1))
	f.Add(b.AppendError(nil, &Frame{ID: 2, Version: BoltV2}, FailOverload, "busy"))
	f.Fuzz(func(t *testing.T, data []byte) { checkFrame(t, &Bolt{MaxFrame: 1 << 16}, data) })
}

var writeSeeds = flag.Bool("rpcx.write-seeds", false, "write the Bolt fuzz seeds from sofa-bolt-node into testdata/fuzz")

// TestWriteBoltSeeds writes sofa-bolt-node's frames as FuzzBoltDecode seeds.
func TestWriteBoltSeeds(t *testing.T) {
	if !*writeSeeds {
		t.Skip("run with -rpcx.write-seeds")
	}
	p := rpcpeer.Node(t)
	dir := filepath.Join("testdata", "fuzz", "FuzzBoltDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ops := []map[string]any{
		{"op": "request", "id": 1, "service": "com.velox.Svc:1.0", "method": "hello", "args": []any{"x", 1}},
		{"op": "request", "id": 2, "service": "com.velox.Svc:1.0", "method": "fire", "args": []any{}, "oneway": true},
		{"op": "response", "id": 3, "value": map[string]any{"a": []any{1, "b"}}},
		{"op": "response", "id": 4, "errorMsg": "failed"},
		{"op": "heartbeat", "id": 5},
		{"op": "heartbeatAck", "id": 6},
	}
	for vi, v := range boltVariants {
		for i, op := range ops {
			frame := boltEncode(t, p, withVariant(op, v))
			body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(frame)) + ")\n"
			name := filepath.Join(dir, fmt.Sprintf("sofa-bolt-node-v%d-%d-%s", vi, i, op["op"]))
			if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
