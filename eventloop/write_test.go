package eventloop

import (
	"bytes"
	"io"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// TestBackpressureOnWritable writes more than the kernel takes to a client
// that does not read: Buffered grows, then drains when the client reads,
// and OnWritable runs once the queue is empty.
func TestBackpressureOnWritable(t *testing.T) {
	payload := randomBytes(16 << 20)
	opened := make(chan *Conn, 1)
	writable := make(chan int, 10)
	h := &handlerFuncs{
		open: func(c *Conn) {
			if err := c.Write(payload); err != nil {
				t.Error(err)
			}
			opened <- c
		},
		writable: func(c *Conn) { writable <- c.Buffered() },
	}
	g, addr := startGroup(t, Config{Loops: 1}, acceptAll(h))
	client := dial(t, addr)
	conn := recv(t, opened)
	l := g.Loops()[0]
	var buffered int
	onLoop(t, l, func() { buffered = conn.Buffered() })
	if buffered == 0 {
		t.Fatal("16 MiB to a client that does not read left nothing queued")
	}
	got := make([]byte, len(payload))
	if _, err := io.ReadFull(client, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatal("bytes differ")
	}
	if n := recv(t, writable); n != 0 {
		t.Fatalf("OnWritable with %d bytes still queued", n)
	}
	onLoop(t, l, func() {
		if conn.out.chunks != nil && len(conn.out.chunks) != 0 {
			t.Error("drained queue still holds chunks")
		}
	})
}

func TestCloseAfterFlush(t *testing.T) {
	payload := randomBytes(8 << 20)
	closed := make(chan error, 1)
	h := &handlerFuncs{
		open: func(c *Conn) {
			c.Write(payload)
			c.CloseAfterFlush()
			if err := c.Write([]byte("x")); err != ErrClosed {
				t.Errorf("Write after CloseAfterFlush: %v", err)
			}
		},
		close: func(_ *Conn, err error) { closed <- err },
	}
	_, addr := startGroup(t, Config{}, acceptAll(h))
	client := dial(t, addr)
	got, err := io.ReadAll(client)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("got %d bytes, want %d", len(got), len(payload))
	}
	if err := recv(t, closed); err != nil {
		t.Fatalf("OnClose(%v), want nil", err)
	}
}

// TestCloseWrite half-closes: the client sees EOF and can still send.
func TestCloseWrite(t *testing.T) {
	data := make(chan string, 10)
	h := &handlerFuncs{
		open: func(c *Conn) {
			c.Write([]byte("bye"))
			c.CloseWrite()
			c.CloseWrite()
		},
		data: func(c *Conn, b []byte) int {
			data <- string(b)
			return len(b)
		},
	}
	_, addr := startGroup(t, Config{}, acceptAll(h))
	client := dial(t, addr)
	got, err := io.ReadAll(client)
	if err != nil || string(got) != "bye" {
		t.Fatalf("read %q, %v", got, err)
	}
	client.Write([]byte("more"))
	if got := recv(t, data); got != "more" {
		t.Fatalf("OnData %q after CloseWrite", got)
	}
}

// TestWriteErrorClosesLater checks that a failed Write returns the error and
// that OnClose runs afterwards from the loop, not inside Write.
func TestWriteErrorClosesLater(t *testing.T) {
	g, _ := startGroup(t, Config{Loops: 1}, acceptAll(echo))
	l := g.Loops()[0]
	var inWrite bool
	closed := make(chan error, 1)
	h := &handlerFuncs{close: func(_ *Conn, err error) {
		if inWrite {
			t.Error("OnClose ran inside Write")
		}
		closed <- err
	}}
	onLoop(t, l, func() {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(fds[1])
		c := newConn(l, fds[0], netip.AddrPort{})
		c.h = h
		if err := c.register(); err != nil {
			t.Fatal(err)
		}
		inWrite = true
		werr := c.Write([]byte("x"))
		inWrite = false
		if werr != unix.EPIPE {
			t.Errorf("Write: %v, want EPIPE", werr)
		}
		if !c.Closed() || c.Write([]byte("y")) != unix.EPIPE {
			t.Error("a doomed Conn must report Closed and keep failing writes")
		}
	})
	if err := recv(t, closed); err != unix.EPIPE {
		t.Fatalf("OnClose(%v), want EPIPE", err)
	}
}
