package hessian2_test

import (
	"math/rand"
	"strings"
	"testing"
	"time"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/velox-proxy/velox/internal/rpcpeer"
	"github.com/velox-proxy/velox/rpcx/hessian2"
)

// Differential tests against dubbo-go-hessian2 v1.12.5 (dubbo-go v3.3.2's
// hessian2) and hessian.js 2.11.0 (in node, internal/rpcpeer): what their
// encoders write, our reader steps over exactly and reads the same strings
// and map entries from.

type pojo struct {
	A string
	B int64
	C []any
}

func (pojo) JavaClassName() string { return "org.velox.test.Pojo" }

func init() { hessian.RegisterPOJO(&pojo{}) }

func value(r *rand.Rand, depth int) any {
	k := 12
	if depth == 0 {
		k = 7
	}
	switch r.Intn(k) {
	case 0:
		return nil
	case 1:
		return r.Int63n(1<<40) - 1<<39
	case 2:
		return int32(r.Int31n(1<<20) - 1<<19)
	case 3:
		return []float64{0, 1, 0.5, 12.25, -3e300}[r.Intn(5)]
	case 4:
		return text(r)
	case 5:
		return make([]byte, []int{0, 3, 900, 5000, 70000}[r.Intn(5)])
	case 6:
		return time.UnixMilli(r.Int63n(1e12)).UTC()
	case 7:
		return []any{value(r, depth-1), value(r, depth-1)}
	case 8:
		return map[any]any{text(r): value(r, depth-1), int32(1): value(r, depth-1)}
	case 9:
		return []string{text(r)}
	case 10:
		return &pojo{A: text(r), B: r.Int63(), C: []any{value(r, depth-1)}}
	}
	return []int32{1, 2, 3}
}

func text(r *rand.Rand) string {
	n := []int{0, 1, 31, 32, 1023, 1024, 4096, 4097, 9000, 70000}[r.Intn(10)]
	return strings.Repeat([]string{"a", "é", "中", "😀"}[r.Intn(4)], n)
}

func encode(t testing.TB, vs ...any) []byte {
	t.Helper()
	e := hessian.NewEncoder()
	for _, v := range vs {
		if err := e.Encode(v); err != nil {
			t.Fatalf("library encode %T: %v", v, err)
		}
	}
	return e.Buffer()
}

// TestSkipLibraryValues: a stream of values skips value by value to its
// exact end (class definitions shared between values, as in a Dubbo body).
func TestSkipLibraryValues(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 150; i++ {
		vs := []any{value(r, 3), value(r, 3), value(r, 3)}
		b := encode(t, vs...)
		var rd hessian2.Reader
		rd.Reset(b)
		for k, v := range vs {
			if err := rd.Skip(); err != nil {
				t.Fatalf("Skip value %d (%T): %v", k, v, err)
			}
		}
		if rd.Offset() != len(b) {
			t.Fatalf("skipped %d of %d bytes", rd.Offset(), len(b))
		}
		// Every proper prefix ends inside a value: an error, never a panic.
		rd.Reset(b[:len(b)-1])
		var err error
		for k := 0; k < len(vs) && err == nil; k++ {
			err = rd.Skip()
		}
		if err == nil {
			t.Fatalf("a truncated stream skipped without error")
		}
	}
}

func TestReadStringLikeLibrary(t *testing.T) {
	for _, s := range []string{"", "a", strings.Repeat("x", 31), strings.Repeat("é", 32), strings.Repeat("中", 1023),
		strings.Repeat("y", 4096), "😀 two units", "mixed é中😀a"} {
		b := encode(t, s)
		var rd hessian2.Reader
		rd.Reset(b)
		got, null, err := rd.ReadString()
		if err != nil || null || string(hessian2.AppendUTF8(nil, got)) != s || !hessian2.EqualString(got, s) || rd.Offset() != len(b) {
			t.Errorf("ReadString(%.20q) = %.20q, %v, %v at %d of %d", s, got, null, err, rd.Offset(), len(b))
		}
		if len(s) > 0 && hessian2.EqualString(got, s[:len(s)-1]+"!") {
			t.Errorf("EqualString(%.20q) holds for another string", s)
		}
	}
	// Chunked (over 4096 characters for this encoder): an error, not consumed.
	b := encode(t, strings.Repeat("z", 5000))
	var rd hessian2.Reader
	rd.Reset(b)
	if _, _, err := rd.ReadString(); err != hessian2.ErrChunked || rd.Offset() != 0 {
		t.Errorf("ReadString(chunked) = %v at %d", err, rd.Offset())
	}
	if err := rd.Skip(); err != nil || rd.Offset() != len(b) {
		t.Errorf("Skip(chunked) = %v at %d of %d", err, rd.Offset(), len(b))
	}
}

func TestMapLikeLibrary(t *testing.T) {
	m := map[string]string{"path": "org.velox.Svc", "group": "g", "long": strings.Repeat("é", 3000), "": "empty key"}
	b := encode(t, m)
	var rd hessian2.Reader
	rd.Reset(b)
	if err := rd.MapStart(); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for {
		more, err := rd.MapNext()
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
		k, _, err1 := rd.ReadString()
		v, _, err2 := rd.ReadString()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		got[string(k)] = string(hessian2.AppendUTF8(nil, v))
	}
	if len(got) != len(m) || rd.Offset() != len(b) {
		t.Fatalf("read %d entries, %d of %d bytes", len(got), rd.Offset(), len(b))
	}
	for k, v := range m {
		if got[k] != v {
			t.Errorf("[%q] = %.20q; want %.20q", k, got[k], v)
		}
	}
}

func TestLimits(t *testing.T) {
	// Nesting past MaxDepth.
	deep := strings.Repeat("W", hessian2.MaxDepth+1) + "N" + strings.Repeat("Z", hessian2.MaxDepth+1)
	var rd hessian2.Reader
	rd.Reset([]byte(deep))
	if err := rd.Skip(); err != hessian2.ErrTooDeep {
		t.Errorf("Skip(too deep) = %v", err)
	}
	ok := strings.Repeat("W", hessian2.MaxDepth) + "N" + strings.Repeat("Z", hessian2.MaxDepth)
	rd.Reset([]byte(ok))
	if err := rd.Skip(); err != nil || rd.Offset() != len(ok) {
		t.Errorf("Skip(MaxDepth) = %v", err)
	}
	// A fixed list claiming more values than bytes.
	rd.Reset([]byte{'X', 'I', 0x7f, 0xff, 0xff, 0xff, 'N'})
	if err := rd.Skip(); err != hessian2.ErrSyntax {
		t.Errorf("Skip(huge list) = %v", err)
	}
	// An object of a definition never given.
	rd.Reset([]byte{0x61})
	if err := rd.Skip(); err != hessian2.ErrSyntax {
		t.Errorf("Skip(undefined object) = %v", err)
	}
}

// TestSkipHessianJSValues: values hessian.js 2.11.0 writes (as Java's
// Hessian2Output does: 32k string chunks, references, typed lists, class
// definitions shared by later values) are stepped over one by one to the
// exact end, and its strings read back as it wrote them.
func TestSkipHessianJSValues(t *testing.T) {
	p := rpcpeer.Node(t)
	jv := func(class string, v any) map[string]any { return map[string]any{"$class": class, "$": v} }
	user := jv("org.velox.User", map[string]any{"name": "n", "age": jv("int", 7), "tags": jv("java.util.List", []any{"a"})})
	values := []any{
		"short", strings.Repeat("é", 40000), "😀 surrogates", nil, true, jv("int", -5), jv("long", 1<<40), jv("double", 0.25),
		jv("java.util.Date", 1700000000000), jv("java.util.List", []any{1, "x", nil}), jv("[int", []any{1, 2, 3}),
		jv("java.util.HashMap", map[string]any{"k": "v", "n": jv("int", 1)}), map[string]any{"plain": "object"},
		user, map[string]any{"$same": 13}, jv("java.util.List", []any{map[string]any{"$same": 13}, user}),
		jv("byte[]", []any{1, 2, 3}),
	}
	b, err := p.Hessian(values...)
	if err != nil {
		t.Fatal(err)
	}
	var rd hessian2.Reader
	rd.Reset(b)
	for i, v := range values {
		if s, ok := v.(string); ok && len(s) < 30000 {
			got, _, err := rd.ReadString()
			if err != nil || !hessian2.EqualString(got, s) {
				t.Fatalf("value %d: ReadString = %q, %v; hessian.js wrote %q", i, got, err, s)
			}
			continue
		}
		if err := rd.Skip(); err != nil {
			t.Fatalf("value %d (%v): Skip at %d: %v", i, v, rd.Offset(), err)
		}
	}
	if rd.Offset() != len(b) {
		t.Fatalf("read %d of %d bytes", rd.Offset(), len(b))
	}
}
