package proxy

// Regression tests for the bugs a review of the HTTP/2 integration found
// (each test is named after what went wrong).

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// tinyWindowOrigin is a raw HTTP/2 origin that advertises a 10-byte stream
// window and never opens it; bodiless requests get 200 "ok".
func tinyWindowOrigin(t *testing.T) string {
	return serveRaw(t, func(c net.Conn) {
		preface := make([]byte, len(http2.ClientPreface))
		if _, err := io.ReadFull(c, preface); err != nil {
			return
		}
		fr := http2.NewFramer(c, c)
		fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 10})
		var hb bytes.Buffer
		enc := hpack.NewEncoder(&hb)
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				return
			}
			switch f := f.(type) {
			case *http2.SettingsFrame:
				if !f.IsAck() {
					fr.WriteSettingsAck()
				}
			case *http2.HeadersFrame:
				if !f.StreamEnded() {
					continue // a body that will never fit
				}
				hb.Reset()
				enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
				enc.WriteField(hpack.HeaderField{Name: "content-length", Value: "2"})
				fr.WriteHeaders(http2.HeadersFrameParam{StreamID: f.StreamID, BlockFragment: hb.Bytes(), EndHeaders: true})
				fr.WriteData(f.StreamID, true, []byte("ok"))
			}
		}
	})
}

func hangCheck(t *testing.T, tp *testProxy, what string) {
	done := make(chan string, 1)
	go func() {
		code, body, err := tp.fetch(modeH1, "/other")
		done <- fmt.Sprint(code, body, err)
	}()
	select {
	case got := <-done:
		t.Logf("another client after %s: %s", what, got)
	case <-time.After(3 * time.Second):
		fmt.Fprintf(os.Stderr, "LOOP HUNG after %s; goroutines:\n", what)
		pprof.Lookup("goroutine").WriteTo(os.Stderr, 2)
		os.Exit(1)
	}
}

// TestH2ReviewPipelinedAfterPendingBodyH2Up: an HTTP/1.1 client's body that
// the HTTP/2 backend's window does not take, followed in the same read by
// a pipelined request, spins the loop forever (upH2.takeBody returns
// (0, true) in stReqBody).
func TestH2ReviewPipelinedAfterPendingBodyH2Up(t *testing.T) {
	addr := tinyWindowOrigin(t)
	cfg := h2ClusterConfig(addr)
	// The origin never takes the body: the request ends by its response
	// timeout (a client's close is not seen while its pipelined request
	// waits unread), so the test's leak check can see everything released.
	cfg.Clusters[0].ResponseTimeout = config.Duration(time.Second)
	tp := startProxy(t, cfg, 1)
	c, err := net.Dial("tcp", tp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	io.WriteString(c, "GET /warm HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	io.WriteString(c, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"+strings.Repeat("b", 100)+
		"GET /q HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(200 * time.Millisecond)
	hangCheck(t, tp, "a pipelined request behind a body the backend window did not take")
}

// TestH2ReviewReloadTwoIdleH2Conns: two upstream HTTP/2 connections to one
// backend, a reload that changes the cluster: h2Pool.close ranges over the
// slice that OnClose -> remove edits, and reaches a nil *h2Up.
func TestH2ReviewReloadTwoIdleH2Conns(t *testing.T) {
	o, started, release := newGatedH2Origin(t, 1, 2)
	tp := startProxy(t, h2ClusterConfig(o.addr()), 1)
	if code, _ := tp.get(t, modeH1, "/warm"); code != 200 {
		t.Fatal(code)
	}
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tp.fetch(modeH1, "/slow")
		}()
		<-started
	}
	close(release)
	wg.Wait()
	t.Logf("upstream h2 conns: %d", tp.h2UpConns())
	next := h2ClusterConfig(o.addr())
	next.Clusters[0].ConnectTimeout = config.Duration(3 * time.Second)
	if err := tp.Reload(next); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	hangCheck(t, tp, "the reload")
}

// TestH2ReviewUpCreditLost: an HTTP/2 client whose window holds the response
// back (velox pauses the HTTP/2 backend, withholding its credit in
// upCredit) while the backend ends the response: upH2.release drops upCredit
// without Consume, so the shared upstream connection's receive window
// shrinks for good, and after a few such responses every stream on it
// stalls.
func TestH2ReviewUpCreditLost(t *testing.T) {
	big := strings.Repeat("x", 200<<10)
	o := newH2Origin(t, 0, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big) })
	cfg := h2ClusterConfig(o.addr())
	cfg.Limits.StreamBuffer = 16 << 10
	tp := startProxy(t, cfg, 1)
	c, err := net.Dial("tcp", tp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, http2.ClientPreface)
	fr := http2.NewFramer(c, c)
	fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 100})
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for i := 0; i < 10; i++ {
		id := uint32(2*i + 1)
		hb.Reset()
		for _, f := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", "x"}, {":path", "/big"}} {
			enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb.Bytes(), EndHeaders: true, EndStream: true})
		time.Sleep(300 * time.Millisecond) // the backend sends everything; velox holds it
		fr.WriteWindowUpdate(id, 1<<30)
		fr.WriteWindowUpdate(0, 1<<20)
		got := 0
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
	frames:
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				t.Fatalf("response %d: %d of %d bytes, then %v (the upstream connection window is gone)", i, got, len(big), err)
			}
			switch f := f.(type) {
			case *http2.SettingsFrame:
				if !f.IsAck() {
					fr.WriteSettingsAck()
				}
			case *http2.DataFrame:
				got += len(f.Data())
				if f.StreamEnded() {
					break frames
				}
			case *http2.HeadersFrame:
				if f.StreamEnded() {
					break frames
				}
			case *http2.RSTStreamFrame:
				t.Fatalf("response %d reset: %v", i, f.ErrCode)
			}
		}
		if got != len(big) {
			t.Fatalf("response %d: %d bytes", i, got)
		}
		t.Logf("response %d complete", i)
	}
}

// TestH2ReviewResetLosesWithheldCredit: an HTTP/2 client's body that velox
// holds credit for (the backend's window is closed: h2Stream.paused,
// credit) is never given back when the client resets the stream: the
// client connection's receive window shrinks for good.
func TestH2ReviewResetLosesWithheldCredit(t *testing.T) {
	addr := tinyWindowOrigin(t)
	tp := startProxy(t, h2ClusterConfig(addr), 1)
	c, err := net.Dial("tcp", tp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, http2.ClientPreface)
	fr := http2.NewFramer(c, c)
	fr.WriteSettings()
	var mu sync.Mutex
	connWin := int64(65535)
	rf := http2.NewFramer(nil, c) // the reader's own: only this goroutine writes with fr
	go func() {
		for {
			f, err := rf.ReadFrame()
			if err != nil {
				return
			}
			switch f := f.(type) {
			case *http2.WindowUpdateFrame:
				if f.StreamID == 0 {
					mu.Lock()
					connWin += int64(f.Increment)
					mu.Unlock()
				}
			}
		}
	}()
	time.Sleep(100 * time.Millisecond)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	chunk := make([]byte, 16<<10)
	for i := 0; i < 8; i++ {
		id := uint32(2*i + 1)
		hb.Reset()
		for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":authority", "x"}, {":path", "/up"}} {
			enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb.Bytes(), EndHeaders: true})
		for k := 0; k < 12; k++ { // 192 KiB, within the 256 KiB stream window
			mu.Lock()
			w := connWin
			mu.Unlock()
			if w < int64(len(chunk)) {
				t.Fatalf("stream %d: connection window %d after %d reset uploads: the credit of reset streams never came back", id, w, i)
			}
			mu.Lock()
			connWin -= int64(len(chunk))
			mu.Unlock()
			fr.WriteData(id, false, chunk)
		}
		time.Sleep(100 * time.Millisecond)
		fr.WriteRSTStream(id, http2.ErrCodeCancel)
		time.Sleep(100 * time.Millisecond)
		mu.Lock()
		t.Logf("after reset %d: connection window %d", i, connWin)
		mu.Unlock()
	}
}

// TestH2ReviewCloseConnInsideFeed: a request filter's CloseConn on an HTTP/2
// client closes the socket inside Feed; closeAll puts the h2Down on the
// free list, and the next HEADERS of the same read still starts a stream
// on it (forwarded upstream, left in the pooled h2Down's map).
func TestH2ReviewCloseConnInsideFeed(t *testing.T) {
	var after atomic.Int64
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/after" {
			after.Add(1)
		}
		io.WriteString(w, "ok")
	})
	tp := startProxySetup(t, clusterConfig(o.Listener.Addr().String()), Options{Loops: 1}, func(srv *Server) {
		srv.Register(BeforeLocation, RequestFilterFunc(func(s *Stream) Verdict {
			if string(s.Request().Path) == "/close" {
				return CloseConn
			}
			return Continue
		}))
	})
	c, err := net.Dial("tcp", tp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out bytes.Buffer
	out.WriteString(http2.ClientPreface)
	fr := http2.NewFramer(&out, nil)
	fr.WriteSettings()
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for i, p := range []string{"/close", "/after"} {
		hb.Reset()
		for _, f := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", "x"}, {":path", p}} {
			enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: uint32(2*i + 1), BlockFragment: hb.Bytes(), EndHeaders: true, EndStream: true})
	}
	c.Write(out.Bytes())
	time.Sleep(500 * time.Millisecond)
	stale := 0
	for _, ls := range tp.Server.loops {
		done := make(chan struct{})
		ls.loop.Execute(func() {
			defer close(done)
			for _, hd := range ls.freeH2 {
				stale += hd.streams.Len()
			}
		})
		<-done
	}
	if after.Load() != 0 || stale != 0 {
		t.Fatalf("after CloseConn: origin got %d requests of the closed connection; %d streams left in pooled h2Downs", after.Load(), stale)
	}
}

// TestH2ReviewHeadLocalResponseHasBody: velox's own response to HEAD carries
// its body (AppendSimpleResponse ignores the method), so the next response
// on the keep-alive connection is read from the middle of that body.
func TestH2ReviewHeadLocalResponseHasBody(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	tp := startProxySetup(t, clusterConfig(o.Listener.Addr().String()), Options{Loops: 1}, func(srv *Server) {
		srv.Register(BeforeLocation, RequestFilterFunc(func(s *Stream) Verdict {
			if string(s.Request().Path) == "/deny" {
				return s.Respond(403, "text/plain", nil, []byte("denied by filter\n"))
			}
			return Continue
		}))
	})
	c, err := net.Dial("tcp", tp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "HEAD /deny HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	r1, err := http.ReadResponse(br, &http.Request{Method: "HEAD"})
	if err != nil {
		t.Fatal(err)
	}
	r1.Body.Close()
	io.WriteString(c, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	r2, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("HEAD got %d; the next response cannot be read: %v", r1.StatusCode, err)
	}
	b, _ := io.ReadAll(r2.Body)
	if r2.StatusCode != 200 || string(b) != "ok" {
		t.Fatalf("the response after a local HEAD answer: %d %q", r2.StatusCode, b)
	}
}
