package proxy

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// rawH2 is a hand-driven HTTP/2 client for attacks no well-behaved client
// makes: frames are written with x/net's Framer, and everything the proxy
// sends is read into frames by a goroutine until the connection closes.
type rawH2 struct {
	t      *testing.T
	c      net.Conn
	fr     *http2.Framer
	enc    *hpack.Encoder
	hbuf   bytes.Buffer
	frames chan http2.Frame
}

func dialH2(t *testing.T, addr string, settings ...http2.Setting) *rawH2 {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := &rawH2{t: t, c: c, frames: make(chan http2.Frame, 1<<16)}
	r.fr = http2.NewFramer(c, c)
	r.fr.SetMaxReadFrameSize(1 << 24)
	r.enc = hpack.NewEncoder(&r.hbuf)
	c.Write([]byte(http2.ClientPreface))
	r.fr.WriteSettings(settings...)
	go func() {
		defer close(r.frames)
		defer c.Close() // as clients do when the server's side ends
		rf := http2.NewFramer(nil, c)
		rf.SetMaxReadFrameSize(1 << 24)
		rf.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
		rf.MaxHeaderListSize = 1 << 20
		for {
			f, err := rf.ReadFrame()
			if err != nil {
				return
			}
			r.frames <- copyFrame(f)
		}
	}()
	return r
}

// copyFrame keeps what the tests look at (the Framer reuses its buffers).
func copyFrame(f http2.Frame) http2.Frame {
	switch f := f.(type) {
	case *http2.DataFrame:
		return &h2Data{id: f.StreamID, n: len(f.Data()), end: f.StreamEnded()}
	case *http2.MetaHeadersFrame:
		return &h2Headers{id: f.StreamID, end: f.StreamEnded(), status: f.PseudoValue("status")}
	}
	return f
}

type h2Data struct {
	http2.DataFrame
	id  uint32
	n   int
	end bool
}
type h2Headers struct {
	http2.HeadersFrame
	id     uint32
	end    bool
	status string
}

// block HPACK-encodes a GET for path plus extra fields.
func (r *rawH2) block(method, path string, extra ...string) []byte {
	r.hbuf.Reset()
	for _, f := range []hpack.HeaderField{{Name: ":method", Value: method}, {Name: ":scheme", Value: "http"},
		{Name: ":authority", Value: "velox.test"}, {Name: ":path", Value: path}} {
		r.enc.WriteField(f)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		r.enc.WriteField(hpack.HeaderField{Name: extra[i], Value: extra[i+1]})
	}
	return append([]byte(nil), r.hbuf.Bytes()...)
}

func (r *rawH2) get(id uint32, path string, end bool) {
	r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: r.block("GET", path), EndHeaders: true, EndStream: end})
}

// waitFor reads frames until pred holds for one (returned), the connection
// closes (nil) or the deadline passes (a test failure).
func (r *rawH2) waitFor(what string, pred func(http2.Frame) bool) http2.Frame {
	r.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case f, ok := <-r.frames:
			if !ok {
				return nil
			}
			if pred(f) {
				return f
			}
		case <-deadline:
			r.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func isGoAway(code http2.ErrCode) func(http2.Frame) bool {
	return func(f http2.Frame) bool {
		g, ok := f.(*http2.GoAwayFrame)
		return ok && g.ErrCode == code
	}
}

func isRST(id uint32, code http2.ErrCode) func(http2.Frame) bool {
	return func(f http2.Frame) bool {
		rs, ok := f.(*http2.RSTStreamFrame)
		return ok && rs.StreamID == id && rs.ErrCode == code
	}
}

// h2StillServes checks that a new HTTP/2 client still gets answers: an
// attack costs only the connection that made it.
func h2StillServes(t *testing.T, tp *testProxy) {
	t.Helper()
	resp, err := tp.clientFor(modeH2C).Get(tp.url("/after"))
	if err != nil {
		t.Fatalf("after the attack: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("after the attack: %d", resp.StatusCode)
	}
}

// CVE-2023-44487: streams opened and reset at once cost the backends at
// most the rapid-reset budget, and the connection ends with
// ENHANCE_YOUR_CALM.
func TestH2RapidResetIsBounded(t *testing.T) {
	var seen atomic.Int64
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		if r.URL.Path == "/slow" {
			<-r.Context().Done()
		}
	})
	cfg := clusterConfig(o.addr())
	cfg.HTTP2.MaxRapidResets = 20
	tp := startProxy(t, cfg, 1)
	r := dialH2(t, tp.addr)
	for id := uint32(1); id < 2000; id += 2 {
		r.get(id, "/slow", true)
		r.fr.WriteRSTStream(id, http2.ErrCodeCancel)
	}
	if r.waitFor("GOAWAY(ENHANCE_YOUR_CALM)", isGoAway(http2.ErrCodeEnhanceYourCalm)) == nil {
		t.Fatal("connection closed without GOAWAY(ENHANCE_YOUR_CALM)")
	}
	time.Sleep(100 * time.Millisecond)
	if n := o.reqs.Load(); n > 21 {
		t.Fatalf("%d requests reached the backend from 1000 reset streams, budget 20", n)
	}
	h2StillServes(t, tp)
}

// CVE-2024-27316: a header block that never ends costs at most
// http2.max_header_block bytes before GOAWAY(ENHANCE_YOUR_CALM).
func TestH2ContinuationFloodIsBounded(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {})
	cfg := clusterConfig(o.addr())
	cfg.HTTP2.MaxHeaderBlock = 32 << 10
	tp := startProxy(t, cfg, 1)
	r := dialH2(t, tp.addr)
	r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: r.block("GET", "/"), EndHeaders: false})
	junk := bytes.Repeat([]byte{0x40, 0x01, 'x', 0x01, 'y'}, 16000/5) // literal fields, 16 KB a frame
	sent := 0
	for i := 0; i < 1000; i++ { // 16 MB if nothing stopped it
		if err := r.fr.WriteContinuation(1, false, junk); err != nil {
			break // the proxy closed the connection
		}
		sent += len(junk)
	}
	if r.waitFor("GOAWAY(ENHANCE_YOUR_CALM)", isGoAway(http2.ErrCodeEnhanceYourCalm)) == nil {
		t.Fatal("connection closed without GOAWAY(ENHANCE_YOUR_CALM)")
	}
	if o.reqs.Load() != 0 {
		t.Fatal("an unfinished header block reached the backend")
	}
	h2StillServes(t, tp)
}

// An HPACK bomb: a small block that decodes to far more than
// max_header_list_size gets 431 on its stream only, and the connection
// (its HPACK table in sync) goes on.
func TestH2HPACKBombIsRefusedForItsStream(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {})
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	r := dialH2(t, tp.addr)
	big := strings.Repeat("b", 4000)
	r.hbuf.Reset()
	for _, f := range []hpack.HeaderField{{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "http"},
		{Name: ":authority", Value: "velox.test"}, {Name: ":path", Value: "/"}, {Name: "x-big", Value: big}} {
		r.enc.WriteField(f)
	}
	for i := 0; i < 100; i++ { // each an index into the table: 400 KB decoded from ~100 bytes
		r.enc.WriteField(hpack.HeaderField{Name: "x-big", Value: big})
	}
	r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: r.hbuf.Bytes(), EndHeaders: true, EndStream: true})
	f := r.waitFor("a response on stream 1", func(f http2.Frame) bool {
		h, ok := f.(*h2Headers)
		return ok && h.id == 1
	})
	if f == nil || f.(*h2Headers).status != "431" || !f.(*h2Headers).end {
		t.Fatalf("HPACK bomb: got %v, want 431 with END_STREAM (as nginx)", f)
	}
	r.get(3, "/ok", true)
	if r.waitFor("a response on stream 3", func(f http2.Frame) bool {
		h, ok := f.(*h2Headers)
		return ok && h.id == 3
	}) == nil {
		t.Fatal("the connection did not survive the refused block")
	}
	if o.reqs.Load() != 1 {
		t.Fatalf("backend saw %d requests, want only the good one", o.reqs.Load())
	}
}

// PING and SETTINGS floods spend the control budget: GOAWAY, and only
// that connection suffers.
func TestH2PingAndSettingsFloodsAreBounded(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {})
	cfg := clusterConfig(o.addr())
	cfg.HTTP2.MaxControlFrames = 200
	tp := startProxy(t, cfg, 1)
	for _, flood := range []func(r *rawH2) error{
		func(r *rawH2) error { return r.fr.WritePing(false, [8]byte{1}) },
		func(r *rawH2) error { return r.fr.WriteSettings() },
	} {
		r := dialH2(t, tp.addr)
		for i := 0; i < 5000; i++ {
			if flood(r) != nil {
				break
			}
		}
		if r.waitFor("GOAWAY(ENHANCE_YOUR_CALM)", isGoAway(http2.ErrCodeEnhanceYourCalm)) == nil {
			t.Fatal("connection closed without GOAWAY(ENHANCE_YOUR_CALM)")
		}
	}
	h2StillServes(t, tp)
}

// Empty DATA frames without END_STREAM do no work: a flood of them ends
// the connection.
func TestH2EmptyFrameFloodIsBounded(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	r := dialH2(t, tp.addr)
	r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: r.block("POST", "/up"), EndHeaders: true})
	for i := 0; i < 1000; i++ {
		if r.fr.WriteData(1, false, nil) != nil {
			break
		}
	}
	if r.waitFor("GOAWAY(ENHANCE_YOUR_CALM)", isGoAway(http2.ErrCodeEnhanceYourCalm)) == nil {
		t.Fatal("connection closed without GOAWAY(ENHANCE_YOUR_CALM)")
	}
	h2StillServes(t, tp)
}

// Streams over max_concurrent_streams are refused with REFUSED_STREAM
// and never reach the backend.
func TestH2ConcurrentStreamLimit(t *testing.T) {
	release := make(chan struct{})
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	cfg := clusterConfig(o.addr())
	cfg.HTTP2.MaxConcurrentStreams = 5
	tp := startProxy(t, cfg, 1)
	r := dialH2(t, tp.addr)
	// Wait for the server's SETTINGS before counting on its limit.
	r.waitFor("SETTINGS", func(f http2.Frame) bool { _, ok := f.(*http2.SettingsFrame); return ok })
	for id := uint32(1); id <= 11; id += 2 {
		r.get(id, "/hold", true)
	}
	if r.waitFor("RST_STREAM 11 REFUSED_STREAM", isRST(11, http2.ErrCodeRefusedStream)) == nil {
		t.Fatal("connection closed instead of refusing the sixth stream")
	}
	eventually(t, "five requests at the backend", func() bool { return o.reqs.Load() == 5 })
	time.Sleep(50 * time.Millisecond)
	if n := o.reqs.Load(); n != 5 {
		t.Fatalf("backend saw %d requests, want 5", n)
	}
}

// A client that never opens its window (SETTINGS_INITIAL_WINDOW_SIZE 0)
// holds a response for timeouts.send at most: then its stream is reset and
// the backend released; memory stays within limits.stream_buffer.
func TestH2ZeroWindowStallIsReset(t *testing.T) {
	gone := make(chan struct{}, 1)
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("z"), 64<<10)
		for i := 0; i < 1024; i++ { // 64 MiB, far over the buffers
			if _, err := w.Write(chunk); err != nil {
				break
			}
		}
		gone <- struct{}{}
	})
	cfg := clusterConfig(o.addr())
	cfg.Timeouts.Send = config.Duration(300 * time.Millisecond)
	tp := startProxy(t, cfg, 1)
	r := dialH2(t, tp.addr, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
	r.get(1, "/big", true)
	if r.waitFor("RST_STREAM 1 CANCEL", isRST(1, http2.ErrCodeCancel)) == nil {
		t.Fatal("connection closed instead of the stalled stream")
	}
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("the backend was not released")
	}
	r.fr.WritePing(false, [8]byte{7})
	if r.waitFor("PING ack", func(f http2.Frame) bool { p, ok := f.(*http2.PingFrame); return ok && p.IsAck() }) == nil {
		t.Fatal("the connection did not survive its stalled stream")
	}
}

// A request body that stops coming gets 408 after timeouts.client_body,
// and the backend is not blamed.
func TestH2StalledUploadIs408(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	})
	cfg := clusterConfig(o.addr())
	cfg.Timeouts.ClientBody = config.Duration(300 * time.Millisecond)
	tp := startProxy(t, cfg, 1)
	r := dialH2(t, tp.addr)
	r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: r.block("POST", "/up", "content-length", "100"), EndHeaders: true})
	r.fr.WriteData(1, false, []byte("0123456789"))
	f := r.waitFor("a response on stream 1", func(f http2.Frame) bool {
		h, ok := f.(*h2Headers)
		return ok && h.id == 1
	})
	if f == nil || f.(*h2Headers).status != "408" {
		t.Fatalf("stalled upload: got %v, want a 408 head", f)
	}
	if f := backendFailuresOf(tp); f != 0 {
		t.Fatalf("the backend was blamed %d times for a client that stopped sending", f)
	}
}

// backendFailuresOf sums the failures counted against every backend.
func backendFailuresOf(tp *testProxy) uint64 {
	var n uint64
	for _, bs := range tp.Stats().Clusters {
		for _, b := range bs {
			n += b.Failures
		}
	}
	return n
}

// Graceful drain (RFC 9113 section 6.8): GOAWAY first with the highest
// stream id and a PING, then with the last stream velox took; the stream
// in flight finishes, then the connection closes and Shutdown reports a
// clean drain.
func TestH2GracefulDrain(t *testing.T) {
	release := make(chan struct{})
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.Write([]byte("finished"))
	})
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	r := dialH2(t, tp.addr)
	r.get(1, "/held", true)
	eventually(t, "the request at the origin", func() bool { return o.reqs.Load() == 1 })
	drained := make(chan bool, 1)
	go func() { drained <- tp.Shutdown() }()
	first := r.waitFor("the first GOAWAY", func(f http2.Frame) bool { _, ok := f.(*http2.GoAwayFrame); return ok })
	if g, ok := first.(*http2.GoAwayFrame); !ok || g.LastStreamID != 1<<31-1 || g.ErrCode != http2.ErrCodeNo {
		t.Fatalf("first GOAWAY: %v", first)
	}
	// x/net's Framer does not answer PINGs: do it as a client does.
	ping := r.waitFor("the drain PING", func(f http2.Frame) bool { p, ok := f.(*http2.PingFrame); return ok && !p.IsAck() })
	r.fr.WritePing(true, ping.(*http2.PingFrame).Data)
	final := r.waitFor("the final GOAWAY", func(f http2.Frame) bool { _, ok := f.(*http2.GoAwayFrame); return ok })
	if g := final.(*http2.GoAwayFrame); g.LastStreamID != 1 {
		t.Fatalf("final GOAWAY last stream %d, want 1", g.LastStreamID)
	}
	close(release)
	end := r.waitFor("stream 1's END_STREAM", func(f http2.Frame) bool { d, ok := f.(*h2Data); return ok && d.id == 1 && d.end })
	if end == nil {
		t.Fatal("the stream in flight did not finish")
	}
	if r.waitFor("the close", func(http2.Frame) bool { return false }) != nil {
		t.Fatal("unreachable")
	}
	if !<-drained {
		t.Fatal("Shutdown reported that connections were left")
	}
}
