package h2

import (
	"fmt"
	"testing"
)

// GOAWAY (RFC 9113 section 6.8) and the client role.

func TestRFC9113_6_8_GracefulGoAway(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, true, p.req("GET", "/")))
	p.c.GoAway(ErrCodeNo, nil)
	p.expect(fmt.Sprintf("GOAWAY %d NO_ERROR", maxStreamID), "PING")
	p.feed(headers(3, true, p.req("GET", "/in-flight"))) // opened before the client saw GOAWAY
	p.feed(ping(true, 0))                                // another PING's ack: not ours
	p.expect()
	p.feed(AppendPing(nil, true, goAwayPing))
	p.expect("GOAWAY 3 NO_ERROR")
	p.feed(headers(5, true, p.req("GET", "/late")), data(5, true, "x"))
	p.expect("RST_STREAM 5 REFUSED_STREAM")
	p.events("headers 1 GET / end", "headers 3 GET /in-flight end")
	if p.c.Done() {
		t.Fatal("Done with streams left")
	}
	respond(p.c, 1, 200, true)
	respond(p.c, 3, 200, true)
	if !p.c.Done() {
		t.Fatal("not Done")
	}
	if s := p.c.Stats(); s.GoAwaysSent != 2 {
		t.Fatalf("GoAwaysSent = %d", s.GoAwaysSent)
	}
}

func TestRFC9113_6_8_GoAwayTwiceIsFinal(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, true, p.req("GET", "/")))
	p.c.GoAway(ErrCodeNo, nil)
	p.c.GoAway(ErrCodeNo, nil)
	p.expect(fmt.Sprintf("GOAWAY %d NO_ERROR", maxStreamID), "PING", "GOAWAY 1 NO_ERROR")
	p.c.GoAway(ErrCodeNo, nil)
	p.expect()
}

func TestRFC9113_6_8_GoAwayWithError(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, true, p.req("GET", "/")))
	p.c.GoAway(ErrCodeEnhanceYourCalm, []byte("bye"))
	p.expect("GOAWAY 1 ENHANCE_YOUR_CALM")
}

func TestRFC9113_6_8_GoAwayReceivedByClient(t *testing.T) {
	p := newClient(t, nil)
	var ids []uint32
	for range 3 {
		id, ok := p.c.OpenStream()
		if !ok {
			t.Fatal("OpenStream refused")
		}
		ids = append(ids, id)
		if err := p.c.WriteHeaders(id, getHead("/"), true); err != nil {
			t.Fatal(err)
		}
	}
	p.frames()
	p.feed(AppendGoAway(nil, 3, ErrCodeNo, []byte("drain")))
	p.events("goaway 3 NO_ERROR", "reset 5 REFUSED_STREAM remote")
	if p.c.CanOpen() {
		t.Fatal("CanOpen after GOAWAY")
	}
	if _, ok := p.c.OpenStream(); ok {
		t.Fatal("OpenStream after GOAWAY")
	}
	p.feed(headers(1, true, p.block(":status", "200")), headers(3, true, p.block(":status", "204")))
	p.events("headers 1 200 end", "capacity", "headers 3 204 end", "capacity")
	if !p.c.Done() {
		t.Fatal("not Done")
	}
	_ = ids
}

func getHead(path string) *Head {
	return &Head{Method: []byte("GET"), Scheme: []byte("http"), Authority: []byte("example.com"), Path: []byte(path), ContentLength: -1}
}

func TestRFC9113_8_1_ClientInformationalThenFinal(t *testing.T) {
	p := newClient(t, nil)
	id, _ := p.c.OpenStream()
	p.c.WriteHeaders(id, &Head{Method: []byte("POST"), Scheme: []byte("http"), Authority: []byte("a"), Path: []byte("/")}, false)
	if n := p.c.WriteData(id, []byte("body"), true); n != 4 {
		t.Fatal(n)
	}
	p.expect("HEADERS 1 END_HEADERS", "DATA 1 4 END_STREAM")
	p.feed(headers(id, false, p.block(":status", "100")), headers(id, false, p.block(":status", "200", "content-length", "2")),
		data(id, false, "ok"), headers(id, true, p.block("x-trailer", "t")))
	p.events("headers 1 100", "headers 1 200", `data 1 "ok"`, "trailers 1 end", "capacity")
}

func TestRFC9113_8_1_ClientInformationalWithEndStream(t *testing.T) {
	p := newClient(t, nil)
	id, _ := p.c.OpenStream()
	p.c.WriteHeaders(id, getHead("/"), true)
	p.frames()
	p.feed(headers(id, true, p.block(":status", "103")))
	p.events("reset 1 PROTOCOL_ERROR local", "capacity")
	p.expect("RST_STREAM 1 PROTOCOL_ERROR")
}

func TestRFC9113_8_1_1_ClientHeadResponseLength(t *testing.T) {
	p := newClient(t, nil)
	id, _ := p.c.OpenStream()
	h := getHead("/")
	h.Method = []byte("HEAD")
	p.c.WriteHeaders(id, h, true)
	p.frames()
	p.feed(headers(id, true, p.block(":status", "200", "content-length", "1000")))
	p.events("headers 1 200 end", "capacity")
}

func TestRFC9113_5_1_ClientDataBeforeResponse(t *testing.T) {
	p := newClient(t, nil)
	id, _ := p.c.OpenStream()
	p.c.WriteHeaders(id, getHead("/"), true)
	p.frames()
	p.feed(data(id, true, "x"))
	p.events("reset 1 PROTOCOL_ERROR local", "capacity")
}

func TestRFC9113_5_1_1_ServerOpensStream(t *testing.T) {
	p := newClient(t, nil)
	p.feedFail(ErrCodeProtocol, headers(2, true, p.block(":status", "200")))
}

func TestRFC9113_5_1_2_ClientRespectsPeerMax(t *testing.T) {
	p := newClient(t, nil, Setting{SettingMaxConcurrentStreams, 1})
	id, ok := p.c.OpenStream()
	if !ok || p.c.CanOpen() {
		t.Fatal("capacity")
	}
	p.c.WriteHeaders(id, getHead("/"), true)
	p.feed(settings(Setting{SettingMaxConcurrentStreams, 2}))
	p.events("capacity")
	if !p.c.CanOpen() {
		t.Fatal("no capacity after the raise")
	}
	p.frames()
	p.feed(rst(id, ErrCodeRefusedStream))
	p.events("reset 1 REFUSED_STREAM remote", "capacity")
}

// The owner's Reset of a client stream whose HEADERS never went out sends
// nothing: the peer never heard of it.
func TestRFC9113_6_4_ResetIdleClientStream(t *testing.T) {
	p := newClient(t, nil)
	id, _ := p.c.OpenStream()
	p.c.Reset(id, ErrCodeCancel)
	p.expect()
	id, _ = p.c.OpenStream()
	p.c.WriteHeaders(id, getHead("/"), false)
	p.c.Reset(id, ErrCodeCancel)
	p.expect("HEADERS 3 END_HEADERS", "RST_STREAM 3 CANCEL")
	p.feed(headers(id, false, p.block(":status", "200")), data(id, true, "late"))
	p.events()
	p.expect()
}
