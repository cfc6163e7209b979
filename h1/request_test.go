package h1

import (
	"strings"
	"testing"
)

func TestParseRequest(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want reqSummary // Headers and HeadLen are not compared
	}{
		{"simple", "GET / HTTP/1.1\nHost: a\n\n",
			reqSummary{Method: "GET", Target: "/", Path: "/", Host: "a", Minor: 1, KeepAlive: true}},
		{"query", "GET /p/q?x=1&y=/z HTTP/1.1\nHost: a:8080\n\n",
			reqSummary{Method: "GET", Target: "/p/q?x=1&y=/z", Path: "/p/q", Host: "a:8080", Minor: 1, KeepAlive: true}},
		{"http10", "GET / HTTP/1.0\n\n",
			reqSummary{Method: "GET", Target: "/", Path: "/"}},
		{"http10 keep-alive", "GET / HTTP/1.0\nConnection: Keep-Alive\n\n",
			reqSummary{Method: "GET", Target: "/", Path: "/", KeepAlive: true}},
		{"http11 close", "GET / HTTP/1.1\nHost: a\nConnection: foo, CLOSE\n\n",
			reqSummary{Method: "GET", Target: "/", Path: "/", Host: "a", Minor: 1}},
		{"http12 read as 1.1", "GET / HTTP/1.2\nHost: a\n\n",
			reqSummary{Method: "GET", Target: "/", Path: "/", Host: "a", Minor: 1, KeepAlive: true}},
		{"content-length", "POST /x HTTP/1.1\nHost: a\nContent-Length: 12\n\n",
			reqSummary{Method: "POST", Target: "/x", Path: "/x", Host: "a", Minor: 1, Framing: FramingLength, ContentLength: 12, KeepAlive: true}},
		{"content-length zero", "POST /x HTTP/1.1\nHost: a\nContent-Length: 0\n\n",
			reqSummary{Method: "POST", Target: "/x", Path: "/x", Host: "a", Minor: 1, Framing: FramingLength, KeepAlive: true}},
		{"chunked", "POST /x HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n",
			reqSummary{Method: "POST", Target: "/x", Path: "/x", Host: "a", Minor: 1, Framing: FramingChunked, KeepAlive: true}},
		{"gzip then chunked", "POST /x HTTP/1.1\nHost: a\nTransfer-Encoding: gzip\nTransfer-Encoding: Chunked\n\n",
			reqSummary{Method: "POST", Target: "/x", Path: "/x", Host: "a", Minor: 1, Framing: FramingChunked, KeepAlive: true}},
		{"expect", "PUT /x HTTP/1.1\nHost: a\nExpect: 100-Continue\nContent-Length: 1\n\n",
			reqSummary{Method: "PUT", Target: "/x", Path: "/x", Host: "a", Minor: 1, Framing: FramingLength, ContentLength: 1, KeepAlive: true, Expect: true}},
		{"expect in 1.0 ignored", "PUT /x HTTP/1.0\nExpect: 100-continue\n\n",
			reqSummary{Method: "PUT", Target: "/x", Path: "/x"}},
		{"upgrade", "GET /ws HTTP/1.1\nHost: a\nConnection: keep-alive, Upgrade\nUpgrade: websocket\n\n",
			reqSummary{Method: "GET", Target: "/ws", Path: "/ws", Host: "a", Minor: 1, KeepAlive: true, Upgrade: true}},
		{"upgrade header alone", "GET /ws HTTP/1.1\nHost: a\nUpgrade: websocket\n\n",
			reqSummary{Method: "GET", Target: "/ws", Path: "/ws", Host: "a", Minor: 1, KeepAlive: true}},
		{"absolute-form", "GET https://b.example:8443/p?q HTTP/1.1\nHost: a\n\n",
			reqSummary{Method: "GET", Target: "https://b.example:8443/p?q", Path: "/p", Host: "b.example:8443", Minor: 1, KeepAlive: true}},
		{"absolute-form no path", "GET http://b?q HTTP/1.1\nHost: b\n\n",
			reqSummary{Method: "GET", Target: "http://b?q", Path: "/", Host: "b", Minor: 1, KeepAlive: true}},
		{"authority-form", "CONNECT [::1]:443 HTTP/1.1\nHost: other\n\n",
			reqSummary{Method: "CONNECT", Target: "[::1]:443", Path: "[::1]:443", Host: "[::1]:443", Minor: 1, KeepAlive: true}},
		{"asterisk-form", "OPTIONS * HTTP/1.1\nHost: a\n\n",
			reqSummary{Method: "OPTIONS", Target: "*", Path: "*", Host: "a", Minor: 1, KeepAlive: true}},
		{"empty host", "GET / HTTP/1.1\nHost:\n\n",
			reqSummary{Method: "GET", Target: "/", Path: "/", Minor: 1, KeepAlive: true}},
		{"extension method", "M-SEARCH * HTTP/1.1\nHost: a\n\n",
			reqSummary{}}, // "*" is for OPTIONS only: see TestRFC9112_3_2_4
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r Request
			in := crlf(tc.in)
			n, err := ParseRequest([]byte(in+"GARBAGE"), &r, nil)
			if tc.want.Method == "" {
				if err == nil {
					t.Fatalf("accepted %q", in)
				}
				return
			}
			if err != nil || n != len(in) || r.HeadLen != n {
				t.Fatalf("ParseRequest = %d, %v (HeadLen %d); want %d, nil", n, err, r.HeadLen, len(in))
			}
			got := summarizeRequest(&r)
			got.Headers, got.HeadLen = "", 0
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseRequestHeaders(t *testing.T) {
	in := crlf("GET / HTTP/1.1\nHost:a\nX-Empty:\nX-Ows: \t v  a\t \nx-case: Mixed\nX-Obs: caf\xc3\xa9\n\n")
	var r Request
	if _, err := ParseRequest([]byte(in), &r, nil); err != nil {
		t.Fatal(err)
	}
	want := `"Host":"a";"X-Empty":"";"X-Ows":"v  a";"x-case":"Mixed";"X-Obs":"café";`
	if got := fmtHeaders(r.Headers); got != want {
		t.Errorf("headers\n got %s\nwant %s", got, want)
	}
}

// TestRFC9112_2_2_MessageParsing: lines end with CRLF only (bare LF and bare
// CR are rejected: velox's choice), and empty lines before a request-line are
// skipped.
func TestRFC9112_2_2_MessageParsing(t *testing.T) {
	runRequestErrors(t, []errCase{
		{"bare LF request-line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400},
		{"bare LF field", "GET / HTTP/1.1\r\nHost: a\n\r\n", 400},
		{"bare LF end of head", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400},
		{"bare CR in value", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400},
		{"CR CR LF", "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", 400},
		{"bare CR end of head", "GET / HTTP/1.1\r\nHost: a\r\n\rX", 400},
		{"bare CR after version", "GET / HTTP/1.1\rX\r\nHost: a\r\n\r\n", 400},
		{"leading bare LF", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"leading bare CR", "\r\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"space before first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400},
		{"leading CRLFs", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0},
	})
	in := "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"
	var r Request
	if n, err := ParseRequest([]byte(in), &r, nil); n != len(in) || err != nil || string(r.Method) != "GET" {
		t.Errorf("leading CRLFs: %d, %v", n, err)
	}
}

// TestRFC9112_2_3_HTTPVersion: "HTTP/" DIGIT "." DIGIT, case-sensitive; a
// major version other than 1 is 505.
func TestRFC9112_2_3_HTTPVersion(t *testing.T) {
	runRequestErrors(t, []errCase{
		{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
		{"HTTP/3.0", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505},
		{"HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", 505},
		{"h2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505},
		{"lower case", "GET / http/1.1\r\nHost: a\r\n\r\n", 400},
		{"no minor", "GET / HTTP/1\r\nHost: a\r\n\r\n", 400},
		{"two-digit major", "GET / HTTP/11.1\r\nHost: a\r\n\r\n", 400},
		{"two-digit minor", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400},
		{"trailing space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400},
		{"HTTP/0.9 request", "GET /\r\n\r\n", 400},
		{"garbage", "GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400},
	})
}

// TestRFC9112_3_RequestLine: method SP request-target SP HTTP-version, one
// SP each, a token method, a target of visible ASCII.
func TestRFC9112_3_RequestLine(t *testing.T) {
	runRequestErrors(t, []errCase{
		{"two SP", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"leading SP", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"HTAB separators", "GET\t/\tHTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"NUL in method", "G\x00T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"method with slash", "GE/T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"space in target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"obs-text in target", "GET /\xff HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"DEL in target", "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"CTL in target", "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"method only", "GET\r\n\r\n", 400},
		{"no version", "GET /\r\nHost: a\r\n\r\n", 400},
	})
}

// TestRFC9112_3_2_RequestTarget covers the four forms of request-target and
// the methods they go with.
func TestRFC9112_3_2_RequestTarget(t *testing.T) {
	runRequestErrors(t, []errCase{
		{"relative", "GET foo HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"asterisk GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"asterisk plus", "OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"asterisk OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 0},
		{"OPTIONS origin-form", "OPTIONS /x HTTP/1.1\r\nHost: a\r\n\r\n", 0},
		{"CONNECT origin-form", "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"CONNECT no port", "CONNECT a.example HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"CONNECT empty port", "CONNECT a.example: HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"CONNECT no host", "CONNECT :443 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"CONNECT bad port", "CONNECT a:b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"CONNECT userinfo", "CONNECT u@a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"CONNECT absolute", "CONNECT http://a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"CONNECT ok", "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", 0},
		{"authority-form GET", "GET a.example:80 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"absolute empty host", "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"absolute userinfo", "GET http://u:p@a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"absolute bad scheme", "GET 1http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"absolute no slashes", "GET http:a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"absolute ok", "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 0},
		{"fragment in origin-form", "GET /a#/../admin HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"fragment after absolute-form authority", "GET http://a.example#/../admin HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"fragment in absolute-form path", "GET http://a.example/x#y HTTP/1.1\r\nHost: a\r\n\r\n", 400},
		{"absolute needs Host in 1.1", "GET http://a/ HTTP/1.1\r\n\r\n", 400},
	})
}

// TestRFC9112_3_2_Host: exactly one valid Host in HTTP/1.1.
func TestRFC9112_3_2_Host(t *testing.T) {
	runRequestErrors(t, []errCase{
		{"missing", "GET / HTTP/1.1\r\n\r\n", 400},
		{"two", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400},
		{"two in 1.0", "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400},
		{"space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
		{"slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
		{"userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400},
		{"obs-text", "GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n", 400},
		{"missing in 1.0", "GET / HTTP/1.0\r\n\r\n", 0},
		{"empty", "GET / HTTP/1.1\r\nHost: \r\n\r\n", 0},
		{"ipv6", "GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n", 0},
		{"case", "GET / HTTP/1.1\r\nhOST: a\r\n\r\n", 0},
	})
}

// TestRFC9112_5_FieldSyntax: field-name ":" OWS field-value OWS, no
// whitespace before the colon, no obs-fold, no CTLs in values.
func TestRFC9112_5_FieldSyntax(t *testing.T) {
	runRequestErrors(t, []errCase{
		{"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
		{"tab before colon", "GET / HTTP/1.1\r\nHost: a\r\nX\t: b\r\n\r\n", 400},
		{"empty name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400},
		{"space in name", "GET / HTTP/1.1\r\nHost: a\r\nX Y: b\r\n\r\n", 400},
		{"no colon", "GET / HTTP/1.1\r\nHost: a\r\nXY\r\n\r\n", 400},
		{"NUL in name", "GET / HTTP/1.1\r\nHost: a\r\nX\x00: b\r\n\r\n", 400},
		{"obs-text in name", "GET / HTTP/1.1\r\nHost: a\r\nX\xff: b\r\n\r\n", 400},
		{"NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: b\x00c\r\n\r\n", 400},
		{"CTL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: b\x01c\r\n\r\n", 400},
		{"DEL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: b\x7fc\r\n\r\n", 400},
		{"LF in value", "GET / HTTP/1.1\r\nHost: a\r\nX: b\nc\r\n\r\n", 400},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", 400},
		{"obs-fold tab", "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\tc\r\n\r\n", 400},
		{"HTAB in value", "GET / HTTP/1.1\r\nHost: a\r\nX: b\tc\r\n\r\n", 0},
		{"obs-text in value", "GET / HTTP/1.1\r\nHost: a\r\nX: \x80\xff\r\n\r\n", 0},
		{"all tchars", "GET / HTTP/1.1\r\nHost: a\r\n!#$%&'*+-.^_`|~09azAZ: b\r\n\r\n", 0},
	})
}

// TestRFC9112_6_1_TransferEncoding covers the request rules of sections 6.1
// and 6.3 for Transfer-Encoding.
func TestRFC9112_6_1_TransferEncoding(t *testing.T) {
	const head = "POST / HTTP/1.1\r\nHost: a\r\n"
	runRequestErrors(t, []errCase{
		{"with Content-Length", head + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400},
		{"Content-Length first", head + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
		{"in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
		{"gzip only", head + "Transfer-Encoding: gzip\r\n\r\n", 400},
		{"chunked not last", head + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400},
		{"chunked not last across fields", head + "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
		{"chunked twice", head + "Transfer-Encoding: chunked, chunked\r\n\r\n", 400},
		{"chunked twice across fields", head + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
		{"unknown coding", head + "Transfer-Encoding: foo, chunked\r\n\r\n", 501},
		{"br is not a transfer coding", head + "Transfer-Encoding: br, chunked\r\n\r\n", 501},
		{"unknown last", head + "Transfer-Encoding: xchunked\r\n\r\n", 400},
		{"quoted", head + "Transfer-Encoding: \"chunked\"\r\n\r\n", 400},
		{"parameter", head + "Transfer-Encoding: gzip;q=1, chunked\r\n\r\n", 400},
		{"space inside", head + "Transfer-Encoding: chun ked\r\n\r\n", 400},
		{"empty", head + "Transfer-Encoding: \r\n\r\n", 400},
		{"only commas", head + "Transfer-Encoding: , ,\r\n\r\n", 400},
		{"empty elements", head + "Transfer-Encoding: ,chunked,\r\n\r\n", 0},
		{"upper case", head + "Transfer-Encoding: CHUNKED\r\n\r\n", 0},
		{"known codings", head + "Transfer-Encoding: gzip, x-gzip, deflate, compress, x-compress, chunked\r\n\r\n", 0},
	})
}

// TestRFC9112_6_3_ContentLength covers Content-Length in requests (RFC 9112
// section 6.3, RFC 9110 section 8.6): digits only, equal values only.
func TestRFC9112_6_3_ContentLength(t *testing.T) {
	const head = "POST / HTTP/1.1\r\nHost: a\r\n"
	runRequestErrors(t, []errCase{
		{"negative", head + "Content-Length: -1\r\n\r\n", 400},
		{"plus", head + "Content-Length: +1\r\n\r\n", 400},
		{"space inside", head + "Content-Length: 1 2\r\n\r\n", 400},
		{"hex", head + "Content-Length: 0x10\r\n\r\n", 400},
		{"decimal point", head + "Content-Length: 1.0\r\n\r\n", 400},
		{"empty", head + "Content-Length: \r\n\r\n", 400},
		{"trailing comma", head + "Content-Length: 1,\r\n\r\n", 400},
		{"different list", head + "Content-Length: 5, 6\r\n\r\n", 400},
		{"different fields", head + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 400},
		{"overflow", head + "Content-Length: 9223372036854775808\r\n\r\n", 400},
		{"huge", head + "Content-Length: 99999999999999999999999\r\n\r\n", 400},
		{"equal list", head + "Content-Length: 5, 5\r\n\r\n", 0},
		{"equal fields", head + "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", 0},
		{"leading zeros", head + "Content-Length: 007\r\n\r\n", 0},
		{"max", head + "Content-Length: 9223372036854775807\r\n\r\n", 0},
	})
	var r Request
	if _, err := ParseRequest([]byte(head+"Content-Length: 7, 7\r\nContent-Length: 007\r\n\r\n"), &r, nil); err != nil ||
		r.Framing != FramingLength || r.ContentLength != 7 {
		t.Errorf("equal values: %v %v %d", err, r.Framing, r.ContentLength)
	}
}

// TestRFC9112_6_3_NoBody: a request without Transfer-Encoding or
// Content-Length has no body (rule 7).
func TestRFC9112_6_3_NoBody(t *testing.T) {
	var r Request
	if _, err := ParseRequest([]byte("POST / HTTP/1.1\r\nHost: a\r\n\r\n"), &r, nil); err != nil ||
		r.Framing != FramingNone || r.ContentLength != 0 {
		t.Errorf("%v %v %d", err, r.Framing, r.ContentLength)
	}
}

// TestRFC9112_9_3_Persistence: 1.1 is persistent unless close; 1.0 only with
// keep-alive; Connection is a case-insensitive list.
func TestRFC9112_9_3_Persistence(t *testing.T) {
	for _, tc := range []struct {
		minor, conn string
		want        bool
	}{
		{"1", "", true},
		{"1", "close", false},
		{"1", "Keep-Alive, cLoSe", false},
		{"1", "closed", true},
		{"1", ",, close ,", false},
		{"0", "", false},
		{"0", "keep-alive", true},
		{"0", "KEEP-ALIVE", true},
		{"0", "keep-alive, close", false},
		{"0", "keep-alives", false},
	} {
		in := "GET / HTTP/1." + tc.minor + "\r\nHost: a\r\n"
		if tc.conn != "" {
			in += "Connection: " + tc.conn + "\r\n"
		}
		var r Request
		if _, err := ParseRequest([]byte(in+"\r\n"), &r, nil); err != nil || r.KeepAlive != tc.want {
			t.Errorf("HTTP/1.%s Connection %q: %v, KeepAlive %v; want %v", tc.minor, tc.conn, err, r.KeepAlive, tc.want)
		}
	}
}

func TestRequestLimits(t *testing.T) {
	lim := &Limits{MaxURI: 64, MaxHeaderBytes: 256, MaxHeaders: 4}
	target := "/" + strings.Repeat("a", 63)
	for _, tc := range []struct {
		name   string
		in     string
		status int // -2: ErrNeedMore
	}{
		{"uri at limit", "GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n", 0},
		{"uri over limit", "GET " + target + "a HTTP/1.1\r\nHost: a\r\n\r\n", 414},
		{"uri over limit incomplete", "GET " + target + "a", 414},
		{"uri at limit incomplete", "GET " + target, -2},
		{"headers at limit", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 0},
		{"headers over limit", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 431},
		{"headers over limit incomplete", "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD", 431},
		{"head at limit", padHead(256), 0},
		{"head over limit", padHead(257), 431},
		{"head over limit incomplete", padHead(257)[:256], 431},
		{"head over limit, long line", "GET / HTTP/1.1\r\nX: " + strings.Repeat("x", 300), 431},
		{"head under limit incomplete", padHead(256)[:255], -2},
		{"leading CRLFs count", "\r\n" + padHead(254), 0},
		{"leading CRLFs over", "\r\n" + padHead(255), 431},
		{"endless CRLFs", strings.Repeat("\r\n", 200), 431},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r Request
			n, err := ParseRequest([]byte(tc.in), &r, lim)
			got := statusOf(err)
			if err == ErrNeedMore {
				got = -2
			}
			if got != tc.status || (err == nil && n != len(tc.in)) {
				t.Fatalf("ParseRequest(len %d) = %d, %v; want status %d", len(tc.in), n, err, tc.status)
			}
		})
	}
}

// padHead returns a complete request head of exactly n bytes (n >= 40).
func padHead(n int) string {
	const pre, post = "GET / HTTP/1.1\r\nHost: a\r\nX: ", "\r\n\r\n"
	return pre + strings.Repeat("p", n-len(pre)-len(post)) + post
}

func TestDefaultLimits(t *testing.T) {
	long := "GET /" + strings.Repeat("a", DefaultMaxURI) + " HTTP/1.1\r\nHost: a\r\n\r\n"
	var r Request
	if _, err := ParseRequest([]byte(long), &r, nil); statusOf(err) != 414 {
		t.Errorf("default MaxURI: %v", err)
	}
	if _, err := ParseRequest([]byte(long), &r, &Limits{MaxURI: 2 * DefaultMaxURI}); err != nil {
		t.Errorf("MaxURI 16K: %v", err)
	}
	many := "GET / HTTP/1.1\r\nHost: a\r\n" + strings.Repeat("X: y\r\n", DefaultMaxHeaders) + "\r\n"
	if _, err := ParseRequest([]byte(many), &r, nil); statusOf(err) != 431 {
		t.Errorf("default MaxHeaders: %v", err)
	}
	big := "GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("y", DefaultMaxHeaderBytes)
	if _, err := ParseRequest([]byte(big), &r, nil); statusOf(err) != 431 {
		t.Errorf("default MaxHeaderBytes: %v", err)
	}
}

// TestParseRequestEverySplit feeds each message cut at every byte: a cut
// before the end of the head is ErrNeedMore, and any cut after it gives the
// same result as the whole.
func TestParseRequestEverySplit(t *testing.T) {
	for _, msg := range splitRequests {
		in := []byte(crlf(msg) + "NEXT")
		var whole Request
		n, err := ParseRequest(in, &whole, nil)
		if err != nil {
			t.Fatalf("%q: %v", msg, err)
		}
		want := summarizeRequest(&whole)
		for k := 0; k <= len(in); k++ {
			var r Request
			m, err := ParseRequest(in[:k], &r, nil)
			if k < n {
				if err != ErrNeedMore || m != 0 {
					t.Fatalf("%q cut at %d/%d: %d, %v; want ErrNeedMore", msg, k, n, m, err)
				}
				continue
			}
			if err != nil || m != n || summarizeRequest(&r) != want {
				t.Fatalf("%q cut at %d: %d, %v, %+v", msg, k, m, err, summarizeRequest(&r))
			}
		}
	}
}

var splitRequests = []string{
	"GET / HTTP/1.1\nHost: a\n\n",
	"\n\nGET /x?y HTTP/1.0\nConnection: keep-alive\n\n",
	"POST /upload HTTP/1.1\nHost: example.com:8080\nContent-Length: 10\nExpect: 100-continue\nX-Empty:\n\n",
	"POST /c HTTP/1.1\nHost: a\nTransfer-Encoding: gzip, chunked\nConnection: close\n\n",
	"GET http://a.example/p HTTP/1.1\nHost: a.example\nUpgrade: websocket\nConnection: Upgrade\n\n",
	"CONNECT a:443 HTTP/1.1\nHost: a:443\n\n",
}

// TestParseRequestErrorEarly: errors in a complete line are reported before
// the head is complete, so a client cannot hold a connection with garbage.
func TestParseRequestErrorEarly(t *testing.T) {
	for in, status := range map[string]int{
		"GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n": 400,
		"GET / HTTP/2.0\r\n":                           505,
		"GET / HTTP/1.1\r\nX: a\r\n b":                 400,
		"GET /\x00":                                    400,
		"GE(":                                          400,
	} {
		var r Request
		if _, err := ParseRequest([]byte(in), &r, nil); statusOf(err) != status {
			t.Errorf("%q: %v; want %d", in, err, status)
		}
	}
}

func TestRequestHeaderMethods(t *testing.T) {
	var r Request
	in := "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\nX-Empty:\r\n\r\n"
	if _, err := ParseRequest([]byte(in), &r, nil); err != nil {
		t.Fatal(err)
	}
	if got := string(r.Get("X-a")); got != "1" {
		t.Errorf("Get = %q", got)
	}
	if v := r.Get("x-empty"); v == nil || len(v) != 0 {
		t.Errorf("Get empty = %#v", v)
	}
	if r.Get("missing") != nil || r.Has("missing") || !r.Has("HOST") {
		t.Error("Get/Has missing")
	}
	r.Del("X-A")
	if r.Has("x-a") || r.Get("x-a") != nil || len(r.Headers) != 4 || r.Headers[1].Name != nil || r.Headers[2].Name != nil {
		t.Errorf("Del: %s", fmtHeaders(r.Headers))
	}
	r.Add([]byte("X-B"), []byte("3"))
	r.Set([]byte("x-empty"), []byte("4"))
	if got := fmtHeaders(r.Headers); got != `"Host":"a";"":"";"":"";"":"";"X-B":"3";"x-empty":"4";` {
		t.Errorf("Add/Set: %s", got)
	}
	if r.Get("") != nil {
		t.Error("Get(\"\") matched a deleted field")
	}
}
