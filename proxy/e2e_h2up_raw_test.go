package proxy

// h2 clusters against origins that misbehave on purpose: a raw HTTP/2
// server (x/net's Framer) that refuses streams, a dead address, a slow
// client.

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// refusingOrigin is a raw HTTP/2 server that answers REFUSED_STREAM to the
// first refuse streams of each connection, and 200 "ok" to the others.
type refusingOrigin struct {
	ln      net.Listener
	refuse  int
	conns   atomic.Int64
	refused atomic.Int64
	served  atomic.Int64
	pings   atomic.Int64 // PING acknowledgements
	setAcks atomic.Int64 // SETTINGS acknowledgements
	dupCL   atomic.Bool  // answer with the content-length field twice (identical)
}

func newRefusingOrigin(t *testing.T, refuse int) *refusingOrigin {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &refusingOrigin{ln: ln, refuse: refuse}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			o.conns.Add(1)
			go o.serve(c)
		}
	}()
	return o
}

func (o *refusingOrigin) serve(c net.Conn) {
	defer c.Close()
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(c, preface); err != nil {
		return
	}
	fr := http2.NewFramer(c, c)
	fr.WriteSettings()
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	n := 0
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			} else {
				o.setAcks.Add(1)
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				fr.WritePing(true, f.Data)
			} else {
				o.pings.Add(1)
			}
		case *http2.HeadersFrame:
			n++
			if n <= o.refuse {
				o.refused.Add(1)
				fr.WriteRSTStream(f.StreamID, http2.ErrCodeRefusedStream)
				continue
			}
			o.served.Add(1)
			hb.Reset()
			enc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
			enc.WriteField(hpack.HeaderField{Name: "content-length", Value: "2"})
			if o.dupCL.Load() {
				enc.WriteField(hpack.HeaderField{Name: "content-length", Value: "2"})
			}
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: f.StreamID, BlockFragment: hb.Bytes(), EndHeaders: true})
			fr.WriteData(f.StreamID, true, []byte("ok"))
			// Then, on the idle connection, new SETTINGS and a PING.
			fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 50}, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 20})
			fr.WritePing(false, [8]byte{1, 2, 3})
		}
	}
}

// TestH2UpRefusedStream: a stream the origin refuses (REFUSED_STREAM: not
// processed) is sent again, whatever its method, and succeeds.
func TestH2UpRefusedStream(t *testing.T) {
	o := newRefusingOrigin(t, 1)
	tp := startH2Proxy(t, h2ClusterConfig(o.ln.Addr().String()), 1)
	resp, err := tp.clientFor(modeH1).Post(tp.url("/p"), "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	if b := readAll(t, resp); resp.StatusCode != 200 || string(b) != "ok" {
		t.Fatalf("%d %q, want 200 ok after the refusal", resp.StatusCode, b)
	}
	if o.refused.Load() != 1 || o.served.Load() != 1 {
		t.Fatalf("origin refused %d, served %d", o.refused.Load(), o.served.Load())
	}
	if n := tp.totals().UpstreamRetriesTotal; n != 1 {
		t.Fatalf("%d retries counted, want 1", n)
	}
}

// TestH2UpRefusedForever: an origin that refuses every stream costs a
// bounded number of tries, then 502.
func TestH2UpRefusedForever(t *testing.T) {
	o := newRefusingOrigin(t, 1<<30)
	tp := startH2Proxy(t, h2ClusterConfig(o.ln.Addr().String()), 1)
	resp, err := tp.clientFor(modeH1).Get(tp.url("/g"))
	if err != nil {
		t.Fatal(err)
	}
	if b := readAll(t, resp); resp.StatusCode != 502 {
		t.Fatalf("%d %q, want 502", resp.StatusCode, b)
	}
	if n := o.refused.Load(); n < 2 || n > 4 {
		t.Fatalf("origin refused %d times, want a few", n)
	}
}

// TestH2UpDeadBackend: requests queued on a connection that fails to
// connect all get 502, and nothing is left.
func TestH2UpDeadBackend(t *testing.T) {
	tp := startH2Proxy(t, h2ClusterConfig(deadAddr(t)), 1)
	c := tp.clientFor(modeH2C)
	burst(t, tp, c, 20, "GET", "d", 502)
	eventually(t, "no upstream connection left", func() bool { return tp.h2UpConns() == 0 })
}

// TestH2UpSlowReader: a client that stops reading pauses the origin's
// stream by flow control; the body arrives whole when it reads on, and a
// second stream on the same connection is not held up meanwhile.
func TestH2UpSlowReader(t *testing.T) {
	big := bytes.Repeat([]byte("abcdefghijklmnop"), 8<<20/16)
	o := newH2Origin(t, 0, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write(big)
			return
		}
		io.WriteString(w, "small")
	})
	tp := startH2Proxy(t, h2ClusterConfig(o.addr()), 1)
	both(t, tp, func(t *testing.T, c *http.Client, h2 bool) {
		resp, err := c.Get(tp.url("/big"))
		if err != nil {
			t.Fatal(err)
		}
		first := make([]byte, 1024)
		if _, err := io.ReadFull(resp.Body, first); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond) // velox pauses the origin's stream
		other, err := tp.clientFor(modeH1).Get(tp.url("/small"))
		if err != nil {
			t.Fatal(err)
		}
		if b := readAll(t, other); string(b) != "small" {
			t.Fatalf("a stream beside the paused one: %q", b)
		}
		rest := readAll(t, resp)
		if got := append(first, rest...); !bytes.Equal(got, big) {
			t.Fatalf("slow reader got %d bytes, want %d", len(got), len(big))
		}
	})
	if n := o.conns.Load(); n != 1 {
		t.Fatalf("origin saw %d connections, want 1", n)
	}
}

// TestH2UpCancelWhileQueued: an HTTP/2 client that resets its stream while
// its request waits for an upstream stream (the origin allows one,
// max_conns is 1) leaves the queue; the origin never sees it, and the
// request in flight goes on. (An HTTP/1.1 client's close is a half-close
// to velox until a write to it fails: its request stays queued.)
func TestH2UpCancelWhileQueued(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	var queuedSeen atomic.Bool
	o := newH2Origin(t, 1, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			started <- struct{}{}
			<-release
		case "/queued":
			queuedSeen.Store(true)
		}
		io.WriteString(w, r.URL.Path)
	})
	cfg := h2ClusterConfig(o.addr())
	cfg.Clusters[0].MaxConns = 1
	tp := startH2Proxy(t, cfg, 1)
	slow := make(chan string, 1)
	go func() {
		resp, err := tp.clientFor(modeH1).Get(tp.url("/slow"))
		if err != nil {
			slow <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- string(b)
	}()
	<-started
	{
		c := tp.clientFor(modeH2C)
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", tp.url("/queued"), nil)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("the queued request got %d", resp.StatusCode)
		}
		eventually(t, "the queue empty", func() bool {
			n := 0
			for _, ls := range tp.Server.loops {
				done := make(chan int)
				ls.loop.Execute(func() {
					k := 0
					for _, cs := range ls.clusters {
						if cs != nil && cs.h2 != nil {
							for _, l := range cs.h2.conns {
								for _, hu := range l {
									k += len(hu.queue)
								}
							}
						}
					}
					done <- k
				})
				n += <-done
			}
			return n == 0
		})
	}
	close(release)
	if got := <-slow; got != "/slow" {
		t.Fatalf("the request in flight: %q", got)
	}
	time.Sleep(50 * time.Millisecond)
	if queuedSeen.Load() {
		t.Fatal("the origin saw a request whose client had gone")
	}
}

// TestH2UpIdleSettingsAndPing: an idle upstream connection acknowledges
// the origin's SETTINGS and PING, and is used again.
func TestH2UpIdleSettingsAndPing(t *testing.T) {
	o := newRefusingOrigin(t, 0)
	tp := startH2Proxy(t, h2ClusterConfig(o.ln.Addr().String()), 1)
	for i := 0; i < 3; i++ {
		resp, err := tp.clientFor(modeH1).Get(tp.url("/i"))
		if err != nil {
			t.Fatal(err)
		}
		if b := readAll(t, resp); resp.StatusCode != 200 || string(b) != "ok" {
			t.Fatalf("request %d: %d %q", i, resp.StatusCode, b)
		}
		want := int64(i + 1)
		eventually(t, "the SETTINGS and PING acknowledged", func() bool {
			return o.pings.Load() == want && o.setAcks.Load() == want+1 // +1: the first SETTINGS
		})
	}
	if n := o.conns.Load(); n != 1 {
		t.Fatalf("origin saw %d connections, want 1", n)
	}
}

// TestH2UpDuplicateContentLength: a backend's identical content-length
// fields (allowed: they agree) reach an HTTP/1.1 client as one (h1's
// writer sends one), never as "2, 2" or two fields.
func TestH2UpDuplicateContentLength(t *testing.T) {
	o := newRefusingOrigin(t, 0)
	o.dupCL.Store(true)
	tp := startH2Proxy(t, h2ClusterConfig(o.ln.Addr().String()), 1)
	res := rawRoundTrip(t, tp.addr, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", testWait)
	if got := res.StatusLine(); got != "HTTP/1.1 200 OK" || res.Body() != "ok" {
		t.Fatalf("%q %q; response:\n%s", got, res.Body(), res.data)
	}
	if n := bytes.Count(bytes.ToLower(res.data), []byte("\r\ncontent-length:")); n != 1 {
		t.Fatalf("%d Content-Length fields; response:\n%s", n, res.data)
	}
}
