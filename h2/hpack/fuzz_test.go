package hpack

import (
	"errors"
	"testing"

	xhpack "golang.org/x/net/http2/hpack"
)

// FuzzDecodeBlock decodes the input as two consecutive blocks (so the
// second sees the first's dynamic table) here and in x/net: it must never
// panic, and both must accept or reject alike and emit the same fields,
// except where x/net is laxer or stricter than RFC 7541 (xnetDiffers).
// Seeds: testdata/fuzz/FuzzDecodeBlock (the Appendix C blocks, error cases).
func FuzzDecodeBlock(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(DefaultTableSize)
		xd := xhpack.NewDecoder(DefaultTableSize, nil)
		for range 2 {
			got, err := decodeAll(d, data)
			xs, xerr := xd.DecodeFull(data)
			if (err == nil) != (xerr == nil) {
				if xnetDiffers(data, err, xerr) {
					return
				}
				t.Fatalf("%x: ours %v, x/net %v", data, err, xerr)
			}
			if err != nil {
				return
			}
			if !equalFields(got, fromX(xs)) {
				t.Fatalf("%x:\n ours %+v\nx/net %+v", data, got, xs)
			}
			size, limit := d.TableSize()
			if size > limit || limit > DefaultTableSize {
				t.Fatalf("table size %d, limit %d", size, limit)
			}
		}
	})
}

// xnetDiffers reports a known, deliberate disagreement with x/net v0.62.0:
// it accepts integers with redundant zero continuation bytes or above
// 2^32-1, and a size update after a field while its table is empty; and it
// refuses a second size update at the start of a block while its table is
// not empty (RFC 7541 section 4.2 allows it).
func xnetDiffers(block []byte, ours, xnet error) bool {
	if xnet == nil {
		return errors.Is(ours, ErrIntegerOverflow) || errors.Is(ours, ErrMisplacedSizeUpdate)
	}
	return ours == nil && len(block) > 0 && block[0]&0xe0 == 0x20
}
