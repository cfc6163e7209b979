package rpcx

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/velox-proxy/velox/codec/codectest"
	"github.com/velox-proxy/velox/internal/rpcpeer"
)

// Differential tests of the Bolt codec against sofa-bolt-node 2.0.1 (the
// version sofa-rpc-node@2.10.0 brings), run in node by internal/rpcpeer:
// it encodes the frames our decoder reads and decodes the frames we
// rewrite or build.

func boltEncode(t testing.TB, p *rpcpeer.Peer, op map[string]any) []byte {
	t.Helper()
	b, err := p.Encode(op)
	if err != nil {
		t.Fatalf("encode %v: %v", op["op"], err)
	}
	return b
}

func boltDecodeLib(t testing.TB, p *rpcpeer.Peer, frame []byte) *rpcpeer.Decoded {
	t.Helper()
	d, err := p.Decode(frame)
	if err != nil {
		t.Fatalf("sofa-bolt-node decode: %v", err)
	}
	return d
}

// boltVariants are the wire versions sofa-bolt-node writes: v1, v2, v2 with CRC.
var boltVariants = []map[string]any{{"version": 1}, {"version": 2}, {"version": 2, "crc": true}}

func withVariant(op, v map[string]any) map[string]any {
	for k, x := range v {
		op[k] = x
	}
	return op
}

func TestBoltRequestsAgainstLibrary(t *testing.T) {
	p := rpcpeer.Node(t)
	var b Bolt
	for i := 0; i < 24; i++ {
		v := boltVariants[i%3]
		id := (uint32(i)*0x9e3779b9 + 1) & 0x7fffffff // node writes ids as int32
		op := withVariant(map[string]any{
			"op": "request", "id": id, "service": fmt.Sprintf("com.velox.Svc%d:1.%d", i%4, i), "method": "call" + fmt.Sprint(i),
			"args": []any{"s", i, map[string]any{"k": strings.Repeat("v", i*50)}}, "timeout": 1000 + i,
			"oneway": i%4 == 3,
		}, v)
		frame := boltEncode(t, p, op)
		var f Frame
		n, err := b.Decode(frame, &f)
		if err != nil || n != len(frame) {
			t.Fatalf("Decode = %d, %v; want %d", n, err, len(frame))
		}
		lib := boltDecodeLib(t, p, frame)
		want := KindRequest
		if i%4 == 3 {
			want = KindOneway
		}
		if f.Kind != want || f.ID != uint64(lib.PacketID) || f.Timeout != lib.Timeout || int(f.Version) != v["version"] || f.Codec != BoltHessian2 {
			t.Errorf("request %d: %+v; library reads id %d timeout %d", i, f, lib.PacketID, lib.Timeout)
		}
		var h Head
		if err := b.Head(&f, &h); err != nil {
			t.Fatalf("Head: %v", err)
		}
		if string(h.Service) != lib.Header["service"] || string(h.Service) != lib.Data.Service || string(h.Class) != lib.ClassName {
			t.Errorf("Head: service %q class %q; library reads %q (%q) class %q", h.Service, h.Class, lib.Header["service"], lib.Data.Service, lib.ClassName)
		}
		for k, wantV := range lib.Header {
			if got, ok, err := h.Lookup(k); err != nil || !ok || string(got) != wantV {
				t.Errorf("Lookup(%q) = %q, %v, %v; library reads %q", k, got, ok, err, wantV)
			}
		}
		// Rewrite the id (and, in v2 with CRC, the CRC): the library reads
		// the same call with the new id.
		b.SetID(f.Raw, uint64(^id))
		lib2 := boltDecodeLib(t, p, frame)
		if lib2.PacketID != ^id || lib2.Data.Method != lib.Data.Method || fmt.Sprint(lib2.Data.Args) != fmt.Sprint(lib.Data.Args) {
			t.Errorf("after SetID the library reads id %d method %q args %v", lib2.PacketID, lib2.Data.Method, lib2.Data.Args)
		}
	}
}

func TestBoltResponsesAgainstLibrary(t *testing.T) {
	p := rpcpeer.Node(t)
	var b Bolt
	for i, v := range boltVariants {
		for _, errMsg := range []string{"", "app failed"} {
			frame := boltEncode(t, p, withVariant(map[string]any{"op": "response", "id": 100 + i, "value": "result", "errorMsg": errMsg}, v))
			var f Frame
			if n, err := b.Decode(frame, &f); err != nil || n != len(frame) {
				t.Fatalf("Decode = %d, %v", n, err)
			}
			lib := boltDecodeLib(t, p, frame)
			okWant := errMsg == ""
			if f.Kind != KindResponse || f.ID != uint64(lib.PacketID) || f.OK != okWant || (errMsg != "") != (f.Status == uint16(BoltServerException)) {
				t.Errorf("response: %+v; library: %+v", f, lib)
			}
			if err := b.Head(&f, new(Head)); err != ErrNoHead {
				t.Errorf("Head(response) = %v", err)
			}
			b.SetID(f.Raw, 7)
			if lib := boltDecodeLib(t, p, frame); lib.PacketID != 7 {
				t.Errorf("after SetID the library reads id %d", lib.PacketID)
			}
		}
	}
}

// TestBoltErrorsReadByLibrary: velox's error responses, decoded by
// sofa-bolt-node, are error responses to the right id with our message in
// the header map.
func TestBoltErrorsReadByLibrary(t *testing.T) {
	p := rpcpeer.Node(t)
	var b Bolt
	for _, ver := range []uint8{0, BoltV1, BoltV2} {
		for fail := FailNoBackend; fail <= FailRefused; fail++ {
			// sofa-bolt-node reads the content in the Hessian 2.0 draft
			// (its default), which its own requests use.
			msg := []string{"", "no route to com.velox.Svc é"}[int(fail)%2]
			req := Frame{ID: 0xfffffff0 + uint64(fail), Version: ver, HessianDraft: true}
			frame := b.AppendError(nil, &req, fail, msg)
			var f Frame
			if _, err := b.Decode(frame, &f); err != nil || f.Kind != KindResponse || f.OK || f.Status != uint16(boltFailStatus[fail]) {
				t.Fatalf("our own error response: %v %+v", err, f)
			}
			lib := boltDecodeLib(t, p, frame)
			want := msg
			if want == "" {
				want = fail.String()
			}
			// The caller's error is velox's message (the content).
			if lib.PacketType != "response" || uint64(lib.PacketID) != req.ID || !strings.Contains(lib.Error, want) || lib.Header[BoltHeaderError] != want {
				t.Errorf("%v v%d: library reads %+v", fail, ver, lib)
			}
		}
	}
}

func TestBoltHeartbeatsAgainstLibrary(t *testing.T) {
	p := rpcpeer.Node(t)
	var b Bolt
	for i, v := range boltVariants {
		hb := boltEncode(t, p, withVariant(map[string]any{"op": "heartbeat", "id": 40 + i}, v))
		var f Frame
		if _, err := b.Decode(hb, &f); err != nil || f.Kind != KindHeartbeat || f.ID != uint64(40+i) {
			t.Fatalf("Decode(heartbeat) = %v %+v", err, f)
		}
		reply := b.AppendHeartbeatReply(nil, &f)
		if lib := boltDecodeLib(t, p, reply); lib.PacketType != "heartbeat_ack" || lib.PacketID != uint32(40+i) {
			t.Errorf("library reads our reply as %+v", lib)
		}
		ack := boltEncode(t, p, withVariant(map[string]any{"op": "heartbeatAck", "id": 50 + i}, v))
		if _, err := b.Decode(ack, &f); err != nil || f.Kind != KindHeartbeatAck || f.ID != uint64(50+i) || !f.OK {
			t.Fatalf("Decode(heartbeat ack) = %v %+v", err, f)
		}
		if got := b.AppendHeartbeatReply(nil, &f); len(got) != 0 {
			t.Errorf("an acknowledgement got a reply")
		}
	}
	if lib := boltDecodeLib(t, p, b.AppendHeartbeat(nil, 61)); lib.PacketType != "heartbeat" || lib.PacketID != 61 {
		t.Errorf("library reads our heartbeat as %+v", lib)
	}
}

func TestBoltIncrementalAndLimits(t *testing.T) {
	p := rpcpeer.Node(t)
	for _, v := range boltVariants {
		frame := boltEncode(t, p, withVariant(map[string]any{"op": "request", "id": 1, "service": "s:1", "method": "m", "args": []any{strings.Repeat("x", 3000)}}, v))
		var b Bolt
		for _, k := range codectest.PrefixCuts(len(frame)) {
			var f Frame
			if n, err := b.Decode(frame[:k], &f); err != ErrNeedMore || n != 0 {
				t.Fatalf("Decode(%d of %d) = %d, %v", k, len(frame), n, err)
			}
		}
		b.MaxFrame = len(frame) - 1
		_, err := b.Decode(frame[:24], new(Frame))
		var se *FrameSizeError
		if !errors.As(err, &se) || se.Size != int64(len(frame)) || !errors.Is(err, ErrFrameTooLarge) {
			t.Errorf("Decode over the limit = %v", err)
		}
	}
	var b Bolt
	for _, bad := range [][]byte{{0xda, 0xbb}, []byte("GET /")} {
		if _, err := b.Decode(bad, new(Frame)); err != ErrNotProtocol {
			t.Errorf("Decode(%q) = %v", bad, err)
		}
	}
	if _, err := b.Decode([]byte{1, 7}, new(Frame)); err != ErrBadFrame {
		t.Errorf("Decode(type 7) = %v", err)
	}
}

// TestBoltProtobufHeaders: with protobuf content sofa-bolt-node puts the
// method, the target service and app and the request's properties in the
// header map; Head and Lookup read them all as its serializer does.
func TestBoltProtobufHeaders(t *testing.T) {
	p := rpcpeer.Node(t)
	var b Bolt
	for _, v := range boltVariants {
		frame := boltEncode(t, p, withVariant(map[string]any{
			"op": "request", "id": 9, "service": "com.velox.Greeter:1.0", "method": "greet", "codec": "protobuf",
			"props": map[string]any{"tenant": "acme", "zone": map[string]any{"name": "gz", "id": 7}, "empty": ""},
		}, v))
		var f Frame
		if _, err := b.Decode(frame, &f); err != nil || f.Codec != 11 {
			t.Fatalf("Decode = %v, codec %d", err, f.Codec)
		}
		lib := boltDecodeLib(t, p, frame)
		var h Head
		if err := b.Head(&f, &h); err != nil {
			t.Fatal(err)
		}
		if string(h.Method) != lib.Header[BoltHeaderMethod] || string(h.Method) != lib.Data.Method || string(h.Service) != lib.Header[BoltHeaderService] {
			t.Errorf("Head: service %q method %q; library reads %v", h.Service, h.Method, lib.Header)
		}
		if len(lib.Header) < 6 {
			t.Fatalf("library header map %v: the properties are missing", lib.Header)
		}
		for k, want := range lib.Header {
			if got, ok, err := h.Lookup(k); err != nil || !ok || string(got) != want {
				t.Errorf("Lookup(%q) = %q, %v, %v; library reads %q", k, got, ok, err, want)
			}
		}
		if _, ok, err := h.Lookup("zone"); ok || err != nil {
			t.Errorf("Lookup(zone) found a flattened prefix")
		}
	}
}

// The error content in the final Hessian 2.0 grammar (for a request that
// was in it, as Java's are) is read by dubbo-go-hessian2 as an object
// with velox's message.
func TestBoltErrorContentFinalGrammar(t *testing.T) {
	var b Bolt
	frame := b.AppendError(nil, &Frame{ID: 3, Version: BoltV1}, FailTimeout, "slow backend")
	var f Frame
	if _, err := b.Decode(frame, &f); err != nil {
		t.Fatal(err)
	}
	content := f.Raw[f.hdrLen+f.class+f.meta:]
	v, err := hessian.NewDecoder(content).Decode()
	if err != nil {
		t.Fatalf("dubbo-go-hessian2 reads the content: %v", err)
	}
	if s := fmt.Sprint(v); !strings.Contains(s, "slow backend") {
		t.Errorf("dubbo-go-hessian2 reads %s, want the message", s)
	}
}
