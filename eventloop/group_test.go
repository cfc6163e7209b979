package eventloop

import (
	"errors"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestExecuteFromGoroutines(t *testing.T) {
	g, _ := startGroup(t, Config{}, acceptAll(echo))
	l := g.Loops()[1]
	const workers, each = 8, 500
	var mu sync.Mutex
	last := make(map[int]int) // per worker: tasks run in FIFO order
	var ran atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := l.Execute(func() {
					mu.Lock()
					if last[w] != i {
						t.Errorf("worker %d: task %d ran after %d", w, i, last[w]-1)
					}
					last[w] = i + 1
					mu.Unlock()
					ran.Add(1)
				}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	onLoop(t, l, func() {})
	if ran.Load() != workers*each {
		t.Fatalf("%d tasks ran", ran.Load())
	}
}

func TestIdleConnsHoldNoGoroutinesNorBuffers(t *testing.T) {
	const n = 2000
	g, addr := startGroup(t, Config{}, acceptAll(echo))
	before := runtime.NumGoroutine()
	clients := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	// One byte each through the echo path, so that every Conn has been used.
	buf := make([]byte, 1)
	for _, c := range clients {
		c.Write(buf)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
	}
	total := 0
	for _, l := range g.Loops() {
		onLoop(t, l, func() {
			for _, c := range l.conns {
				if c != nil && (c.in != nil || c.out.n != 0 || len(c.out.chunks) != 0) {
					t.Error("idle Conn holds a buffer")
					return
				}
			}
		})
		total += l.Conns()
	}
	if total != n {
		t.Fatalf("Conns() total %d, want %d", total, n)
	}
	if now := runtime.NumGoroutine(); now > before+5 {
		t.Fatalf("goroutines %d -> %d with %d idle conns", before, now, n)
	}
}

func TestStopClosesEverything(t *testing.T) {
	var closes atomic.Int64
	var wrong atomic.Int64
	h := &handlerFuncs{close: func(_ *Conn, err error) {
		if !errors.Is(err, ErrClosed) {
			wrong.Add(1)
		}
		closes.Add(1)
	}}
	g, addr := startGroup(t, Config{}, acceptAll(h))
	const n = 20
	clients := make([]net.Conn, n)
	for i := range clients {
		clients[i] = dial(t, addr)
	}
	total := func() int { return g.Loops()[0].Conns() + g.Loops()[1].Conns() }
	for deadline := time.Now().Add(10 * time.Second); total() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("conns not accepted")
		}
	}
	g.Stop()
	if closes.Load() != n || wrong.Load() != 0 || total() != 0 {
		t.Fatalf("OnClose ran %d times (%d not ErrClosed), %d conns left", closes.Load(), wrong.Load(), total())
	}
	for _, c := range clients {
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Fatal("client still connected after Stop")
		}
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("listener still accepting after Stop")
	}
	if err := g.Loops()[0].Execute(func() {}); err != ErrClosed {
		t.Fatalf("Execute after Stop: %v", err)
	}
	g.Stop() // idempotent
}

func TestListenAddresses(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		t.Run(addr, func(t *testing.T) {
			g, err := New(Config{Loops: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer g.Stop()
			if err := g.Start(); err != nil {
				t.Fatal(err)
			}
			bound, err := g.Listen(addr, acceptAll(echo)) // after Start
			if err != nil {
				if addr == "[::1]:0" {
					t.Skip("no IPv6 loopback:", err)
				}
				t.Fatal(err)
			}
			if _, port, _ := net.SplitHostPort(bound); port == "0" {
				t.Fatalf("bound %q", bound)
			}
			if err := roundTrip(bound, []byte("hello")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestListenBadAddress(t *testing.T) {
	g, err := New(Config{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Stop()
	for _, addr := range []string{"example.com:80", "127.0.0.1", "127.0.0.1:x"} {
		if _, err := g.Listen(addr, acceptAll(echo)); err == nil {
			t.Errorf("Listen(%q) succeeded", addr)
		}
	}
}

func TestCloseListeners(t *testing.T) {
	g, addr := startGroup(t, Config{}, acceptAll(echo))
	c := dial(t, addr)
	g.CloseListeners()
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("still accepting after CloseListeners")
	}
	c.Write([]byte("x")) // established conns live on
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
}

func TestAcceptorReturningNil(t *testing.T) {
	g, addr := startGroup(t, Config{}, acceptFunc(func(*Conn) Handler { return nil }))
	c := dial(t, addr)
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("conn refused by the Acceptor is open")
	}
	for _, l := range g.Loops() {
		waitFor(t, l, func() bool { return l.Conns() == 0 })
	}
}

func TestPinCPUs(t *testing.T) {
	g, err := New(Config{Loops: 2, PinCPUs: []int{0}})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	g.Stop()
	g, err = New(Config{Loops: 1, PinCPUs: []int{100000}})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err == nil {
		t.Fatal("pinning to a CPU that does not exist succeeded")
	}
	g.Stop()
}

func TestRemoteIP(t *testing.T) {
	ips := make(chan string, 1)
	h := acceptFunc(func(c *Conn) Handler {
		ips <- string(c.RemoteIP(nil))
		buf := make([]byte, 0, 64)
		if n := testing.AllocsPerRun(100, func() { buf = c.RemoteIP(buf[:0]) }); n != 0 {
			t.Errorf("RemoteIP: %v allocs", n)
		}
		return echo
	})
	_, addr := startGroup(t, Config{}, h)
	dial(t, addr)
	if ip := recv(t, ips); ip != "127.0.0.1" {
		t.Fatalf("RemoteIP %q", ip)
	}
}

// The peer address from accept4 (raw, in network byte order) must match
// what the client sees as its own address, for IPv4 and IPv6.
func TestRemoteAddrMatchesClient(t *testing.T) {
	for _, listen := range []string{"127.0.0.1:0", "[::1]:0"} {
		t.Run(listen, func(t *testing.T) {
			peers := make(chan string, 1)
			h := acceptFunc(func(c *Conn) Handler {
				peers <- c.RemoteAddr().String() + " " + string(c.RemoteIP(nil))
				return echo
			})
			g, err := New(Config{Loops: 1})
			if err != nil {
				t.Fatal(err)
			}
			addr, err := g.Listen(listen, h)
			if err != nil {
				t.Skipf("cannot listen on %s here: %v", listen, err)
			}
			if err := g.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(g.Stop)
			c := dial(t, addr)
			local := c.LocalAddr().(*net.TCPAddr)
			want := local.AddrPort().String() + " " + local.IP.String()
			if got := recv(t, peers); got != want {
				t.Fatalf("server saw %q, client is %q", got, want)
			}
		})
	}
}

// TestStopFromLoop stops the group from a callback: Stop must not wait for
// the loop it runs on; a later Stop from outside joins the loops.
func TestStopFromLoop(t *testing.T) {
	var gp atomic.Pointer[Group]
	returned := make(chan struct{})
	h := &handlerFuncs{data: func(c *Conn, b []byte) int {
		gp.Load().Stop()
		close(returned)
		return len(b)
	}}
	g, addr := startGroup(t, Config{}, acceptAll(h))
	gp.Store(g)
	c := dial(t, addr)
	c.Write([]byte("stop"))
	recv(t, returned)
	g.Stop()
	for _, l := range g.Loops() {
		if l.Conns() != 0 {
			t.Fatal("conns left after Stop")
		}
	}
}
