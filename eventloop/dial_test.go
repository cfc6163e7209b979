package eventloop

import (
	"net"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// loopbackSockaddr converts a "127.0.0.1:port" address.
func loopbackSockaddr(t testing.TB, addr string) unix.Sockaddr {
	t.Helper()
	ap, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	sa := &unix.SockaddrInet4{Port: ap.Port}
	copy(sa.Addr[:], ap.IP.To4())
	return sa
}

// dialEvents dials sa from l and reports "open" or "close:<err>".
func dialEvents(t *testing.T, l *Loop, sa unix.Sockaddr, timeout time.Duration, onOpen func(*Conn)) chan string {
	events := make(chan string, 4)
	h := &handlerFuncs{
		open: func(c *Conn) {
			events <- "open"
			if onOpen != nil {
				onOpen(c)
			}
		},
		close: func(_ *Conn, err error) { events <- "close:" + errString(err) },
	}
	onLoop(t, l, func() {
		c, err := l.Dial(sa, timeout, h)
		if err != nil || c == nil {
			t.Errorf("Dial: %v", err)
		}
		if len(events) != 0 {
			t.Error("Dial called the handler from inside Dial")
		}
	})
	return events
}

func TestDialSuccessAndEcho(t *testing.T) {
	g, addr := startGroup(t, Config{}, acceptAll(echo))
	l := g.Loops()[0]
	reply := make(chan string, 1)
	events := make(chan string, 4)
	h := &handlerFuncs{
		open: func(c *Conn) { events <- "open" },
		data: func(c *Conn, b []byte) int {
			reply <- string(b)
			c.Close()
			return len(b)
		},
		close: func(_ *Conn, err error) { events <- "close:" + errString(err) },
	}
	onLoop(t, l, func() {
		c, err := l.Dial(loopbackSockaddr(t, addr), time.Second, h)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("ping")) // queued until connected
	})
	if got := recv(t, events); got != "open" {
		t.Fatal(got)
	}
	if got := recv(t, reply); got != "ping" {
		t.Fatal(got)
	}
	if got := recv(t, events); got != "close:nil" {
		t.Fatal(got)
	}
}

func TestDialRefused(t *testing.T) {
	g, _ := startGroup(t, Config{Loops: 1}, acceptAll(echo))
	// A port that was just free: bind, read it back, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	events := dialEvents(t, g.Loops()[0], loopbackSockaddr(t, addr), time.Second, nil)
	if got := recv(t, events); got != "close:"+unix.ECONNREFUSED.Error() {
		t.Fatal(got)
	}
	waitFor(t, g.Loops()[0], func() bool { return g.Loops()[0].Conns() == 0 })
}

// TestDialTimeout connects to a loopback listener whose accept queue is
// full, so the SYN is dropped and the connect hangs until the timeout.
func TestDialTimeout(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := unix.Getsockname(fd)
	port := sa.(*unix.SockaddrInet4).Port
	target := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for range 3 { // fill the queue; later connects may hang: ignore them
		if c, err := net.DialTimeout("tcp", target, 100*time.Millisecond); err == nil {
			defer c.Close()
		}
	}
	g, _ := startGroup(t, Config{Loops: 1}, acceptAll(echo))
	events := dialEvents(t, g.Loops()[0], sa, 50*time.Millisecond, nil)
	if got := recv(t, events); got != "close:"+ErrConnectTimeout.Error() {
		t.Fatal(got)
	}
}
