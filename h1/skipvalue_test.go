package h1

import (
	"math/rand/v2"
	"testing"
)

// TestSkipValue: the eight-bytes-at-a-time scan stops where the byte
// table does, for every byte value at every position of a word.
func TestSkipValue(t *testing.T) {
	slow := func(w []byte, i int) int {
		for i < len(w) && fieldValueTable[w[i]] {
			i++
		}
		return i
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 24; pos++ {
			w := make([]byte, 24)
			for j := range w {
				w[j] = byte(0x20 + rng.IntN(0x5f)) // printable ASCII
				if rng.IntN(8) == 0 {
					w[j] = byte(0x80 + rng.IntN(0x80)) // obs-text
				}
			}
			w[pos] = byte(c)
			for start := 0; start < 4; start++ {
				if got, want := skipValue(w, start), slow(w, start); got != want {
					t.Fatalf("byte %#x at %d from %d: skipValue %d, want %d", c, pos, start, got, want)
				}
			}
		}
	}
}
