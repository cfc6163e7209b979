package eventloop

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"
)

// roundTrip sends payload on a fresh client and checks that the same bytes
// come back, writing and reading concurrently in random-sized pieces.
func roundTrip(addr string, payload []byte) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	werr := make(chan error, 1)
	go func() {
		for rest := payload; len(rest) > 0; {
			n := min(len(rest), 1+rand.IntN(200<<10))
			if _, err := c.Write(rest[:n]); err != nil {
				werr <- err
				return
			}
			rest = rest[n:]
		}
		werr <- nil
	}()
	h := sha256.New()
	if _, err := io.CopyN(h, c, int64(len(payload))); err != nil {
		return err
	}
	if err := <-werr; err != nil {
		return err
	}
	if want := sha256.Sum256(payload); !bytes.Equal(h.Sum(nil), want[:]) {
		return errors.New("echoed bytes differ")
	}
	return nil
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
	if err := roundTrip(addr, randomBytes(8<<20)); err != nil {
		t.Fatal(err)
	}
}

func TestEchoManyConns(t *testing.T) {
	_, addr := startGroup(t, Config{}, acceptAll(echo))
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := roundTrip(addr, randomBytes(1+i*7919)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

// TestEchoWritev echoes through Writev, splitting each input in three.
func TestEchoWritev(t *testing.T) {
	h := &handlerFuncs{data: func(c *Conn, b []byte) int {
		a, z := len(b)/3, 2*len(b)/3
		if err := c.Writev(b[:a], nil, b[a:z], b[z:]); err != nil {
			t.Error(err)
		}
		return len(b)
	}}
	_, addr := startGroup(t, Config{}, acceptAll(h))
	if err := roundTrip(addr, randomBytes(3<<20)); err != nil {
		t.Fatal(err)
	}
}

// TestEchoSmallReadBuffer forces many reads and kept-input growth.
func TestEchoSmallReadBuffer(t *testing.T) {
	const unit = 8192 // consumed only in whole units: kept input must grow
	h := &handlerFuncs{data: func(c *Conn, b []byte) int {
		n := len(b) / unit * unit
		c.Write(b[:n])
		return n
	}}
	_, addr := startGroup(t, Config{ReadBuffer: 512}, acceptAll(h))
	c := dial(t, addr)
	payload := randomBytes(128 * unit)
	go c.Write(payload)
	got := make([]byte, len(payload))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatal("bytes differ")
	}
}
