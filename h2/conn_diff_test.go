package h2

import (
	"bytes"
	"testing"

	"golang.org/x/net/http2"
	xhpack "golang.org/x/net/http2/hpack"
)

// Differential cases: the peer's frames written by x/net's Framer and
// HPACK encoder, and our Output read by x/net's Framer with its HPACK
// decoder.

func xnetBlock(fields ...string) []byte {
	var b bytes.Buffer
	enc := xhpack.NewEncoder(&b)
	for i := 0; i+1 < len(fields); i += 2 {
		enc.WriteField(xhpack.HeaderField{Name: fields[i], Value: fields[i+1]})
	}
	return b.Bytes()
}

func TestRFC9113_6_XNetFramerClient(t *testing.T) {
	p := newServer(t, nil)
	var buf bytes.Buffer
	fr := http2.NewFramer(&buf, nil)
	block := xnetBlock(":method", "POST", ":scheme", "https", ":authority", "a.example", ":path", "/x",
		"content-length", "6", "x-long", string(bytes.Repeat([]byte("q"), 100)))
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block[:10], PadLength: 3,
		Priority: http2.PriorityParam{StreamDep: 0, Weight: 200}})
	fr.WriteContinuation(1, false, block[10:40])
	fr.WriteContinuation(1, true, block[40:])
	fr.WritePriority(1, http2.PriorityParam{StreamDep: 0, Weight: 1})
	fr.WriteDataPadded(1, false, []byte("abc"), make([]byte, 10))
	fr.WriteWindowUpdate(1, 1000)
	fr.WritePing(false, [8]byte{1, 2})
	fr.WriteData(1, true, []byte("def"))
	p.feed(buf.Bytes())
	p.events("headers 1 POST /x", `data 1 "abc"`, "window 1", `data 1 "def" end`)
	if f := p.r.fields[0]; len(f) != 2 || string(f[1].Value) != string(bytes.Repeat([]byte("q"), 100)) {
		t.Fatalf("fields %v", f)
	}
	p.expect("PING ACK")
}

// Our response heads, split into CONTINUATIONs and using our dynamic table,
// decode with x/net's MetaHeadersFrame reader.
func TestRFC9113_4_3_XNetReadsOurHeaders(t *testing.T) {
	p := newServer(t, nil)
	for id := uint32(1); id <= 5; id += 2 {
		p.feed(headers(id, true, p.req("GET", "/")))
		respond(p.c, id, 200, true, "x-repeated", "same each time", "x-big", string(bytes.Repeat([]byte("~"), 20000)))
	}
	fr := http2.NewFramer(nil, bytes.NewReader(p.c.Output()))
	fr.ReadMetaHeaders = xhpack.NewDecoder(4096, nil)
	fr.MaxHeaderListSize = 1 << 20
	for id := uint32(1); id <= 5; id += 2 {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		mh, ok := f.(*http2.MetaHeadersFrame)
		if !ok || mh.StreamID != id || !mh.StreamEnded() || mh.PseudoValue("status") != "200" ||
			len(mh.RegularFields()) != 2 || mh.RegularFields()[0].Value != "same each time" || len(mh.RegularFields()[1].Value) != 20000 {
			t.Fatalf("frame %v", f)
		}
	}
}

// Our SETTINGS_HEADER_TABLE_SIZE binds the peer's encoder once it acked
// it: from then on a block must start with a size update to fit it.
func TestRFC9113_6_5_3_HeaderTableSizeOnAck(t *testing.T) {
	r := &recorder{}
	c := NewConn(Server, &Config{HeaderTableSize: 64}, r)
	c.Start()
	p := &peer{t: t, c: c, r: r, enc: newEnc()}
	p.frames()
	p.feed([]byte(ClientPreface), settings(), headers(1, true, p.req("GET", "/a", "x-idx", "v")))
	p.feed(headers(3, true, p.req("GET", "/b", "x-idx", "v")))
	p.events("headers 1 GET /a end", "headers 3 GET /b end")
	p.frames()
	p.feed(AppendSettingsAck(nil))
	p.feedFail(ErrCodeCompression, headers(5, true, p.req("GET", "/c", "x-idx", "v"))) // no size update
	c.Reinit(Server, &Config{HeaderTableSize: 64}, r)
	c.Start()
	p.enc = newEnc()
	p.frames()
	p.feed([]byte(ClientPreface), settings(), AppendSettingsAck(nil))
	p.frames()
	p.enc.SetMaxTableSize(64)
	p.feed(headers(5, true, p.req("GET", "/c", "x-idx", "v")))
	p.events("headers 5 GET /c end")
	p.feedFail(ErrCodeCompression, headers(7, true, []byte{0x3f, 100 - 31})) // an update to 100 > 64
}
