package eventloop

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"golang.org/x/sys/unix"
)

// xorTransform is a toy Transform: every byte is XORed with 0x5a both ways.
// Decoded control bytes: 0 is the orderly end (io.EOF), 1 is an error, 2
// asks for an answer ("pong", produced by Read itself). CloseNotify sends
// an encoded 0.
type xorTransform struct {
	raw   []byte
	out   []byte
	dead  error
	feeds int
}

var errXorBad = errors.New("xor: bad byte")

func xor(dst, src []byte) []byte {
	for _, b := range src {
		dst = append(dst, b^0x5a)
	}
	return dst
}

func (x *xorTransform) Feed(raw []byte) { x.raw = raw; x.feeds++ }

func (x *xorTransform) Read(p []byte) (int, error) {
	if x.dead != nil {
		return 0, x.dead
	}
	n := 0
	for n < len(p) && len(x.raw) > 0 {
		b := x.raw[0] ^ 0x5a
		x.raw = x.raw[1:]
		switch b {
		case 0, 1:
			x.dead = io.EOF
			if b == 1 {
				x.dead = errXorBad
			}
			if n == 0 {
				return 0, x.dead
			}
			return n, nil
		case 2:
			x.out = xor(x.out, []byte("pong"))
			continue
		}
		p[n] = b
		n++
	}
	return n, nil
}

func (x *xorTransform) Seal(b []byte) error { x.out = xor(x.out, b); return nil }

func (x *xorTransform) CloseNotify() { x.out = append(x.out, 0^0x5a) }

func (x *xorTransform) Output() []byte {
	out := x.out
	x.out = x.out[:0]
	return out
}

// writeXor writes b encoded to the blocking fd.
func writeXor(t *testing.T, fd int, b []byte) {
	t.Helper()
	if _, err := unix.Write(fd, xor(nil, b)); err != nil {
		t.Fatal(err)
	}
}

// readXor reads n encoded bytes from fd and decodes them.
func readXor(t *testing.T, fd, n int) string {
	t.Helper()
	buf := make([]byte, n)
	if err := readFull(fd, buf); err != nil {
		t.Fatal(err)
	}
	return string(xor(nil, buf))
}

// pollUntil runs l until cond holds (tests that own their loop).
func pollUntil(t *testing.T, l *Loop, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		var tick Timer
		tick.Init(l, func() {})
		tick.Reset(0)
		l.poll()
	}
	t.Fatal("condition not reached")
}

func TestTransformEcho(t *testing.T) {
	l := newTestLoop(t)
	var got bytes.Buffer
	h := &handlerFuncs{data: func(c *Conn, b []byte) int {
		got.Write(b)
		c.Write(bytes.ToUpper(b))
		c.Writev([]byte("v"), []byte("w"))
		c.Gather([]byte("g"))
		return len(b)
	}}
	c, peer := newPair(t, l, h, 0)
	x := &xorTransform{}
	c.SetTransform(x)
	if c.Transform() != x {
		t.Fatal("Transform does not return what was set")
	}
	writeXor(t, peer, []byte("hello"))
	pollUntil(t, l, func() bool { return got.Len() == 5 })
	if s := readXor(t, peer, 8); s != "HELLOvwg" {
		t.Fatalf("peer read %q", s)
	}
	if got.String() != "hello" {
		t.Fatalf("OnData saw %q", got.String())
	}
}

// Bytes the handler leaves are kept decoded, and PauseRead/ResumeRead
// redeliver them as for a plain Conn.
func TestTransformKeptAndPaused(t *testing.T) {
	l := newTestLoop(t)
	var seen []string
	h := &handlerFuncs{data: func(c *Conn, b []byte) int {
		seen = append(seen, string(b))
		if len(seen) == 1 {
			c.PauseRead()
			return 2
		}
		return len(b)
	}}
	c, peer := newPair(t, l, h, 0)
	c.SetTransform(&xorTransform{})
	writeXor(t, peer, []byte("abcdef"))
	pollUntil(t, l, func() bool { return len(seen) == 1 })
	c.ResumeRead()
	pollUntil(t, l, func() bool { return len(seen) == 2 })
	if seen[0] != "abcdef" || seen[1] != "cdef" {
		t.Fatalf("OnData saw %q", seen)
	}
}

// Read's own output (an answer the Transform owes the peer) is written;
// the orderly end is the peer's EOF; CloseAfterFlush sends CloseNotify.
func TestTransformAnswerAndEnd(t *testing.T) {
	l := newTestLoop(t)
	var closeErr error
	closed := false
	h := &handlerFuncs{close: func(c *Conn, err error) { closed, closeErr = true, err }}
	c, peer := newPair(t, l, h, 0)
	c.SetTransform(&xorTransform{})
	writeXor(t, peer, []byte{'a', 2})
	pollUntil(t, l, func() bool { return c.Sent() == 4 })
	if s := readXor(t, peer, 4); s != "pong" {
		t.Fatalf("answer %q", s)
	}
	writeXor(t, peer, []byte{0})
	pollUntil(t, l, func() bool { return closed })
	if closeErr != io.EOF {
		t.Fatalf("OnClose(%v), want io.EOF", closeErr)
	}

	c2, peer2 := newPair(t, l, &handlerFuncs{}, 0)
	c2.SetTransform(&xorTransform{})
	c2.Write([]byte("bye"))
	c2.CloseAfterFlush()
	if s := readXor(t, peer2, 4); s != "bye\x00" {
		t.Fatalf("close: peer read %q", s)
	}
}

func TestTransformError(t *testing.T) {
	l := newTestLoop(t)
	var closeErr error
	h := &handlerFuncs{close: func(c *Conn, err error) { closeErr = err }}
	c, peer := newPair(t, l, h, 0)
	c.SetTransform(&xorTransform{})
	writeXor(t, peer, []byte{'a', 1})
	pollUntil(t, l, func() bool { return c.Closed() })
	if closeErr != errXorBad {
		t.Fatalf("OnClose(%v), want %v", closeErr, errXorBad)
	}
}

// Bytes fed before SetTransform (the tail of a handshake) are delivered
// on the next iteration, without a new read.
func TestTransformSetDeliversFed(t *testing.T) {
	l := newTestLoop(t)
	var got string
	h := &handlerFuncs{data: func(c *Conn, b []byte) int { got += string(b); return len(b) }}
	c, _ := newPair(t, l, h, 0)
	x := &xorTransform{}
	x.Feed(xor(nil, []byte("early")))
	c.SetTransform(x)
	pollUntil(t, l, func() bool { return got != "" })
	if got != "early" {
		t.Fatalf("OnData saw %q", got)
	}
}

// sealCounter counts Seal calls of the xor transform.
type sealCounter struct {
	xorTransform
	seals []int // the size of each Seal
}

func (s *sealCounter) Seal(b []byte) error {
	s.seals = append(s.seals, len(b))
	return s.xorTransform.Seal(b)
}

// What one iteration gathers on a transformed Conn is sealed once, at the
// flush (an HTTP/2 connection's frames become few TLS records); a Write
// after Gathers seals them first, so the order holds; Buffered counts the
// gathered plaintext before it is sealed.
func TestTransformGatherSealedOnce(t *testing.T) {
	l := newTestLoop(t)
	x := &sealCounter{}
	var buffered int
	h := &handlerFuncs{data: func(c *Conn, b []byte) int {
		for _, p := range []string{"a", "bb", "ccc"} {
			c.Gather([]byte(p))
		}
		buffered = c.Buffered()
		if string(b) == "w" {
			c.Write([]byte("-then a write"))
		}
		return len(b)
	}}
	c, peer := newPair(t, l, h, 0)
	c.SetTransform(x)
	writeXor(t, peer, []byte("g"))
	pollUntil(t, l, func() bool { return len(x.seals) > 0 })
	if s := readXor(t, peer, 6); s != "abbccc" {
		t.Fatalf("peer read %q", s)
	}
	if len(x.seals) != 1 || x.seals[0] != 6 || buffered != 6 {
		t.Fatalf("seals %v, Buffered %d; want one seal of 6 bytes, 6 buffered", x.seals, buffered)
	}
	writeXor(t, peer, []byte("w"))
	pollUntil(t, l, func() bool { return len(x.seals) > 1 })
	if s := readXor(t, peer, 19); s != "abbccc-then a write" {
		t.Fatalf("peer read %q", s)
	}
	if len(x.seals) != 3 || x.seals[1] != 6 {
		t.Fatalf("seals %v: want the gathered 6 bytes sealed before the write", x.seals)
	}
}
