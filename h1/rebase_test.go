package h1

import "testing"

// TestRebase: a parsed head moved into another buffer reads the same, keeps
// slices from elsewhere, and no longer depends on the input buffer.
func TestRebase(t *testing.T) {
	in := []byte("GET /p?q=1 HTTP/1.1\r\nHost: a.example\r\nX-Empty:\r\n\r\n")
	var r Request
	if _, err := ParseRequest(in, &r, nil); err != nil {
		t.Fatal(err)
	}
	own := []byte("filter-set")
	r.Add([]byte("X-Own"), own)
	cp := append([]byte(nil), in...)
	r.Rebase(in, cp)
	for i := range in {
		in[i] = '#' // the input buffer is reused for something else
	}
	if string(r.Method) != "GET" || string(r.Target) != "/p?q=1" || string(r.Path) != "/p" ||
		string(r.Query) != "q=1" || string(r.Host) != "a.example" {
		t.Fatalf("after Rebase: %q %q %q %q %q", r.Method, r.Target, r.Path, r.Query, r.Host)
	}
	if v := r.Get("X-Empty"); v == nil || len(v) != 0 || cap(v) != 0 {
		t.Fatalf("empty field after Rebase: %q cap %d, want empty, non-nil, no capacity", v, cap(v))
	}
	if v := r.Get("X-Own"); &v[0] != &own[0] {
		t.Fatal("a value from outside the input was moved")
	}
	if n := testing.AllocsPerRun(100, func() { r.Rebase(cp, cp) }); n != 0 {
		t.Fatalf("Rebase allocates %v times", n)
	}
}
