package rpcx

import (
	"strings"
	"testing"

	"github.com/velox-proxy/velox/internal/rpcpeer"
	"github.com/velox-proxy/velox/rpcx/hessian2"
)

// Differential tests of the Dubbo codec against a second, independent
// implementation: apache-dubbo-js 3.0.0-rc6 encodes the requests (with
// hessian.js, which writes hessian2 the way Java's Hessian2Output does:
// references, 32k string chunks, typed lists) and hessian.js reads them
// back; apache-dubbo-js decodes velox's error responses and heartbeats.

// jv is a java-typed value as js-to-java builds it.
func jv(class string, v any) map[string]any { return map[string]any{"$class": class, "$": v} }

func TestDubboRequestsFromDubboJS(t *testing.T) {
	p := rpcpeer.Node(t)
	user := jv("org.velox.User", map[string]any{"name": "n", "tags": jv("java.util.List", []any{"t"})})
	cases := []struct {
		name   string
		args   []any
		att    map[string]any
		dubbox bool
	}{
		{"no args", nil, nil, false},
		{"scalars", []any{jv("java.lang.String", "x"), jv("int", 3), jv("long", 1234567890123), jv("boolean", true), jv("double", 1.5)}, map[string]any{"tenant": "acme"}, false},
		{"collections", []any{jv("java.util.List", []any{"a", "b"}), jv("java.util.Map", map[string]any{"k": "v"}), jv("[java.lang.String", []any{"p", "q"})}, nil, false},
		{"objects and references", []any{user, map[string]any{"$same": 0}, jv("java.util.List", []any{map[string]any{"$same": 0}, user})}, map[string]any{"trace": "abc"}, false},
		{"long and wide strings", []any{jv("java.lang.String", strings.Repeat("x", 40000)), jv("java.lang.String", "é中😀")}, map[string]any{"tenant": "中文 😀"}, false},
		{"dubbox", []any{jv("java.lang.String", "x")}, map[string]any{"tenant": "t"}, true},
	}
	var d Dubbo
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			frame, read, err := p.DubboRequest(map[string]any{
				"id": 1000 + i, "service": "org.velox.Svc", "version": "1.0." + string(rune('0'+i)), "method": "call",
				"group": "blue", "timeout": 3000, "attachments": c.att, "args": c.args, "dubbox": c.dubbox,
			})
			if err != nil {
				t.Fatal(err)
			}
			var f Frame
			if n, err := d.Decode(frame, &f); err != nil || n != len(frame) || f.Kind != KindRequest || f.ID != uint64(1000+i) {
				t.Fatalf("Decode = %d, %v, %+v", n, err, f)
			}
			var h Head
			if err := d.Head(&f, &h); err != nil {
				t.Fatalf("Head: %v", err)
			}
			utf8 := func(b []byte) string { return string(hessian2.AppendUTF8(nil, b)) }
			if utf8(h.DubboVersion) != read.DubboVersion || utf8(h.Service) != read.Service || utf8(h.Version) != read.Version ||
				utf8(h.Method) != read.Method || utf8(h.Group) != read.Attachments["group"] {
				t.Errorf("Head = %q %q %q %q group %q; hessian.js reads %+v", h.DubboVersion, h.Service, h.Version, h.Method, h.Group, read)
			}
			for k, want := range read.Attachments {
				v, ok, err := h.Lookup(k)
				if read.AttachmentTypes[k] != "string" {
					if err != ErrValueType {
						t.Errorf("Lookup(%q) of a %s = %q, %v", k, read.AttachmentTypes[k], v, err)
					}
					continue
				}
				if err != nil || !ok || utf8(v) != want {
					t.Errorf("Lookup(%q) = %q, %v, %v; hessian.js reads %q", k, v, ok, err, want)
				}
			}
		})
	}
}

func TestDubboAnswersReadByDubboJS(t *testing.T) {
	p := rpcpeer.Node(t)
	var d Dubbo
	for fail := FailNoBackend; fail <= FailUpstream; fail++ {
		frame := d.AppendError(nil, &Frame{ID: 1 << 40}, fail, "velox says "+fail.String())
		got, err := p.DubboDecode(frame)
		if err != nil {
			t.Fatal(err)
		}
		if got.RequestID != 1<<40 || got.Status != uint8(dubboFailStatus[fail]) || !strings.Contains(got.Error, "velox says "+fail.String()) {
			t.Errorf("%v: apache-dubbo-js reads %+v", fail, got)
		}
	}
	// Its heartbeat (id 0, as it sends them), our reply.
	hb, err := p.Encode(map[string]any{"op": "dubboHeartbeat"})
	if err != nil {
		t.Fatal(err)
	}
	var f Frame
	if _, err := d.Decode(hb, &f); err != nil || f.Kind != KindHeartbeat {
		t.Fatal(err, f)
	}
	got, err := p.DubboDecode(d.AppendHeartbeatReply(nil, &f))
	if err != nil || !got.Heartbeat || got.Status != uint8(DubboOK) {
		t.Errorf("apache-dubbo-js reads our heartbeat reply as %+v, %v", got, err)
	}
}
