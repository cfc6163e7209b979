package rpcx

import (
	"fmt"
	"testing"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/velox-proxy/velox/internal/rpcpeer"
)

// decodeHead decodes frame with p and reads its Head, failing the test on
// an error.
func decodeHead(t *testing.T, p Protocol, frame []byte) (*Frame, *Head) {
	t.Helper()
	var f Frame
	if _, err := p.Decode(frame, &f); err != nil {
		t.Fatal(err)
	}
	var h Head
	if err := p.Head(&f, &h); err != nil {
		t.Fatal(err)
	}
	return &f, &h
}

// The frames AppendWithFields writes are read by the libraries with the
// changes made and nothing else changed.

func TestDubboAppendWithFieldsReadByLibrary(t *testing.T) {
	var d Dubbo
	svc := hessian.Service{Path: "org.velox.Svc", Version: "1.0", Method: "call", Group: "blue"}
	args := []any{"a", int32(7), map[any]any{"k": []any{"v", int64(1)}}}
	frame := libEncodeRequest(t, svc, hessian.PackageRequest_TwoWay, 42, args, map[string]string{"tenant": "a", "trace": "t1"})
	f, h := decodeHead(t, &d, frame)
	changes := []Change{
		{Key: []byte("tenant"), Value: []byte("zé")},
		{Key: []byte("trace"), Remove: true},
		{Key: []byte("added"), Value: []byte("n")},
		{Key: []byte("version"), Value: []byte("2.0")},
	}
	out, err := d.AppendWithFields([]byte("prefix"), f, h, changes)
	if err != nil {
		t.Fatal(err)
	}
	out = out[len("prefix"):]
	hdr, req, _ := libRead(t, out)
	att := req[6].(map[string]string)
	if hdr.ID != 42 || req[2] != "2.0" || att["version"] != "2.0" || att["tenant"] != "zé" || att["added"] != "n" || att["group"] != "blue" || att["path"] != "org.velox.Svc" {
		t.Errorf("the library reads id %d version %v attachments %v", hdr.ID, req[2], att)
	}
	if _, ok := att["trace"]; ok {
		t.Errorf("removed attachment still there: %v", att)
	}
	_, orig, _ := libRead(t, frame)
	if fmt.Sprint(req[5]) != fmt.Sprint(orig[5]) || req[1] != orig[1] || req[3] != orig[3] {
		t.Errorf("arguments or names changed: %v, was %v", req, orig)
	}
	// velox reads the rewritten frame as the changed head, with no mismatch.
	var f2 Frame
	if _, err := d.Decode(out, &f2); err != nil {
		t.Fatal(err)
	}
	var h2 Head
	if err := d.Head(&f2, &h2); err != nil || string(h2.Version) != "2.0" || string(h2.Group) != "blue" {
		t.Errorf("Head of the rewritten frame: version %q group %q, %v", h2.Version, h2.Group, err)
	}
	if _, err := d.AppendWithFields(nil, f, h, []Change{{Key: []byte("path"), Value: []byte("x.Y")}}); err != ErrFieldFixed {
		t.Errorf("changing path: %v, want ErrFieldFixed", err)
	}
}

func TestBoltAppendWithFieldsReadByLibrary(t *testing.T) {
	p := rpcpeer.Node(t)
	var b Bolt
	for _, v := range boltVariants {
		frame := boltEncode(t, p, withVariant(map[string]any{"op": "request", "id": 9, "service": "com.velox.Svc:1.0", "method": "call",
			"args": []any{"s", 3}, "timeout": 2000}, v))
		f, h := decodeHead(t, &b, frame)
		out, err := b.AppendWithFields(nil, f, h, []Change{{Key: []byte("x-tenant"), Value: []byte("t7")}})
		if err != nil {
			t.Fatal(err)
		}
		lib := boltDecodeLib(t, p, out)
		orig := boltDecodeLib(t, p, frame)
		if lib.Header["x-tenant"] != "t7" || lib.Header["service"] != orig.Header["service"] || lib.PacketID != 9 ||
			lib.Data.Method != orig.Data.Method || fmt.Sprint(lib.Data.Args) != fmt.Sprint(orig.Data.Args) {
			t.Errorf("%v: the library reads header %v method %q args %v", v, lib.Header, lib.Data.Method, lib.Data.Args)
		}
		// Removing it again gives the original frame back, byte for byte.
		f2, h2 := decodeHead(t, &b, out)
		back, err := b.AppendWithFields(nil, f2, h2, []Change{{Key: []byte("x-tenant"), Remove: true}})
		if err != nil || string(back) != string(frame) {
			t.Errorf("%v: removing the header again: %v, same bytes %v", v, err, string(back) == string(frame))
		}
		if _, err := b.AppendWithFields(nil, f, h, []Change{{Key: []byte("service"), Value: []byte("x:1")}}); err != ErrFieldFixed {
			t.Errorf("changing service: %v, want ErrFieldFixed", err)
		}
	}
}
