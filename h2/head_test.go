package h2

import (
	"errors"
	"fmt"
	"testing"

	"github.com/velox-proxy/velox/h2/hpack"
)

// reqBase is a well-formed request's pseudo-headers, as name/value pairs.
var reqBase = []string{":method", "GET", ":scheme", "https", ":authority", "example.com", ":path", "/"}

// blockOf encodes name/value pairs statelessly, whatever they hold.
func blockOf(kv ...string) []byte {
	var b []byte
	for i := 0; i < len(kv); i += 2 {
		b = hpack.AppendField(b, []byte(kv[i]), []byte(kv[i+1]), false)
	}
	return b
}

func newHeadDecoder() *HeadDecoder {
	d := &HeadDecoder{ExtendedConnect: true}
	d.Init(16<<10, hpack.DefaultTableSize)
	return d
}

func request(kv ...string) []string { return append(append([]string(nil), reqBase...), kv...) }

func wantOK(t *testing.T, kind HeadKind, kv ...string) *Head {
	t.Helper()
	h, err := newHeadDecoder().Decode(blockOf(kv...), kind)
	if err != nil {
		t.Fatalf("%q: %v, want accepted", kv, err)
	}
	return h
}

func wantMalformed(t *testing.T, kind HeadKind, kv ...string) {
	t.Helper()
	_, err := newHeadDecoder().Decode(blockOf(kv...), kind)
	var se StreamError
	if !errors.As(err, &se) || se.Code != ErrCodeProtocol || se.StreamID != 0 {
		t.Fatalf("%q: %v, want StreamError{0, PROTOCOL_ERROR}", kv, err)
	}
}

func TestRFC9113_8_3_1_WellFormedRequest(t *testing.T) {
	h := wantOK(t, HeadRequest, request("host", "example.com", "cookie", "a=1", "cookie", "b=2", "te", "trailers", "content-length", "12")...)
	if string(h.Method) != "GET" || string(h.Scheme) != "https" || string(h.Authority) != "example.com" || string(h.Path) != "/" {
		t.Fatalf("pseudo-headers %+v", h)
	}
	if h.Protocol != nil || h.Status != 0 || h.ContentLength != 12 {
		t.Fatalf("protocol %q status %d content-length %d", h.Protocol, h.Status, h.ContentLength)
	}
	want := []string{"host", "example.com", "cookie", "a=1", "cookie", "b=2", "te", "trailers", "content-length", "12"}
	if len(h.Fields)*2 != len(want) {
		t.Fatalf("fields %s", fieldsString(h.Fields))
	}
	for i, f := range h.Fields {
		if string(f.Name) != want[2*i] || string(f.Value) != want[2*i+1] {
			t.Fatalf("field %d: %q: %q, want %q: %q", i, f.Name, f.Value, want[2*i], want[2*i+1])
		}
	}
}

func TestRFC9113_8_3_1_NoContentLength(t *testing.T) {
	if h := wantOK(t, HeadRequest, reqBase...); h.ContentLength != -1 || len(h.Fields) != 0 {
		t.Fatalf("content-length %d, fields %s", h.ContentLength, fieldsString(h.Fields))
	}
}

func TestRFC9113_8_2_1_UppercaseName(t *testing.T) {
	wantMalformed(t, HeadRequest, request("X-Foo", "bar")...)
	wantMalformed(t, HeadTrailers, "Grpc-Status", "0")
}

func TestRFC9113_8_2_1_EmptyName(t *testing.T) {
	wantMalformed(t, HeadRequest, request("", "bar")...)
}

func TestRFC9113_8_2_1_NonTokenName(t *testing.T) {
	for _, name := range []string{"x foo", "x:foo", "x\x00", "x\r", "x\n", "x\x7f", "x\xff", "(x)"} {
		wantMalformed(t, HeadRequest, request(name, "bar")...)
	}
}

func TestRFC9113_8_2_1_ValueForbiddenChars(t *testing.T) {
	for _, v := range []string{"a\x00b", "a\rb", "a\nb", "\n"} {
		wantMalformed(t, HeadRequest, request("x-foo", v)...)
	}
	wantMalformed(t, HeadRequest, ":method", "GET", ":scheme", "https", ":path", "/\r\n")
}

func TestRFC9113_8_2_1_ValueSurroundingWhitespace(t *testing.T) {
	for _, v := range []string{" a", "a ", "\ta", "a\t", " "} {
		wantMalformed(t, HeadRequest, request("x-foo", v)...)
	}
	wantOK(t, HeadRequest, request("x-foo", "a \t b", "x-empty", "")...)
}

func TestRFC9113_8_2_2_ConnectionSpecific(t *testing.T) {
	for _, name := range []string{"connection", "proxy-connection", "keep-alive", "transfer-encoding", "upgrade"} {
		wantMalformed(t, HeadRequest, request(name, "x")...)
		wantMalformed(t, HeadResponse, ":status", "200", name, "x")
	}
}

func TestRFC9113_8_2_2_TE(t *testing.T) {
	wantOK(t, HeadRequest, request("te", "trailers")...)
	for _, v := range []string{"gzip", "trailers, deflate", "trailers;q=1", ""} {
		wantMalformed(t, HeadRequest, request("te", v)...)
	}
}

func TestRFC9113_8_3_PseudoAfterRegular(t *testing.T) {
	wantMalformed(t, HeadRequest, ":method", "GET", ":scheme", "https", "x-foo", "bar", ":path", "/")
	wantMalformed(t, HeadResponse, "x-foo", "bar", ":status", "200")
}

func TestRFC9113_8_3_UnknownPseudo(t *testing.T) {
	wantMalformed(t, HeadRequest, request(":foo", "bar")...)
	wantMalformed(t, HeadRequest, append([]string{":", "x"}, reqBase...)...)
	wantMalformed(t, HeadResponse, ":status", "200", ":foo", "bar")
}

func TestRFC9113_8_3_ResponsePseudoInRequest(t *testing.T) {
	wantMalformed(t, HeadRequest, append([]string{":status", "200"}, reqBase...)...)
}

func TestRFC9113_8_3_RequestPseudoInResponse(t *testing.T) {
	for _, name := range []string{":method", ":scheme", ":authority", ":path", ":protocol"} {
		wantMalformed(t, HeadResponse, ":status", "200", name, "x")
	}
}

func TestRFC9113_8_1_PseudoInTrailers(t *testing.T) {
	for _, name := range []string{":method", ":scheme", ":authority", ":path", ":protocol", ":status"} {
		wantMalformed(t, HeadTrailers, name, "x")
	}
	h := wantOK(t, HeadTrailers, "grpc-status", "0", "grpc-message", "")
	if len(h.Fields) != 2 || h.Method != nil || h.Status != 0 {
		t.Fatalf("trailers %+v", h)
	}
}

func TestRFC9113_8_3_DuplicatedPseudo(t *testing.T) {
	for _, p := range []string{":method", ":scheme", ":authority", ":path"} {
		wantMalformed(t, HeadRequest, append([]string{p, "x"}, reqBase...)...)
	}
	wantMalformed(t, HeadResponse, ":status", "200", ":status", "200")
}

func TestRFC9113_8_3_1_MissingPseudo(t *testing.T) {
	wantMalformed(t, HeadRequest, ":scheme", "https", ":path", "/")
	wantMalformed(t, HeadRequest, ":method", "GET", ":path", "/")
	wantMalformed(t, HeadRequest, ":method", "GET", ":scheme", "https")
	wantMalformed(t, HeadRequest, ":method", "", ":scheme", "https", ":path", "/")
	wantMalformed(t, HeadRequest, ":method", "G T", ":scheme", "https", ":path", "/")
	wantMalformed(t, HeadRequest)
	wantOK(t, HeadRequest, ":method", "GET", ":scheme", "https", ":path", "/") // no :authority
}

func TestRFC9113_8_3_1_EmptyPath(t *testing.T) {
	wantMalformed(t, HeadRequest, ":method", "GET", ":scheme", "http", ":path", "")
	wantMalformed(t, HeadRequest, ":method", "GET", ":scheme", "https", ":path", "*")
	wantMalformed(t, HeadRequest, ":method", "GET", ":scheme", "https", ":path", "x")
	wantOK(t, HeadRequest, ":method", "OPTIONS", ":scheme", "https", ":path", "*")
	wantOK(t, HeadRequest, ":method", "GET", ":scheme", "foo", ":path", "")
}

func TestRFC9113_8_5_Connect(t *testing.T) {
	h := wantOK(t, HeadRequest, ":method", "CONNECT", ":authority", "example.com:443")
	if h.Scheme != nil || h.Path != nil || string(h.Authority) != "example.com:443" {
		t.Fatalf("%+v", h)
	}
	wantMalformed(t, HeadRequest, ":method", "CONNECT")
	wantMalformed(t, HeadRequest, ":method", "CONNECT", ":authority", "a:1", ":scheme", "https")
	wantMalformed(t, HeadRequest, ":method", "CONNECT", ":authority", "a:1", ":path", "/")
}

func TestRFC8441_4_ExtendedConnect(t *testing.T) {
	h := wantOK(t, HeadRequest, ":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":path", "/chat", ":authority", "a")
	if string(h.Protocol) != "websocket" || string(h.Path) != "/chat" {
		t.Fatalf("%+v", h)
	}
	wantMalformed(t, HeadRequest, ":method", "CONNECT", ":protocol", "websocket", ":authority", "a")
	wantMalformed(t, HeadRequest, ":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":path", "/chat")
	wantMalformed(t, HeadRequest, request(":protocol", "websocket")...) // not CONNECT
	wantMalformed(t, HeadRequest, ":method", "CONNECT", ":protocol", "", ":scheme", "https", ":path", "/chat", ":authority", "a")
	wantMalformed(t, HeadRequest, ":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":path", "chat", ":authority", "a")
}

// TestRFC8441_4_ExtendedConnectNotAdvertised: without
// SETTINGS_ENABLE_CONNECT_PROTOCOL, a request with :protocol is malformed;
// a plain CONNECT (RFC 9113 section 8.5) is still a request.
func TestRFC8441_4_ExtendedConnectNotAdvertised(t *testing.T) {
	d := &HeadDecoder{}
	d.Init(16<<10, hpack.DefaultTableSize)
	ext := blockOf(":method", "CONNECT", ":protocol", "websocket", ":scheme", "https", ":path", "/chat", ":authority", "a")
	var se StreamError
	if _, err := d.Decode(ext, HeadRequest); !errors.As(err, &se) || se.Code != ErrCodeProtocol {
		t.Fatalf("extended CONNECT not advertised: %v, want PROTOCOL_ERROR", err)
	}
	if h, err := d.Decode(blockOf(":method", "CONNECT", ":authority", "a:443"), HeadRequest); err != nil || h.Protocol != nil {
		t.Fatalf("plain CONNECT: %v %+v", err, h)
	}
	d.ExtendedConnect = true
	if h, err := d.Decode(ext, HeadRequest); err != nil || string(h.Protocol) != "websocket" {
		t.Fatalf("extended CONNECT advertised: %v %+v", err, h)
	}
}

func TestRFC9113_8_1_1_ContentLength(t *testing.T) {
	if h := wantOK(t, HeadRequest, request("content-length", "0", "content-length", "0")...); h.ContentLength != 0 {
		t.Fatalf("content-length %d", h.ContentLength)
	}
	for _, v := range []string{"", "-1", "+1", "1.0", "0x10", "1,1", "1 1", "9999999999999999999"} {
		wantMalformed(t, HeadRequest, request("content-length", v)...)
	}
	wantMalformed(t, HeadRequest, request("content-length", "1", "content-length", "2")...)
	if h := wantOK(t, HeadResponse, ":status", "200", "content-length", "123456789012"); h.ContentLength != 123456789012 {
		t.Fatalf("content-length %d", h.ContentLength)
	}
}

func TestRFC9113_8_3_2_Status(t *testing.T) {
	if h := wantOK(t, HeadResponse, ":status", "204", "server", "x"); h.Status != 204 || len(h.Fields) != 1 {
		t.Fatalf("%+v", h)
	}
	if h := wantOK(t, HeadResponse, ":status", "103", "link", "</a>"); h.Status != 103 {
		t.Fatalf("status %d", h.Status)
	}
	for _, v := range []string{"", "20", "2000", "20x", "099", " 200", "-20"} {
		wantMalformed(t, HeadResponse, ":status", v)
	}
	wantMalformed(t, HeadResponse, "server", "x")
}

func TestRFC9113_8_3_1_HostAndAuthority(t *testing.T) {
	h := wantOK(t, HeadRequest, request("host", "other.example")...)
	if string(h.Authority) != "example.com" || string(h.Fields[0].Value) != "other.example" {
		t.Fatalf("%+v", h)
	}
}

func TestRFC9113_8_2_3_CookieCrumbsKept(t *testing.T) {
	h := wantOK(t, HeadRequest, request("cookie", "a=1", "x-foo", "y", "cookie", "b=2")...)
	if len(h.Fields) != 3 || string(h.Fields[0].Value) != "a=1" || string(h.Fields[2].Value) != "b=2" {
		t.Fatalf("%+v", h.Fields)
	}
}

func TestRFC9113_4_3_CompressionError(t *testing.T) {
	d := newHeadDecoder()
	for _, b := range [][]byte{{0xff}, {0x80}, {0x41}, {0xbe}} { // truncated, index 0, truncated literal, index 62 empty table
		_, err := d.Decode(b, HeadRequest)
		if err != ConnectionError(ErrCodeCompression) {
			t.Fatalf("%x: %v, want COMPRESSION_ERROR", b, err)
		}
		d = newHeadDecoder()
	}
}

// indexedRequest is a request whose x-foo enters the dynamic table.
func indexingBlock(kv ...string) []byte {
	e := hpack.NewEncoder(hpack.DefaultTableSize)
	var b []byte
	for i := 0; i < len(kv); i += 2 {
		b = e.AppendField(b, []byte(kv[i]), []byte(kv[i+1]), false)
	}
	return b
}

// TestRFC9113_8_1_1_MalformedKeepsTableInSync: a malformed block is decoded
// to its end, so a field it indexed after the malformation is there for the
// next block.
func TestRFC9113_8_1_1_MalformedKeepsTableInSync(t *testing.T) {
	d := newHeadDecoder()
	bad := indexingBlock(":method", "GET", "Bad", "x", ":scheme", "https", ":path", "/", "x-after", "v")
	if _, err := d.Decode(bad, HeadRequest); !errors.As(err, new(StreamError)) {
		t.Fatalf("got %v, want a StreamError", err)
	}
	next := append(blockOf(reqBase...), 0x80|62) // newest dynamic entry: x-after: v
	h, err := d.Decode(next, HeadRequest)
	if err != nil || len(h.Fields) != 1 || string(h.Fields[0].Name) != "x-after" {
		t.Fatalf("next block: %+v, %v", h, err)
	}
}

func TestRFC9113_6_5_2_HeaderListTooLarge(t *testing.T) {
	d := &HeadDecoder{}
	d.Init(400, hpack.DefaultTableSize)
	big := make([]byte, 200)
	for i := range big {
		big[i] = 'a'
	}
	block := indexingBlock(append(request("x-big", string(big[:100])), "x-more", string(big[:150]))...)
	if _, err := d.Decode(block, HeadRequest); !errors.Is(err, ErrHeaderListTooLarge) {
		t.Fatalf("got %v, want ErrHeaderListTooLarge", err)
	}
	next := append(blockOf(reqBase...), 0x80|62) // x-more, indexed past the limit
	h, err := d.Decode(next, HeadRequest)
	if err != nil || len(h.Fields) != 1 || string(h.Fields[0].Name) != "x-more" {
		t.Fatalf("next block: %+v, %v", h, err)
	}
}

func TestHeadDecoderZeroValue(t *testing.T) {
	var d HeadDecoder
	if _, err := d.Decode(blockOf(reqBase...), HeadRequest); err != nil {
		t.Fatal(err)
	}
}

// TestHeadDecodeBuffersReused: a second Decode overwrites the first Head, as
// documented, and slices do not overlap each other.
func TestHeadDecodeBuffersReused(t *testing.T) {
	d := newHeadDecoder()
	h1, _ := d.Decode(blockOf(request("x-a", "1")...), HeadRequest)
	h2, _ := d.Decode(blockOf(request("x-b", "2")...), HeadRequest)
	if h1 != h2 || string(h2.Fields[0].Name) != "x-b" {
		t.Fatalf("%+v", h2)
	}
	h2.Fields[0].Name = append(h2.Fields[0].Name, 'z') // capped: must not clobber the value
	if string(h2.Fields[0].Value) != "2" {
		t.Fatalf("value clobbered: %q", h2.Fields[0].Value)
	}
}

func TestHeadEncoderLowerCasesAndSkips(t *testing.T) {
	var e HeadEncoder
	e.Init(hpack.DefaultTableSize)
	h := &Head{Method: []byte("GET"), Scheme: []byte("http"), Path: []byte("/"), Authority: []byte("a"), Fields: []Field{
		{Name: []byte("Content-Type"), Value: []byte("text/plain")},
		{Name: []byte("Connection"), Value: []byte("keep-alive")},
		{Name: []byte("Keep-Alive"), Value: []byte("timeout=5")},
		{Name: []byte("Transfer-Encoding"), Value: []byte("chunked")},
		{Name: []byte("Upgrade"), Value: []byte("h2c")},
		{Name: []byte("Proxy-Connection"), Value: []byte("close")},
		{Name: []byte("TE"), Value: []byte("gzip")},
		{Name: []byte("TE"), Value: []byte("trailers")},
		{Name: []byte(":bogus"), Value: []byte("x")},
		{Name: []byte("Authorization"), Value: []byte("secret"), Sensitive: true},
	}}
	got, err := newHeadDecoder().Decode(e.AppendBlock(nil, h), HeadRequest)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"content-type", "text/plain", "te", "trailers", "authorization", "secret"}
	if len(got.Fields)*2 != len(want) {
		t.Fatalf("fields %s", fieldsString(got.Fields))
	}
	for i, f := range got.Fields {
		if string(f.Name) != want[2*i] || string(f.Value) != want[2*i+1] {
			t.Fatalf("field %d: %q: %q", i, f.Name, f.Value)
		}
	}
	if !got.Fields[2].Sensitive || got.Fields[0].Sensitive {
		t.Fatal("sensitivity not carried")
	}
	if string(h.Fields[0].Name) != "Content-Type" {
		t.Fatal("encoder changed the caller's name")
	}
}

func TestHeadEncoderStatusAndTrailers(t *testing.T) {
	var e HeadEncoder
	e.Init(hpack.DefaultTableSize)
	d := newHeadDecoder()
	for _, status := range []int{200, 404, 103, 599} {
		got, err := d.Decode(e.AppendBlock(nil, &Head{Status: status}), HeadResponse)
		if err != nil || got.Status != status {
			t.Fatalf("status %d: %+v, %v", status, got, err)
		}
	}
	got, err := d.Decode(e.AppendTrailers(nil, []Field{{Name: []byte("Grpc-Status"), Value: []byte("0")}}), HeadTrailers)
	if err != nil || len(got.Fields) != 1 || string(got.Fields[0].Name) != "grpc-status" {
		t.Fatalf("%+v, %v", got, err)
	}
}

func fieldsString(fs []Field) string {
	s := "["
	for _, f := range fs {
		s += string(f.Name) + ": " + string(f.Value) + "; "
	}
	return s + "]"
}

// h2loadRequest is the request h2load repeats: after the first block every
// field is indexed.
var h2loadRequest = &Head{
	Method: []byte("GET"), Scheme: []byte("http"), Authority: []byte("127.0.0.1:8080"), Path: []byte("/index.html"),
	Fields: []Field{
		{Name: []byte("accept"), Value: []byte("*/*")},
		{Name: []byte("accept-encoding"), Value: []byte("gzip, deflate")},
		{Name: []byte("user-agent"), Value: []byte("h2load nghttp2/1.64.0")},
	},
	ContentLength: -1,
}

// TestZeroAllocHeadDecode: decoding h2load's repeated, indexed request block
// and a literal one allocates nothing in the steady state.
func TestZeroAllocHeadDecode(t *testing.T) {
	var e HeadEncoder
	e.Init(hpack.DefaultTableSize)
	first := e.AppendBlock(nil, h2loadRequest)
	indexed := e.AppendBlock(nil, h2loadRequest)
	if len(indexed) >= len(first) || len(indexed) > 8 {
		t.Fatalf("second block %d bytes, first %d: not indexed", len(indexed), len(first))
	}
	d := newHeadDecoder()
	if _, err := d.Decode(first, HeadRequest); err != nil {
		t.Fatal(err)
	}
	literal := blockOf(request("x-request-id", "7b1e6c0a-3d2f", "cookie", "a=1", "cookie", "b=2", "content-length", "5")...)
	for name, block := range map[string][]byte{"indexed": indexed, "literal": literal} {
		if _, err := d.Decode(block, HeadRequest); err != nil {
			t.Fatal(err)
		}
		check(t, name, func() {
			if h, err := d.Decode(block, HeadRequest); err != nil || h.Method == nil {
				t.Fatal(h, err)
			}
		})
	}
	malformed := blockOf(request("connection", "close")...)
	check(t, "malformed", func() {
		if _, err := d.Decode(malformed, HeadRequest); err == nil {
			t.Fatal("accepted")
		}
	})
}

// TestZeroAllocHeadEncode: encoding the request, lower-casing a mixed-case
// name, and a response allocates nothing when dst has room.
func TestZeroAllocHeadEncode(t *testing.T) {
	var e HeadEncoder
	e.Init(hpack.DefaultTableSize)
	dst := make([]byte, 0, 1024)
	resp := &Head{Status: 200, Fields: []Field{{Name: []byte("Content-Type"), Value: []byte("text/html")}, {Name: []byte("Connection"), Value: []byte("close")}}}
	check(t, "encode", func() {
		dst = e.AppendBlock(dst[:0], h2loadRequest)
		dst = e.AppendBlock(dst[:0], resp)
	})
}

func BenchmarkHeadDecode(b *testing.B) {
	var e HeadEncoder
	e.Init(hpack.DefaultTableSize)
	first := e.AppendBlock(nil, h2loadRequest)
	indexed := e.AppendBlock(nil, h2loadRequest)
	d := newHeadDecoder()
	_, _ = d.Decode(first, HeadRequest)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = d.Decode(indexed, HeadRequest)
	}
}

// TestHeadEncoderMemo: heads relayed one after another, their names in
// any case, their fields moving, one value changing, decode to the fields
// given (lower-cased, the forbidden ones left out), and a repeated head
// costs an index per field.
func TestHeadEncoderMemo(t *testing.T) {
	var e HeadEncoder
	e.Init(hpack.DefaultTableSize)
	d := newHeadDecoder()
	fields := func(date string, swap bool) []Field {
		fs := []Field{
			{Name: []byte("Server"), Value: []byte("nginx")},
			{Name: []byte("Date"), Value: []byte(date)},
			{Name: []byte("Connection"), Value: []byte("keep-alive")},
			{Name: []byte("content-LENGTH"), Value: []byte("12")},
			{Name: []byte("TE"), Value: []byte("gzip")},
		}
		if swap {
			fs[0], fs[3] = fs[3], fs[0]
		}
		return fs
	}
	var last int
	for i := range 50 {
		h := &Head{Status: 200, ContentLength: -1, Fields: fields(fmt.Sprint("day ", i/10), i%7 == 3)}
		block := e.AppendBlock(nil, h)
		got, err := d.Decode(block, HeadResponse)
		if err != nil {
			t.Fatalf("head %d: %v", i, err)
		}
		want := "[server: nginx; date: day " + fmt.Sprint(i/10) + "; content-length: 12; ]"
		if i%7 == 3 {
			want = "[content-length: 12; date: day " + fmt.Sprint(i/10) + "; server: nginx; ]"
		}
		if s := fieldsString(got.Fields); s != want || got.Status != 200 {
			t.Fatalf("head %d: %d %s, want %s", i, got.Status, s, want)
		}
		last = len(block)
	}
	if last != 4 {
		t.Errorf("a repeated head is %d bytes, want 4 (one index per field)", last)
	}
}

// BenchmarkHeadEncodeResponse: the head velox relays from nginx, names
// as nginx writes them.
func BenchmarkHeadEncodeResponse(b *testing.B) {
	var e HeadEncoder
	e.Init(hpack.DefaultTableSize)
	h := &Head{Status: 200, ContentLength: -1, Fields: []Field{
		{Name: []byte("Server"), Value: []byte("nginx/1.22.1")},
		{Name: []byte("Date"), Value: []byte("Tue, 01 Dec 2026 14:32:19 GMT")},
		{Name: []byte("Content-Type"), Value: []byte("application/octet-stream")},
		{Name: []byte("Content-Length"), Value: []byte("12")},
		{Name: []byte("via"), Value: []byte("1.1 velox")},
	}}
	dst := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		dst = e.AppendBlock(dst[:0], h)
	}
}

// TestPseudoIndex: the switch agrees with pseudoNames.
func TestPseudoIndex(t *testing.T) {
	for i, n := range pseudoNames {
		if got := pseudoIndex([]byte(n)); got != i {
			t.Errorf("pseudoIndex(%q) = %d, want %d", n, got, i)
		}
	}
	for _, n := range []string{":", ":Method", ":methods", "method", ""} {
		if got := pseudoIndex([]byte(n)); got != -1 {
			t.Errorf("pseudoIndex(%q) = %d, want -1", n, got)
		}
	}
}
