package hessian2_test

import (
	"testing"

	"github.com/velox-proxy/velox/rpcx/hessian2"
)

// FuzzReader: on any input, skipping values, reading strings and maps ends
// without a panic, always moving forward, never past the input. Seeds are
// values the library encodes.
func FuzzReader(f *testing.F) {
	for _, v := range []any{"a", "éé", int32(-5), int64(1 << 40), 2.5, []any{nil, true}, map[any]any{"k": "v"}, &pojo{A: "x", C: []any{&pojo{}}}, make([]byte, 40)} {
		f.Add(encode(f, v, v))
	}
	// A SofaRequest as sofa-bolt-node writes it (the Hessian 2.0 draft),
	// for ReadObjectStrings.
	f.Add([]byte("\x03O\x9bSofaRequest\x92\x01a\x0amethodNameo\x90\x01x\x04echo"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r hessian2.Reader
		r.Reset(data)
		for r.Offset() < len(data) {
			before := r.Offset()
			var err error
			switch data[before] % 4 {
			case 3:
				var vals [2][]byte
				_, err = r.ReadObjectStrings([]string{"a", "methodName"}, vals[:], []string{"methodName", "a"})
			case 0:
				_, _, err = r.ReadString()
			case 1:
				if err = r.MapStart(); err == nil {
					if _, err = r.MapNext(); err != nil {
						return // MapStart moved: the map's end is missing
					}
				}
			}
			if err != nil || r.Offset() == before {
				err = r.Skip()
			}
			if r.Offset() > len(data) {
				t.Fatalf("read past the input: %d of %d", r.Offset(), len(data))
			}
			if err != nil {
				if r.Offset() != before {
					t.Fatalf("a failed Skip moved from %d to %d", before, r.Offset())
				}
				return
			}
			if r.Offset() == before {
				t.Fatalf("Skip succeeded without reading at %d", before)
			}
		}
	})
}
