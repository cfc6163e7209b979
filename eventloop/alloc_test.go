package eventloop

import (
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// rawClient is a blocking client socket driven with raw syscalls, so that
// the only allocations an AllocsPerRun sees are the loop's.
type rawClient struct {
	fd  int
	buf []byte
}

func newRawClient(t testing.TB, addr string) *rawClient {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	tv := unix.Timeval{Sec: 10}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	if err := unix.Connect(fd, loopbackSockaddr(t, addr)); err != nil {
		t.Fatal(err)
	}
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	return &rawClient{fd: fd, buf: make([]byte, 64<<10)}
}

// echo sends msg and reads back as many bytes; it reports false on failure.
func (r *rawClient) echo(msg []byte) bool {
	if n, err := unix.Write(r.fd, msg); err != nil || n != len(msg) {
		return false
	}
	for got := 0; got < len(msg); {
		n, err := unix.Read(r.fd, r.buf[:len(msg)-got])
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return false
		}
		got += n
	}
	return true
}

// TestEchoPathAllocs measures the steady-state echo path (epoll wake-up,
// read into the shared buffer, OnData, direct write) end to end.
func TestEchoPathAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	_, addr := startGroup(t, Config{Loops: 1}, acceptAll(echo))
	c := newRawClient(t, addr)
	msg := make([]byte, 512)
	for range 100 { // warm up: conn table, pools
		if !c.echo(msg) {
			t.Fatal("echo failed")
		}
	}
	ok := true
	allocs := testing.AllocsPerRun(500, func() { ok = c.echo(msg) && ok })
	if !ok {
		t.Fatal("echo failed")
	}
	if allocs != 0 {
		t.Fatalf("echo round trip: %v allocs", allocs)
	}
}

// TestKeptInputPathAllocs measures the partial-consumption path: frames
// split across reads are kept in pooled buffers and freed again.
func TestKeptInputPathAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates, and sync.Pool drops items under it")
	}
	_, addr := startGroup(t, Config{Loops: 1}, acceptAll(&handlerFuncs{data: frameEcho}))
	c := newRawClient(t, addr)
	frame := []byte{0, 0, 1, 0} // 256-byte body
	frame = append(frame, make([]byte, 256)...)
	first, second := frame[:100], frame[100:]
	step := func() bool {
		if n, err := unix.Write(c.fd, first); err != nil || n != len(first) {
			return false
		}
		return c.echoTail(second, len(frame))
	}
	for range 100 {
		if !step() {
			t.Fatal("frame echo failed")
		}
	}
	ok := true
	allocs := testing.AllocsPerRun(500, func() { ok = step() && ok })
	if !ok {
		t.Fatal("frame echo failed")
	}
	if allocs != 0 {
		t.Fatalf("kept-input round trip: %v allocs", allocs)
	}
}

// echoTail writes tail and reads back want bytes.
func (r *rawClient) echoTail(tail []byte, want int) bool {
	if n, err := unix.Write(r.fd, tail); err != nil || n != len(tail) {
		return false
	}
	for got := 0; got < want; {
		n, err := unix.Read(r.fd, r.buf[:want-got])
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return false
		}
		got += n
	}
	return true
}

func BenchmarkEchoRoundTrip(b *testing.B) {
	for _, size := range []int{64, 4096} {
		b.Run(strconv.Itoa(size)+"B", func(b *testing.B) {
			_, addr := startGroup(b, Config{Loops: 1}, acceptAll(echo))
			c := newRawClient(b, addr)
			msg := make([]byte, size)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				if !c.echo(msg) {
					b.Fatal("echo failed")
				}
			}
		})
	}
}
