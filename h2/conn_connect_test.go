package h2

import "testing"

// ourSettings decodes the SETTINGS frame a Conn sends at Start.
func ourSettings(t *testing.T, role Role, cfg *Config) map[SettingID]uint32 {
	t.Helper()
	c := NewConn(role, cfg, &recorder{})
	c.Start()
	out := c.Output()
	if role == Client {
		out = out[len(ClientPreface):]
	}
	f, _, err := ReadFrame(out, DefaultMaxFrameSize)
	if err != nil || f.Type != FrameSettings {
		t.Fatalf("%v %v", f.Type, err)
	}
	got := map[SettingID]uint32{}
	for i := range f.NumSettings() {
		got[f.Setting(i).ID] = f.Setting(i).Val
	}
	return got
}

// TestRFC8441_3_EnableConnectProtocol: a server advertises
// SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 by default and not when disabled; a
// client never does (the setting is the server's offer).
func TestRFC8441_3_EnableConnectProtocol(t *testing.T) {
	if v, ok := ourSettings(t, Server, nil)[SettingEnableConnectProtocol]; !ok || v != 1 {
		t.Fatalf("server default: %d %v, want 1", v, ok)
	}
	if _, ok := ourSettings(t, Server, &Config{DisableConnectProtocol: true})[SettingEnableConnectProtocol]; ok {
		t.Fatal("server with DisableConnectProtocol advertises it")
	}
	if _, ok := ourSettings(t, Client, nil)[SettingEnableConnectProtocol]; ok {
		t.Fatal("client advertises ENABLE_CONNECT_PROTOCOL")
	}
}

// TestRFC8441_4_ExtendedConnectStream: an extended CONNECT opens a stream
// whose DATA flows both ways like any request's; without the setting it is
// reset with PROTOCOL_ERROR and the connection goes on.
func TestRFC8441_4_ExtendedConnectStream(t *testing.T) {
	ext := func(p *peer) []byte {
		return p.block(":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":authority", "example.com", ":path", "/chat")
	}
	p := newServer(t, nil)
	p.feed(headers(1, false, ext(p)), data(1, false, "frame"))
	p.events(`headers 1 CONNECT /chat`, `data 1 "frame"`)

	p = newServer(t, &Config{DisableConnectProtocol: true})
	p.feed(headers(1, false, ext(p)))
	p.expect("RST_STREAM 1 PROTOCOL_ERROR")
	p.feed(headers(3, true, p.req("GET", "/")))
	p.events("headers 3 GET / end")
}
