package proxy

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// A 100 MiB response to a client that reads slowly must not make velox
// buffer it: the upstream side is paused while the client is behind.
func TestSlowReaderBoundedMemory(t *testing.T) {
	// h1 only: the slow reader is a raw HTTP/1.1 socket's receive buffer.
	if testing.Short() {
		t.Skip("100 MiB transfer")
	}
	const size = 100 << 20
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(size))
		buf := make([]byte, 256<<10)
		for sent := 0; sent < size; sent += len(buf) {
			if _, err := w.Write(buf); err != nil {
				return
			}
		}
	})
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	conn, err := net.Dial("tcp", tp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(32 << 10)
	base := heapInUse()
	io.WriteString(conn, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReaderSize(conn, 32<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	var peak uint64
	buf := make([]byte, 32<<10)
	var got int64
	for i := 0; ; i++ {
		n, err := resp.Body.Read(buf)
		got += int64(n)
		if err != nil {
			break
		}
		if i%4 == 0 {
			time.Sleep(time.Millisecond) // a slow reader: at most 128 KiB/ms
			peak = max(peak, heapInUse())
		}
	}
	if got != size {
		t.Fatalf("read %d bytes, want %d", got, size)
	}
	growth := int64(peak) - int64(base)
	t.Logf("heap in use: base %d KiB, peak %d KiB, growth %d KiB", base>>10, peak>>10, growth>>10)
	if growth > 8<<20 {
		t.Fatalf("heap grew by %d MiB while a slow client read 100 MiB", growth>>20)
	}
}

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// rawOrigin answers every request read from a connection with a fixed
// response, without allocating: requests must be exactly reqLen bytes.
func rawOrigin(t testing.TB, reqLen int, resp []byte) string {
	return serveRaw(t, func(c net.Conn) {
		buf := make([]byte, reqLen)
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			if _, err := c.Write(resp); err != nil {
				return
			}
		}
	})
}

// serveRaw accepts connections on a free loopback port until the test ends
// and runs handle on each in a goroutine of its own, closing it after.
func serveRaw(t testing.TB, handle func(c net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveOn(t, ln, handle)
}

// serveOn is serveRaw on ln (a TLS listener, say): it closes ln when the
// test ends and returns its address.
func serveOn(t testing.TB, ln net.Listener, handle func(c net.Conn)) string {
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// rawRoundTripper sets up a proxy in front of a raw origin and returns a
// function that sends one keep-alive GET through it and reads the answer,
// all on fixed buffers.
func rawRoundTripper(t testing.TB) func() {
	return rawExchange(t, rawCase{
		req:         "GET /hello HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n",
		upstreamReq: "GET /hello HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\nX-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nVia: 1.1 velox\r\n\r\n",
		body:        "hello world\n",
	})
}

// rawCase is one keep-alive exchange on fixed buffers: what the client
// sends, exactly what the origin must receive, and the 200 body it answers.
type rawCase struct{ req, upstreamReq, body string }

// rawExchange starts a proxy in front of a raw origin for rc and returns a
// function that makes the exchange once on one client connection. A request
// the origin receives other than rc.upstreamReq (by length) hangs the test
// into its deadline rather than passing.
func rawExchange(t testing.TB, rc rawCase) func() {
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(len(rc.body)) + "\r\n\r\n" + rc.body)
	o := rawOrigin(t, len(rc.upstreamReq), resp)
	tp := startProxy(t, clusterConfig(o), 1)
	conn, err := net.Dial("tcp", tp.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	in := make([]byte, len("HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(rc.body))+"\r\nVia: 1.1 velox\r\n\r\n"+rc.body))
	out := []byte(rc.req)
	return func() {
		if _, err := conn.Write(out); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(conn, in); err != nil {
			t.Fatal(err)
		}
		if string(in[len(in)-len(rc.body):]) != rc.body {
			t.Fatalf("unexpected response %q", in)
		}
	}
}

// BenchmarkProxiedRoundTrip is one keep-alive GET through a 1-loop velox to
// a raw origin, in process (client, proxy and origin share the machine).
func BenchmarkProxiedRoundTrip(b *testing.B) {
	roundTrip := rawRoundTripper(b)
	for i := 0; i < 100; i++ {
		roundTrip()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		roundTrip()
	}
}

// The steady-state proxied HTTP/1.1 request allocates nothing: not in the
// loop, not in the parser, not in the pool (clients and origin here are raw
// sockets on fixed buffers, so every allocation counted would be velox's).
func TestProxiedRequestZeroAllocs(t *testing.T) {
	// h1 only: fixed HTTP/1.1 exchanges on a raw socket.
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	roundTrip := rawRoundTripper(t)
	for i := 0; i < 200; i++ { // warm buffers, pools, maps
		roundTrip()
	}
	if n := testing.AllocsPerRun(1000, roundTrip); n != 0 {
		t.Fatalf("%v allocations per proxied request, want 0", n)
	}
}
