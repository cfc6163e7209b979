package eventloop

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
)

// roundTrip sends payload on a fresh client and checks that the same bytes
// come back, reading concurrently so neither side blocks the other.
func roundTrip(t *testing.T, addr string, payload []byte) {
	c := dial(t, addr)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for rest := payload; len(rest) > 0; {
			n := min(len(rest), 1+rand.IntN(200<<10))
			if _, err := c.Write(rest[:n]); err != nil {
				t.Error(err)
				return
			}
			rest = rest[n:]
		}
	}()
	h := sha256.New()
	if _, err := io.CopyN(h, c, int64(len(payload))); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if want := sha256.Sum256(payload); !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatal("echoed bytes differ")
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestEchoLargePayload(t *testing.T) {
	_, addr := startGroup(t, Config{}, acceptAll(echo))
	roundTrip(t, addr, randomBytes(8<<20))
}

func TestEchoManyConns(t *testing.T) {
	_, addr := startGroup(t, Config{}, acceptAll(echo))
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			roundTrip(t, addr, randomBytes(1+i*7919))
		}()
	}
	wg.Wait()
}
