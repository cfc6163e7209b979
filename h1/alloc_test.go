package h1

import (
	"testing"
)

var (
	benchRequest = []byte(crlf("GET /api/v1/users/42?fields=name,email HTTP/1.1\n" +
		"Host: api.example.com\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\n" +
		"Accept: application/json, text/plain, */*\n" +
		"Accept-Language: en-US,en;q=0.9\n" +
		"Accept-Encoding: gzip, deflate, br\n" +
		"Connection: keep-alive\n" +
		"Cookie: session=0123456789abcdef; theme=dark\n" +
		"X-Forwarded-For: 203.0.113.7\n" +
		"Content-Length: 0\n\n"))
	benchResponse = []byte(crlf("HTTP/1.1 200 OK\n" +
		"Date: Mon, 01 Jan 2024 00:00:00 GMT\n" +
		"Server: origin\n" +
		"Content-Type: application/json; charset=utf-8\n" +
		"Cache-Control: no-cache\n" +
		"Transfer-Encoding: chunked\n" +
		"Connection: keep-alive\n" +
		"Via: 1.1 edge\n\n"))
	benchChunked = []byte("400\r\n" + string(make([]byte, 1024)) + "\r\n10;ext=1\r\n0123456789abcdef\r\n0\r\nX-T: 1\r\n\r\n")
	benchOptions = &WriteOptions{ForwardedFor: []byte("198.51.100.1"), ForwardedProto: []byte("https"), Via: []byte("velox")}
)

// TestZeroAlloc: the steady-state HTTP/1.1 path does not allocate.
func TestZeroAlloc(t *testing.T) {
	var req Request
	var resp Response
	if _, err := ParseRequest(benchRequest, &req, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseResponse(benchResponse, &resp, false, nil); err != nil {
		t.Fatal(err)
	}
	dst := make([]byte, 0, 4096)
	var s BodyScanner
	badRequest := []byte("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")
	badResponse := []byte("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n")
	for name, f := range map[string]func(){
		"ParseRequest": func() { _, _ = ParseRequest(benchRequest, &req, nil) },
		"ParseRequest incomplete": func() {
			_, _ = ParseRequest(benchRequest[:len(benchRequest)-1], &req, nil)
		},
		"ParseResponse":      func() { _, _ = ParseResponse(benchResponse, &resp, false, nil) },
		"AppendRequestHead":  func() { dst = AppendRequestHead(dst[:0], &req, benchOptions) },
		"AppendResponseHead": func() { dst = AppendResponseHead(dst[:0], &resp, benchOptions) },
		"AppendSimpleResponse": func() {
			dst = AppendSimpleResponse(dst[:0], 404, "text/plain", nil, []byte("not found"), false)
		},
		"BodyScanner.Scan chunked": func() {
			s.Reset(FramingChunked, 0)
			_, _, _ = s.Scan(benchChunked[:100])
			_, _, _ = s.Scan(benchChunked[100:])
		},
		"BodyScanner.Scan length": func() {
			s.Reset(FramingLength, 10)
			_, _, _ = s.Scan(benchChunked)
		},
		"Get/Has/Del/Set": func() {
			_ = req.Get("cookie")
			_ = req.Has("x-missing")
			req.Del("x-missing")
			req.Set(benchOptions.Via, benchOptions.Via) // capacity from the parse
			req.Headers = req.Headers[:len(req.Headers)-1]
		},
		"errors": func() {
			_, _ = ParseRequest(badRequest, &req, nil)
			_, _ = ParseResponse(badResponse, &resp, false, nil)
		},
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocs per run", name, n)
		}
	}
}

func BenchmarkParseRequest(b *testing.B) {
	var req Request
	b.ReportAllocs()
	b.SetBytes(int64(len(benchRequest)))
	for b.Loop() {
		if _, err := ParseRequest(benchRequest, &req, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseResponse(b *testing.B) {
	var resp Response
	b.ReportAllocs()
	b.SetBytes(int64(len(benchResponse)))
	for b.Loop() {
		if _, err := ParseResponse(benchResponse, &resp, false, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScanChunked(b *testing.B) {
	var s BodyScanner
	b.ReportAllocs()
	b.SetBytes(int64(len(benchChunked)))
	for b.Loop() {
		s.Reset(FramingChunked, 0)
		if _, done, err := s.Scan(benchChunked); !done || err != nil {
			b.Fatal(done, err)
		}
	}
}

func BenchmarkAppendRequestHead(b *testing.B) {
	var req Request
	if _, err := ParseRequest(benchRequest, &req, nil); err != nil {
		b.Fatal(err)
	}
	dst := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendRequestHead(dst[:0], &req, benchOptions)
	}
}

func BenchmarkAppendResponseHead(b *testing.B) {
	var resp Response
	if _, err := ParseResponse(benchResponse, &resp, false, nil); err != nil {
		b.Fatal(err)
	}
	dst := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendResponseHead(dst[:0], &resp, benchOptions)
	}
}
