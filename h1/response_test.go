package h1

import (
	"strings"
	"testing"
)

func TestParseResponse(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		head bool
		want respSummary // Headers and HeadLen are not compared
	}{
		{"length", "HTTP/1.1 200 OK\nContent-Length: 5\n\n", false,
			respSummary{Status: 200, Reason: "OK", Minor: 1, Framing: FramingLength, ContentLength: 5, KeepAlive: true}},
		{"chunked", "HTTP/1.1 201 Created\nTransfer-Encoding: chunked\n\n", false,
			respSummary{Status: 201, Reason: "Created", Minor: 1, Framing: FramingChunked, KeepAlive: true}},
		{"close-delimited", "HTTP/1.1 200 OK\n\n", false,
			respSummary{Status: 200, Reason: "OK", Minor: 1, Framing: FramingClose}},
		{"gzip is close-delimited", "HTTP/1.1 200 OK\nTransfer-Encoding: gzip\n\n", false,
			respSummary{Status: 200, Reason: "OK", Minor: 1, Framing: FramingClose}},
		{"unknown coding accepted", "HTTP/1.1 200 OK\nTransfer-Encoding: foo, chunked\n\n", false,
			respSummary{Status: 200, Reason: "OK", Minor: 1, Framing: FramingChunked, KeepAlive: true}},
		{"head", "HTTP/1.1 200 OK\nContent-Length: 5\n\n", true,
			respSummary{Status: 200, Reason: "OK", Minor: 1, Framing: FramingNone, ContentLength: 5, KeepAlive: true}},
		{"head chunked", "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n", true,
			respSummary{Status: 200, Reason: "OK", Minor: 1, Framing: FramingNone, KeepAlive: true}},
		{"204", "HTTP/1.1 204 No Content\n\n", false,
			respSummary{Status: 204, Reason: "No Content", Minor: 1, KeepAlive: true}},
		{"304", "HTTP/1.1 304 Not Modified\nContent-Length: 100\n\n", false,
			respSummary{Status: 304, Reason: "Not Modified", Minor: 1, ContentLength: 100, KeepAlive: true}},
		{"100", "HTTP/1.1 100 Continue\n\n", false,
			respSummary{Status: 100, Reason: "Continue", Minor: 1, KeepAlive: true}},
		{"101", "HTTP/1.1 101 Switching Protocols\nConnection: upgrade\nUpgrade: websocket\n\n", false,
			respSummary{Status: 101, Reason: "Switching Protocols", Minor: 1, KeepAlive: true}},
		{"1.0 length", "HTTP/1.0 200 OK\nContent-Length: 0\n\n", false,
			respSummary{Status: 200, Reason: "OK", Framing: FramingLength}},
		{"1.0 keep-alive", "HTTP/1.0 200 OK\nContent-Length: 0\nConnection: keep-alive\n\n", false,
			respSummary{Status: 200, Reason: "OK", Framing: FramingLength, KeepAlive: true}},
		{"1.1 close", "HTTP/1.1 200 OK\nContent-Length: 0\nConnection: close\n\n", false,
			respSummary{Status: 200, Reason: "OK", Minor: 1, Framing: FramingLength}},
		{"empty reason", "HTTP/1.1 404 \n\n", false,
			respSummary{Status: 404, Minor: 1, Framing: FramingClose}},
		{"no SP before empty reason", "HTTP/1.1 404\nContent-Length: 0\n\n", false,
			respSummary{Status: 404, Minor: 1, Framing: FramingLength, KeepAlive: true}},
		{"reason with spaces and obs-text", "HTTP/1.1 200 Tr\xe8s  bien \nContent-Length: 0\n\n", false,
			respSummary{Status: 200, Reason: "Tr\xe8s  bien ", Minor: 1, Framing: FramingLength, KeepAlive: true}},
		{"599", "HTTP/1.1 599 x\nContent-Length: 0\n\n", false,
			respSummary{Status: 599, Reason: "x", Minor: 1, Framing: FramingLength, KeepAlive: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r Response
			in := crlf(tc.in)
			n, err := ParseResponse([]byte(in+"BODY"), &r, tc.head, nil)
			if err != nil || n != len(in) || r.HeadLen != n {
				t.Fatalf("ParseResponse = %d, %v; want %d, nil", n, err, len(in))
			}
			got := summarizeResponse(&r)
			got.Headers, got.HeadLen = "", 0
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestRFC9112_4_StatusLine: strict on version and code, lenient on reason.
// Every error in a response is a 502.
func TestRFC9112_4_StatusLine(t *testing.T) {
	runResponseErrors(t, []errCase{
		{"HTTP/2.0", "HTTP/2.0 200 OK\r\n\r\n", 502},
		{"lower case", "http/1.1 200 OK\r\n\r\n", 502},
		{"two-digit code", "HTTP/1.1 20 OK\r\n\r\n", 502},
		{"four-digit code", "HTTP/1.1 2000 OK\r\n\r\n", 502},
		{"code 099", "HTTP/1.1 099 x\r\n\r\n", 502},
		{"code 600", "HTTP/1.1 600 x\r\n\r\n", 502},
		{"letters", "HTTP/1.1 2x0 OK\r\n\r\n", 502},
		{"no SP", "HTTP/1.1200 OK\r\n\r\n", 502},
		{"two SP", "HTTP/1.1  200 OK\r\n\r\n", 502},
		{"CTL in reason", "HTTP/1.1 200 O\x01K\r\n\r\n", 502},
		{"bare LF", "HTTP/1.1 200 OK\n\r\n", 502},
		{"bare CR", "HTTP/1.1 200 OK\rX\r\n\r\n", 502},
		{"leading CRLF", "\r\nHTTP/1.1 200 OK\r\n\r\n", 502},
		{"ok", "HTTP/1.1 200 OK\r\n\r\n", 0},
	})
}

// TestRFC9112_6_3_ResponseFraming: the response rules of section 6.3, with
// velox's strictness (TE with CL, TE in 1.0) and 502 for every error.
func TestRFC9112_6_3_ResponseFraming(t *testing.T) {
	const head = "HTTP/1.1 200 OK\r\n"
	runResponseErrors(t, []errCase{
		{"TE with CL", head + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 502},
		{"TE in 1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 502},
		{"chunked twice", head + "Transfer-Encoding: chunked, chunked\r\n\r\n", 502},
		{"TE not a token", head + "Transfer-Encoding: a b\r\n\r\n", 502},
		{"TE empty", head + "Transfer-Encoding:\r\n\r\n", 502},
		{"CL differs", head + "Content-Length: 1\r\nContent-Length: 2\r\n\r\n", 502},
		{"CL bad", head + "Content-Length: x\r\n\r\n", 502},
		{"CL negative", head + "Content-Length: -1\r\n\r\n", 502},
		{"bad field", head + "Bad Field: x\r\n\r\n", 502},
		{"obs-fold", head + "X: a\r\n b\r\n\r\n", 502},
		{"chunked not last: close", head + "Transfer-Encoding: chunked, gzip\r\n\r\n", 0},
		{"CL equal", head + "Content-Length: 1, 1\r\n\r\n", 0},
	})
}

func TestResponseLimits(t *testing.T) {
	lim := &Limits{MaxHeaderBytes: 128, MaxHeaders: 2}
	for in, status := range map[string]int{
		"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n":                                    502,
		"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n":                                            0,
		"HTTP/1.1 200 OK\r\nA: " + strings.Repeat("a", 200):                                  502,
		"HTTP/1.1 200 OK\r\nA: " + strings.Repeat("a", 200) + "\r\n\r\n":                     502,
		"HTTP/1.1 200 " + strings.Repeat("a", 100):                                           -2,
		"HTTP/1.1 200 " + strings.Repeat("a", 128-len("HTTP/1.1 200 \r\n\r\n")) + "\r\n\r\n": 0,
	} {
		var r Response
		_, err := ParseResponse([]byte(in), &r, false, lim)
		got := statusOf(err)
		if err == ErrNeedMore {
			got = -2
		}
		if got != status {
			t.Errorf("len %d: %v; want %d", len(in), err, status)
		}
	}
}

func TestParseResponseEverySplit(t *testing.T) {
	for _, msg := range splitResponses {
		in := []byte(crlf(msg) + "BODY")
		var whole Response
		n, err := ParseResponse(in, &whole, false, nil)
		if err != nil {
			t.Fatalf("%q: %v", msg, err)
		}
		want := summarizeResponse(&whole)
		for k := 0; k <= len(in); k++ {
			var r Response
			m, err := ParseResponse(in[:k], &r, false, nil)
			if k < n {
				if err != ErrNeedMore || m != 0 {
					t.Fatalf("%q cut at %d/%d: %d, %v; want ErrNeedMore", msg, k, n, m, err)
				}
				continue
			}
			if err != nil || m != n || summarizeResponse(&r) != want {
				t.Fatalf("%q cut at %d: %d, %v, %+v", msg, k, m, err, summarizeResponse(&r))
			}
		}
	}
}

var splitResponses = []string{
	"HTTP/1.1 200 OK\nContent-Length: 4\n\n",
	"HTTP/1.1 404\nTransfer-Encoding: chunked\n\n",
	"HTTP/1.0 500 Internal Server Error\nConnection: keep-alive\nContent-Length: 0\n\n",
	"HTTP/1.1 204 \nX-Empty:\nVia: 1.0 a\n\n",
}

func TestResponseHeaderMethods(t *testing.T) {
	var r Response
	if _, err := ParseResponse([]byte("HTTP/1.1 200 OK\r\nServer: x\r\nSet-Cookie: a\r\nSet-Cookie: b\r\n\r\n"), &r, false, nil); err != nil {
		t.Fatal(err)
	}
	if string(r.Get("set-cookie")) != "a" || !r.Has("SERVER") || r.Has("Date") {
		t.Error("Get/Has")
	}
	r.Set([]byte("Server"), []byte("velox"))
	r.Del("set-cookie")
	r.Add([]byte("Date"), []byte("now"))
	if got := fmtHeaders(r.Headers); got != `"":"";"":"";"":"";"Server":"velox";"Date":"now";` {
		t.Errorf("headers: %s", got)
	}
}
