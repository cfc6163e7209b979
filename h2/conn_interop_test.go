package h2

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// Interop: a server Conn on a real TCP socket driven by x/net's Transport
// and by net/http's Client (prior-knowledge h2c), and a client Conn against
// x/net's Server. The adapters are the tests' own: a goroutine reads the
// socket and feeds the Conn under a mutex, and Output is written after each
// step.

// connDriver runs one Conn over one socket.
type connDriver struct {
	mu sync.Mutex
	c  *Conn
	nc net.Conn
}

// flush writes Output; called with mu held.
func (d *connDriver) flush() {
	if out := d.c.Output(); len(out) > 0 {
		d.nc.Write(out)
		d.c.ClearOutput()
	}
}

// run reads the socket until it fails or the Conn does.
func (d *connDriver) run() {
	defer d.nc.Close()
	buf, have := make([]byte, 1<<20), 0
	for {
		n, err := d.nc.Read(buf[have:])
		if err != nil {
			return
		}
		have += n
		d.mu.Lock()
		k, ferr := d.c.Feed(buf[:have])
		d.flush()
		done := d.c.Done() && d.c.goAway.sent == goAwayFinal
		d.mu.Unlock()
		if ferr != nil || done {
			return
		}
		have = copy(buf, buf[k:have])
	}
}

// echoStream is the echo server's state for one request.
type echoStream struct {
	pending  []byte // request body not yet written back
	end      bool   // the request ended
	trailers bool   // answer with trailers
	extra    []Field
}

// echoServer answers every request with 200 and its body, and with
// trailers if it had "x-trailers" or trailers of its own. It gives flow
// control credit back only for bytes written back, so a big body moves
// through many window updates in both directions.
type echoServer struct {
	d       *connDriver
	streams map[uint32]*echoStream
	resets  chan ErrCode
}

func (e *echoServer) OnHeaders(id uint32, h *Head, trailers, end bool) {
	if trailers {
		s := e.streams[id]
		for _, f := range h.Fields {
			s.extra = append(s.extra, Field{Name: bytes.Clone(f.Name), Value: bytes.Clone(f.Value)})
		}
		s.trailers, s.end = true, true
		e.pump(id)
		return
	}
	s := &echoStream{end: end}
	for _, f := range h.Fields {
		if string(f.Name) == "x-trailers" {
			s.trailers = true
		}
	}
	e.streams[id] = s
	resp := &Head{Status: 200, ContentLength: -1, Fields: []Field{{Name: []byte("trailer"), Value: []byte("x-echo-trailer")}}}
	e.d.c.WriteHeaders(id, resp, false)
	e.pump(id)
}

func (e *echoServer) OnData(id uint32, data []byte, end bool) {
	s := e.streams[id]
	s.pending = append(s.pending, data...)
	s.end = end
	e.pump(id)
}

// pump writes back what the windows allow, and ends the response once the
// request ended and all of it went back.
func (e *echoServer) pump(id uint32) {
	s := e.streams[id]
	if s == nil {
		return
	}
	last := s.end && !s.trailers
	n := e.d.c.WriteData(id, s.pending, last)
	e.d.c.Consume(id, n)
	s.pending = s.pending[n:]
	if len(s.pending) > 0 || !s.end {
		return
	}
	if s.trailers {
		fs := append(s.extra, Field{Name: []byte("x-echo-trailer"), Value: []byte("done")})
		e.d.c.WriteTrailers(id, fs)
	}
	delete(e.streams, id)
}

func (e *echoServer) OnReset(id uint32, code ErrCode, remote bool) {
	delete(e.streams, id)
	if remote {
		select {
		case e.resets <- code:
		default:
		}
	}
}

func (e *echoServer) OnSendWindow(id uint32) {
	if id != 0 {
		e.pump(id)
		return
	}
	for id := range e.streams {
		e.pump(id)
	}
}

func (e *echoServer) OnGoAway(uint32, ErrCode, []byte) {}
func (e *echoServer) OnCapacity()                      {}

// echoServer listens on 127.0.0.1 and serves each connection with a
// server Conn and an echoServer.
type echoListener struct {
	addr    string
	resets  chan ErrCode
	drivers sync.WaitGroup
	mu      sync.Mutex
	conns   []net.Conn
}

func startEchoServer(t *testing.T) *echoListener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	el := &echoListener{addr: ln.Addr().String(), resets: make(chan ErrCode, 16)}
	el.drivers.Add(1)
	go func() {
		defer el.drivers.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			el.mu.Lock()
			el.conns = append(el.conns, nc)
			el.mu.Unlock()
			d := &connDriver{nc: nc}
			e := &echoServer{d: d, streams: map[uint32]*echoStream{}, resets: el.resets}
			d.c = NewConn(Server, &Config{InitialWindowSize: 65535, ConnWindowSize: 128 << 10, MaxConcurrentStreams: 250}, e)
			d.mu.Lock()
			d.c.Start()
			d.flush()
			d.mu.Unlock()
			el.drivers.Go(d.run)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		el.mu.Lock()
		for _, nc := range el.conns {
			nc.Close()
		}
		el.mu.Unlock()
		done := make(chan struct{})
		go func() { el.drivers.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("server connection drivers left running after their sockets closed")
		}
	})
	return el
}

func xnetTransport() *http2.Transport {
	return &http2.Transport{AllowHTTP: true, DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}
}

func netHTTPClient() *http.Client {
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: p}, Timeout: 30 * time.Second}
}

// roundTrip sends body to the echo server and checks what comes back.
func roundTrip(t *testing.T, cl *http.Client, url string, body []byte, hdr http.Header) *http.Response {
	t.Helper()
	var rd io.Reader = http.NoBody
	method := "GET"
	if body != nil {
		rd, method = bytes.NewReader(body), "POST"
	}
	req, _ := http.NewRequest(method, url, rd)
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || resp.ProtoMajor != 2 || !bytes.Equal(got, body) {
		t.Fatalf("%s: %v, status %d, proto %d, %d bytes back of %d", method, err, resp.StatusCode, resp.ProtoMajor, len(got), len(body))
	}
	return resp
}

func bigBody(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>9)
	}
	return b
}

func TestInterop_XNetTransport(t *testing.T) {
	tr := xnetTransport()
	interopSuite(t, &http.Client{Transport: tr, Timeout: 30 * time.Second}, tr.CloseIdleConnections)
}

func TestInterop_NetHTTPClient(t *testing.T) {
	cl := netHTTPClient()
	interopSuite(t, cl, cl.CloseIdleConnections)
}

// interopSuite runs every server interop case with one client.
func interopSuite(t *testing.T, cl *http.Client, closeIdle func()) {
	el := startEchoServer(t)
	t.Cleanup(closeIdle)
	url := "http://" + el.addr + "/echo"
	t.Run("GET", func(t *testing.T) { roundTrip(t, cl, url, nil, nil) })
	t.Run("POST 5 MiB", func(t *testing.T) { roundTrip(t, cl, url, bigBody(5<<20), nil) })
	t.Run("concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Go(func() { roundTrip(t, cl, url, bigBody(i*1000), nil) })
		}
		wg.Wait()
	})
	t.Run("trailers", func(t *testing.T) {
		resp := roundTrip(t, cl, url, []byte("abc"), http.Header{"X-Trailers": {"1"}})
		if resp.Trailer.Get("X-Echo-Trailer") != "done" {
			t.Fatalf("trailers %v", resp.Trailer)
		}
	})
	t.Run("request trailers", func(t *testing.T) {
		req, _ := http.NewRequest("POST", url, strings.NewReader("body"))
		req.Trailer = http.Header{"X-Req": {"v"}}
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.Trailer.Get("X-Req") != "v" || resp.Trailer.Get("X-Echo-Trailer") != "done" {
			t.Fatalf("trailers %v", resp.Trailer)
		}
	})
	t.Run("cancel mid-body", func(t *testing.T) {
		pr, pw := io.Pipe()
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "POST", url, pr)
		go pw.Write(bigBody(100000))
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.ReadFull(resp.Body, make([]byte, 1000))
		cancel()
		pw.CloseWithError(errors.New("cancelled"))
		resp.Body.Close()
		select {
		case code := <-el.resets:
			if code != ErrCodeCancel {
				t.Fatalf("reset with %v", code)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no RST_STREAM from the client")
		}
		roundTrip(t, cl, url, []byte("still alive"), nil)
	})
}
