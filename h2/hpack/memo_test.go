package hpack

import (
	"fmt"
	"math/rand"
	"testing"
)

// TestAppendFieldMemo: blocks encoded with one Memo per position decode to
// the fields given, while entries are evicted under the memos (a small
// table, a value that changes, a field that moves, a size update that
// empties the table), and a remembered field costs only its index.
func TestAppendFieldMemo(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	e := NewEncoder(256)
	d := NewDecoder(DefaultTableSize)
	var memo [8]Memo
	var dst []byte
	for round := 0; round < 2000; round++ {
		fields := [][2]string{
			{":status", "200"},
			{"server", "nginx/1.22.1"},
			{"date", fmt.Sprintf("Tue, 01 Dec 2026 14:%02d:%02d GMT", round/60%60, round%60)},
			{"content-type", "text/plain"},
			{"content-length", fmt.Sprint(rng.Intn(3))},
			{"via", "1.1 velox"},
		}
		if rng.Intn(10) == 0 {
			i, j := rng.Intn(len(fields)), rng.Intn(len(fields))
			fields[i], fields[j] = fields[j], fields[i]
		}
		if rng.Intn(200) == 0 {
			e.SetMaxTableSize(uint32(rng.Intn(2)) * 256)
		}
		dst = dst[:0]
		for i, f := range fields {
			dst = e.AppendFieldMemo(dst, []byte(f[0]), []byte(f[1]), false, &memo[i])
		}
		var got [][2]string
		if err := d.DecodeBlock(dst, func(name, value []byte, _ bool) {
			got = append(got, [2]string{string(name), string(value)})
		}); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(fields) {
			t.Fatalf("round %d: decoded %v, want %v", round, got, fields)
		}
	}
	// A repeated block is all indexed fields: one byte each.
	e.SetMaxTableSize(256)
	block := func() []byte {
		b := []byte(nil)
		b = e.AppendFieldMemo(b, []byte("server"), []byte("nginx/1.22.1"), false, &memo[0])
		return e.AppendFieldMemo(b, []byte("via"), []byte("1.1 velox"), false, &memo[1])
	}
	block()
	if b := block(); len(b) != 2 {
		t.Errorf("repeated block is %d bytes (% x), want 2 indexed fields", len(b), b)
	}
}

func BenchmarkEncodeBlockMemo(b *testing.B) {
	e := NewEncoder(DefaultTableSize)
	var memo [16]Memo
	dst := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		dst = dst[:0]
		for i, f := range typicalRequest {
			dst = e.AppendFieldMemo(dst, []byte(f[0]), []byte(f[1]), false, &memo[i])
		}
	}
}
