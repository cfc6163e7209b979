package eventloop

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// Gathered writes and the low watermark, on loops driven by hand (poll on
// the test goroutine, which owns the loop) and socketpairs: the Conn's end is
// non-blocking, the peer's end blocking, read by the test.

// newPair registers one end of a socketpair as a Conn on l and returns it
// with the peer's end. sndbuf > 0 shrinks the Conn's send buffer so that
// output backs up.
func newPair(t testing.TB, l *Loop, h Handler, sndbuf int) (*Conn, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[1]) })
	tv := unix.Timeval{Sec: 10}
	unix.SetsockoptTimeval(fds[1], unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	unix.SetNonblock(fds[0], true)
	if sndbuf > 0 {
		unix.SetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_SNDBUF, sndbuf)
	}
	c := newConn(l, fds[0], netip.AddrPort{})
	c.h = h
	if err := c.register(); err != nil {
		t.Fatal(err)
	}
	return c, fds[1]
}

// readFull fills buf from the blocking fd.
func readFull(fd int, buf []byte) error {
	for got := 0; got < len(buf); {
		n, err := unix.Read(fd, buf[got:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n <= 0 {
			return io.ErrUnexpectedEOF
		}
		got += n
	}
	return nil
}

// peerReads reads n bytes from fd on another goroutine and sends them.
func peerReads(t testing.TB, fd, n int) <-chan []byte {
	got := make(chan []byte, 1)
	go func() {
		b := make([]byte, n)
		if err := readFull(fd, b); err != nil {
			t.Errorf("peer read: %v", err)
		}
		got <- b
	}()
	return got
}

// settle polls l until c has nothing queued and nothing waits to be flushed.
func settle(l *Loop, c *Conn) {
	for !c.Closed() && (c.Buffered() > 0 || l.flushHead != nil) {
		l.poll()
	}
}

// smallFrames returns count frames of 9–100 bytes (an HTTP/2 frame header
// and a small payload), with distinct contents.
func smallFrames(count int) [][]byte {
	r := rand.New(rand.NewPCG(uint64(count), 2))
	fs := make([][]byte, count)
	for i := range fs {
		fs[i] = randomBytes(9 + r.IntN(92))
		fs[i][0] = byte(i)
	}
	return fs
}

// TestGatherKeepsOrder interleaves Gather, Write, Writev and Flush at random,
// small and large (so that output alternates between going straight out,
// waiting for the end of the iteration and backing up for EPOLLOUT), with
// loop iterations in between; the peer must read the calls' bytes in order.
func TestGatherKeepsOrder(t *testing.T) {
	l := newTestLoop(t)
	c, peer := newPair(t, l, &handlerFuncs{}, 16<<10)
	r := rand.New(rand.NewPCG(7, 7))
	var want []byte
	var ops []func() error
	for range 3000 {
		n := 1 + r.IntN(300)
		if r.IntN(50) == 0 {
			n = 64<<10 + r.IntN(200<<10)
		}
		b := randomBytes(n)
		b[0] = byte(len(ops))
		want = append(want, b...)
		switch r.IntN(4) {
		case 0:
			ops = append(ops, func() error { return c.Write(b) })
		case 1:
			k := r.IntN(len(b) + 1)
			ops = append(ops, func() error { return c.Writev(b[:k], nil, b[k:]) })
		default:
			ops = append(ops, func() error { return c.Gather(b) })
		}
	}
	got := peerReads(t, peer, len(want))
	for i, op := range ops {
		if err := op(); err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
		switch r.IntN(8) {
		case 0:
			c.Flush()
		case 1, 2:
			if c.Buffered() > 0 || l.flushHead != nil {
				l.poll()
			}
		}
	}
	settle(l, c)
	if b := recv(t, got); !bytes.Equal(b, want) {
		t.Fatalf("peer read %d bytes that differ from the %d written in order", len(b), len(want))
	}
}

// TestWriteAfterGatherQueues: a Write or Writev after a Gather in the same
// iteration joins the queue behind it (no syscall), and all of it leaves in
// one writev at the end of the iteration.
func TestWriteAfterGatherQueues(t *testing.T) {
	l := newTestLoop(t)
	c, peer := newPair(t, l, &handlerFuncs{}, 0)
	writes := l.stats.Writes
	c.Gather([]byte("HEADERS "))
	c.Write([]byte("DATA "))
	c.Writev([]byte("WINDOW_"), []byte("UPDATE "))
	c.Gather([]byte("END"))
	if l.stats.Writes != writes || c.Buffered() != 30 {
		t.Fatalf("before the flush: %d writes, %d bytes queued; want 0 writes, 30 bytes",
			l.stats.Writes-writes, c.Buffered())
	}
	l.poll()
	if l.stats.Writes != writes+1 || c.Buffered() != 0 {
		t.Fatalf("after one iteration: %d writes, %d bytes queued; want 1 writev, 0 bytes",
			l.stats.Writes-writes, c.Buffered())
	}
	b := make([]byte, 30)
	if err := readFull(peer, b); err != nil || string(b) != "HEADERS DATA WINDOW_UPDATE END" {
		t.Fatalf("peer read %q, %v", b, err)
	}
}

// TestGather1000OneIteration: 1000 frames gathered by one task come out at
// the end of that iteration with one writev (the queue packs them into a
// few 4 KiB chunks), and none before.
func TestGather1000OneIteration(t *testing.T) {
	l := newTestLoop(t)
	c, peer := newPair(t, l, &handlerFuncs{}, 0)
	fs := smallFrames(1000)
	want := bytes.Join(fs, nil)
	got := peerReads(t, peer, len(want))
	writes := l.stats.Writes
	l.Execute(func() {
		for _, f := range fs {
			if err := c.Gather(f); err != nil {
				t.Error(err)
			}
		}
		if l.stats.Writes != writes {
			t.Error("Gather made a syscall")
		}
	})
	l.poll()
	if n := l.stats.Writes - writes; n != 1 || c.Buffered() != 0 {
		t.Fatalf("1000 gathers (%d bytes): %d writev calls, %d bytes left; want 1, 0",
			len(want), n, c.Buffered())
	}
	if b := recv(t, got); !bytes.Equal(b, want) {
		t.Fatal("peer read other bytes")
	}
}

// TestGatherBacksUp: gathered output that the kernel does not take (a peer
// that does not read) stays queued with EPOLLOUT on, and drains when the
// peer reads; OnWritable (no watermark) runs once, when it is all out.
func TestGatherBacksUp(t *testing.T) {
	l := newTestLoop(t)
	var writable []int
	var c *Conn
	c, peer := newPair(t, l, &handlerFuncs{writable: func(*Conn) { writable = append(writable, c.Buffered()) }}, 16<<10)
	payload := randomBytes(1 << 20)
	for b := payload; len(b) > 0; b = b[16<<10:] {
		c.Gather(b[:16<<10])
	}
	l.poll()
	if c.Buffered() == 0 || c.events&unix.EPOLLOUT == 0 {
		t.Fatalf("1 MiB to a peer that does not read: %d bytes queued, EPOLLOUT %v",
			c.Buffered(), c.events&unix.EPOLLOUT != 0)
	}
	if len(writable) != 0 {
		t.Fatalf("OnWritable with %d bytes queued", writable[0])
	}
	got := peerReads(t, peer, len(payload))
	settle(l, c)
	if !bytes.Equal(recv(t, got), payload) {
		t.Fatal("peer read other bytes")
	}
	if len(writable) != 1 || writable[0] != 0 {
		t.Fatalf("OnWritable ran with %v bytes queued; want once, drained", writable)
	}
}

// TestLowWatermark: OnWritable runs once per fall through the watermark,
// not on each of the many partial flushes that follow a backed-up queue,
// and not for output that never rises above it.
func TestLowWatermark(t *testing.T) {
	const mark = 64 << 10
	l := newTestLoop(t)
	var writable []int
	var c *Conn
	c, peer := newPair(t, l, &handlerFuncs{writable: func(*Conn) { writable = append(writable, c.Buffered()) }}, 16<<10)
	c.SetLowWatermark(mark)
	big := randomBytes(1 << 20)
	small := randomBytes(10 << 10)
	want := append(append(append([]byte{}, big...), big...), bytes.Repeat(small, 10)...)
	got := peerReads(t, peer, len(want))
	for round := range 2 {
		writes := l.stats.Writes
		for b := big; len(b) > 0; b = b[16<<10:] {
			c.Gather(b[:16<<10])
		}
		settle(l, c)
		if n := l.stats.Writes - writes; n < 4 {
			t.Fatalf("round %d: %d writes; the test wants many partial flushes", round, n)
		}
		if len(writable) != round+1 || writable[round] > mark {
			t.Fatalf("round %d: OnWritable at %v bytes queued; want once per round, at <= %d", round, writable, mark)
		}
	}
	for range 10 {
		c.Gather(small)
		settle(l, c)
	}
	if len(writable) != 2 {
		t.Fatalf("OnWritable %d times; output below the watermark must not add any", len(writable))
	}
	if !bytes.Equal(recv(t, got), want) {
		t.Fatal("peer read other bytes")
	}
}

// TestLowWatermarkGatheredFlush: the end-of-iteration flush reports the
// fall too, also when it writes everything at once; without a watermark it
// reports the drain of every gathered queue.
func TestLowWatermarkGatheredFlush(t *testing.T) {
	l := newTestLoop(t)
	writable := 0
	c, peer := newPair(t, l, &handlerFuncs{writable: func(*Conn) { writable++ }}, 0)
	buf := make([]byte, 8<<10)
	step := func(n int) int {
		before := writable
		c.Gather(buf[:n])
		l.poll()
		if c.Buffered() != 0 {
			t.Fatalf("%d bytes left queued", c.Buffered())
		}
		if err := readFull(peer, buf[:n]); err != nil {
			t.Fatal(err)
		}
		return writable - before
	}
	if n := step(100); n != 1 {
		t.Fatalf("no watermark, gathered queue drained: OnWritable %d times, want 1", n)
	}
	c.SetLowWatermark(1000)
	if n := step(5000); n != 1 {
		t.Fatalf("watermark 1000, 5000 gathered and flushed: OnWritable %d times, want 1", n)
	}
	if n := step(500); n != 0 {
		t.Fatalf("watermark 1000, 500 gathered and flushed: OnWritable %d times, want 0", n)
	}
}

// TestGatherPeerGone: the deferred flush to a peer gone since the events
// of the iteration were collected dooms the Conn; OnClose runs once, at the
// end of the iteration, with the error; Gather afterwards returns ErrClosed.
func TestGatherPeerGone(t *testing.T) {
	l := newTestLoop(t)
	var closes []error
	h := &handlerFuncs{close: func(_ *Conn, err error) { closes = append(closes, err) }}
	c, peer := newPair(t, l, h, 0)
	l.Execute(func() {
		unix.Shutdown(peer, unix.SHUT_RDWR)
		if err := c.Gather([]byte("frame")); err != nil {
			t.Errorf("Gather: %v", err)
		}
	})
	l.poll()
	if len(closes) != 1 || closes[0] != unix.EPIPE {
		t.Fatalf("OnClose calls %v, want one with EPIPE", closes)
	}
	if err := c.Gather([]byte("x")); err != ErrClosed {
		t.Fatalf("Gather after OnClose: %v, want ErrClosed", err)
	}
	if len(l.pending) != 0 || l.flushHead != nil {
		t.Fatal("a closed Conn left work for the loop")
	}
}

// TestFlushPeerGone: Flush fails like Write: it dooms c without calling
// the handler; OnClose runs once, at the end of the iteration.
func TestFlushPeerGone(t *testing.T) {
	l := newTestLoop(t)
	var closes []error
	h := &handlerFuncs{close: func(_ *Conn, err error) { closes = append(closes, err) }}
	c, peer := newPair(t, l, h, 0)
	l.Execute(func() {
		unix.Shutdown(peer, unix.SHUT_RDWR)
		c.Gather([]byte("frame"))
		c.Flush()
		if !c.Closed() || len(closes) != 0 {
			t.Errorf("after a failed Flush: Closed %v, %d OnClose calls; want true, 0", c.Closed(), len(closes))
		}
		if err := c.Gather([]byte("x")); err != unix.EPIPE {
			t.Errorf("Gather on a doomed Conn: %v, want EPIPE", err)
		}
	})
	l.poll()
	if len(closes) != 1 || closes[0] != unix.EPIPE {
		t.Fatalf("OnClose calls %v, want one with EPIPE", closes)
	}
}

func TestGatherClosed(t *testing.T) {
	l := newTestLoop(t)
	c, _ := newPair(t, l, &handlerFuncs{}, 0)
	c.Close()
	if err := c.Gather([]byte("x")); err != ErrClosed {
		t.Fatalf("Gather on a closed Conn: %v, want ErrClosed", err)
	}
	c2, _ := newPair(t, l, &handlerFuncs{}, 0)
	c2.CloseWrite()
	if err := c2.Gather([]byte("x")); err != ErrClosed {
		t.Fatalf("Gather after CloseWrite: %v, want ErrClosed", err)
	}
}

// TestFlushNow: Flush writes what was gathered before the end of the
// iteration, so that a direct Write after it is not held up.
func TestFlushNow(t *testing.T) {
	l := newTestLoop(t)
	c, peer := newPair(t, l, &handlerFuncs{}, 0)
	writes := l.stats.Writes
	c.Gather([]byte("gathered "))
	c.Flush()
	if c.Buffered() != 0 || l.stats.Writes != writes+1 {
		t.Fatalf("after Flush: %d bytes queued, %d writes", c.Buffered(), l.stats.Writes-writes)
	}
	c.Flush() // nothing gathered: no syscall
	c.Write([]byte("direct"))
	if c.Buffered() != 0 || l.stats.Writes != writes+2 {
		t.Fatalf("Write after Flush: %d bytes queued, %d writes; want it straight out", c.Buffered(), l.stats.Writes-writes)
	}
	l.poll()
	b := make([]byte, 15)
	if err := readFull(peer, b); err != nil || string(b) != "gathered direct" {
		t.Fatalf("peer read %q, %v", b, err)
	}
}

// TestGatherWhileConnecting: bytes gathered (and written) before a Dial
// connects are sent, in order, once it does; so is what OnOpen gathers.
func TestGatherWhileConnecting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		s, err := ln.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		defer s.Close()
		b, _ := io.ReadAll(s)
		got <- string(b)
	}()
	l := newTestLoop(t)
	opened := false
	h := &handlerFuncs{open: func(c *Conn) {
		opened = true
		c.Gather([]byte("+open"))
	}}
	c, err := l.Dial(loopbackSockaddr(t, ln.Addr().String()), 0, h)
	if err != nil {
		t.Fatal(err)
	}
	c.Gather([]byte("gather,"))
	c.Write([]byte("write,"))
	c.Writev([]byte("write"), []byte("v,"))
	c.Gather([]byte("gather"))
	if c.Buffered() != 26 || l.flushHead != nil {
		t.Fatalf("connecting: %d bytes queued, flush list %v; want 26 queued for the connect", c.Buffered(), l.flushHead != nil)
	}
	for !opened {
		l.poll()
	}
	settle(l, c)
	c.Close()
	if s := recv(t, got); s != "gather,write,writev,gather+open" {
		t.Fatalf("listener read %q", s)
	}
}

// TestGatherFlushAllocs: a steady-state cycle of 32 gathered frames and
// the end-of-iteration flush allocates nothing.
func TestGatherFlushAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates, and sync.Pool drops items under it")
	}
	l := newTestLoop(t)
	c, peer := newPair(t, l, &handlerFuncs{}, 0)
	fs := smallFrames(32)
	buf := make([]byte, len(bytes.Join(fs, nil)))
	ok := true
	step := func() {
		for _, f := range fs {
			c.Gather(f)
		}
		l.poll()
		ok = ok && c.Buffered() == 0 && readFull(peer, buf) == nil
	}
	for range 100 {
		step()
	}
	if allocs := testing.AllocsPerRun(1000, step); allocs != 0 {
		t.Fatalf("Gather ×32 + flush: %v allocs", allocs)
	}
	if !ok {
		t.Fatal("flush or peer read failed")
	}
}

// BenchmarkGather writes 32 frames of 9–100 bytes per iteration to a
// socketpair peer: one Write each, one Writev of all, or one Gather each
// and the end-of-iteration flush. Every variant runs one loop iteration (a
// timer due at once keeps it from sleeping) and the peer's read.
func BenchmarkGather(b *testing.B) {
	fs := smallFrames(32)
	buf := make([]byte, len(bytes.Join(fs, nil)))
	for _, bc := range []struct {
		name  string
		write func(c *Conn)
	}{
		{"Write", func(c *Conn) {
			for _, f := range fs {
				c.Write(f)
			}
		}},
		{"Writev", func(c *Conn) { c.Writev(fs...) }},
		{"Gather", func(c *Conn) {
			for _, f := range fs {
				c.Gather(f)
			}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l := newTestLoop(b)
			c, peer := newPair(b, l, &handlerFuncs{}, 0)
			var tick Timer
			tick.Init(l, func() {})
			writes := l.stats.Writes
			b.ReportAllocs()
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				bc.write(c)
				tick.Reset(0)
				l.poll()
				if c.Buffered() != 0 || readFull(peer, buf) != nil {
					b.Fatal("write or peer read failed")
				}
			}
			b.ReportMetric(float64(l.stats.Writes-writes)/float64(b.N), "syscalls/op")
		})
	}
}
