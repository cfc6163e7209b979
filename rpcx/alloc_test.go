package rpcx

import (
	"testing"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/velox-proxy/velox/internal/rpcpeer"
)

// The decode and rewrite path allocates nothing: Decode, SetID, Head and
// Lookup, and the answers velox builds into a buffer with room.

func checkZeroAllocs(t *testing.T, p Protocol, frame []byte, keys ...string) {
	t.Helper()
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	var f Frame
	var h Head
	out := make([]byte, 0, 4096)
	id := uint64(0)
	fail := ""
	allocs := testing.AllocsPerRun(1000, func() {
		id++
		if n, err := p.Decode(frame, &f); err != nil || n != len(frame) {
			fail = "Decode"
		}
		p.SetID(f.Raw, id&p.MaxID())
		if err := p.Head(&f, &h); err != nil {
			fail = "Head: " + err.Error()
		}
		for _, k := range keys {
			if _, ok, err := h.Lookup(k); !ok || err != nil {
				fail = "Lookup " + k
			}
		}
		out = p.AppendError(out[:0], &f, FailTimeout, "")
		out = p.AppendHeartbeat(out[:0], id)
	})
	if fail != "" {
		t.Fatal(fail)
	}
	t.Logf("%s: %.0f allocations per decode, rewrite, head, %d lookups and error response (%d-byte frame)", p.Name(), allocs, len(keys), len(frame))
	if allocs != 0 {
		t.Errorf("%s: %v allocations per frame; want 0", p.Name(), allocs)
	}
}

func TestDubboAllocs(t *testing.T) {
	frame := libEncodeRequest(t, hessian.Service{Path: "org.velox.Greeter", Version: "1.0.0", Method: "greet", Group: "blue", Timeout: 3e9},
		hessian.PackageRequest_TwoWay, 9, []any{"hello", int32(7), map[any]any{"k": []string{"a", "b"}}, &testUser{Name: "n", Tags: []string{"t"}}},
		map[string]string{"tenant": "acme", "trace": "abc"})
	checkZeroAllocs(t, &Dubbo{}, frame, "tenant", "trace", "group")
}

func TestBoltAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	p := rpcpeer.Node(t)
	for _, v := range boltVariants {
		frame := boltEncode(t, p, withVariant(map[string]any{"op": "request", "id": 5, "service": "com.velox.Greeter:1.0", "method": "greet", "args": []any{"hello", 7}}, v))
		checkZeroAllocs(t, &Bolt{}, frame, "service")
	}
}

func benchFrame(b *testing.B, p Protocol, frame []byte, keys ...string) {
	var f Frame
	var h Head
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for i := 0; b.Loop(); i++ {
		if _, err := p.Decode(frame, &f); err != nil {
			b.Fatal(err)
		}
		p.SetID(f.Raw, uint64(i)&p.MaxID())
		if err := p.Head(&f, &h); err != nil {
			b.Fatal(err)
		}
		for _, k := range keys {
			h.Lookup(k)
		}
	}
}

// BenchmarkDubboFrame: decode, id rewrite, head (skipping four arguments)
// and two attachment lookups.
func BenchmarkDubboFrame(b *testing.B) {
	frame := libEncodeRequest(b, hessian.Service{Path: "org.velox.Greeter", Version: "1.0.0", Method: "greet", Group: "blue", Timeout: 3e9},
		hessian.PackageRequest_TwoWay, 9, []any{"hello", int32(7), map[any]any{"k": []string{"a", "b"}}, &testUser{Name: "n", Tags: []string{"t"}}},
		map[string]string{"tenant": "acme", "trace": "abc"})
	benchFrame(b, &Dubbo{}, frame, "tenant", "trace")
}

// BenchmarkBoltFrame: decode, id rewrite, head and one header lookup of a
// v1 request from sofa-bolt-node.
func BenchmarkBoltFrame(b *testing.B) {
	frame := boltEncode(b, rpcpeer.Node(b), map[string]any{"op": "request", "id": 5, "service": "com.velox.Greeter:1.0", "method": "greet", "args": []any{"hello", 7}})
	benchFrame(b, &Bolt{}, frame, "service")
}
