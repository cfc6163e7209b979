package proxy

// The steady-state proxied RPC request allocates nothing, as the HTTP/1.1
// one (e2e_memory_test.go): a raw client and a raw backend on fixed
// buffers, so every allocation counted is velox's.

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/velox-proxy/velox/internal/rpcpeer"
	"github.com/velox-proxy/velox/rpcx"
)

// rpcRoundTripper starts a proxy of protocol proto in front of a raw
// backend that answers each request (of len(req) bytes) with resp under
// the request's id, and returns a function that sends req through it and
// reads the answer.
func rpcRoundTripper(t testing.TB, proto rpcx.Protocol, req, resp []byte) func() {
	backend := rawAnswering(t, proto, req, resp)
	cfg := dubboConfig(backend)
	cfg.Listeners[0].Protocol = proto.Name()
	tp := startProxy(t, cfg, 1)
	conn, err := net.Dial("tcp", tp.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	in := make([]byte, len(resp))
	var want, got rpcx.Frame
	if _, err := proto.Decode(req, &want); err != nil {
		t.Fatal(err)
	}
	return func() {
		conn.SetDeadline(time.Now().Add(testWait))
		if _, err := conn.Write(req); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(conn, in); err != nil {
			t.Fatal(err)
		}
		if _, err := proto.Decode(in, &got); err != nil || got.Kind != rpcx.KindResponse || !got.OK || got.ID != want.ID {
			t.Fatalf("answer: %v, kind %v ok %v id %d; want the backend's response to %d", err, got.Kind, got.OK, got.ID, want.ID)
		}
	}
}

// rpcFrames are a request and a response of each protocol, encoded by the
// real libraries (apache-dubbo-js, sofa-bolt-node).
func rpcFrames(t testing.TB) map[string][2][]byte {
	peer := rpcpeer.Node(t)
	dreq, _, err := peer.DubboRequest(map[string]any{"id": 1, "service": echoService, "version": "1.0", "method": "Echo",
		"args": []any{map[string]any{"$class": "java.lang.String", "$": "hello"}}})
	if err != nil {
		t.Fatal(err)
	}
	// A hessian2 Dubbo response: status 20 OK, RESPONSE_VALUE (int 1), "hello".
	dresp := append([]byte{0xda, 0xbb, 0x02, 20, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 7}, 0x91, 0x05, 'h', 'e', 'l', 'l', 'o')
	breq, err := peer.Encode(map[string]any{"op": "request", "id": 1, "service": echoService + ":1.0", "method": "echo", "args": []any{"hello"}})
	if err != nil {
		t.Fatal(err)
	}
	bresp, err := peer.Encode(map[string]any{"op": "response", "id": 1, "value": "hello"})
	if err != nil {
		t.Fatal(err)
	}
	return map[string][2][]byte{"dubbo": {dreq, dresp}, "bolt": {breq, bresp}}
}

func TestProxiedRPCRequestZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	frames := rpcFrames(t)
	for _, proto := range []rpcx.Protocol{&rpcx.Dubbo{}, &rpcx.Bolt{}} {
		t.Run(proto.Name(), func(t *testing.T) {
			fr := frames[proto.Name()]
			roundTrip := rpcRoundTripper(t, proto, fr[0], fr[1])
			for i := 0; i < 200; i++ { // warm buffers, maps, free lists
				roundTrip()
			}
			if n := testing.AllocsPerRun(1000, roundTrip); n != 0 {
				t.Fatalf("%v allocations per proxied %s request, want 0", n, proto.Name())
			}
		})
	}
}

// BenchmarkProxiedRPCRoundTrip is one request and its response through a
// 1-loop velox to a raw backend, in process, on one client connection.
func BenchmarkProxiedRPCRoundTrip(b *testing.B) {
	frames := rpcFrames(b)
	for _, proto := range []rpcx.Protocol{&rpcx.Dubbo{}, &rpcx.Bolt{}} {
		b.Run(proto.Name(), func(b *testing.B) {
			fr := frames[proto.Name()]
			roundTrip := rpcRoundTripper(b, proto, fr[0], fr[1])
			for range 100 { // warm
				roundTrip()
			}
			b.ReportAllocs()
			for b.Loop() {
				roundTrip()
			}
		})
	}
}
