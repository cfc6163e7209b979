package h1

import (
	"testing"
)

func TestAppendRequestHead(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		o    *WriteOptions
		want string
	}{
		{"plain", "GET /a?b HTTP/1.1\nHost: h\nAccept: */*\n\n", nil,
			"GET /a?b HTTP/1.1\nHost: h\nAccept: */*\n\n"},
		{"1.0 becomes 1.1", "GET / HTTP/1.0\nHost: h\n\n", nil,
			"GET / HTTP/1.1\nHost: h\n\n"},
		{"1.0 without Host", "GET / HTTP/1.0\nA: b\n\n", nil,
			"GET / HTTP/1.1\nHost: \nA: b\n\n"},
		{"absolute-form without Host", "GET http://x.example/ HTTP/1.0\n\n", nil,
			"GET / HTTP/1.1\nHost: x.example\n\n"},
		{"absolute-form: origin-form, Host from the target", "GET http://a.example/x?q=1 HTTP/1.1\nHost: b.example\nA: b\n\n", nil,
			"GET /x?q=1 HTTP/1.1\nHost: a.example\nA: b\n\n"},
		{"absolute-form without a path", "GET http://a.example?q HTTP/1.1\nHost: a.example\n\n", nil,
			"GET /?q HTTP/1.1\nHost: a.example\n\n"},
		{"asterisk-form kept", "OPTIONS * HTTP/1.1\nHost: h\n\n", nil,
			"OPTIONS * HTTP/1.1\nHost: h\n\n"},
		{"hop-by-hop", "GET / HTTP/1.1\nHost: h\nConnection: keep-alive, X-Hop\nKeep-Alive: 5\nTE: trailers\nTrailer: X\nUpgrade: h2c\nProxy-Connection: x\nProxy-Authorization: y\nProxy-Authenticate: z\nX-Hop: 1\nx-hop: 2\nX-End: 3\n\n", nil,
			"GET / HTTP/1.1\nHost: h\nX-End: 3\n\n"},
		{"Connection cannot drop framing", "POST / HTTP/1.1\nHost: h\nConnection: Host, Content-Length, Transfer-Encoding\nTransfer-Encoding: chunked\n\n", nil,
			"POST / HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n"},
		{"repeated Content-Length sent once", "POST / HTTP/1.1\nHost: h\ncontent-length: 5, 5\nA: b\nContent-Length: 5\n\n", nil,
			"POST / HTTP/1.1\nHost: h\ncontent-length: 5\nA: b\n\n"},
		{"case and order kept", "GET / HTTP/1.1\nhost: h\nx-b: 1\nX-A: 2\nx-b: 3\n\n", nil,
			"GET / HTTP/1.1\nhost: h\nx-b: 1\nX-A: 2\nx-b: 3\n\n"},
		{"forwarded new", "GET / HTTP/1.1\nHost: h\n\n",
			&WriteOptions{ForwardedFor: []byte("10.0.0.1"), ForwardedProto: []byte("https"), Via: []byte("velox")},
			"GET / HTTP/1.1\nHost: h\nX-Forwarded-For: 10.0.0.1\nX-Forwarded-Proto: https\nVia: 1.1 velox\n\n"},
		{"forwarded existing", "GET / HTTP/1.0\nHost: h\nX-Forwarded-For: 1.1.1.1\nVia: 1.0 a\nX-Forwarded-Proto: http\nx-forwarded-for: 2.2.2.2, 3.3.3.3\nX-Forwarded-For:\nA: b\n\n",
			&WriteOptions{ForwardedFor: []byte("10.0.0.1"), ForwardedProto: []byte("https"), Via: []byte("velox")},
			"GET / HTTP/1.1\nHost: h\nA: b\nX-Forwarded-For: 1.1.1.1, 2.2.2.2, 3.3.3.3, 10.0.0.1\nX-Forwarded-Proto: https\nVia: 1.0 a, 1.0 velox\n\n"},
		{"forwarded untouched without options", "GET / HTTP/1.1\nHost: h\nX-Forwarded-For: 1.1.1.1\nVia: 1.1 a\n\n", &WriteOptions{},
			"GET / HTTP/1.1\nHost: h\nX-Forwarded-For: 1.1.1.1\nVia: 1.1 a\n\n"},
		{"close", "GET / HTTP/1.1\nHost: h\nConnection: keep-alive\n\n", &WriteOptions{Close: true, KeepAlive: true},
			"GET / HTTP/1.1\nHost: h\nConnection: close\n\n"},
		{"keep-alive", "GET / HTTP/1.1\nHost: h\n\n", &WriteOptions{KeepAlive: true},
			"GET / HTTP/1.1\nHost: h\nConnection: keep-alive\n\n"},
		{"upgrade", "GET /ws HTTP/1.1\nHost: h\nConnection: Upgrade, X-Hop\nUpgrade: websocket\nX-Hop: 1\nSec-WebSocket-Key: k\n\n", nil,
			"GET /ws HTTP/1.1\nHost: h\nUpgrade: websocket\nSec-WebSocket-Key: k\nConnection: upgrade\n\n"},
		{"upgrade in 1.0 dropped", "GET /ws HTTP/1.0\nHost: h\nConnection: Upgrade\nUpgrade: websocket\n\n", nil,
			"GET /ws HTTP/1.1\nHost: h\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r Request
			if _, err := ParseRequest([]byte(crlf(tc.in)), &r, nil); err != nil {
				t.Fatal(err)
			}
			got := string(AppendRequestHead([]byte("prefix:"), &r, tc.o))
			if want := "prefix:" + crlf(tc.want); got != want {
				t.Errorf("got\n%q\nwant\n%q", got, want)
			}
			var back Request // what velox writes, velox reads
			if _, err := ParseRequest([]byte(got[len("prefix:"):]), &back, nil); err != nil && r.Minor == 1 {
				t.Errorf("written head does not parse: %v", err)
			}
		})
	}
}

func TestAppendRequestHeadFilters(t *testing.T) {
	var r Request
	if _, err := ParseRequest([]byte(crlf("GET / HTTP/1.1\nHost: h\nCookie: c\nX-A: 1\n\n")), &r, nil); err != nil {
		t.Fatal(err)
	}
	r.Del("cookie")
	r.Set([]byte("X-A"), []byte("2"))
	r.Add([]byte("X-B"), []byte("3"))
	got := string(AppendRequestHead(nil, &r, nil))
	if want := crlf("GET / HTTP/1.1\nHost: h\nX-A: 2\nX-B: 3\n\n"); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAppendResponseHead(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		o    *WriteOptions
		want string
	}{
		{"plain", "HTTP/1.1 200 OK\nContent-Length: 2\nServer: s\n\n", nil,
			"HTTP/1.1 200 OK\nContent-Length: 2\nServer: s\n\n"},
		{"1.0 empty reason", "HTTP/1.0 404\nContent-Length: 0\n\n", nil,
			"HTTP/1.1 404 \nContent-Length: 0\n\n"},
		{"hop-by-hop and via", "HTTP/1.1 200 OK\nConnection: close, X-Hop\nKeep-Alive: timeout=5\nX-Hop: 1\nTransfer-Encoding: chunked\nVia: 1.1 up\n\n",
			&WriteOptions{Via: []byte("velox"), ForwardedFor: []byte("ignored"), ForwardedProto: []byte("ignored"), KeepAlive: true},
			"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\nVia: 1.1 up, 1.1 velox\nConnection: keep-alive\n\n"},
		{"101 keeps upgrade", "HTTP/1.1 101 Switching Protocols\nConnection: upgrade\nUpgrade: websocket\nSec-WebSocket-Accept: a\n\n", nil,
			"HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nSec-WebSocket-Accept: a\nConnection: upgrade\n\n"},
		{"200 drops upgrade", "HTTP/1.1 200 OK\nUpgrade: h2c\nContent-Length: 0\n\n", &WriteOptions{Close: true},
			"HTTP/1.1 200 OK\nContent-Length: 0\nConnection: close\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r Response
			if _, err := ParseResponse([]byte(crlf(tc.in)), &r, false, nil); err != nil {
				t.Fatal(err)
			}
			if got, want := string(AppendResponseHead(nil, &r, tc.o)), crlf(tc.want); got != want {
				t.Errorf("got\n%q\nwant\n%q", got, want)
			}
		})
	}
}

func TestAppendSimpleResponse(t *testing.T) {
	extra := []Header{{Name: []byte("Location"), Value: []byte("/x")}, {}}
	for _, tc := range []struct {
		status int
		ct     string
		extra  []Header
		body   string
		close  bool
		want   string
	}{
		{502, "text/plain", nil, "bad gateway\n", true,
			"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\nbad gateway\n"},
		{302, "", extra, "", false,
			"HTTP/1.1 302 Found\r\nContent-Length: 0\r\nLocation: /x\r\n\r\n"},
		{204, "text/plain", nil, "ignored", false,
			"HTTP/1.1 204 No Content\r\nContent-Type: text/plain\r\n\r\n"},
		{499, "", nil, "", true,
			"HTTP/1.1 499 Client Closed Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"},
		{799, "", nil, "", false,
			"HTTP/1.1 799 \r\nContent-Length: 0\r\n\r\n"},
	} {
		got := string(AppendSimpleResponse(nil, tc.status, tc.ct, tc.extra, []byte(tc.body), tc.close))
		if got != tc.want {
			t.Errorf("%d: got %q, want %q", tc.status, got, tc.want)
		}
	}
}

func TestStatusText(t *testing.T) {
	for code, want := range map[int]string{
		100: "Continue", 200: "OK", 204: "No Content", 301: "Moved Permanently", 304: "Not Modified",
		400: "Bad Request", 404: "Not Found", 413: "Content Too Large", 414: "URI Too Long",
		431: "Request Header Fields Too Large", 499: "Client Closed Request", 501: "Not Implemented",
		502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
		505: "HTTP Version Not Supported", 0: "", -1: "", 299: "", 600: "", 1000: "",
	} {
		if got := StatusText(code); got != want {
			t.Errorf("StatusText(%d) = %q, want %q", code, got, want)
		}
	}
}

// TestErrorStatuses checks every error the package can return: request
// errors have a client status, response errors 502.
func TestErrorStatuses(t *testing.T) {
	for req, resp := range upstreamErrors {
		if req.Status == 502 || resp.Status != 502 || resp.Reason != "upstream: "+req.Reason {
			t.Errorf("%+v -> %+v", req, resp)
		}
	}
	if upstreamError(errBadChunk).(*Error).Status != 502 || upstreamError(errBadStatus) != errBadStatus {
		t.Error("upstreamError")
	}
	if errBadHost.Error() != "h1: malformed Host" {
		t.Error(errBadHost.Error())
	}
}
