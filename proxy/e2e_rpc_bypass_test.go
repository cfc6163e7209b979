package proxy

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/internal/rpcpeer"
	"github.com/velox-proxy/velox/rpcx"
)

// Routing bypasses and filter gaps a review found, each end to end with
// the real servers (dubbo-go v3.3.2, sofa-rpc-node 2.10.0).

// remove_request_header of an attachment no route names reaches the frame:
// the neutral head has every field of the frame, so the removal is a
// change written into it, and the backend does not read the client's
// forged x-user.
func TestRPCRemovedAttachmentNeverReachesBackend(t *testing.T) {
	got := make(chan string, 1)
	backend := rawRPCBackend(t, &rpcx.Dubbo{}, "raw:x", func(f *rpcx.Frame, h *rpcx.Head) {
		v, ok, _ := h.Lookup("x-user")
		s := "<absent>"
		if ok {
			s = string(v)
		}
		select {
		case got <- s:
		default:
		}
	})
	cfg := dubboConfig(backend)
	cfg.Filters = []config.Filter{{Type: config.FilterRemoveRequestHeader, Point: "before_location", Name: "x-user"}}
	tp := startRPCProxy(t, cfg, "dubbo")
	conn := dialRPC(t, tp.addr, &rpcx.Dubbo{})
	if _, err := conn.Write(dubboRawRequest(t, 7, echoService, map[string]any{"path": echoService, "version": "1.0", "x-user": "admin"})); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-got:
		if v != "<absent>" {
			t.Errorf("remove_request_header x-user: the backend still reads x-user=%q", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing reached the backend")
	}
}

// A product whose filter denies echoService, the listener's cluster the
// same dubbo-go server: requests a plain reading would route as another
// service while dubbo-go serves them as echoService are refused (a
// parameter-types string dubbo-go counts otherwise, a chunked path key, a
// leading '/' dubbo-go drops).
func TestRPCDubboRoutingBypassesRefused(t *testing.T) {
	srv := dubboServer(t, echoService, "1.0", "a")
	cfg := dubboConfig(srv.Addr)
	cfg.Products = []config.Product{{Name: "echo", Hosts: []string{echoService}, DefaultCluster: "c",
		Filters: []config.Filter{{Type: config.FilterDeny, Status: 403, Body: "no"}}}}
	tp := startRPCProxy(t, cfg, "dubbo")
	att := map[string]any{"path": echoService, "version": "1.0"}
	chunkedPath := append([]byte{'H', 'R', 0, 2, 'p', 'a', 2, 't', 'h'}, hessianValues(t, echoService, "version", "1.0")...)
	chunkedPath = append(chunkedPath, 'Z')
	cases := []struct {
		name string
		body []byte
	}{
		{"control: echoService, denied", hessianValues(t, "2.0.2", echoService, "1.0", "Echo", "Ljava/lang/String;", "x", att)},
		{"descriptor dubbo-go does not count", hessianValues(t, "2.0.2", "org.velox.Public", "1.0", "Echo", "Ljava/lang/String;L1;", "x", att)},
		{"chunked path key", append(hessianValues(t, "2.0.2", "org.velox.Public", "1.0", "Echo", "Ljava/lang/String;", "x"), chunkedPath...)},
		{"leading slash", hessianValues(t, "2.0.2", "/"+echoService, "1.0", "Echo", "Ljava/lang/String;", "x", map[string]any{"path": "/" + echoService, "version": "1.0"})},
	}
	for i, c := range cases {
		conn := dialRPC(t, tp.addr, &rpcx.Dubbo{})
		if _, err := conn.Write(dubboRawFrame(byte(i+1), c.body)); err != nil {
			t.Fatal(err)
		}
		raw, f, err := conn.readFrame()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		t.Logf("%s: status %d, %q", c.name, f.Status, raw[16:])
		if i > 0 && rpcx.DubboStatus(f.Status) == rpcx.DubboOK {
			t.Errorf("bypass (%s): the denied service answered", c.name)
		}
	}
}

// rawBoltV1 is a Bolt v1 request with a class name, header map and
// content as given (timeout 5 s).
func rawBoltV1(id byte, class string, meta, content []byte) []byte {
	b := []byte{1, 1, 0, 1, 1, 0, 0, 0, id, 1, 0, 0, 0x13, 0x88}
	b = binary.BigEndian.AppendUint16(b, uint16(len(class)))
	b = binary.BigEndian.AppendUint16(b, uint16(len(meta)))
	b = binary.BigEndian.AppendUint32(b, uint32(len(content)))
	b = append(b, class...)
	return append(append(b, meta...), content...)
}

// rawBoltField appends s as a header-map key or value.
func rawBoltField(dst []byte, s string) []byte {
	return append(binary.BigEndian.AppendUint32(dst, uint32(len(s))), s...)
}

// shortHessianString appends s (ASCII, under 32 bytes) as a hessian2 string.
func shortHessianString(dst []byte, s string) []byte { return append(append(dst, byte(len(s))), s...) }

const sofaRequestClass = "com.alipay.sofa.rpc.core.request.SofaRequest"

// rawSofaRequest is a SofaRequest content as hessian.js 1.x writes it: the
// class definition with fields, then 'o' 0 and the values as given.
func rawSofaRequest(fields []string, values []byte) []byte {
	c := []byte{'O', byte(0x90 + len(sofaRequestClass))}
	c = append(c, sofaRequestClass...)
	c = append(c, byte(0x90+len(fields)))
	for _, f := range fields {
		c = shortHessianString(c, f)
	}
	c = append(c, 'o', 0x90)
	return append(c, values...)
}

// startDeniedEchoBoltProxy is a Bolt listener in front of a sofa-rpc-node
// server of echoService, whose product denies echoService.
func startDeniedEchoBoltProxy(t *testing.T) *testProxy {
	t.Helper()
	srv := boltServer(t, echoService, "1.0", "a")
	cfg := boltConfig(srv.Addr)
	cfg.Products = []config.Product{{Name: "echo", Hosts: []string{echoService}, DefaultCluster: "c",
		Filters: []config.Filter{{Type: config.FilterDeny, Status: 403, Body: "no"}}}}
	cfg.DefaultProduct = ""
	return startRPCProxy(t, cfg, "bolt")
}

// boltExchange writes request i's frame on conn and reads velox's answer,
// and what sofa-bolt-node reads in it.
func boltExchange(t *testing.T, conn *rpcConn, peer *rpcpeer.Peer, i int, frame []byte) (rpcx.Frame, *rpcpeer.Decoded) {
	t.Helper()
	if _, err := conn.Write(frame); err != nil {
		t.Fatal(err)
	}
	raw, f, err := conn.readFrame()
	if err != nil {
		t.Fatalf("%d: %v", i, err)
	}
	d, _ := peer.Decode(raw)
	t.Logf("request %d: status %#x, value %v, error %q", i, f.Status, d.Data.Value, d.Error)
	return f, d
}

// The same against sofa-rpc-node's server: a draft content hessian.js 1.x
// would read otherwise than a plain skip, and a class name with a trailing
// space (sofa-bolt-node trims it), are refused.
func TestRPCBoltRoutingBypassesRefused(t *testing.T) {
	peer := rpcpeer.Node(t)
	tp := startDeniedEchoBoltProxy(t)

	var meta []byte
	meta = rawBoltField(meta, "service")
	meta = rawBoltField(meta, "org.velox.Public:1.0")
	meta = rawBoltField(meta, "sofa_head_method_name")
	meta = rawBoltField(meta, "echo")

	// 1: draft desync
	v := []byte{'H', 'z'}
	v = shortHessianString(v, echoService+":1.0")
	v = shortHessianString(v, "echo")
	v = append(v, 'N', 'Z')
	v = shortHessianString(v, "org.velox.Public:1.0")
	v = shortHessianString(v, "echo")
	desync := rawBoltV1(1, sofaRequestClass, meta, rawSofaRequest([]string{"targetAppName", "targetServiceUniqueName", "methodName"}, v))

	// 2: padded class around sofa-bolt-node's own content for echoService
	real, err := peer.Encode(map[string]any{"op": "request", "id": 2, "version": 1, "service": echoService + ":1.0", "method": "echo", "args": []any{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	cl, ml := int(binary.BigEndian.Uint16(real[14:])), int(binary.BigEndian.Uint16(real[16:]))
	padded := rawBoltV1(2, sofaRequestClass+" ", meta, real[22+cl+ml:])

	// 0: control, sofa-bolt-node's request as is
	for i, fr := range [][]byte{real, desync, padded} {
		f, d := boltExchange(t, dialRPC(t, tp.addr, &rpcx.Bolt{}), peer, i, fr)
		if i > 0 && f.OK {
			t.Errorf("bypass (request %d): the denied service answered %v", i, d.Data.Value)
		}
	}
}

// sofa-rpc-node's server caches class definitions per connection by
// "name##field count" and, on a later definition with that key, skips its
// field names and uses the cached ones (hessian.js-1
// _readObjectDefinition). The upstream connection is shared by every
// client of the loop, so a permuted definition would make velox and the
// server read different fields: only sofa-bolt-node's own layout is taken.
func TestRPCBoltClassCacheBypassRefused(t *testing.T) {
	peer := rpcpeer.Node(t)
	tp := startDeniedEchoBoltProxy(t)
	content := func(fields []string, vals ...string) []byte {
		var v []byte
		for _, s := range vals {
			v = shortHessianString(v, s)
		}
		return rawSofaRequest(fields, v)
	}
	conn := dialRPC(t, tp.addr, &rpcx.Bolt{})
	for i, c := range [][]byte{
		content([]string{"targetAppName", "targetServiceUniqueName", "methodName"}, "app", "org.velox.Public:1.0", "echo"),
		content([]string{"targetServiceUniqueName", "targetAppName", "methodName"}, "org.velox.Public:1.0", echoService+":1.0", "echo"),
	} {
		f, d := boltExchange(t, conn, peer, i, rawBoltV1(byte(i+1), sofaRequestClass, nil, c))
		if i == 1 && f.OK {
			t.Errorf("BYPASS: the denied service answered %v", d.Data.Value)
		}
	}
}

// A request refused before its head is read (a bad head,
// max_client_in_flight) runs request_finish with an empty head, not the
// previous request's.
func TestRPCRequestFinishOfARefusedRequest(t *testing.T) {
	backend := rawRPCBackend(t, &rpcx.Dubbo{}, "raw:x", func(*rpcx.Frame, *rpcx.Head) {})
	tp := startRPCProxy(t, dubboConfig(backend), "dubbo")
	seen := make(chan string, 4)
	tp.Register(RequestFinish, RequestFilterFunc(func(s *Stream) Verdict {
		seen <- string(s.Request().Host) + " " + string(s.Request().Path)
		return Continue
	}))
	conn := dialRPC(t, tp.addr, &rpcx.Dubbo{})
	if _, err := conn.Write(dubboRawRequest(t, 1, echoService, map[string]any{"path": echoService})); err != nil {
		t.Fatal(err)
	}
	if _, _, err := conn.readFrame(); err != nil {
		t.Fatal(err)
	}
	t.Logf("request 1 finish: %q", <-seen)
	bad := []byte{0x91, 0x92, 0x93} // ints, not the leading strings: Head fails
	if _, err := conn.Write(dubboRawFrame(2, bad)); err != nil {
		t.Fatal(err)
	}
	_, f, err := conn.readFrame()
	if err != nil {
		t.Fatal(err)
	}
	got := <-seen
	t.Logf("request 2 (bad request, status %d) finish: %q", f.Status, got)
	if got != " " {
		t.Errorf("request_finish of an unreadable request sees %q: the previous request's head", got)
	}
}
