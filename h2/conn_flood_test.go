package h2

import (
	"testing"
)

// Floods: each limit of limits.go, named after the attack it stops.

// CVE-2023-44487: open a stream, reset it at once, again and again.
func TestFlood_RapidReset_CVE_2023_44487(t *testing.T) {
	p := newServer(t, &Config{MaxRapidResets: 10})
	id := uint32(1)
	for range 10 {
		p.feed(headers(id, false, p.req("GET", "/")), rst(id, ErrCodeCancel))
		id += 2
	}
	p.feedFail(ErrCodeEnhanceYourCalm, headers(id, false, p.req("GET", "/")), rst(id, ErrCodeCancel))
}

// Streams that complete refill the rapid-reset budget: a client that resets
// now and then is not cut off.
func TestFlood_RapidResetBudgetRefills(t *testing.T) {
	p := newServer(t, &Config{MaxRapidResets: 2})
	id := uint32(1)
	for range 50 {
		p.feed(headers(id, false, p.req("GET", "/")), rst(id, ErrCodeCancel))
		p.feed(headers(id+2, true, p.req("GET", "/")))
		respond(p.c, id+2, 200, true)
		id += 4
	}
	p.frames()
}

// A response already sent: a reset after it is no attack.
func TestFlood_ResetAfterResponseIsFree(t *testing.T) {
	p := newServer(t, &Config{MaxRapidResets: 1})
	for id := uint32(1); id < 200; id += 2 {
		p.feed(headers(id, false, p.req("POST", "/")))
		respond(p.c, id, 200, false)
		p.feed(rst(id, ErrCodeCancel))
	}
}

// CVE-2024-27316: a header block that never ends. It is refused as soon as
// its size passes MaxHeaderBlock, before the frame that would pass it is in.
func TestFlood_ContinuationFlood_CVE_2024_27316(t *testing.T) {
	p := newServer(t, &Config{MaxHeaderListSize: 4096, MaxHeaderBlock: 10000})
	p.feed(rawFrame(FrameHeaders, 0, 1, p.req("GET", "/")...))
	frag := make([]byte, 1000)
	for i := range frag {
		frag[i] = 0x80 | byte(i%61+1) // indexed static fields
	}
	for range 9 {
		p.feed(rawFrame(FrameContinuation, 0, 1, frag...))
	}
	over := rawFrame(FrameContinuation, 0, 1, frag...)
	if n, err := p.c.Feed(over[:FrameHeaderLen]); n != 0 || err != ConnectionError(ErrCodeEnhanceYourCalm) {
		t.Fatalf("Feed of the next frame header: %d, %v", n, err)
	}
	if cap(p.c.block) > 20000 {
		t.Fatalf("block buffer grew to %d", cap(p.c.block))
	}
}

// Empty CONTINUATION frames cost nothing to send; they are counted.
func TestFlood_EmptyContinuations(t *testing.T) {
	p := newServer(t, &Config{MaxEmptyFrames: 20})
	p.feed(rawFrame(FrameHeaders, 0, 1, p.req("GET", "/")...))
	for range 20 {
		p.feed(rawFrame(FrameContinuation, 0, 1))
	}
	p.feedFail(ErrCodeEnhanceYourCalm, rawFrame(FrameContinuation, 0, 1))
}

// Empty DATA frames without END_STREAM carry nothing and cost the server a
// callback each.
func TestFlood_EmptyDataFrames(t *testing.T) {
	p := newServer(t, &Config{MaxEmptyFrames: 10})
	p.feed(headers(1, false, p.req("POST", "/")))
	for range 10 {
		p.feed(data(1, false, ""))
	}
	p.feed(data(1, false, "x")) // payload: the count starts again
	for range 10 {
		p.feed(data(1, false, ""))
	}
	p.feedFail(ErrCodeEnhanceYourCalm, data(1, false, ""))
}

// A SETTINGS flood: each costs an ACK.
func TestFlood_SettingsFlood(t *testing.T) {
	p := newServer(t, &Config{MaxControlFrames: 50})
	for range 49 { // the preface's SETTINGS took one
		p.feed(settings())
		p.frames()
	}
	p.feedFail(ErrCodeEnhanceYourCalm, settings())
}

// A PING flood from a peer that reads its acks: bounded by the control
// budget, which useful work refills.
func TestFlood_PingFlood(t *testing.T) {
	p := newServer(t, &Config{MaxControlFrames: 50})
	for i := range 200 {
		p.feed(ping(false, 1))
		p.feed(headers(uint32(2*i+1), true, p.req("GET", "/")))
		respond(p.c, uint32(2*i+1), 204, true)
		p.frames()
	}
	for range 49 {
		p.feed(ping(false, 1))
		p.frames()
	}
	p.feedFail(ErrCodeEnhanceYourCalm, ping(false, 1))
}

// A PING flood from a peer that does not read: the acks pile up in Output
// until MaxControlQueue.
func TestFlood_PingFloodUnread(t *testing.T) {
	p := newServer(t, &Config{MaxControlQueue: 17 * 10, MaxControlFrames: 1 << 20})
	for range 10 {
		p.feed(ping(false, 1))
	}
	p.feedFail(ErrCodeEnhanceYourCalm, ping(false, 1))
}

// PRIORITY frames are parsed and ignored, but not for free.
func TestFlood_PriorityFlood(t *testing.T) {
	p := newServer(t, &Config{MaxControlFrames: 30})
	for i := range 29 {
		p.feed(rawFrame(FramePriority, 0, uint32(2*i+1), 0, 0, 0, 0, 16))
	}
	p.feedFail(ErrCodeEnhanceYourCalm, rawFrame(FramePriority, 0, 99, 0, 0, 0, 0, 16))
}

// A WINDOW_UPDATE flood on a connection we send no data on.
func TestFlood_WindowUpdateFlood(t *testing.T) {
	p := newServer(t, &Config{MaxControlFrames: 30})
	for range 30 { // WINDOW_UPDATEs have a budget of their own
		p.feed(wu(0, 1))
	}
	p.feedFail(ErrCodeEnhanceYourCalm, wu(0, 1))
}

// A client reading a long response sends a stream and a connection
// WINDOW_UPDATE per read, several per DATA frame: never a flood.
func TestFlood_WindowUpdatesOfAReadingClientAreFree(t *testing.T) {
	p := newServer(t, &Config{MaxControlFrames: 30})
	p.feed(headers(1, true, p.req("GET", "/big")))
	p.c.WriteHeaders(1, &Head{Status: 200}, false)
	chunk := make([]byte, 16384)
	for range 500 { // 500 DATA frames of 16 KiB, a pair of updates per 4 KiB read (as Go's client)
		if n := p.c.WriteData(1, chunk, false); n != len(chunk) {
			t.Fatalf("window closed: %d", n)
		}
		p.c.ClearOutput()
		for range 4 {
			p.feed(wu(1, 4096), wu(0, 4096))
		}
	}
	// After a pause the client reads what it buffered: an update per read,
	// a burst with no DATA in between.
	for range 2000 {
		p.feed(wu(1, 4096), wu(0, 4096))
	}
}

// Opening windows a few bytes at a time does not pay: the updates outrun
// what they let through, and the connection ends.
func TestFlood_TinyWindowUpdates(t *testing.T) {
	p := newServer(t, &Config{MaxControlFrames: 30})
	p.feed(headers(1, true, p.req("GET", "/big")))
	p.c.WriteHeaders(1, &Head{Status: 200}, false)
	p.c.WriteData(1, make([]byte, 65535), false) // the initial windows, used up
	p.c.ClearOutput()
	for i := 0; ; i++ {
		if i > 1000 {
			t.Fatal("a peer opening windows 8 bytes at a time was never stopped")
		}
		p.c.WriteData(1, make([]byte, 16), false)
		p.c.ClearOutput()
		if _, err := p.c.Feed(append(wu(1, 8), wu(0, 8)...)); err != nil {
			if err != ConnectionError(ErrCodeEnhanceYourCalm) {
				t.Fatalf("got %v, want ENHANCE_YOUR_CALM", err)
			}
			return
		}
	}
}

// Streams over MaxConcurrentStreams are refused; refusals spend the control
// budget, so a client ignoring the limit is cut off.
func TestFlood_StreamsOverMaxConcurrent(t *testing.T) {
	p := newServer(t, &Config{MaxConcurrentStreams: 2, MaxControlFrames: 20})
	p.feed(headers(1, false, p.req("GET", "/")), headers(3, false, p.req("GET", "/")))
	id := uint32(5)
	for range 20 {
		p.feed(headers(id, false, p.req("GET", "/")))
		id += 2
	}
	if s := p.c.Stats(); s.ResetsSent[ErrCodeRefusedStream] != 20 || s.StreamsOpened != 2 {
		t.Fatalf("stats %+v", s)
	}
	p.feedFail(ErrCodeEnhanceYourCalm, headers(id, false, p.req("GET", "/")))
}

// CVE-2025-8671 (MadeYouReset): the client makes the server reset streams
// with frames that are stream errors (here a zero WINDOW_UPDATE) instead of
// RST_STREAM. Those resets spend the same budget.
func TestFlood_MadeYouReset_CVE_2025_8671(t *testing.T) {
	p := newServer(t, &Config{MaxRapidResets: 10})
	id := uint32(1)
	for range 10 {
		p.feed(headers(id, false, p.req("GET", "/")), wu(id, 0))
		id += 2
	}
	p.feedFail(ErrCodeEnhanceYourCalm, headers(id, false, p.req("GET", "/")), wu(id, 0))
}

// DATA on closed streams gets one RST_STREAM per stream, which costs the
// control budget; more DATA on them is ignored.
func TestFlood_DataOnClosedStreams(t *testing.T) {
	p := newServer(t, nil)
	for id := uint32(1); id <= 11; id += 2 {
		p.feed(headers(id, true, p.req("GET", "/")))
		respond(p.c, id, 204, true)
	}
	p.frames()
	before := p.c.control.left
	for range 10 {
		for id := uint32(1); id <= 11; id += 2 {
			p.feed(data(id, false, "x"))
		}
	}
	p.expect("RST_STREAM 1 STREAM_CLOSED", "RST_STREAM 3 STREAM_CLOSED", "RST_STREAM 5 STREAM_CLOSED",
		"RST_STREAM 7 STREAM_CLOSED", "RST_STREAM 9 STREAM_CLOSED", "RST_STREAM 11 STREAM_CLOSED")
	if p.c.control.left != before-6 {
		t.Fatalf("control budget %d, was %d", p.c.control.left, before)
	}
}
