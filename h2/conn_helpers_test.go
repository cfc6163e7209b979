package h2

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/http2"

	"github.com/velox-proxy/velox/h2/hpack"
)

// The Conn tests play the peer: they write its frames with the Append*
// encoders (or x/net's Framer), feed them to a Conn, and check the events a
// recorder Handler saw and the frames in Output, read back with ReadFrame
// and, as a differential check, with x/net's Framer.

// event is one Handler call, as a string for easy comparison:
//
//	headers 1 GET /x end      (server) or headers 1 200 (client)
//	trailers 1 end
//	data 1 "abc" end
//	reset 1 CANCEL remote | reset 1 PROTOCOL_ERROR local
//	window 0
//	goaway 3 NO_ERROR
//	capacity
type recorder struct {
	events    []string
	onHeaders func(id uint32, h *Head, trailers, end bool)
	onData    func(id uint32, data []byte, end bool)
	fields    [][]Field // copies of each head's fields, in order
}

var _ Handler = (*recorder)(nil)

func (r *recorder) OnHeaders(id uint32, h *Head, trailers, end bool) {
	e := fmt.Sprintf("headers %d", id)
	switch {
	case trailers:
		e = fmt.Sprintf("trailers %d", id)
	case h.Status != 0:
		e += fmt.Sprintf(" %d", h.Status)
	default:
		e += fmt.Sprintf(" %s %s", h.Method, h.Path)
	}
	if end {
		e += " end"
	}
	r.events = append(r.events, e)
	var fs []Field
	for _, f := range h.Fields {
		fs = append(fs, Field{bytes.Clone(f.Name), bytes.Clone(f.Value), f.Sensitive})
	}
	r.fields = append(r.fields, fs)
	if r.onHeaders != nil {
		r.onHeaders(id, h, trailers, end)
	}
}

func (r *recorder) OnData(id uint32, data []byte, end bool) {
	e := fmt.Sprintf("data %d %q", id, data)
	if end {
		e += " end"
	}
	r.events = append(r.events, e)
	if r.onData != nil {
		r.onData(id, data, end)
	}
}

func (r *recorder) OnReset(id uint32, code ErrCode, remote bool) {
	side := "local"
	if remote {
		side = "remote"
	}
	r.events = append(r.events, fmt.Sprintf("reset %d %v %s", id, code, side))
}

func (r *recorder) OnSendWindow(id uint32) { r.events = append(r.events, fmt.Sprintf("window %d", id)) }

func (r *recorder) OnGoAway(last uint32, code ErrCode, debug []byte) {
	r.events = append(r.events, fmt.Sprintf("goaway %d %v", last, code))
}

func (r *recorder) OnCapacity() { r.events = append(r.events, "capacity") }

// take returns the events so far and forgets them.
func (r *recorder) take() []string {
	e := r.events
	r.events = nil
	return e
}

// peer is the test's end of a connection to a Conn under test.
type peer struct {
	t   testing.TB
	c   *Conn
	r   *recorder
	enc *hpack.Encoder
}

// newServer starts a server Conn and does the client's half of the
// connection preface: after it, Output is empty.
func newServer(t testing.TB, cfg *Config) *peer {
	t.Helper()
	p := &peer{t: t, r: &recorder{}, enc: hpack.NewEncoder(4096)}
	p.c = NewConn(Server, cfg, p.r)
	p.c.Start()
	if f := p.frames(); len(f) == 0 || f[0] != "SETTINGS" {
		t.Fatalf("Start: %q", f)
	}
	in := append([]byte(ClientPreface), AppendSettings(nil, nil)...)
	p.feed(in, AppendSettingsAck(nil))
	p.expect("SETTINGS ACK")
	p.r.take()
	return p
}

// newClient starts a client Conn and plays the server's preface.
func newClient(t *testing.T, cfg *Config, settings ...Setting) *peer {
	t.Helper()
	p := &peer{t: t, r: &recorder{}, enc: hpack.NewEncoder(4096)}
	p.c = NewConn(Client, cfg, p.r)
	p.c.Start()
	out := p.c.Output()
	if !bytes.HasPrefix(out, []byte(ClientPreface)) {
		t.Fatalf("no client preface: %q", out)
	}
	p.c.ClearOutput()
	p.feed(AppendSettings(nil, settings), AppendSettingsAck(nil))
	p.expect("SETTINGS ACK")
	p.r.take()
	return p
}

// feed feeds the concatenation of frames, expects it all consumed without
// error.
func (p *peer) feed(frames ...[]byte) {
	p.t.Helper()
	in := bytes.Join(frames, nil)
	n, err := p.c.Feed(in)
	if err != nil || n != len(in) {
		p.t.Fatalf("Feed: %d of %d, %v", n, len(in), err)
	}
}

// feedFail feeds frames and expects a connection error with code, and
// GOAWAY(code) as the last frame of Output.
func (p *peer) feedFail(code ErrCode, frames ...[]byte) {
	p.t.Helper()
	in := bytes.Join(frames, nil)
	_, err := p.c.Feed(in)
	if err != ConnectionError(code) {
		p.t.Fatalf("Feed error %v, want %v", err, ConnectionError(code))
	}
	got := p.frames()
	if len(got) == 0 || got[len(got)-1] != fmt.Sprintf("GOAWAY %d %v", p.c.maxPeerID, code) {
		p.t.Fatalf("output %q, want a GOAWAY %v last", got, code)
	}
	if n, err2 := p.c.Feed(in); n != 0 || err2 != err {
		p.t.Fatalf("Feed after the error: %d, %v", n, err2)
	}
}

// frames reads Output back and clears it, as strings:
//
//	HEADERS 1 [END_STREAM] [END_HEADERS] | CONTINUATION 1 [END_HEADERS]
//	DATA 1 <len> [END_STREAM] | RST_STREAM 1 CODE | SETTINGS [ACK]
//	PING [ACK] | GOAWAY <last> CODE | WINDOW_UPDATE <id> <inc>
func (p *peer) frames() []string {
	p.t.Helper()
	out := p.c.Output()
	diffOutput(p.t, out)
	var s []string
	for rest := out; len(rest) > 0; {
		f, n, err := ReadFrame(rest, MaxFrameSizeLimit)
		if err != nil {
			p.t.Fatalf("Output does not parse: %v at % x", err, rest[:min(len(rest), 20)])
		}
		rest = rest[n:]
		s = append(s, describe(&f))
	}
	p.c.ClearOutput()
	return s
}

func describe(f *Frame) string {
	switch f.Type {
	case FrameHeaders, FrameContinuation:
		d := fmt.Sprintf("%v %d", f.Type, f.StreamID)
		if f.Type == FrameHeaders && f.Flags.Has(FlagHeadersEndStream) {
			d += " END_STREAM"
		}
		if f.Flags.Has(FlagHeadersEndHeaders) {
			d += " END_HEADERS"
		}
		return d
	case FrameData:
		d := fmt.Sprintf("DATA %d %d", f.StreamID, len(f.Data))
		if f.Flags.Has(FlagDataEndStream) {
			d += " END_STREAM"
		}
		return d
	case FrameRSTStream:
		return fmt.Sprintf("RST_STREAM %d %v", f.StreamID, f.Code)
	case FrameSettings, FramePing:
		if f.Flags.Has(FlagSettingsAck) {
			return f.Type.String() + " ACK"
		}
		return f.Type.String()
	case FrameGoAway:
		return fmt.Sprintf("GOAWAY %d %v", f.LastStreamID, f.Code)
	case FrameWindowUpdate:
		return fmt.Sprintf("WINDOW_UPDATE %d", f.StreamID)
	}
	return f.Type.String()
}

// diffOutput reads out with x/net's Framer too: every frame Conn writes
// must be valid for it.
func diffOutput(t testing.TB, out []byte) {
	t.Helper()
	out = bytes.TrimPrefix(out, []byte(ClientPreface))
	fr := http2.NewFramer(nil, bytes.NewReader(out))
	fr.SetMaxReadFrameSize(MaxFrameSizeLimit)
	for {
		_, err := fr.ReadFrame()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("x/net reads our Output: %v", err)
			}
			return
		}
	}
}

// expect checks the frames in Output (see frames); WINDOW_UPDATE lines are
// compared without the increment.
func (p *peer) expect(want ...string) {
	p.t.Helper()
	got := p.frames()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		p.t.Fatalf("Output:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// events checks the Handler calls since the last check.
func (p *peer) events(want ...string) {
	p.t.Helper()
	got := p.r.take()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		p.t.Fatalf("events:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// block encodes a header block with the peer's HPACK encoder: pairs of
// name, value.
func (p *peer) block(kv ...string) []byte {
	var b []byte
	for i := 0; i+1 < len(kv); i += 2 {
		b = p.enc.AppendField(b, []byte(kv[i]), []byte(kv[i+1]), false)
	}
	return b
}

// req is a request block: method and path, then extra fields.
func (p *peer) req(method, path string, extra ...string) []byte {
	kv := append([]string{":method", method, ":scheme", "http", ":authority", "example.com", ":path", path}, extra...)
	return p.block(kv...)
}

// headers is one HEADERS frame with END_HEADERS.
func headers(id uint32, end bool, block []byte) []byte {
	return AppendHeaders(nil, id, end, block, MaxFrameSizeLimit)
}

func data(id uint32, end bool, s string) []byte { return AppendData(nil, id, end, []byte(s)) }

// paddedData is a DATA frame with pad bytes of padding.
func paddedData(id uint32, end bool, s string, pad int) []byte {
	fl := FlagDataPadded
	if end {
		fl |= FlagDataEndStream
	}
	p := append([]byte{byte(pad)}, s...)
	p = append(p, make([]byte, pad)...)
	return append(AppendFrameHeader(nil, FrameHeader{uint32(len(p)), FrameData, fl, id}), p...)
}

func rst(id uint32, code ErrCode) []byte { return AppendRSTStream(nil, id, code) }

func wu(id, inc uint32) []byte { return AppendWindowUpdate(nil, id, inc) }

func settings(s ...Setting) []byte { return AppendSettings(nil, s) }

func ping(ack bool, b byte) []byte { return AppendPing(nil, ack, [8]byte{b}) }

// rawFrame is a frame with any header and payload.
func rawFrame(t FrameType, fl Flags, id uint32, payload ...byte) []byte {
	return append(AppendFrameHeader(nil, FrameHeader{uint32(len(payload)), t, fl, id}), payload...)
}

// respond writes a response head on id.
func respond(c *Conn, id uint32, status int, end bool, kv ...string) error {
	h := &Head{Status: status, ContentLength: -1}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Fields = append(h.Fields, Field{Name: []byte(kv[i]), Value: []byte(kv[i+1])})
	}
	return c.WriteHeaders(id, h, end)
}

func newEnc() *hpack.Encoder { return hpack.NewEncoder(4096) }
