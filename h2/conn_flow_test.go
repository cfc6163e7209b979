package h2

import (
	"bytes"
	"testing"
)

// SETTINGS, PING, WINDOW_UPDATE and flow control: RFC 9113 sections 6.5,
// 6.7, 6.9.

func TestRFC9113_6_5_OurSettings(t *testing.T) {
	c := NewConn(Server, &Config{MaxConcurrentStreams: 7, HeaderTableSize: 100}, &recorder{})
	c.Start()
	f, _, err := ReadFrame(c.Output(), DefaultMaxFrameSize)
	if err != nil || f.Type != FrameSettings {
		t.Fatalf("%v %v", f.Type, err)
	}
	got := map[SettingID]uint32{}
	for i := range f.NumSettings() {
		got[f.Setting(i).ID] = f.Setting(i).Val
	}
	want := map[SettingID]uint32{SettingEnablePush: 0, SettingMaxConcurrentStreams: 7, SettingInitialWindowSize: DefaultInitialWindowSize,
		SettingMaxFrameSize: DefaultMaxFrameSize, SettingMaxHeaderListSize: DefaultMaxHeaderListSize, SettingHeaderTableSize: 100,
		SettingEnableConnectProtocol: 1}
	if len(got) != len(want) {
		t.Fatalf("settings %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("setting %d = %d, want %d", k, got[k], v)
		}
	}
}

func TestRFC9113_6_5_PeerSettingsApplied(t *testing.T) {
	p := newServer(t, nil)
	p.feed(settings(Setting{SettingMaxConcurrentStreams, 3}, Setting{SettingMaxFrameSize, 20000}, Setting{SettingMaxHeaderListSize, 999}, Setting{0x77, 1}))
	p.expect("SETTINGS ACK")
	if a, b, c, d := p.c.PeerSettings(); a != 3 || b != 65535 || c != 20000 || d != 999 {
		t.Fatalf("PeerSettings = %d %d %d %d", a, b, c, d)
	}
}

func TestRFC9113_6_5_SettingsAckWithPayload(t *testing.T) {
	p := newServer(t, nil)
	p.feedFail(ErrCodeFrameSize, rawFrame(FrameSettings, FlagSettingsAck, 0, 0, 4, 0, 0, 0, 1))
}

func TestRFC9113_6_5_UnexpectedSettingsAck(t *testing.T) {
	p := newServer(t, nil) // our SETTINGS was acked in newServer
	p.feedFail(ErrCodeProtocol, AppendSettingsAck(nil))
}

func TestRFC9113_6_5_2_InvalidValues(t *testing.T) {
	for _, tc := range []struct {
		s    Setting
		code ErrCode
	}{
		{Setting{SettingEnablePush, 2}, ErrCodeProtocol},
		{Setting{SettingInitialWindowSize, 1 << 31}, ErrCodeFlowControl},
		{Setting{SettingMaxFrameSize, 16383}, ErrCodeProtocol},
		{Setting{SettingMaxFrameSize, 1 << 24}, ErrCodeProtocol},
	} {
		p := newServer(t, nil)
		p.feedFail(tc.code, settings(tc.s))
	}
	p := newClient(t, nil)
	p.feedFail(ErrCodeProtocol, settings(Setting{SettingEnablePush, 1}))
}

// Our smaller INITIAL_WINDOW_SIZE binds the peer only once it acked our
// SETTINGS; before, it may send the default 65535.
func TestRFC9113_6_5_3_OurSettingsApplyOnAck(t *testing.T) {
	r := &recorder{}
	c := NewConn(Server, &Config{InitialWindowSize: 1000}, r)
	c.Start()
	p := &peer{t: t, c: c, r: r, enc: newEnc()}
	p.frames()
	p.feed([]byte(ClientPreface), settings(), headers(1, false, p.req("POST", "/")), data(1, false, string(make([]byte, 5000))))
	p.expect("SETTINGS ACK")
	if c.SettingsAcked() {
		t.Fatal("acked before the ack")
	}
	p.feed(AppendSettingsAck(nil), headers(3, false, p.req("POST", "/")), data(3, false, string(make([]byte, 1001))))
	p.expect("RST_STREAM 3 FLOW_CONTROL_ERROR")
	if !c.SettingsAcked() {
		t.Fatal("ack not seen")
	}
	p.feed(data(1, false, "x")) // 5000 taken, the window is now 1000-5000
	p.expect("RST_STREAM 1 FLOW_CONTROL_ERROR")
}

func TestRFC9113_6_9_2_InitialWindowChange(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, false, p.req("GET", "/")))
	respond(p.c, 1, 200, false)
	if n := p.c.WriteData(1, make([]byte, 70000), false); n != 65535 {
		t.Fatalf("WriteData = %d", n)
	}
	p.frames()
	p.feed(wu(0, 1<<20), settings(Setting{SettingInitialWindowSize, 65535 + 100}))
	if w := p.c.SendWindow(1); w != 100 {
		t.Fatalf("SendWindow = %d", w)
	}
	p.feed(settings(Setting{SettingInitialWindowSize, 65535 - 100}))
	if w := p.c.SendWindow(1); w != 0 || p.c.streams.get(1).send != -100 {
		t.Fatalf("SendWindow = %d", w)
	}
	p.events("headers 1 GET /", "window 0", "window 0")
	p.expect("SETTINGS ACK", "SETTINGS ACK")
	p.feed(wu(1, MaxWindowSize))
	p.feedFail(ErrCodeFlowControl, settings(Setting{SettingInitialWindowSize, MaxWindowSize}))
}

func TestRFC9113_6_7_Ping(t *testing.T) {
	p := newServer(t, nil)
	p.feed(ping(false, 7))
	out := p.c.Output()
	if !bytes.Equal(out, ping(true, 7)) {
		t.Fatalf("ack % x", out)
	}
	p.frames()
	p.c.Ping([8]byte{9})
	p.expect("PING")
	p.feed(ping(true, 9))
	p.expect()
}

func TestRFC9113_6_9_WindowUpdateZero(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, false, p.req("GET", "/")), wu(1, 0))
	p.events("headers 1 GET /", "reset 1 PROTOCOL_ERROR local")
	p.expect("RST_STREAM 1 PROTOCOL_ERROR")
	p.feed(headers(3, true, p.req("GET", "/")))
	respond(p.c, 3, 204, true)
	p.frames()
	p.feed(wu(3, 0)) // on a closed stream: still a stream error
	p.expect("RST_STREAM 3 PROTOCOL_ERROR")
	p.feedFail(ErrCodeProtocol, wu(0, 0))
}

func TestRFC9113_6_9_1_WindowOverflow(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, false, p.req("GET", "/")), wu(1, MaxWindowSize-65535), wu(1, 1))
	p.events("headers 1 GET /", "window 1", "reset 1 FLOW_CONTROL_ERROR local")
	p.expect("RST_STREAM 1 FLOW_CONTROL_ERROR")
	p.feed(wu(0, MaxWindowSize-65535))
	p.feedFail(ErrCodeFlowControl, wu(0, 1))
}

func TestRFC9113_6_9_StreamWindowExceeded(t *testing.T) {
	p := newServer(t, &Config{InitialWindowSize: 65535})
	p.feed(headers(1, false, p.req("POST", "/")), data(1, false, string(make([]byte, 16384))))
	for range 3 {
		p.feed(data(1, false, string(make([]byte, 16384))))
	}
	p.feed(data(1, false, "xx")) // 65536 + 2 > 65535
	p.expect("RST_STREAM 1 FLOW_CONTROL_ERROR")
}

func TestRFC9113_6_9_ConnWindowExceeded(t *testing.T) {
	p := newServer(t, &Config{ConnWindowSize: 65535, MaxConcurrentStreams: 10})
	for id := uint32(1); id <= 7; id += 2 {
		p.feed(headers(id, false, p.req("POST", "/")), data(id, false, string(make([]byte, 16383))))
	}
	p.feed(data(3, false, "xxx")) // 4×16383 + 3 = 65535: full
	p.feedFail(ErrCodeFlowControl, data(1, false, "x"))
}

// Consume gives credit back in WINDOW_UPDATEs of half a window, not per
// byte; padding is credited by Conn itself.
func TestRFC9113_6_9_ConsumeSendsWindowUpdates(t *testing.T) {
	p := newServer(t, &Config{InitialWindowSize: 65536, ConnWindowSize: 1 << 17})
	p.feed(headers(1, false, p.req("POST", "/")))
	for range 4 {
		p.feed(data(1, false, string(make([]byte, 16384))))
	}
	p.r.take()
	p.c.Consume(1, 16384)
	p.expect()
	p.c.Consume(1, 16384)
	p.expect("WINDOW_UPDATE 1")
	p.c.Consume(1, 32768)
	p.expect("WINDOW_UPDATE 0", "WINDOW_UPDATE 1")
	p.feed(paddedData(1, false, "ab", 200))
	p.c.Consume(1, 2)
	p.expect()
	if s := p.c.streams.get(1); s.recv.left+s.recv.unacked != 65536 {
		t.Fatalf("stream window %d + %d", s.recv.left, s.recv.unacked)
	}
	p.c.Consume(7, 100) // a stream gone: connection credit only
	p.expect()
}

// WriteData: within both send windows and the peer's max frame size; a short
// count, then OnSendWindow, then the rest with END_STREAM.
func TestRFC9113_6_9_WriteDataWindows(t *testing.T) {
	p := newServer(t, nil)
	p.feed(settings(Setting{SettingInitialWindowSize, 20000}), headers(1, true, p.req("GET", "/")))
	p.frames()
	if n := p.c.WriteData(1, []byte("x"), false); n != 0 {
		t.Fatal("DATA before the head")
	}
	respond(p.c, 1, 200, false)
	body := make([]byte, 30000)
	n := p.c.WriteData(1, body, true)
	p.expect("HEADERS 1 END_HEADERS", "DATA 1 16384", "DATA 1 3616")
	if n != 20000 || p.c.SendWindow(1) != 0 {
		t.Fatalf("WriteData = %d, window %d", n, p.c.SendWindow(1))
	}
	p.feed(wu(1, 50000))
	p.events("headers 1 GET / end", "window 1")
	if n := p.c.WriteData(1, body[n:], true); n != 10000 {
		t.Fatalf("second WriteData = %d", n)
	}
	p.expect("DATA 1 10000 END_STREAM")
	if p.c.ActiveStreams() != 0 {
		t.Fatal("not closed")
	}
}

func TestRFC9113_6_9_WriteDataConnWindow(t *testing.T) {
	p := newServer(t, nil)
	p.feed(settings(Setting{SettingInitialWindowSize, 1 << 20}), headers(1, true, p.req("GET", "/")), headers(3, true, p.req("GET", "/")))
	respond(p.c, 1, 200, false)
	respond(p.c, 3, 200, false)
	p.frames()
	if n := p.c.WriteData(1, make([]byte, 60000), false); n != 60000 {
		t.Fatal(n)
	}
	if n := p.c.WriteData(3, make([]byte, 60000), false); n != 5535 {
		t.Fatalf("second stream got %d of the connection window", n)
	}
	if n := p.c.WriteData(3, nil, true); n != 0 {
		t.Fatal(n)
	}
	p.frames()
	if p.c.ActiveStreams() != 1 {
		t.Fatal("empty END_STREAM DATA did not close stream 3")
	}
}

// A big head is split by the peer's MAX_FRAME_SIZE into HEADERS and
// CONTINUATION frames, which decode back to the head (sections 4.3, 6.10).
func TestRFC9113_4_3_ContinuationSplit(t *testing.T) {
	p := newServer(t, nil)
	p.feed(headers(1, true, p.req("GET", "/")))
	big := string(bytes.Repeat([]byte("~"), 40000))
	respond(p.c, 1, 200, true, "x-big", big)
	out := bytes.Clone(p.c.Output())
	p.expect("HEADERS 1 END_STREAM", "CONTINUATION 1", "CONTINUATION 1 END_HEADERS")
	var block []byte
	for rest := out; len(rest) > 0; {
		f, n, _ := ReadFrame(rest, DefaultMaxFrameSize)
		block, rest = append(block, f.Data...), rest[n:]
	}
	var d HeadDecoder
	d.Init(1<<20, 4096)
	h, err := d.Decode(block, HeadResponse)
	if err != nil || h.Status != 200 || len(h.Fields) != 1 || string(h.Fields[0].Value) != big {
		t.Fatalf("%v %+v", err, h)
	}
}
