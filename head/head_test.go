package head

import (
	"bytes"
	"testing"
)

func fields(kv ...string) []Field {
	var fs []Field
	for i := 0; i < len(kv); i += 2 {
		fs = append(fs, Field{Name: []byte(kv[i]), Value: []byte(kv[i+1])})
	}
	return fs
}

func TestHeaderAccess(t *testing.T) {
	r := &Request{Headers: fields("Host", "a", "X-Id", "1", "x-id", "2", "Empty", "")}
	if got := r.Get("x-ID"); string(got) != "1" {
		t.Errorf("Get(x-ID) = %q, want the first value 1", got)
	}
	if got := r.Get("empty"); got == nil || len(got) != 0 {
		t.Errorf("Get(empty) = %#v, want empty and non-nil", got)
	}
	if r.Get("absent") != nil || r.Has("absent") {
		t.Error("an absent field is found")
	}
	r.Set([]byte("X-ID"), []byte("3"))
	if got := r.Get("x-id"); string(got) != "3" {
		t.Errorf("after Set, Get = %q, want 3", got)
	}
	if n := len(r.Headers); n != 5 {
		t.Errorf("after Set, %d fields, want 5 (two deleted, one added)", n)
	}
	r.Del("host")
	if r.Has("Host") {
		t.Error("Has(Host) after Del")
	}
}

func TestResponseHeaderAccess(t *testing.T) {
	r := &Response{Status: 200, Headers: fields("Server", "o")}
	r.Add([]byte("X-A"), []byte("1"))
	r.Set([]byte("server"), []byte("velox"))
	r.Del("x-a")
	if string(r.Get("Server")) != "velox" || r.Has("X-A") {
		t.Errorf("fields %q", r.Headers)
	}
}

func TestAppendURI(t *testing.T) {
	for _, c := range []struct {
		path, query string
		hasQuery    bool
		want        string
	}{
		{"/p", "", false, "/p"},
		{"/p", "", true, "/p?"},
		{"/p", "a=1", true, "/p?a=1"},
	} {
		r := &Request{Path: []byte(c.path)}
		if c.hasQuery {
			r.Query = []byte(c.query)
		}
		if got := string(r.AppendURI(nil)); got != c.want {
			t.Errorf("AppendURI(%q, %q) = %q, want %q", c.path, c.query, got, c.want)
		}
	}
}

func TestRebase(t *testing.T) {
	from := []byte("GET /p?q HTTP/1.1\r\nHost: a\r\n\r\n")
	own := []byte("set by a filter")
	r := Request{Method: from[0:3], Target: from[4:8], Path: from[4:6], Query: from[7:8], Host: from[25:26],
		Headers: []Field{{Name: from[19:23], Value: from[25:26]}, {Name: own[:3], Value: own}}}
	to := bytes.Clone(from)
	r.Rebase(from, to)
	clear(from)
	if string(r.Method) != "GET" || string(r.AppendURI(nil)) != "/p?q" || string(r.Host) != "a" ||
		string(r.Get("host")) != "a" || &r.Headers[1].Value[0] != &own[0] {
		t.Errorf("after Rebase: %q %q %q %q", r.Method, r.Target, r.Host, r.Headers)
	}
}

func TestFramingString(t *testing.T) {
	if FramingChunked.String() != "chunked" || FramingClose.String() != "close" || Framing(9).String() != "invalid" {
		t.Error("Framing names")
	}
}

func TestAllocsHeaderAccess(t *testing.T) {
	r := &Request{Headers: make([]Field, 0, 8)}
	r.Headers = append(r.Headers, fields("Host", "a", "X-Id", "1")...)
	name, value := []byte("X-Id"), []byte("2")
	from, to := []byte("GET"), []byte("GET")
	if n := testing.AllocsPerRun(100, func() {
		r.Set(name, value)
		_ = r.Get("x-id")
		_ = r.Has("host")
		r.Del("x-other")
		_ = r.AppendURI(to[:0])
		r.Rebase(from, to)
		r.Headers = r.Headers[:2]
	}); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}
