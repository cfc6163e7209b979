package rpcx

import (
	"testing"
)

// AppendWithFields on whatever Head accepts: no panic, and the
// result decodes, its Head reads (or reports) the changed fields.
func FuzzAppendWithFields(f *testing.F) {
	f.Add(true, dubboFrameSeed())
	f.Fuzz(func(t *testing.T, dubbo bool, data []byte) {
		var p Protocol = &Bolt{}
		if dubbo {
			p = &Dubbo{}
		}
		var fr Frame
		if _, err := p.Decode(data, &fr); err != nil {
			return
		}
		var h Head
		if p.Head(&fr, &h) != nil {
			return
		}
		changes := []Change{{Key: []byte("x-a"), Value: []byte("1")}, {Key: []byte("group"), Remove: true}, {Key: []byte("version"), Value: []byte("9.9")}}
		if !dubbo {
			changes = changes[:2]
		}
		out, err := p.AppendWithFields(nil, &fr, &h, changes)
		if err != nil {
			return
		}
		var g Frame
		if _, err := p.Decode(out, &g); err != nil {
			t.Fatalf("rewritten frame does not decode: %v", err)
		}
		var h2 Head
		if err := p.Head(&g, &h2); err != nil {
			t.Fatalf("rewritten frame's Head: %v", err)
		}
		if v, ok, _ := h2.Lookup("x-a"); !ok || string(v) != "1" {
			t.Fatalf("x-a = %q %v", v, ok)
		}
		if v, ok, _ := h2.Lookup("group"); ok {
			t.Fatalf("group still %q", v)
		}
		if dubbo && string(h2.Version) != "9.9" {
			t.Fatalf("version %q", h2.Version)
		}
	})
}

func dubboFrameSeed() []byte {
	var b []byte
	b = hstr(b, "2.0.2")
	b = hstr(b, "a.Svc")
	b = hstr(b, "1.0")
	b = hstr(b, "m")
	b = hstr(b, "")
	b = append(b, 'H')
	b = hstr(b, "group")
	b = hstr(b, "g")
	b = append(b, 'Z')
	return appendDubboHeader(nil, 0xc0|DubboHessian2, 0, 9, b)
}
