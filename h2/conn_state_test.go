package h2

import (
	"bytes"
	"testing"
)

// Stream states and stream ids: RFC 9113 sections 3.4, 5.1, 5.1.1, 5.1.2,
// 5.3.1, 5.4, 6.4, 8.1.

func TestRFC9113_3_4_BadPreface(t *testing.T) {
	c := NewConn(Server, nil, &recorder{})
	c.Start()
	c.ClearOutput()
	n, err := c.Feed([]byte("GET / HTTP/1.1\r\n"))
	if n != 0 || err != ConnectionError(ErrCodeProtocol) {
		t.Fatalf("Feed = %d, %v", n, err)
	}
	n, err = c.Feed([]byte(ClientPreface[:10]))
	if n != 0 || err == nil {
		t.Fatalf("after the error: %d, %v", n, err)
	}
}

func TestRFC9113_3_4_PrefaceInPieces(t *testing.T) {
	c := NewConn(Server, nil, &recorder{})
	c.Start()
	in := append([]byte(ClientPreface), settings()...)
	for k := range len(ClientPreface) {
		if n, err := c.Feed(in[:k]); n != 0 || err != nil {
			t.Fatalf("prefix %d: %d, %v", k, n, err)
		}
	}
	if n, err := c.Feed(in); n != len(in) || err != nil {
		t.Fatalf("whole: %d, %v", n, err)
	}
}

func TestRFC9113_3_4_FirstFrameNotSettings(t *testing.T) {
	c := NewConn(Server, nil, &recorder{})
	c.Start()
	p := &peer{t: t, c: c, r: &recorder{}}
	p.frames()
	c.Feed([]byte(ClientPreface))
	p.feedFail(ErrCodeProtocol, ping(false, 1))
}

func TestRFC9113_5_1_RequestResponse(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, false, p.req("POST", "/up", "content-length", "5")), data(1, false, "he"), data(1, true, "llo"))
	p.events(`headers 1 POST /up`, `data 1 "he"`, `data 1 "llo" end`)
	if p.c.ActiveStreams() != 1 {
		t.Fatal("half-closed (remote) stream not active")
	}
	if err := respond(p.c, 1, 200, false); err != nil {
		t.Fatal(err)
	}
	if n := p.c.WriteData(1, []byte("ok"), true); n != 2 {
		t.Fatalf("WriteData = %d", n)
	}
	p.expect("HEADERS 1 END_HEADERS", "DATA 1 2 END_STREAM")
	if p.c.ActiveStreams() != 0 {
		t.Fatal("closed stream still active")
	}
	if p.c.WriteData(1, []byte("x"), true) != 0 || respond(p.c, 1, 200, true) != ErrStreamState {
		t.Fatal("wrote on a closed stream")
	}
}

func TestRFC9113_5_1_DataOnIdle(t *testing.T) {
	p := newServer(t, nil)
	p.feedFail(ErrCodeProtocol, data(1, false, "x"))
}

func TestRFC9113_5_1_RSTStreamOnIdle(t *testing.T) {
	p := newServer(t, nil)
	p.feedFail(ErrCodeProtocol, rst(1, ErrCodeCancel))
}

func TestRFC9113_5_1_WindowUpdateOnIdle(t *testing.T) {
	p := newServer(t, nil)
	p.feedFail(ErrCodeProtocol, wu(1, 10))
}

func TestRFC9113_5_1_DataAfterEndStream(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, true, p.req("GET", "/")), data(1, false, "x"))
	p.events("headers 1 GET / end", "reset 1 STREAM_CLOSED local")
	p.expect("RST_STREAM 1 STREAM_CLOSED")
}

func TestRFC9113_5_1_HeadersAfterEndStream(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, true, p.req("GET", "/")), headers(1, true, p.block("x-t", "1")))
	p.events("headers 1 GET / end", "reset 1 STREAM_CLOSED local")
	p.expect("RST_STREAM 1 STREAM_CLOSED")
}

func TestRFC9113_5_1_HeadersOnClosedStream(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, true, p.req("GET", "/")))
	respond(p.c, 1, 204, true)
	p.frames()
	p.feedFail(ErrCodeStreamClosed, headers(1, true, p.block("x-t", "1")))
}

func TestRFC9113_5_1_DataOnClosedStream(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, true, p.req("GET", "/")))
	respond(p.c, 1, 204, true)
	p.frames()
	p.feed(data(1, true, "late"))
	p.expect("RST_STREAM 1 STREAM_CLOSED")
	p.r.take()
}

// A stream we reset may still see frames the peer sent before it read our
// RST_STREAM: they are ignored (section 5.4.2), but DATA still counts
// against the connection window and is credited back.
func TestRFC9113_5_4_2_LateFramesAfterOurReset(t *testing.T) {
	p := newServer(t, &Config{ConnWindowSize: 65535, InitialWindowSize: 65535})
	p.feed(headers(1, false, p.req("POST", "/")))
	p.c.Reset(1, ErrCodeCancel)
	p.expect("RST_STREAM 1 CANCEL")
	chunk := string(make([]byte, 16000))
	for range 8 { // 128000 bytes: twice the connection window
		p.feed(data(1, false, chunk))
	}
	p.feed(headers(1, true, p.block("x-trailer", "1")), wu(1, 5), rst(1, ErrCodeCancel))
	p.events("headers 1 POST /")
	for _, f := range p.frames() {
		if f != "WINDOW_UPDATE 0" {
			t.Fatalf("unexpected %s", f)
		}
	}
}

func TestRFC9113_5_1_1_EvenStreamID(t *testing.T) {
	p := newServer(t, nil)
	p.feedFail(ErrCodeProtocol, headers(2, true, p.req("GET", "/")))
}

func TestRFC9113_5_1_1_DecreasingStreamID(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(5, false, p.req("GET", "/")))
	p.feedFail(ErrCodeProtocol, headers(3, true, p.req("GET", "/")))
}

// Streams above MaxConcurrentStreams are refused, but their header blocks
// are decoded: the next request refers to a table entry the refused one
// added.
func TestRFC9113_5_1_2_MaxConcurrentStreams(t *testing.T) {
	p := newServer(t, &Config{MaxConcurrentStreams: 1})
	p.feed(headers(1, false, p.req("GET", "/a")))
	refused := p.req("GET", "/b", "x-new", "indexed")
	p.feed(headers(3, false, refused), data(3, false, "dropped"))
	p.expect("RST_STREAM 3 REFUSED_STREAM")
	p.c.Reset(1, ErrCodeCancel)
	p.frames()
	p.feed(headers(5, true, p.req("GET", "/c", "x-new", "indexed")))
	p.events("headers 1 GET /a", "headers 5 GET /c end")
	if f := p.r.fields[1]; len(f) != 1 || string(f[0].Value) != "indexed" {
		t.Fatalf("fields %v", f)
	}
}

func TestRFC9113_5_3_1_PrioritySelfDependency(t *testing.T) {
	p := newServer(t, nil)
	p.feed(rawFrame(FramePriority, 0, 3, 0, 0, 0, 3, 16))
	p.expect("RST_STREAM 3 PROTOCOL_ERROR")
	p.feed(rawFrame(FramePriority, 0, 3, 0, 0, 0, 1, 16)) // ignored
	p.expect()
	b := p.req("GET", "/")
	pl := append([]byte{0, 0, 0, 5, 16}, b...)
	p.feed(rawFrame(FrameHeaders, FlagHeadersEndHeaders|FlagHeadersPriority|FlagHeadersEndStream, 5, pl...))
	p.expect("RST_STREAM 5 PROTOCOL_ERROR")
	p.feed(headers(7, true, p.req("GET", "/next")))
	p.events("headers 7 GET /next end")
}

func TestRFC9113_6_4_RSTStreamReceived(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, false, p.req("POST", "/")), rst(1, ErrCodeCancel), data(1, false, "x"))
	p.events("headers 1 POST /", "reset 1 CANCEL remote")
	p.expect("RST_STREAM 1 STREAM_CLOSED")
	if s := p.c.Stats(); s.ResetsReceived[ErrCodeCancel] != 1 || s.ResetsSent[ErrCodeStreamClosed] != 1 || s.StreamsOpened != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestRFC9113_8_1_Trailers(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, false, p.req("POST", "/")), data(1, false, "x"), headers(1, true, p.block("grpc-status", "0")))
	p.events("headers 1 POST /", `data 1 "x"`, "trailers 1 end")
	if f := p.r.fields[1]; len(f) != 1 || string(f[0].Name) != "grpc-status" {
		t.Fatalf("trailer fields %v", f)
	}
	respond(p.c, 1, 200, false)
	if err := p.c.WriteTrailers(1, []Field{{Name: []byte("grpc-status"), Value: []byte("0")}}); err != nil {
		t.Fatal(err)
	}
	p.expect("HEADERS 1 END_HEADERS", "HEADERS 1 END_STREAM END_HEADERS")
	if p.c.ActiveStreams() != 0 {
		t.Fatal("stream not closed by trailers")
	}
}

func TestRFC9113_8_1_TrailersWithoutEndStream(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, false, p.req("POST", "/")), headers(1, false, p.block("x-t", "1")))
	p.events("headers 1 POST /", "reset 1 PROTOCOL_ERROR local")
	p.expect("RST_STREAM 1 PROTOCOL_ERROR")
}

func TestRFC9113_8_1_1_ContentLengthExceeded(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, false, p.req("POST", "/", "content-length", "3")), data(1, false, "ab"), data(1, false, "cd"))
	p.events("headers 1 POST /", `data 1 "ab"`, "reset 1 PROTOCOL_ERROR local")
	p.expect("RST_STREAM 1 PROTOCOL_ERROR")
}

func TestRFC9113_8_1_1_ContentLengthShort(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, false, p.req("POST", "/", "content-length", "3")), data(1, true, "ab"))
	p.events("headers 1 POST /", "reset 1 PROTOCOL_ERROR local")
	p.expect("RST_STREAM 1 PROTOCOL_ERROR")
	p.feed(headers(3, true, p.req("POST", "/", "content-length", "3")))
	p.expect("RST_STREAM 3 PROTOCOL_ERROR")
	p.events()
}

func TestRFC9113_8_1_1_ContentLengthWithTrailers(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, false, p.req("POST", "/", "content-length", "3")), data(1, false, "ab"), headers(1, true, p.block("x", "y")))
	p.events("headers 1 POST /", `data 1 "ab"`, "reset 1 PROTOCOL_ERROR local")
}

func TestRFC9113_8_1_MalformedRequest(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, true, p.block(":method", "GET", "Upper", "x", ":path", "/")))
	p.expect("RST_STREAM 1 PROTOCOL_ERROR")
	p.events()
}

// A header block over MaxHeaderListSize (decoded: the HPACK bomb) gets 431
// from Conn itself, and RST_STREAM(NO_ERROR) if a body would follow; the
// connection goes on, in sync.
func TestRFC9113_6_5_2_ConnRequestHeaderListTooLarge(t *testing.T) {
	p := newServer(t, &Config{MaxHeaderListSize: 200})
	big := string(make([]byte, 300))
	p.feed(headers(1, true, p.req("GET", "/", "x-big", big)))
	out := bytes.Clone(p.c.Output())
	p.expect("HEADERS 1 END_STREAM END_HEADERS")
	f, _, _ := ReadFrame(out, DefaultMaxFrameSize)
	var d HeadDecoder
	d.Init(0, 4096)
	if h, err := d.Decode(f.Data, HeadResponse); err != nil || h.Status != 431 {
		t.Fatalf("%v %+v", err, h)
	}
	p.feed(headers(3, false, p.req("POST", "/", "x-big", big)), data(3, true, "ignored"))
	p.expect("HEADERS 3 END_STREAM END_HEADERS", "RST_STREAM 3 NO_ERROR")
	p.feed(headers(5, false, p.req("POST", "/ok")))
	p.feed(headers(5, true, p.block("x-big", big))) // trailers: a stream error
	p.expect("RST_STREAM 5 PROTOCOL_ERROR")
	p.feed(headers(7, true, p.req("GET", "/ok")))
	p.events("headers 5 POST /ok", "reset 5 PROTOCOL_ERROR local", "headers 7 GET /ok end")
}

func TestRFC9113_6_5_2_ConnResponseHeaderListTooLarge(t *testing.T) {
	p := newClient(t, &Config{MaxHeaderListSize: 200})
	id, _ := p.c.OpenStream()
	p.c.WriteHeaders(id, getHead("/"), true)
	p.frames()
	p.feed(headers(id, true, p.block(":status", "200", "x-big", string(make([]byte, 300)))))
	p.events("reset 1 PROTOCOL_ERROR local", "capacity")
	p.expect("RST_STREAM 1 PROTOCOL_ERROR")
}

func TestRFC9113_6_6_PushPromiseRefused(t *testing.T) {
	p := newClient(t, nil)
	id, _ := p.c.OpenStream()
	p.c.WriteHeaders(id, &Head{Method: []byte("GET"), Scheme: []byte("http"), Path: []byte("/"), Authority: []byte("a")}, true)
	p.frames()
	p.feedFail(ErrCodeProtocol, rawFrame(FramePushPromise, FlagPushPromiseEndHeaders, id, 0, 0, 0, 2, 0x82))
}

func TestRFC9113_4_2_FrameTooLarge(t *testing.T) {
	p := newServer(t, nil)
	hdr := AppendFrameHeader(nil, FrameHeader{DefaultMaxFrameSize + 1, FrameData, 0, 1})
	p.feedFail(ErrCodeFrameSize, hdr) // refused on its header alone
}

// Frames of unknown types are ignored (section 5.5), outside a header block.
func TestRFC9113_5_5_UnknownFrameType(t *testing.T) {
	p := newServer(t, nil)
	p.feed(rawFrame(0x42, 0xff, 1, 'x', 'y'), headers(1, true, p.req("GET", "/")))
	p.events("headers 1 GET / end")
	p.feedFail(ErrCodeProtocol, rawFrame(FrameHeaders, 0, 3, p.req("GET", "/")...), rawFrame(0x42, 0, 3))
}

func TestRFC9113_6_8_GoAwayReceivedByServer(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, true, p.req("GET", "/")), AppendGoAway(nil, 0, ErrCodeNo, nil))
	p.events("headers 1 GET / end", "goaway 0 NO_ERROR")
	if p.c.Done() {
		t.Fatal("Done with a stream left")
	}
	respond(p.c, 1, 200, true)
	if !p.c.Done() || p.c.Stats().GoAwaysReceived != 1 {
		t.Fatal("not Done")
	}
}

func TestRFC9113_5_1_ClientHeadersOnClosedStream(t *testing.T) {
	p := newClient(t, nil)
	id, _ := p.c.OpenStream()
	p.c.WriteHeaders(id, getHead("/"), true)
	p.frames()
	p.feed(headers(id, true, p.block(":status", "200")))
	p.events("headers 1 200 end", "capacity")
	p.feedFail(ErrCodeStreamClosed, headers(id, true, p.block(":status", "200")))
}

func TestRFC9113_5_1_ClientHeadersOnIdleStream(t *testing.T) {
	p := newClient(t, nil)
	p.feedFail(ErrCodeProtocol, headers(1, true, p.block(":status", "200")))
}

// A client that reset more streams than the closed-stream ring remembers
// ignores the server's late frames on all of them (section 5.1): a proxy
// cancels many streams of one upstream connection at once.
func TestRFC9113_5_1_ClientLateFramesAfterManyResets(t *testing.T) {
	p := newClient(t, nil)
	var ids []uint32
	for i := 0; i < 3*closedRingLen; i++ {
		id, ok := p.c.OpenStream()
		if !ok {
			t.Fatal("cannot open")
		}
		p.c.WriteHeaders(id, &Head{Method: []byte("GET"), Scheme: []byte("http"), Path: []byte("/"), Authority: []byte("a")}, true)
		ids = append(ids, id)
	}
	for _, id := range ids {
		p.c.Reset(id, ErrCodeCancel)
	}
	p.frames()
	for _, id := range ids {
		p.feed(headers(id, false, p.block(":status", "200")), data(id, true, "late"))
	}
	p.expect()
	p.events()
	if _, ok := p.c.OpenStream(); !ok {
		t.Fatal("the connection did not survive the late frames")
	}
}
