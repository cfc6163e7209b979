package rpcx

import (
	"bytes"
	"encoding/binary"
	"testing"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/velox-proxy/velox/internal/rpcpeer"
)

// Routing must see the service the server will call. These tests build
// requests that name it twice, differently, and check Head refuses them,
// and that a request naming it once, in the place the server reads, is
// routed by that place.

// dubboFrame encodes a hessian2 request by hand (dubbo-go-hessian2's own
// request encoder overwrites the path and version attachments): leading
// strings, no arguments, then att.
func dubboFrame(t *testing.T, path, version string, att map[string]any) []byte {
	t.Helper()
	e := hessian.NewEncoder()
	for _, v := range []any{"2.0.2", path, version, "call", ""} {
		if err := e.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Encode(att); err != nil {
		t.Fatal(err)
	}
	return appendDubboHeader(nil, 0xc0|DubboHessian2, 0, 9, e.Buffer())
}

func TestDubboAttachmentsNameTheService(t *testing.T) {
	var d Dubbo
	for _, c := range []struct {
		name          string
		path, version string
		att           map[string]any
		err           error
		svc, ver, grp string
	}{
		{name: "agree", path: "a.Svc", version: "1.0", att: map[string]any{"path": "a.Svc", "version": "1.0", "group": "g"}, svc: "a.Svc", ver: "1.0", grp: "g"},
		{name: "no attachments", path: "a.Svc", version: "1.0", att: map[string]any{}, svc: "a.Svc", ver: "1.0"},
		{name: "path differs", path: "a.Public", version: "1.0", att: map[string]any{"path": "a.Admin"}, err: ErrHeadMismatch},
		{name: "interface differs, no path", path: "a.Public", att: map[string]any{"interface": "a.Admin"}, err: ErrHeadMismatch},
		{name: "interface differs, path agrees", path: "a.Svc", att: map[string]any{"path": "a.Svc", "interface": "a.Other"}, svc: "a.Svc"},
		{name: "version differs", path: "a.Svc", version: "1.0", att: map[string]any{"version": "2.0"}, err: ErrHeadMismatch},
		{name: "empty version attachment", path: "a.Svc", version: "1.0", att: map[string]any{"version": ""}, err: ErrHeadMismatch},
		{name: "version only in attachments", path: "a.Svc", att: map[string]any{"version": "2.0"}, svc: "a.Svc", ver: "2.0"},
		{name: "path only in attachments", att: map[string]any{"path": "a.Svc"}, svc: "a.Svc"},
		{name: "path is no string", path: "a.Svc", att: map[string]any{"path": int32(1)}, err: ErrValueType},
	} {
		frame := dubboFrame(t, c.path, c.version, c.att)
		var f Frame
		if _, err := d.Decode(frame, &f); err != nil {
			t.Fatalf("%s: Decode: %v", c.name, err)
		}
		var h Head
		err := d.Head(&f, &h)
		if err != c.err {
			t.Errorf("%s: Head = %v, want %v", c.name, err, c.err)
			continue
		}
		if err == nil && (string(h.Service) != c.svc || string(h.Version) != c.ver || string(h.Group) != c.grp) {
			t.Errorf("%s: service %q version %q group %q, want %q %q %q", c.name, h.Service, h.Version, h.Group, c.svc, c.ver, c.grp)
		}
		if c.err == nil {
			// dubbo-go-hessian2 reads the same attachments.
			_, req, _ := libRead(t, frame)
			if att := req[6].(map[string]string); att["path"] != "" && att["path"] != c.svc {
				t.Errorf("%s: the library reads path %q", c.name, att["path"])
			}
		}
	}
}

// boltWithHeader rewrites the value of header key in a v1 frame to v, of
// the same length, in place.
func boltWithHeader(t *testing.T, frame []byte, key, v string) []byte {
	t.Helper()
	var f Frame
	if _, err := (&Bolt{}).Decode(frame, &f); err != nil {
		t.Fatal(err)
	}
	meta := frame[f.hdrLen+f.class : f.hdrLen+f.class+f.meta]
	i := bytes.Index(meta, []byte(key))
	if i < 0 {
		t.Fatalf("no header %q", key)
	}
	at := i + len(key)
	if n := int(binary.BigEndian.Uint32(meta[at:])); n != len(v) {
		t.Fatalf("header %q has %d bytes, not %d", key, n, len(v))
	}
	copy(meta[at+4:], v)
	return frame
}

func TestBoltSofaRequestNamesTheService(t *testing.T) {
	p := rpcpeer.Node(t)
	var b Bolt
	head := func(frame []byte) (Head, error) {
		var f Frame
		if _, err := b.Decode(frame, &f); err != nil {
			t.Fatal(err)
		}
		var h Head
		return h, b.Head(&f, &h)
	}
	enc := func() []byte {
		return boltEncode(t, p, map[string]any{"op": "request", "id": 3, "version": 1, "service": "com.a.Public:1.0", "method": "echo", "args": []any{"x"}})
	}
	if h, err := head(enc()); err != nil || string(h.Service) != "com.a.Public:1.0" || string(h.Method) != "echo" {
		t.Fatalf("sofa-bolt-node's request: service %q method %q, %v", h.Service, h.Method, err)
	}
	// The header names another service than the SofaRequest the server
	// reads: refused.
	if _, err := head(boltWithHeader(t, enc(), "service", "com.a.Admin_:1.0")); err != ErrHeadMismatch {
		t.Errorf("header service differs from the content: %v, want ErrHeadMismatch", err)
	}
	// The server (sofa-bolt-node) reads the content's service, which Head
	// now reports: the frame with the header changed decodes to the
	// content's service in the library too.
	lib := boltDecodeLib(t, p, boltWithHeader(t, enc(), "service", "com.a.Admin_:1.0"))
	if lib.Data.Service != "com.a.Public:1.0" {
		t.Errorf("sofa-bolt-node calls %q; the test's premise is that it reads the content", lib.Data.Service)
	}
}

// sofaRequest is a SofaRequest as Java's SOFA hessian writes it: the
// final Hessian 2.0 grammar ('C' definition), which dubbo-go-hessian2
// writes too.
type sofaRequest struct {
	TargetAppName           string   `hessian:"targetAppName"`
	MethodName              string   `hessian:"methodName"`
	TargetServiceUniqueName string   `hessian:"targetServiceUniqueName"`
	MethodArgSigs           []string `hessian:"methodArgSigs"`
}

func (sofaRequest) JavaClassName() string { return BoltSofaRequest }

func init() { hessian.RegisterPOJO(&sofaRequest{}) }

// boltV1Request builds a v1 request with the SofaRequest class, header
// service and content c.
func boltV1Request(service string, c []byte) []byte {
	return boltReq(BoltSofaRequest, appendBoltField(appendBoltField(nil, BoltHeaderService), service), c)
}

func TestBoltSofaRequestFinalGrammar(t *testing.T) {
	e := hessian.NewEncoder()
	if err := e.Encode(&sofaRequest{TargetAppName: "app", MethodName: "echo", TargetServiceUniqueName: "com.a.Svc:1.0", MethodArgSigs: []string{"java.lang.String"}}); err != nil {
		t.Fatal(err)
	}
	if e.Buffer()[0] != 'C' {
		t.Fatalf("dubbo-go-hessian2 wrote %q, not a 'C' definition", e.Buffer()[:1])
	}
	var b Bolt
	for _, c := range []struct {
		header string
		err    error
	}{{"com.a.Svc:1.0", nil}, {"com.a.Adm:1.0", ErrHeadMismatch}} {
		var f Frame
		if _, err := b.Decode(boltV1Request(c.header, e.Buffer()), &f); err != nil {
			t.Fatal(err)
		}
		var h Head
		err := b.Head(&f, &h)
		if err != c.err || (err == nil && (string(h.Service) != "com.a.Svc:1.0" || string(h.Method) != "echo")) {
			t.Errorf("header %q: service %q method %q, %v; want %v", c.header, h.Service, h.Method, err, c.err)
		}
	}
}
