package hpack

import "testing"

func BenchmarkDecodeBlock(b *testing.B) {
	block := encodeTypical(NewEncoder(0), nil)
	d := NewDecoder(DefaultTableSize)
	emit := func(name, value []byte, sensitive bool) {}
	b.ReportAllocs()
	b.SetBytes(int64(len(block)))
	for b.Loop() {
		if err := d.DecodeBlock(block, emit); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeBlock(b *testing.B) {
	e := NewEncoder(DefaultTableSize)
	dst := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		dst = encodeTypical(e, dst[:0])
	}
}
