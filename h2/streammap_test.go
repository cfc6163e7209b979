package h2

import (
	"math/rand/v2"
	"testing"
)

// TestStreamMap checks StreamMap against a Go map through random puts and
// deletes, with ids that collide on purpose (strides of the table size)
// and ids that wrap around the array.
func TestStreamMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var m StreamMap[*stream]
	want := map[uint32]*stream{}
	next := uint32(1)
	for step := 0; step < 200000; step++ {
		switch r := rng.IntN(10); {
		case r < 5 && len(want) < 300:
			id := next
			switch rng.IntN(4) {
			case 0:
				id = next + uint32(rng.IntN(8))*64*2
			case 1:
				id = uint32(rng.Uint32()|1) >> 1
			}
			if id == 0 || want[id] != nil {
				break
			}
			s := &stream{id: id}
			m.Put(id, s)
			want[id] = s
			next += 2
		default:
			for id := range want {
				m.Delete(id)
				delete(want, id)
				break
			}
			m.Delete(next + 1) // absent: no change
		}
		if m.Len() != len(want) {
			t.Fatalf("step %d: len %d, want %d", step, m.Len(), len(want))
		}
		if step%97 == 0 {
			for id, s := range want {
				if got := m.Get(id); got != s {
					t.Fatalf("step %d: get(%d) = %v, want %v", step, id, got, s)
				}
			}
			n := 0
			for id, s := range m.All() {
				if want[id] != s {
					t.Fatalf("step %d: all yields %d", step, id)
				}
				n++
			}
			if n != len(want) || m.Get(next+1) != nil {
				t.Fatalf("step %d: %d entries yielded, want %d", step, n, len(want))
			}
		}
	}
}

// BenchmarkStreamMap: one request's table work (a put, five gets, a delete)
// with 100 streams in flight, as h2load -m100 keeps them.
func BenchmarkStreamMap(b *testing.B) {
	var m StreamMap[*stream]
	s := &stream{}
	for id := uint32(1); id < 200; id += 2 {
		m.Put(id, s)
	}
	id := uint32(201)
	for b.Loop() {
		m.Add(id, s)
		for range 5 {
			_ = m.Get(id)
		}
		m.Delete(id - 200)
		id += 2
	}
}

func BenchmarkGoMap(b *testing.B) {
	m := map[uint32]*stream{}
	s := &stream{}
	for id := uint32(1); id < 200; id += 2 {
		m[id] = s
	}
	id := uint32(201)
	for b.Loop() {
		m[id] = s
		for range 5 {
			_ = m[id]
		}
		delete(m, id-200)
		id += 2
	}
}
