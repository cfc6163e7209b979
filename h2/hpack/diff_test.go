package hpack

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	xhpack "golang.org/x/net/http2/hpack"
)

// Differential tests against golang.org/x/net/http2/hpack, the encoder and
// decoder of Go's HTTP/2.

// randomFields returns a header list mixing static-table entries and names,
// a few recurring custom fields (so dynamic entries are hit and evicted),
// and random names and values of arbitrary bytes.
func randomFields(r *rand.Rand) []xhpack.HeaderField {
	recurring := []string{"x-request-id", "x-trace", "cookie", "user-agent", "x-a", "x-longer-custom-header-name"}
	n := r.IntN(12)
	fs := make([]xhpack.HeaderField, n)
	for i := range fs {
		var f xhpack.HeaderField
		switch r.IntN(4) {
		case 0:
			e := staticTable[r.IntN(staticLen)]
			f.Name, f.Value = e.name, e.value
		case 1:
			f.Name, f.Value = staticTable[r.IntN(staticLen)].name, randomString(r, 40)
		case 2:
			f.Name, f.Value = recurring[r.IntN(len(recurring))], fmt.Sprint(r.IntN(5))
		default:
			f.Name, f.Value = randomString(r, 20), randomString(r, 300)
		}
		f.Sensitive = r.IntN(10) == 0
		fs[i] = f
	}
	return fs
}

func randomString(r *rand.Rand, max int) string {
	b := make([]byte, r.IntN(max+1))
	for i := range b {
		if r.IntN(8) == 0 {
			b[i] = byte(r.IntN(256))
		} else {
			b[i] = byte('a' + r.IntN(26))
		}
	}
	return string(b)
}

func fromX(fs []xhpack.HeaderField) []field {
	out := make([]field, len(fs))
	for i, f := range fs {
		out[i] = field{f.Name, f.Value, f.Sensitive}
	}
	return out
}

// TestDiffXNetEncodesWeDecode: blocks from x/net's Encoder, whose table
// sizes and size updates change at random, decode here to the fields it was
// given, block after block (so both tables stay in sync), and to what
// x/net's own Decoder returns.
func TestDiffXNetEncodesWeDecode(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var buf bytes.Buffer
	xe := xhpack.NewEncoder(&buf)
	xd := xhpack.NewDecoder(DefaultTableSize, nil)
	d := NewDecoder(DefaultTableSize)
	for i := 0; i < 3000; i++ {
		switch r.IntN(20) {
		case 0: // the encoder picks a smaller table: a size update
			xe.SetMaxDynamicTableSize(uint32(r.IntN(DefaultTableSize + 1)))
		case 1: // we advertise a new SETTINGS_HEADER_TABLE_SIZE
			n := uint32(r.IntN(2 * DefaultTableSize))
			xe.SetMaxDynamicTableSizeLimit(n)
			xe.SetMaxDynamicTableSize(n)
			d.SetMaxTableSize(n)
			xd.SetAllowedMaxDynamicTableSize(n)
		}
		fs := randomFields(r)
		buf.Reset()
		for _, f := range fs {
			if err := xe.WriteField(f); err != nil {
				t.Fatal(err)
			}
		}
		got, err := decodeAll(d, buf.Bytes())
		if err != nil {
			t.Fatalf("block %d %x: %v", i, buf.Bytes(), err)
		}
		if want := fromX(fs); !equalFields(got, want) {
			t.Fatalf("block %d %x:\n got %+v\nwant %+v", i, buf.Bytes(), got, want)
		}
		xs, err := xd.DecodeFull(buf.Bytes())
		if err != nil || !equalFields(fromX(xs), got) {
			t.Fatalf("block %d: x/net decoded %+v, %v", i, xs, err)
		}
	}
}

// TestDiffWeEncodeXNetDecodes: blocks from our Encoder (no table, a small
// table with evictions, the default one) and from AppendField decode in
// x/net to the fields given, and here too; the peer's table size changes
// between blocks.
func TestDiffWeEncodeXNetDecodes(t *testing.T) {
	for _, size := range []uint32{0, 256, DefaultTableSize} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, uint64(size)))
			e := NewEncoder(size)
			xd := xhpack.NewDecoder(DefaultTableSize, nil)
			d := NewDecoder(DefaultTableSize)
			var block, stateless []byte
			for i := 0; i < 2000; i++ {
				if r.IntN(30) == 0 {
					n := uint32(r.IntN(2 * DefaultTableSize))
					e.SetMaxTableSize(n)
					xd.SetAllowedMaxDynamicTableSize(n)
					d.SetMaxTableSize(n)
				}
				fs := randomFields(r)
				block, stateless = block[:0], stateless[:0]
				for _, f := range fs {
					block = e.AppendField(block, []byte(f.Name), []byte(f.Value), f.Sensitive)
					stateless = AppendField(stateless, []byte(f.Name), []byte(f.Value), f.Sensitive)
				}
				want := fromX(fs)
				xs, err := xd.DecodeFull(block)
				if err != nil || !equalFields(fromX(xs), want) {
					t.Fatalf("block %d %x: x/net decoded %+v, %v; want %+v", i, block, xs, err, want)
				}
				if got, err := decodeAll(d, block); err != nil || !equalFields(got, want) {
					t.Fatalf("block %d %x: decoded %+v, %v; want %+v", i, block, got, err, want)
				}
				xs, err = xhpack.NewDecoder(DefaultTableSize, nil).DecodeFull(stateless)
				if err != nil || !equalFields(fromX(xs), want) {
					t.Fatalf("block %d: AppendField %x: x/net decoded %+v, %v", i, stateless, xs, err)
				}
			}
		})
	}
}
