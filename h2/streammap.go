package h2

import (
	"iter"
	"math/bits"
)

// StreamMap maps the ids of active streams to V (the Conn's own stream
// state, and an owner's per-stream state: proxy keeps its streams of a
// connection in one): open addressing
// with linear probing in a power-of-two array at most half full, slots
// picked by Fibonacci hashing of the id, deletion by backward shift (no
// tombstones). A lookup is a multiply and, mostly, one compare; the arrays
// grow with the connection's concurrency and are reused after that, so
// the steady state allocates nothing. A probe run is never longer than
// the number of active streams (MaxConcurrentStreams bounds it).
//
// The zero StreamMap is empty and ready. Owned by one goroutine.
type StreamMap[V any] struct {
	keys  []uint32 // 0: empty (0 is never a stream id)
	vals  []V
	n     int
	shift uint8 // 32 - log2(len(keys))
}

const streamMapMin = 16

// slot is id's home slot.
func (m *StreamMap[V]) slot(id uint32) int { return int((id * 0x9e3779b1) >> m.shift) }

// Len returns the number of entries.
func (m *StreamMap[V]) Len() int { return m.n }

// Get returns id's value, or the zero V.
func (m *StreamMap[V]) Get(id uint32) V {
	v, _ := m.Lookup(id)
	return v
}

// Lookup returns id's value and whether id is in m.
func (m *StreamMap[V]) Lookup(id uint32) (V, bool) {
	var zero V
	if m.n == 0 {
		return zero, false
	}
	mask := len(m.keys) - 1
	for i := m.slot(id); ; i = (i + 1) & mask {
		switch m.keys[i] {
		case id:
			return m.vals[i], true
		case 0:
			return zero, false
		}
	}
}

// Put sets id's value. id must not be 0.
func (m *StreamMap[V]) Put(id uint32, v V) {
	mask := len(m.keys) - 1
	if m.n > 0 {
		for i := m.slot(id); m.keys[i] != 0; i = (i + 1) & mask {
			if m.keys[i] == id {
				m.vals[i] = v
				return
			}
		}
	}
	m.Add(id, v)
}

// Add adds id, which must not be in m (nor 0): a new stream's, without
// Put's search for it.
func (m *StreamMap[V]) Add(id uint32, v V) {
	if 2*(m.n+1) > len(m.keys) {
		m.grow()
	}
	mask := len(m.keys) - 1
	i := m.slot(id)
	for m.keys[i] != 0 {
		i = (i + 1) & mask
	}
	m.keys[i], m.vals[i] = id, v
	m.n++
}

// grow doubles the arrays (to streamMapMin at first) and re-inserts.
func (m *StreamMap[V]) grow() {
	keys, vals := m.keys, m.vals
	size := max(2*len(keys), streamMapMin)
	m.keys, m.vals = make([]uint32, size), make([]V, size)
	m.shift = uint8(32 - bits.TrailingZeros(uint(size)))
	m.n = 0
	for i, k := range keys {
		if k != 0 {
			m.Add(k, vals[i])
		}
	}
}

// Delete removes id if it is there, shifting back the entries of its
// probe run that would otherwise be cut off from their home slot.
func (m *StreamMap[V]) Delete(id uint32) {
	if m.n == 0 {
		return
	}
	mask := len(m.keys) - 1
	i := m.slot(id)
	for m.keys[i] != id {
		if m.keys[i] == 0 {
			return
		}
		i = (i + 1) & mask
	}
	for j := i; ; {
		j = (j + 1) & mask
		if m.keys[j] == 0 {
			break
		}
		// The entry at j may move to the hole at i unless its home slot
		// lies cyclically in (i, j].
		if h := m.slot(m.keys[j]); (j-h)&mask < (j-i)&mask {
			continue
		}
		m.keys[i], m.vals[i] = m.keys[j], m.vals[j]
		i = j
	}
	var zero V
	m.keys[i], m.vals[i] = 0, zero
	m.n--
}

// All yields every entry. The loop body must not change m: a Delete
// moves entries, so one could be skipped or seen twice.
func (m *StreamMap[V]) All() iter.Seq2[uint32, V] {
	return func(yield func(uint32, V) bool) {
		for i, k := range m.keys {
			if k != 0 && !yield(k, m.vals[i]) {
				return
			}
		}
	}
}

// Clear empties m, keeping its arrays.
func (m *StreamMap[V]) Clear() {
	if m.n > 0 {
		clear(m.keys)
		clear(m.vals)
		m.n = 0
	}
}
