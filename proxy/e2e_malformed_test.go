package proxy

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// malformedLimits are small limits so that each limit case is cheap to hit.
const malformedLimits = `limits:
  max_uri: 256
  max_header_bytes: 2048
  max_headers: 10
  max_body_bytes: 1000
timeouts:
  header_read: 200ms
`

// TestE2EMalformedRequests sends every request the h1 strictness rules
// refuse over a raw connection and checks the exact status line, that velox
// closes the connection after it, that the origin saw nothing, and that the
// rejection is counted as a bad request.
func TestE2EMalformedRequests(t *testing.T) {
	// h1 only: malformed HTTP/1.1 input on a raw socket.
	origin := newOrigin(t, nameHandler("origin"))
	srv := startProxySetup(t, oneCluster(t, malformedLimits, origin.addr()), Options{Loops: 2}, nil)
	addr := srv.addr

	const host = "Host: localhost\r\n"
	manyHeaders := strings.Repeat("X-H: v\r\n", 11)
	bigHeader := "X-Big: " + strings.Repeat("a", 2100) + "\r\n"
	cases := []struct {
		name string
		req  string
		want string
		// bodyStarted: the head was valid and forwarded; the error is in the
		// body, so the origin may have seen the head.
		bodyStarted bool
		// slow: the head never completes; velox must answer on its own.
		slow bool
	}{
		{name: "CL and TE", req: "POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "TE and CL", req: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "differing CL", req: "POST / HTTP/1.1\r\n" + host + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "differing CL list", req: "POST / HTTP/1.1\r\n" + host + "Content-Length: 5, 6\r\n\r\nhello!",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "CL not a number", req: "POST / HTTP/1.1\r\n" + host + "Content-Length: 5x\r\n\r\nhello",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "CL negative", req: "POST / HTTP/1.1\r\n" + host + "Content-Length: -5\r\n\r\nhello",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "CL plus sign", req: "POST / HTTP/1.1\r\n" + host + "Content-Length: +5\r\n\r\nhello",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "TE not ending in chunked", req: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked, gzip\r\n\r\n",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "TE in HTTP/1.0", req: "POST / HTTP/1.0\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "unknown transfer coding", req: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n",
			want: "HTTP/1.1 501 Not Implemented"},
		{name: "bad chunk size", req: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
			want: "HTTP/1.1 400 Bad Request", bodyStarted: true},
		{name: "obs-fold", req: "GET / HTTP/1.1\r\n" + host + "X-A: one\r\n two\r\n\r\n",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "whitespace before colon", req: "GET / HTTP/1.1\r\n" + host + "X-A : one\r\n\r\n",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "CR in value", req: "GET / HTTP/1.1\r\n" + host + "X-A: o\rne\r\n\r\n",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "LF in value", req: "GET / HTTP/1.1\r\n" + host + "X-A: o\nne\r\n\r\n",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "NUL in value", req: "GET / HTTP/1.1\r\n" + host + "X-A: o\x00ne\r\n\r\n",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "missing Host on 1.1", req: "GET / HTTP/1.1\r\nX-A: one\r\n\r\n",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "two Host headers", req: "GET / HTTP/1.1\r\n" + host + "Host: other\r\n\r\n",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "request line without version", req: "GET /\r\n" + host + "\r\n",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "request line garbage", req: "HELLO\r\n\r\n",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "request line double space", req: "GET  / HTTP/1.1\r\n" + host + "\r\n",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "malformed version", req: "GET / HTTP/1.x\r\n" + host + "\r\n",
			want: "HTTP/1.1 400 Bad Request"},
		{name: "HTTP/2.0", req: "GET / HTTP/2.0\r\n" + host + "\r\n",
			want: "HTTP/1.1 505 HTTP Version Not Supported"},
		{name: "HTTP/3.0", req: "GET / HTTP/3.0\r\n" + host + "\r\n",
			want: "HTTP/1.1 505 HTTP Version Not Supported"},
		{name: "URI over max_uri", req: "GET /" + strings.Repeat("u", 300) + " HTTP/1.1\r\n" + host + "\r\n",
			want: "HTTP/1.1 414 URI Too Long"},
		{name: "head over max_header_bytes", req: "GET / HTTP/1.1\r\n" + host + bigHeader + "\r\n",
			want: "HTTP/1.1 431 Request Header Fields Too Large"},
		{name: "head over max_header_bytes, unfinished", req: "GET / HTTP/1.1\r\n" + host + bigHeader,
			want: "HTTP/1.1 431 Request Header Fields Too Large"},
		{name: "headers over max_headers", req: "GET / HTTP/1.1\r\n" + host + manyHeaders + "\r\n",
			want: "HTTP/1.1 431 Request Header Fields Too Large"},
		{name: "CL over max_body_bytes", req: "POST / HTTP/1.1\r\n" + host + "Content-Length: 1001\r\n\r\n",
			want: "HTTP/1.1 413 Content Too Large"},
		{name: "chunked body over max_body_bytes", req: "POST / HTTP/1.1\r\n" + host + "Transfer-Encoding: chunked\r\n\r\n" +
			"7d0\r\n" + strings.Repeat("b", 2000) + "\r\n0\r\n\r\n",
			want: "HTTP/1.1 413 Content Too Large", bodyStarted: true},
		{name: "head never completes", req: "GET / HTTP/1.1\r\n" + host + "X-A: one\r\n",
			want: "HTTP/1.1 408 Request Timeout", slow: true},
		// A prefix of the HTTP/2 preface is timed as a head, not as an
		// idle connection (timeouts.idle is 60 s, more than testWait).
		{name: "HTTP/2 preface never completes", req: "PRI * HTTP/2.0\r\n",
			want: "HTTP/1.1 408 Request Timeout", slow: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			origin, srv, addr := origin, srv, addr
			if tc.bodyStarted {
				// The origin may see this request late: give it its own
				// origin so that it cannot spoil the next case's count.
				origin = newOrigin(t, nameHandler("origin"))
				srv = startProxySetup(t, oneCluster(t, malformedLimits, origin.addr()), Options{Loops: 1}, nil)
				addr = srv.addr
			}
			hitsBefore, connsBefore := origin.reqs.Load(), origin.conns.Load()
			badBefore := srv.totals().BadRequestsTotal
			res := rawRoundTrip(t, addr, tc.req, testWait)
			if got := res.StatusLine(); got != tc.want {
				t.Fatalf("status line %q, want %q; response:\n%s", got, tc.want, res.data)
			}
			if !res.closed {
				t.Errorf("velox did not close the connection after %q", tc.want)
			}
			if !strings.HasPrefix(res.Body(), "velox: ") {
				t.Errorf("body %q does not say why (want \"velox: <reason>\")", res.Body())
			}
			if !tc.bodyStarted {
				if n := origin.reqs.Load() - hitsBefore; n != 0 {
					t.Errorf("origin got %d requests, want 0", n)
				}
				if n := origin.conns.Load() - connsBefore; n != 0 {
					t.Errorf("origin accepted %d connections, want 0", n)
				}
			}
			if !holds(func() bool { return srv.totals().BadRequestsTotal == badBefore+1 }) {
				t.Errorf("bad_requests_total went from %d to %d, want +1", badBefore, srv.totals().BadRequestsTotal)
			}
		})
	}

	// The same proxy forwards a good request: the assertions above can fail.
	t.Run("control", func(t *testing.T) {
		hitsBefore := origin.reqs.Load()
		res := rawRoundTrip(t, addr, "GET /ok HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", testWait)
		if got := res.StatusLine(); got != "HTTP/1.1 200 OK" {
			t.Fatalf("status line %q; response:\n%s", got, res.data)
		}
		if origin.reqs.Load() != hitsBefore+1 {
			t.Errorf("origin hits %d, want %d", origin.reqs.Load(), hitsBefore+1)
		}
		// HTTP/1.0 needs no Host: the default product serves it.
		res = rawRoundTrip(t, addr, "GET /ten HTTP/1.0\r\n\r\n", testWait)
		if got := res.StatusLine(); got != "HTTP/1.1 200 OK" || !strings.Contains(res.Body(), "GET /ten") {
			t.Fatalf("HTTP/1.0 without Host: %q; response:\n%s", got, res.data)
		}
		if !res.closed {
			t.Error("HTTP/1.0 connection without keep-alive left open")
		}
	})
}

// TestE2EMalformedRequestAfterGoodOne checks that a bad request pipelined
// behind a good one on a keep-alive connection gets its status after the
// good response, and only the good one reaches the origin.
func TestE2EMalformedRequestAfterGoodOne(t *testing.T) {
	// h1 only: a bad request pipelined on a raw HTTP/1.1 socket.
	origin := newOrigin(t, nameHandler("origin"))
	tp := startProxySetup(t, oneCluster(t, "", origin.addr()), Options{Loops: 2}, nil)
	addr := tp.addr
	req := "GET /first HTTP/1.1\r\nHost: localhost\r\n\r\n" +
		"GET /second HTTP/1.1\r\nHost: localhost\r\nX-A : bad\r\n\r\n"
	res := rawRoundTrip(t, addr, req, testWait)
	got := string(res.data)
	first := strings.Index(got, "HTTP/1.1 200 OK")
	second := strings.Index(got, "HTTP/1.1 400 Bad Request")
	if first != 0 || second < 0 {
		t.Fatalf("want 200 then 400; got:\n%s", got)
	}
	if !strings.Contains(got[:second], "origin GET /first") {
		t.Errorf("first response is not the origin's:\n%s", got[:second])
	}
	if !res.closed {
		t.Error("connection not closed after the 400")
	}
	if n := origin.reqs.Load(); n != 1 {
		t.Errorf("origin got %d requests, want 1", n)
	}
}

// TestE2EMalformedResponses has origins that break the response rules; the
// client must get a 502 whose body says the backend's response was malformed.
func TestE2EMalformedResponses(t *testing.T) { run(t, testE2EMalformedResponses) }

func testE2EMalformedResponses(t *testing.T, m mode) {
	cases := []struct {
		name string
		resp string
	}{
		{"garbage", "HELLO WORLD\r\n\r\n"},
		{"CL and TE", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
		{"differing CL", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello"},
		{"obs-fold", "HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nContent-Length: 0\r\n\r\n"},
		{"bad status code", "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n"},
		{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			origin := startHeadOrigin(t, func(string) (string, bool) { return tc.resp, true })
			srv := startProxySetup(t, oneCluster(t, "", origin.addr()), Options{Loops: 1}, nil)
			body := malformedResponseBody(t, m, srv)
			if !strings.Contains(body, "backend sent a malformed response") {
				t.Errorf("502 body %q does not say why", body)
			}
			if !strings.Contains(body, origin.addr()) {
				t.Errorf("502 body %q does not name the backend %s", body, origin.addr())
			}
			if len(origin.Heads()) != 1 {
				t.Errorf("origin saw %d requests, want 1 (no retry after a response)", len(origin.Heads()))
			}
			// Counted when the stream ends, which in h2c can be just after
			// the client read the response.
			if !holds(func() bool { return srv.totals().Responses5xx == 1 }) {
				t.Errorf("responses_5xx = %d, want 1", srv.totals().Responses5xx)
			}
		})
	}
}

// malformedResponseBody sends GET / and wants a 502: in h1 on a raw
// connection, with its status line; in h2c through net/http (an HTTP/2
// response has no reason phrase). It returns the body.
func malformedResponseBody(t *testing.T, m mode, tp *testProxy) string {
	t.Helper()
	if !m.h2() {
		res := rawRoundTrip(t, tp.addr, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", testWait)
		if got := res.StatusLine(); got != "HTTP/1.1 502 Bad Gateway" {
			t.Fatalf("status line %q, want 502; response:\n%s", got, res.data)
		}
		return res.Body()
	}
	req, _ := http.NewRequest("GET", tp.url("/"), nil)
	req.Host = "localhost"
	resp, err := tp.do(m, req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 502 || err != nil {
		t.Fatalf("status %d (%v), want 502; body:\n%s", resp.StatusCode, err, b)
	}
	return string(b)
}
