package h1

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"slices"
	"testing"
)

// The differential tests hold velox's parser against net/http's. net/http is
// more lenient (bare LF, no Host, TE in HTTP/1.0, ...), so they compare only
// messages that both accept: then both must read them the same way.

// skipFields are moved out of the header map by net/http or rewritten by it.
var skipFields = []string{"Host", "Content-Length", "Transfer-Encoding", "Connection"}

// diffRequest reports whether both parsers accepted in, and fails t if they
// then disagree.
func diffRequest(t *testing.T, in []byte) bool {
	t.Helper()
	var r Request
	if _, err := ParseRequest(in, &r, nil); err != nil {
		return false
	}
	hr, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(in)))
	if err != nil {
		return false
	}
	fail := func(what string, ours, theirs any) {
		t.Helper()
		t.Errorf("%q: %s: velox %v, net/http %v", in, what, ours, theirs)
	}
	if string(r.Method) != hr.Method {
		fail("method", string(r.Method), hr.Method)
	}
	if string(r.Target) != hr.RequestURI {
		fail("target", string(r.Target), hr.RequestURI)
	}
	if string(r.Host) != hr.Host {
		fail("host", string(r.Host), hr.Host)
	}
	if r.Minor != min(hr.ProtoMinor, 1) || hr.ProtoMajor != 1 {
		fail("version", r.Minor, hr.Proto)
	}
	if r.KeepAlive == hr.Close {
		fail("keep-alive", r.KeepAlive, !hr.Close)
	}
	chunked := slices.Equal(hr.TransferEncoding, []string{"chunked"})
	switch r.Framing {
	case FramingChunked:
		if !chunked {
			fail("chunked", true, hr.TransferEncoding)
		}
	case FramingLength:
		if chunked || hr.ContentLength != r.ContentLength {
			fail("content-length", r.ContentLength, hr.ContentLength)
		}
	case FramingNone:
		if chunked || hr.ContentLength != 0 {
			fail("no body", r.Framing, hr.ContentLength)
		}
	}
	diffFields(t, in, r.Headers, hr.Header)
	return true
}

func diffResponse(t *testing.T, in []byte, head bool) bool {
	t.Helper()
	var r Response
	if _, err := ParseResponse(in, &r, head, nil); err != nil {
		return false
	}
	method := "GET"
	if head {
		method = "HEAD"
	}
	hr, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(in)), &http.Request{Method: method})
	if err != nil {
		return false
	}
	fail := func(what string, ours, theirs any) {
		t.Helper()
		t.Errorf("%q (head %v): %s: velox %v, net/http %v", in, head, what, ours, theirs)
	}
	if r.Status != hr.StatusCode {
		fail("status", r.Status, hr.StatusCode)
	}
	if r.Minor != min(hr.ProtoMinor, 1) || hr.ProtoMajor != 1 {
		fail("version", r.Minor, hr.Proto)
	}
	if r.KeepAlive == hr.Close {
		fail("keep-alive", r.KeepAlive, !hr.Close)
	}
	chunked := slices.Equal(hr.TransferEncoding, []string{"chunked"})
	switch r.Framing {
	case FramingChunked:
		if !chunked {
			fail("chunked", true, hr.TransferEncoding)
		}
	case FramingLength:
		if chunked || hr.ContentLength != r.ContentLength {
			fail("content-length", r.ContentLength, hr.ContentLength)
		}
	case FramingClose:
		if chunked || hr.ContentLength != -1 || !hr.Close {
			fail("close-delimited", r.Framing, hr.ContentLength)
		}
	}
	diffFields(t, in, r.Headers, hr.Header)
	return true
}

// diffFields compares the field values, in order, name by name.
func diffFields(t *testing.T, in []byte, hs []Header, theirs http.Header) {
	t.Helper()
	ours := http.Header{}
	for _, h := range hs {
		k := textproto.CanonicalMIMEHeaderKey(string(h.Name))
		ours[k] = append(ours[k], string(h.Value))
	}
	for _, k := range skipFields {
		delete(ours, k)
		theirs = theirs.Clone()
		delete(theirs, k)
	}
	if len(ours) != len(theirs) {
		t.Errorf("%q: fields: velox %q, net/http %q", in, ours, theirs)
		return
	}
	for k, v := range ours {
		if !slices.Equal(v, theirs[k]) {
			t.Errorf("%q: field %s: velox %q, net/http %q", in, k, v, theirs[k])
		}
	}
}

// diffRequests are messages both parsers should accept, plus a few only one
// of them does.
var diffRequests = []string{
	"GET / HTTP/1.1\nHost: a\n\n",
	"GET /x?y=z HTTP/1.0\n\n",
	"GET /x HTTP/1.0\nConnection: keep-alive\nHost: a\n\n",
	"GET /x HTTP/1.1\nHost: a\nConnection: close\n\n",
	"GET /x HTTP/1.1\nHost: a\nConnection: Keep-Alive, Close\n\n",
	"GET /x HTTP/1.1\nHost: a\nConnection: keep-alive\n\n",
	"GET / HTTP/1.2\nHost: a\n\n",
	"POST /p HTTP/1.1\nHost: a\nContent-Length: 10\n\n",
	"POST /p HTTP/1.1\nHost: a\nContent-Length: 10\nContent-Length: 10\n\n",
	"POST /p HTTP/1.1\nHost: a\nContent-Length: 010\n\n",
	"POST /p HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n",
	"POST /p HTTP/1.1\nHost: a\nTransfer-Encoding: Chunked\n\n",
	"POST /p HTTP/1.1\nHost: a\nTransfer-Encoding: gzip, chunked\n\n",
	"GET http://b.example/p?q HTTP/1.1\nHost: a\n\n",
	"GET https://b.example:8443 HTTP/1.1\nHost: b.example:8443\n\n",
	"CONNECT b.example:443 HTTP/1.1\nHost: b.example:443\n\n",
	"OPTIONS * HTTP/1.1\nHost: a\n\n",
	"GET / HTTP/1.1\nHost: a\nX-A: 1\nx-a: 2\nX-B:   spaced  \t\nX-Empty:\n\n",
	"GET / HTTP/1.1\nHost: a\nX-Obs: caf\xc3\xa9 \xff\n\n",
	"GET / HTTP/1.1\nHost: a\nCookie: a=b; c=d\nCookie: e=f\n\n",
	"GET /%7Euser/a%20b;p?q=1&r=%2F HTTP/1.1\nHost: [::1]:80\n\n",
	"GET / HTTP/1.1\nHost:\n\n",
	"GET / HTTP/1.1\nHost: a\nExpect: 100-continue\n\n",
	"GET / HTTP/1.1\nHost: a\nUpgrade: websocket\nConnection: upgrade\n\n",
	"M-SEARCH /x HTTP/1.1\nHost: a\n\n",
	"\n\nGET / HTTP/1.1\nHost: a\n\n",
	// velox rejects these; net/http accepts some of them.
	"GET / HTTP/1.1\n\n",
	"GET / HTTP/1.1\r\nHost: a\n\r\n",
	"POST / HTTP/1.0\nTransfer-Encoding: chunked\n\n",
	"POST / HTTP/1.1\nHost: a\nContent-Length: 1, 1\n\n",
	"GET / HTTP/1.1\nHost: a\nHost: b\n\n",
	"GET / HTTP/1.1\nHost: a\nX: a\n b\n\n",
}

var diffResponses = []string{
	"HTTP/1.1 200 OK\nContent-Length: 5\n\n",
	"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n",
	"HTTP/1.1 200 OK\n\n",
	"HTTP/1.0 200 OK\n\n",
	"HTTP/1.0 200 OK\nContent-Length: 0\nConnection: keep-alive\n\n",
	"HTTP/1.1 200 OK\nContent-Length: 0\nConnection: close\n\n",
	"HTTP/1.1 204 No Content\n\n",
	"HTTP/1.1 304 Not Modified\nContent-Length: 10\n\n",
	"HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\n\n",
	"HTTP/1.1 404\nContent-Length: 0\n\n",
	"HTTP/1.1 404 \nContent-Length: 0\n\n",
	"HTTP/1.1 200 OK\nSet-Cookie: a=1\nSet-Cookie: b=2\nContent-Length: 2\n\n",
	"HTTP/1.1 200 OK\nContent-Length: 3\nContent-Length: 3\n\n",
	"HTTP/1.1 500 Internal Server Error\nX: \xff\nContent-Length: 0\n\n",
	"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\nContent-Length: 3\n\n",
	"HTTP/1.1 099 Low\n\n",
}

func TestDifferentialNetHTTP(t *testing.T) {
	compared := 0
	for _, s := range diffRequests {
		if diffRequest(t, []byte(crlf(s))) {
			compared++
		}
	}
	for _, s := range diffResponses {
		for _, head := range []bool{false, true} {
			if diffResponse(t, []byte(crlf(s)), head) {
				compared++
			}
		}
	}
	t.Logf("%d messages compared", compared)
	// The checker must have had work to do.
	if want := 50; compared < want {
		t.Errorf("only %d messages accepted by both parsers, want at least %d", compared, want)
	}
}

// diffChunked compares the data velox decodes from a complete chunked body
// with what net/http/httputil's chunked reader decodes, when both accept it.
func diffChunked(t *testing.T, body, decoded []byte) {
	t.Helper()
	theirs, err := io.ReadAll(httputil.NewChunkedReader(bytes.NewReader(body)))
	if err == nil && !bytes.Equal(theirs, decoded) {
		t.Errorf("%q: velox decodes %q, net/http %q", body, decoded, theirs)
	}
}

func TestDifferentialChunked(t *testing.T) {
	for _, body := range []string{
		"5\r\nhello\r\n0\r\n\r\n",
		"1;a=b\r\nx\r\n2\r\nyz\r\n0\r\nT: v\r\n\r\n",
		"0010\r\n0123456789abcdef\r\n0\r\n\r\n",
	} {
		n, done, decoded, err := scanAll(FramingChunked, 0, []byte(body))
		if err != nil || !done || n != len(body) {
			t.Fatalf("%q: %v", body, err)
		}
		diffChunked(t, []byte(body), decoded)
	}
}

// Pieces of generated messages: mostly valid, with the edge cases where
// parsers tend to differ.
var (
	genMethods  = []string{"GET", "POST", "HEAD", "OPTIONS", "CONNECT", "PUT", "M-SEARCH", "get"}
	genTargets  = []string{"/", "/a?b", "*", "http://h.example/x?y", "https://h.example:8443", "h.example:443", "//x/y", "/a%20b;c", "/?x=#f"}
	genVersions = []string{"HTTP/1.0", "HTTP/1.1", "HTTP/1.1", "HTTP/1.2"}
	genFields   = []string{
		"Host: a", "Host: h.example:443", "Host:", "HOST: b",
		"Content-Length: 0", "Content-Length: 5", "Content-Length: 5, 5", "Content-Length: 05", "content-length: 6",
		"Transfer-Encoding: chunked", "Transfer-Encoding: gzip, chunked", "Transfer-Encoding: gzip", "transfer-encoding: CHUNKED",
		"Connection: close", "Connection: keep-alive", "Connection: Upgrade", "Connection: keep-alive, close",
		"Upgrade: websocket", "Expect: 100-continue", "X-A: 1", "x-a:  2 ", "X-Empty:", "Cookie: a=b",
		"X-Tab:\tv\tw\t", "X-Obs: \xe9t\xe9", "Via: 1.0 a, 1.1 b",
	}
	genStatuses = []string{"200 OK", "204 No Content", "304 Not Modified", "101 Switching Protocols", "404", "500 Internal Server Error", "100 Continue", "206 "}
)

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

// genMessage builds a head from the start-line and up to five fields; one in
// twenty uses bare LF line ends.
func genMessage(r *rand.Rand, start string) []byte {
	eol := "\r\n"
	if r.IntN(20) == 0 {
		eol = "\n"
	}
	b := []byte(start + eol)
	for range r.IntN(6) {
		b = append(b, pick(r, genFields)+eol...)
	}
	return append(b, eol...)
}

// TestDifferentialGenerated compares thousands of generated messages.
func TestDifferentialGenerated(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	reqs, resps := 0, 0
	for range 3000 {
		start := pick(r, genMethods) + " " + pick(r, genTargets) + " " + pick(r, genVersions)
		if diffRequest(t, genMessage(r, start)) {
			reqs++
		}
		start = pick(r, genVersions) + " " + pick(r, genStatuses)
		if diffResponse(t, genMessage(r, start), r.IntN(4) == 0) {
			resps++
		}
	}
	t.Logf("compared %d requests and %d responses", reqs, resps)
	if reqs < 400 || resps < 1500 {
		t.Errorf("too few messages accepted by both parsers: %d requests, %d responses", reqs, resps)
	}
}
