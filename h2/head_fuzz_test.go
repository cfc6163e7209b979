package h2

import (
	"bytes"
	"testing"

	"github.com/velox-proxy/velox/h2/hpack"
	xhpack "golang.org/x/net/http2/hpack"
)

// headPairs flattens a Head as the encoder sends it: pseudo-headers, then
// fields, as name/value/sensitive triples.
func headPairs(h *Head) []xhpack.HeaderField {
	var out []xhpack.HeaderField
	pseudo := [...][]byte{h.Method, h.Scheme, h.Authority, h.Path, h.Protocol}
	for i, v := range pseudo {
		if v != nil {
			out = append(out, xhpack.HeaderField{Name: pseudoNames[i], Value: string(v)})
		}
	}
	if h.Status != 0 {
		out = append(out, xhpack.HeaderField{Name: ":status", Value: string(appendStatus(nil, h.Status))})
	}
	for _, f := range h.Fields {
		out = append(out, xhpack.HeaderField{Name: string(f.Name), Value: string(f.Value), Sensitive: f.Sensitive})
	}
	return out
}

func appendStatus(dst []byte, s int) []byte {
	return append(dst, byte('0'+s/100%10), byte('0'+s/10%10), byte('0'+s%10))
}

func fieldsOf(kv ...string) []Field {
	var fs []Field
	for i := 0; i < len(kv); i += 2 {
		fs = append(fs, Field{Name: []byte(kv[i]), Value: []byte(kv[i+1])})
	}
	return fs
}

func equalHF(a, b []xhpack.HeaderField) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// diffHeads are requests and responses sent in turn on one connection, so
// later blocks index into the table the earlier ones filled.
func diffHeads() []*Head {
	req := func(path string, kv ...string) *Head {
		return &Head{Method: []byte("GET"), Scheme: []byte("https"), Authority: []byte("api.example.com"), Path: []byte(path), Fields: fieldsOf(kv...)}
	}
	auth := req("/secret", "authorization", "Bearer abc")
	auth.Fields[0].Sensitive = true
	return []*Head{
		req("/", "user-agent", "curl/8.5", "accept", "*/*", "x-request-id", "1"),
		req("/", "user-agent", "curl/8.5", "accept", "*/*", "x-request-id", "2"),
		req("/v1/users/12345?fields=name", "cookie", "a=1", "cookie", "b=2", "x-long-custom-header-name", "v"),
		auth,
		{Status: 200, Fields: fieldsOf("content-type", "application/json", "content-length", "42")},
		{Status: 404, Fields: fieldsOf("content-type", "application/json", "server", "velox")},
		{Method: []byte("CONNECT"), Authority: []byte("example.com:443")},
		{Method: []byte("CONNECT"), Protocol: []byte("websocket"), Scheme: []byte("https"), Authority: []byte("a"), Path: []byte("/chat")},
	}
}

// TestHeadEncodeDiffXNet: blocks from HeadEncoder decode in x/net's HPACK
// decoder to the pseudo-headers and fields given, sensitivity included,
// across blocks sharing a table and through a peer's table size change.
func TestHeadEncodeDiffXNet(t *testing.T) {
	var e HeadEncoder
	e.Init(hpack.DefaultTableSize)
	xd := xhpack.NewDecoder(hpack.DefaultTableSize, nil)
	for round := range 3 {
		if round == 2 {
			e.SetPeerMaxTableSize(256)
		}
		for i, h := range diffHeads() {
			got, err := xd.DecodeFull(e.AppendBlock(nil, h))
			if err != nil {
				t.Fatalf("round %d head %d: x/net: %v", round, i, err)
			}
			if want := headPairs(h); !equalHF(got, want) {
				t.Fatalf("round %d head %d:\n x/net %v\n  want %v", round, i, got, want)
			}
		}
	}
}

// TestHeadDecodeDiffXNet: blocks from x/net's HPACK encoder (with its
// dynamic table) decode to the fields it was given.
func TestHeadDecodeDiffXNet(t *testing.T) {
	var buf bytes.Buffer
	xe := xhpack.NewEncoder(&buf)
	d := newHeadDecoder()
	for round := range 3 {
		for i, h := range diffHeads() {
			buf.Reset()
			want := headPairs(h)
			for _, f := range want {
				if err := xe.WriteField(f); err != nil {
					t.Fatal(err)
				}
			}
			kind := HeadRequest
			if h.Status != 0 {
				kind = HeadResponse
			}
			got, err := d.Decode(buf.Bytes(), kind)
			if err != nil {
				t.Fatalf("round %d head %d: %v", round, i, err)
			}
			if g := headPairs(got); !equalHF(g, want) {
				t.Fatalf("round %d head %d:\n  got %v\n want %v", round, i, g, want)
			}
		}
	}
}

// cloneHead deep-copies h out of its decoder's buffers.
func cloneHead(h *Head) *Head {
	c := *h
	for _, p := range []*[]byte{&c.Method, &c.Scheme, &c.Authority, &c.Path, &c.Protocol} {
		if *p != nil {
			*p = append([]byte{}, *p...)
		}
	}
	c.Fields = nil
	for _, f := range h.Fields {
		c.Fields = append(c.Fields, Field{Name: append([]byte{}, f.Name...), Value: append([]byte{}, f.Value...), Sensitive: f.Sensitive})
	}
	return &c
}

// FuzzHeadDecode: the first byte picks the kind, the rest is decoded as two
// consecutive blocks. Decode never panics, and a Head it accepts re-encodes
// (HeadEncoder) to a block that decodes to the same Head.
// Seeds: testdata/fuzz/FuzzHeadDecode and the blocks below.
func FuzzHeadDecode(f *testing.F) {
	for _, h := range diffHeads() {
		var e HeadEncoder
		e.Init(hpack.DefaultTableSize)
		kind := byte(HeadRequest)
		if h.Status != 0 {
			kind = byte(HeadResponse)
		}
		f.Add(append([]byte{kind}, e.AppendBlock(nil, h)...))
	}
	f.Add(append([]byte{byte(HeadTrailers)}, blockOf("grpc-status", "0", "grpc-message", "ok")...))
	f.Add(append([]byte{byte(HeadRequest)}, blockOf(request("te", "trailers", "content-length", "3", "content-length", "3")...)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		kind, block := HeadKind(data[0]%3), data[1:]
		d := &HeadDecoder{ExtendedConnect: true}
		d.Init(0, hpack.DefaultTableSize)
		var e HeadEncoder
		e.Init(hpack.DefaultTableSize)
		re := &HeadDecoder{ExtendedConnect: true}
		re.Init(0, hpack.DefaultTableSize)
		for range 2 {
			h, err := d.Decode(block, kind)
			if _, ok := err.(ConnectionError); ok {
				return
			}
			if err != nil {
				continue
			}
			want := cloneHead(h)
			got, err := re.Decode(e.AppendBlock(nil, want), kind)
			if err != nil {
				t.Fatalf("%x: re-encoded head refused: %v", block, err)
			}
			if !equalHF(headPairs(got), headPairs(want)) || got.ContentLength != want.ContentLength {
				t.Fatalf("%x:\n got %v\nwant %v", block, headPairs(got), headPairs(want))
			}
		}
	})
}
