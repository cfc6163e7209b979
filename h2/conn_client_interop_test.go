package h2

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// A client Conn over TCP against x/net's http2.Server.

// clientStream is what one request got back.
type clientStream struct {
	status   int
	body     bytes.Buffer
	trailers map[string]string
	reset    ErrCode
	wasReset bool
	done     chan struct{}
	send     []byte // request body not yet sent
}

// h2client drives a client Conn: requests are started from the test
// goroutine under the driver's mutex, events arrive on the read goroutine.
type h2client struct {
	d       *connDriver
	streams map[uint32]*clientStream
	goaway  chan uint32
}

func dialH2Client(t *testing.T, addr string) *h2client {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	cl := &h2client{d: &connDriver{nc: nc}, streams: map[uint32]*clientStream{}, goaway: make(chan uint32, 1)}
	cl.d.c = NewConn(Client, &Config{InitialWindowSize: 65535, ConnWindowSize: 65535}, cl)
	cl.d.mu.Lock()
	cl.d.c.Start()
	cl.d.flush()
	cl.d.mu.Unlock()
	go cl.d.run()
	t.Cleanup(func() { nc.Close() })
	return cl
}

// do starts a request and returns its stream, or nil if the Conn cannot
// open one.
func (cl *h2client) do(method, path string, body []byte) *clientStream {
	cl.d.mu.Lock()
	defer cl.d.mu.Unlock()
	id, ok := cl.d.c.OpenStream()
	if !ok {
		return nil
	}
	s := &clientStream{done: make(chan struct{}), send: body, trailers: map[string]string{}}
	cl.streams[id] = s
	h := &Head{Method: []byte(method), Scheme: []byte("http"), Authority: []byte("test"), Path: []byte(path), ContentLength: -1}
	if err := cl.d.c.WriteHeaders(id, h, body == nil); err != nil {
		panic(err)
	}
	cl.pump(id)
	cl.d.flush()
	return s
}

func (cl *h2client) pump(id uint32) {
	s := cl.streams[id]
	if s == nil || s.send == nil {
		return
	}
	n := cl.d.c.WriteData(id, s.send, true)
	s.send = s.send[n:]
	if len(s.send) == 0 {
		s.send = nil
	}
}

func (cl *h2client) OnHeaders(id uint32, h *Head, trailers, end bool) {
	s := cl.streams[id]
	if trailers {
		for _, f := range h.Fields {
			s.trailers[string(f.Name)] = string(f.Value)
		}
	} else if h.Status >= 200 {
		s.status = h.Status
	}
	if end {
		cl.finish(id)
	}
}

func (cl *h2client) OnData(id uint32, data []byte, end bool) {
	cl.streams[id].body.Write(data)
	cl.d.c.Consume(id, len(data))
	if end {
		cl.finish(id)
	}
}

func (cl *h2client) finish(id uint32) {
	close(cl.streams[id].done)
	delete(cl.streams, id)
}

func (cl *h2client) OnReset(id uint32, code ErrCode, remote bool) {
	s := cl.streams[id]
	s.reset, s.wasReset = code, true
	cl.finish(id)
}

func (cl *h2client) OnSendWindow(id uint32) {
	if id != 0 {
		cl.pump(id)
		return
	}
	for id := range cl.streams {
		cl.pump(id)
	}
}

func (cl *h2client) OnGoAway(last uint32, code ErrCode, debug []byte) {
	select {
	case cl.goaway <- last:
	default:
	}
}

func (cl *h2client) OnCapacity() {}

func (s *clientStream) wait(t *testing.T) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		t.Fatal("no response")
	}
}

// startXNetServer serves h2c with x/net's Server on each accepted
// connection; shutdown starts its graceful GOAWAY.
func startXNetServer(t *testing.T, h http.Handler) (addr string, shutdown func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	hs := &http.Server{Handler: h}
	s := &http2.Server{}
	if err := http2.ConfigureServer(hs, s); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go s.ServeConn(nc, &http2.ServeConnOpts{BaseConfig: hs, Handler: h})
		}
	}()
	return ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		hs.Shutdown(ctx)
	}
}

func xnetHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/hello", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	mux.HandleFunc("/sum", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, _ := io.Copy(h, r.Body)
		fmt.Fprintf(w, "%d %x", n, h.Sum(nil))
	})
	mux.HandleFunc("/trailers", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Result")
		io.WriteString(w, "body")
		w.Header().Set("X-Result", "42")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { w.Write(bigBody(3 << 20)) })
	return mux
}

func TestInterop_ClientConnAgainstXNetServer(t *testing.T) {
	addr, shutdown := startXNetServer(t, xnetHandler())
	cl := dialH2Client(t, addr)
	t.Run("GET", func(t *testing.T) {
		s := cl.do("GET", "/hello", nil)
		s.wait(t)
		if s.status != 200 || s.body.String() != "hello" {
			t.Fatalf("%d %q", s.status, s.body.String())
		}
	})
	t.Run("big response", func(t *testing.T) {
		s := cl.do("GET", "/big", nil)
		s.wait(t)
		if !bytes.Equal(s.body.Bytes(), bigBody(3<<20)) {
			t.Fatalf("%d bytes", s.body.Len())
		}
	})
	t.Run("POST 4 MiB", func(t *testing.T) {
		body := bigBody(4 << 20)
		s := cl.do("POST", "/sum", body)
		s.wait(t)
		if want := fmt.Sprintf("%d %x", len(body), sha256.Sum256(body)); s.body.String() != want {
			t.Fatalf("%q, want %q", s.body.String(), want)
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		var ss []*clientStream
		for range 50 {
			if s := cl.do("GET", "/hello", nil); s != nil {
				ss = append(ss, s)
			}
		}
		for _, s := range ss {
			s.wait(t)
			if s.status != 200 {
				t.Fatal(s.status)
			}
		}
	})
	t.Run("trailers", func(t *testing.T) {
		s := cl.do("GET", "/trailers", nil)
		s.wait(t)
		if s.body.String() != "body" || s.trailers["x-result"] != "42" {
			t.Fatalf("%q %v", s.body.String(), s.trailers)
		}
	})
	t.Run("GOAWAY", func(t *testing.T) {
		shutdown()
		select {
		case <-cl.goaway:
		case <-time.After(10 * time.Second):
			t.Fatal("no GOAWAY")
		}
		if s := cl.do("GET", "/hello", nil); s != nil {
			t.Fatal("opened a stream after GOAWAY")
		}
		cl.d.mu.Lock()
		defer cl.d.mu.Unlock()
		if cl.d.c.CanOpen() || cl.d.c.Stats().GoAwaysReceived == 0 {
			t.Fatal("CanOpen after GOAWAY")
		}
	})
}
