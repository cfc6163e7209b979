package hessian2_test

import (
	"strings"
	"testing"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/velox-proxy/velox/rpcx/hessian2"
)

// TestAppendStringLibraryDecodes: dubbo-go-hessian2's decoder reads what
// AppendString writes as the same string, in each length form (compact,
// two-byte, 'S'), with characters above U+FFFF as surrogate pairs; invalid
// UTF-8 comes back as U+FFFD and a string over 65535 units is cut there.
func TestAppendStringLibraryDecodes(t *testing.T) {
	long := strings.Repeat("é", 0x10000)
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"a", "a"},
		{strings.Repeat("x", 31), strings.Repeat("x", 31)},
		{strings.Repeat("é", 32), strings.Repeat("é", 32)},
		{strings.Repeat("中", 1023), strings.Repeat("中", 1023)},
		{strings.Repeat("y", 1024), strings.Repeat("y", 1024)},
		{"😀 two units", "😀 two units"},
		{"mixed é中😀a", "mixed é中😀a"},
		{"bad \xff byte", "bad \ufffd byte"},
		{long, long[:2*0xffff]},
		{strings.Repeat("a", 0xfffe) + "😀", strings.Repeat("a", 0xfffe)}, // the pair does not fit
	} {
		b := hessian2.AppendString([]byte{'N'}, c.in)
		if b[0] != 'N' {
			t.Fatalf("AppendString(%.20q) overwrote dst", c.in)
		}
		got, err := hessian.NewDecoder(b[1:]).Decode()
		if err != nil || got != c.want {
			t.Errorf("library decodes AppendString(%.20q) as %.20q, %v; want %.20q", c.in, got, err, c.want)
		}
		var rd hessian2.Reader
		rd.Reset(b[1:])
		if s, _, err := rd.ReadString(); err != nil || !hessian2.EqualString(s, c.want) || rd.Offset() != len(b)-1 {
			t.Errorf("ReadString(AppendString(%.20q)) = %.20q, %v at %d of %d", c.in, s, err, rd.Offset(), len(b)-1)
		}
	}
}

// TestAppendStringAllocs: with room in dst, AppendString does not allocate.
func TestAppendStringAllocs(t *testing.T) {
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { buf = hessian2.AppendString(buf[:0], "mixed é中😀a") }); n != 0 {
		t.Errorf("AppendString: %v allocations", n)
	}
}
