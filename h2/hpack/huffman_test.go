package hpack

import (
	"bytes"
	"math/rand/v2"
	"testing"

	xhpack "golang.org/x/net/http2/hpack"
)

// TestHuffmanRoundTrip encodes every byte alone and random strings, checks
// the bytes against x/net's encoder, and decodes them back.
func TestHuffmanRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var inputs [][]byte
	for c := 0; c < 256; c++ {
		inputs = append(inputs, []byte{byte(c)}, bytes.Repeat([]byte{byte(c)}, 7))
	}
	for i := 0; i < 2000; i++ {
		s := make([]byte, r.IntN(64))
		for j := range s {
			if r.IntN(4) == 0 {
				s[j] = byte(r.IntN(256))
			} else {
				s[j] = byte(' ' + r.IntN(95))
			}
		}
		inputs = append(inputs, s)
	}
	for _, s := range inputs {
		enc := appendHuffman(nil, s)
		if want := xhpack.AppendHuffmanString(nil, string(s)); !bytes.Equal(enc, want) {
			t.Fatalf("%q: encoded %x, x/net %x", s, enc, want)
		}
		if len(enc) != huffmanLen(s) {
			t.Fatalf("%q: huffmanLen %d, encoded %d", s, huffmanLen(s), len(enc))
		}
		dec, err := appendHuffmanDecode(nil, enc, 0)
		if err != nil || !bytes.Equal(dec, s) {
			t.Fatalf("%q: decoded %q, %v", s, dec, err)
		}
	}
}

// TestHuffmanSec5_2_Padding: up to 7 bits of ones pad; anything else fails.
func TestHuffmanSec5_2_Padding(t *testing.T) {
	for _, tt := range []struct {
		in []byte
		ok bool
	}{
		{[]byte{0x07}, true},                    // "0" (00000) + 111
		{[]byte{0x06}, false},                   // padding 110
		{[]byte{0xff}, false},                   // 8 bits of padding
		{[]byte{0x07, 0xff}, false},             // "0" then 11 bits of ones
		{[]byte{0xff, 0xff, 0xff, 0xfc}, false}, // EOS (30 ones) + 00
		{[]byte{}, true},
	} {
		_, err := appendHuffmanDecode(nil, tt.in, 0)
		if (err == nil) != tt.ok {
			t.Errorf("%x: err %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
}
