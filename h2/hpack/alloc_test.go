package hpack

import (
	"strconv"
	"testing"
)

// typicalRequest is a browser-like request: pseudo-headers, static names
// with new values, and custom fields, mostly Huffman-coded when encoded.
var typicalRequest = [][2]string{
	{":method", "GET"}, {":scheme", "https"}, {":authority", "api.example.com"},
	{":path", "/v1/users/12345?fields=name,email"},
	{"user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"},
	{"accept", "application/json, text/plain, */*"}, {"accept-encoding", "gzip, deflate, br"},
	{"accept-language", "en-US,en;q=0.9"}, {"cookie", "session=4f8a1c2e9b7d; theme=dark"},
	{"x-request-id", "7b1e6c0a-3d2f-4e59-9a8b-1c2d3e4f5a6b"},
}

func encodeTypical(e *Encoder, dst []byte) []byte {
	for _, f := range typicalRequest {
		dst = e.AppendField(dst, []byte(f[0]), []byte(f[1]), false)
	}
	return dst
}

func checkZeroAllocs(t *testing.T, name string, fn func()) {
	t.Helper()
	fn() // warm up: scratch and tables reach their steady-state size
	if n := testing.AllocsPerRun(200, fn); n != 0 {
		t.Errorf("%s: %v allocations per run, want 0", name, n)
	}
}

// TestZeroAllocDecode: decoding a typical request block allocates nothing
// in steady state, whether it is all literals (Huffman) that enter the
// dynamic table again on every run (evicting and compacting) or the same
// request indexed, or stateless literals without indexing.
func TestZeroAllocDecode(t *testing.T) {
	var total int
	emit := func(name, value []byte, sensitive bool) { total += len(name) + len(value) }
	indexing := encodeTypical(NewEncoder(DefaultTableSize), nil)
	e := NewEncoder(DefaultTableSize)
	encodeTypical(e, nil)
	indexed := encodeTypical(e, nil)
	stateless := encodeTypical(NewEncoder(0), nil)
	for name, block := range map[string][]byte{"incremental indexing": indexing, "indexed": indexed, "stateless": stateless} {
		d := NewDecoder(DefaultTableSize)
		if name == "indexed" {
			if err := d.DecodeBlock(indexing, emit); err != nil {
				t.Fatal(err)
			}
		}
		d.MaxHeaderListSize = 16 << 10
		checkZeroAllocs(t, name, func() {
			if err := d.DecodeBlock(block, emit); err != nil {
				t.Fatal(err)
			}
		})
	}
	if total == 0 {
		t.Fatal("nothing decoded")
	}
}

// TestZeroAllocEncode: AppendField and an Encoder whose table churns (a
// changing request id is indexed on every block) allocate nothing when dst
// has room.
func TestZeroAllocEncode(t *testing.T) {
	dst := make([]byte, 0, 4096)
	checkZeroAllocs(t, "AppendField", func() {
		dst = dst[:0]
		for _, f := range typicalRequest {
			dst = AppendField(dst, []byte(f[0]), []byte(f[1]), false)
		}
	})
	e := NewEncoder(DefaultTableSize)
	id := make([]byte, 0, 20)
	var n int64
	checkZeroAllocs(t, "Encoder", func() {
		n++
		id = strconv.AppendInt(id[:0], n, 10)
		dst = encodeTypical(e, dst[:0])
		dst = e.AppendField(dst, []byte("x-seq"), id, false)
		dst = e.AppendField(dst, []byte("authorization"), id, true)
	})
}
