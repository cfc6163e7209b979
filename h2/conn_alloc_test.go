package h2

import (
	"bytes"
	"testing"
)

// allocHandler answers each request with 200 and a small body once its
// body is in, consuming what it read: the steady state of a server Conn.
type allocHandler struct {
	c    *Conn
	resp Head
	body []byte
}

func (a *allocHandler) OnHeaders(id uint32, h *Head, trailers, end bool) {
	if end {
		a.respond(id)
	}
}

func (a *allocHandler) OnData(id uint32, data []byte, end bool) {
	a.c.Consume(id, len(data))
	if end {
		a.respond(id)
	}
}

func (a *allocHandler) respond(id uint32) {
	a.c.WriteHeaders(id, &a.resp, false)
	a.c.WriteData(id, a.body, true)
}

func (a *allocHandler) OnReset(uint32, ErrCode, bool)    {}
func (a *allocHandler) OnSendWindow(uint32)              {}
func (a *allocHandler) OnGoAway(uint32, ErrCode, []byte) {}
func (a *allocHandler) OnCapacity()                      {}

// h2loadStreams is n streams as h2load sends them: the same request fields
// each time (indexed from the dynamic table after the first), a small
// body, and the WINDOW_UPDATE that gives back the response's bytes.
func h2loadStreams(p *peer, n int) [][]byte {
	var out [][]byte
	for i := range n {
		id := uint32(2*i + 1)
		b := p.req("POST", "/upload", "user-agent", "h2load nghttp2/1.59.0", "accept", "*/*",
			"content-type", "application/json", "content-length", "13")
		s := headers(id, false, b)
		s = append(s, data(id, false, "{\"a\":")...)
		s = append(s, data(id, true, "\"hello\"}")...)
		s = append(s, wu(0, 2)...)
		out = append(out, s)
	}
	return out
}

// A server Conn runs request streams without allocating: HEADERS decoded
// with repeated fields, DATA, Consume and its WINDOW_UPDATEs, the response
// HEADERS and DATA with END_STREAM, the stream table and its free list.
func TestConnZeroAllocPerStream(t *testing.T) {
	const runs = 2000
	p := newServer(t, &Config{InitialWindowSize: 64, ConnWindowSize: 65535})
	a := &allocHandler{c: p.c, resp: Head{Status: 200, Fields: []Field{{Name: []byte("content-type"), Value: []byte("text/plain")}}}, body: []byte("ok")}
	p.c.h = a
	streams := h2loadStreams(p, runs+1+50)
	for _, s := range streams[:50] { // warm up: buffers and the table grow
		p.feed(s)
		p.c.ClearOutput()
	}
	i := 50
	var failed error
	allocs := testing.AllocsPerRun(runs, func() {
		n, err := p.c.Feed(streams[i])
		if err != nil || n != len(streams[i]) {
			failed = err
		}
		i++
		p.c.ClearOutput()
	})
	if failed != nil {
		t.Fatal(failed)
	}
	if allocs != 0 {
		t.Fatalf("%v allocations per stream", allocs)
	}
	if p.c.ActiveStreams() != 0 || p.c.Stats().StreamsOpened != uint64(i) {
		t.Fatalf("%d active, %d opened", p.c.ActiveStreams(), p.c.Stats().StreamsOpened)
	}
}

// The same exchange answers what the handler writes: the test above runs
// the real path.
func TestConnAllocHandlerResponds(t *testing.T) {
	p := newServer(t, nil)
	a := &allocHandler{c: p.c, resp: Head{Status: 200}, body: []byte("ok")}
	p.c.h = a
	p.feed(h2loadStreams(p, 1)[0])
	out := p.c.Output()
	p.expect("HEADERS 1 END_HEADERS", "DATA 1 2 END_STREAM")
	if !bytes.Contains(out, []byte("ok")) {
		t.Fatal("no body")
	}
}

// BenchmarkConnStream: one request stream through a server Conn, as in
// TestConnZeroAllocPerStream.
func BenchmarkConnStream(b *testing.B) {
	p := newServer(b, &Config{InitialWindowSize: 64, ConnWindowSize: 65535})
	p.c.h = &allocHandler{c: p.c, resp: Head{Status: 200}, body: []byte("ok")}
	streams := h2loadStreams(p, b.N+1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := p.c.Feed(streams[i]); err != nil {
			b.Fatal(err)
		}
		p.c.ClearOutput()
	}
}
