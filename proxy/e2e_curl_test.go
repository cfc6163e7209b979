package proxy

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// echoHandler answers what it saw, one "key=value" line each: the body's
// length and SHA-256, its framing, and the forwarding headers.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	if err != nil {
		http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("X-Origin", "echo")
	fmt.Fprintf(w, "method=%s\nuri=%s\nlen=%d\nsha=%x\nte=%s\ncl=%d\n",
		r.Method, r.URL.RequestURI(), n, h.Sum(nil), strings.Join(r.TransferEncoding, ","), r.ContentLength)
	fmt.Fprintf(w, "xff=%s\nxfp=%s\nvia=%s\nexpect=%s\n",
		r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Forwarded-Proto"), r.Header.Get("Via"),
		r.Header.Get("Expect"))
}

// echoed parses the echo handler's lines.
func echoed(t *testing.T, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	if m["method"] == "" {
		t.Fatalf("not an echo response:\n%s", out)
	}
	return m
}

// randomFile writes size random bytes to a temp file and returns its path
// and hex SHA-256.
func randomFile(t *testing.T, size int) (string, string) {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	p := filepath.Join(t.TempDir(), "body.bin")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return p, hex.EncodeToString(sum[:])
}

// echoProxy starts an echo origin and velox in front of it.
func echoProxy(t *testing.T) (*origin, *testProxy, string) {
	t.Helper()
	origin := newOrigin(t, echoHandler)
	srv := startProxySetup(t, oneCluster(t, "", origin.addr()), Options{Loops: 2}, nil)
	addr := srv.addr
	return origin, srv, "http://" + addr
}

func TestE2ECurlGet(t *testing.T) {
	_, _, base := echoProxy(t)
	out, _ := runCurl(t, "-i", base+"/get/me?x=1")
	head, body, _ := strings.Cut(out, "\r\n\r\n")
	if !strings.HasPrefix(head, "HTTP/1.1 200 OK") {
		t.Fatalf("status: %q", head)
	}
	if !strings.Contains(head, "\r\nVia: 1.1 velox") {
		t.Errorf("response lacks Via: 1.1 velox:\n%s", head)
	}
	if !strings.Contains(head, "\r\nX-Origin: echo") {
		t.Errorf("origin's header not forwarded:\n%s", head)
	}
	m := echoed(t, body)
	want := map[string]string{"method": "GET", "uri": "/get/me?x=1", "len": "0",
		"xff": "127.0.0.1", "xfp": "http", "via": "1.1 velox"}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("origin saw %s=%q, want %q", k, m[k], v)
		}
	}
}

func TestE2ECurlHead(t *testing.T) {
	origin := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1234")
		w.Header().Set("X-Method", r.Method)
		if r.Method != "HEAD" {
			w.Write(make([]byte, 1234))
		}
	})
	tp := startProxySetup(t, oneCluster(t, "", origin.addr()), Options{Loops: 2}, nil)
	addr := tp.addr
	// Two HEADs on one connection: a HEAD response has no body, so a proxy
	// that waited for 1234 bytes would hang the second request.
	out, stderr := runCurl(t, "-v", "-I", "http://"+addr+"/a", "http://"+addr+"/b")
	if n := strings.Count(out, "HTTP/1.1 200 OK"); n != 2 {
		t.Fatalf("want two 200s, got %d:\n%s", n, out)
	}
	if n := strings.Count(out, "Content-Length: 1234"); n != 2 {
		t.Errorf("Content-Length of the HEAD responses not kept:\n%s", out)
	}
	if !strings.Contains(out, "X-Method: HEAD") {
		t.Errorf("origin did not see HEAD:\n%s", out)
	}
	if !strings.Contains(stderr, "Re-using existing connection") {
		t.Errorf("curl did not reuse the connection after a HEAD:\n%s", stderr)
	}
}

func TestE2ECurlPost(t *testing.T) {
	_, _, base := echoProxy(t)
	out, _ := runCurl(t, "-d", "a=1&b=2", base+"/form")
	m := echoed(t, out)
	sum := sha256.Sum256([]byte("a=1&b=2"))
	if m["method"] != "POST" || m["len"] != "7" || m["cl"] != "7" || m["sha"] != hex.EncodeToString(sum[:]) {
		t.Errorf("origin saw %v, want POST of the 7 bytes a=1&b=2", m)
	}
}

func TestE2ECurlPostFile(t *testing.T) {
	_, _, base := echoProxy(t)
	path, sum := randomFile(t, 1<<20)
	// "Expect:" turns off curl's own 100-continue: a plain length body.
	out, _ := runCurl(t, "-H", "Expect:", "--data-binary", "@"+path, base+"/upload")
	m := echoed(t, out)
	if m["len"] != "1048576" || m["sha"] != sum || m["te"] != "" || m["cl"] != "1048576" {
		t.Errorf("origin saw len=%s cl=%s te=%q sha=%s, want 1 MiB with Content-Length, sha %s",
			m["len"], m["cl"], m["te"], m["sha"], sum)
	}
}

func TestE2ECurlChunkedUpload(t *testing.T) {
	_, _, base := echoProxy(t)
	path, sum := randomFile(t, 1<<20)
	out, _ := runCurl(t, "-H", "Expect:", "-H", "Transfer-Encoding: chunked",
		"--data-binary", "@"+path, base+"/chunked")
	m := echoed(t, out)
	if m["len"] != "1048576" || m["sha"] != sum || m["te"] != "chunked" || m["cl"] != "-1" {
		t.Errorf("origin saw len=%s cl=%s te=%q sha=%s, want 1 MiB chunked, sha %s",
			m["len"], m["cl"], m["te"], m["sha"], sum)
	}
}

func TestE2ECurlExpectContinue(t *testing.T) {
	_, _, base := echoProxy(t)
	path, sum := randomFile(t, 4<<20)
	out, stderr := runCurl(t, "-v", "-H", "Expect: 100-continue", "--data-binary", "@"+path, base+"/big")
	if !strings.Contains(stderr, "< HTTP/1.1 100 Continue") {
		t.Errorf("curl got no 100 Continue:\n%s", stderr)
	}
	m := echoed(t, out)
	if m["len"] != "4194304" || m["sha"] != sum {
		t.Errorf("origin saw len=%s sha=%s, want 4 MiB sha %s", m["len"], m["sha"], sum)
	}
	if m["expect"] != "" {
		t.Errorf("origin saw Expect: %q; velox answers it and must not forward it", m["expect"])
	}
}

func TestE2ECurlHTTP10(t *testing.T) {
	t.Run("close by default", func(t *testing.T) {
		_, srv, base := echoProxy(t)
		out, stderr := runCurl(t, "-v", "-i", "--http1.0", base+"/one", base+"/two")
		if n := strings.Count(out, " 200 OK"); n != 2 {
			t.Fatalf("want two 200s:\n%s", out)
		}
		if strings.Contains(strings.ToLower(out), "connection: keep-alive") {
			t.Errorf("velox offered keep-alive to an HTTP/1.0 client that did not ask:\n%s", out)
		}
		if strings.Contains(stderr, "Re-using existing connection") {
			t.Errorf("curl reused an HTTP/1.0 connection without keep-alive:\n%s", stderr)
		}
		if n := srv.totals().DownstreamConnsTotal; n != 2 {
			t.Errorf("downstream_connections_total = %d, want 2 (one per HTTP/1.0 request)", n)
		}
	})
	t.Run("keep-alive asked", func(t *testing.T) {
		_, srv, base := echoProxy(t)
		out, stderr := runCurl(t, "-v", "-i", "--http1.0", "-H", "Connection: keep-alive", base+"/one", base+"/two")
		if n := strings.Count(out, " 200 OK"); n != 2 {
			t.Fatalf("want two 200s:\n%s", out)
		}
		if n := strings.Count(strings.ToLower(out), "connection: keep-alive"); n != 2 {
			t.Errorf("want Connection: keep-alive on both responses:\n%s", out)
		}
		if !strings.Contains(stderr, "Re-using existing connection") {
			t.Errorf("curl did not reuse the keep-alive HTTP/1.0 connection:\n%s", stderr)
		}
		if n := srv.totals().DownstreamConnsTotal; n != 1 {
			t.Errorf("downstream_connections_total = %d, want 1", n)
		}
	})
}

func TestE2ECurlConnectionReuse(t *testing.T) {
	origin, srv, base := echoProxy(t)
	out, stderr := runCurl(t, "-v", base+"/1", base+"/2", base+"/3", base+"/4")
	for i := 1; i <= 4; i++ {
		if !strings.Contains(out, fmt.Sprintf("uri=/%d\n", i)) {
			t.Errorf("no answer for /%d:\n%s", i, out)
		}
	}
	if n := strings.Count(stderr, "Re-using existing connection"); n != 3 {
		t.Errorf("curl re-used the connection %d times, want 3:\n%s", n, stderr)
	}
	if !strings.Contains(stderr, "left intact") {
		t.Errorf("curl did not leave the connection intact:\n%s", stderr)
	}
	if n := srv.totals().DownstreamConnsTotal; n != 1 {
		t.Errorf("downstream_connections_total = %d, want 1", n)
	}
	// One client connection lives on one loop, whose pool kept the upstream
	// connection: the origin saw one connection for four requests.
	if n := origin.conns.Load(); n != 1 {
		t.Errorf("origin accepted %d connections for 4 requests on one client connection, want 1", n)
	}
}

// TestE2ECurlHopByHop checks what reaches a raw origin: hop-by-hop headers
// are gone, the forwarding headers are added, the rest keeps order and case.
func TestE2ECurlHopByHop(t *testing.T) {
	origin := startHeadOrigin(t, func(string) (string, bool) {
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=9\r\nX-Resp: 1\r\n\r\nok", false
	})
	tp := startProxySetup(t, oneCluster(t, "", origin.addr()), Options{Loops: 2}, nil)
	addr := tp.addr
	out, _ := runCurl(t, "-i",
		"-H", "X-First: 1",
		"-H", "Connection: X-Foo",
		"-H", "X-Foo: secret",
		"-H", "Keep-Alive: timeout=5",
		"-H", "TE: trailers",
		"-H", "Proxy-Authorization: Basic Zm9vOmJhcg==",
		"-H", "x-MiXeD-CaSe: Value With  Spaces",
		"-H", "X-Last: z",
		"http://"+addr+"/hop")
	if !strings.HasPrefix(out, "HTTP/1.1 200 OK") || !strings.HasSuffix(out, "ok") {
		t.Fatalf("response:\n%s", out)
	}
	if strings.Contains(out, "Keep-Alive: timeout=9") {
		t.Errorf("origin's Keep-Alive reached the client:\n%s", out)
	}
	heads := origin.Heads()
	if len(heads) != 1 {
		t.Fatalf("origin saw %d requests, want 1", len(heads))
	}
	head := heads[0]
	for _, gone := range []string{"X-Foo", "secret", "Keep-Alive", "TE:", "Proxy-Authorization", "Zm9vOmJhcg"} {
		if strings.Contains(head, gone) {
			t.Errorf("hop-by-hop %q reached the origin:\n%s", gone, head)
		}
	}
	if strings.Contains(head, "Connection: X-Foo") {
		t.Errorf("client's Connection header reached the origin:\n%s", head)
	}
	want := []string{
		"GET /hop HTTP/1.1\r\n",
		"\r\nX-First: 1\r\n",
		"\r\nx-MiXeD-CaSe: Value With  Spaces\r\n",
		"\r\nX-Last: z\r\n",
	}
	last := -1
	for _, w := range want {
		i := strings.Index(head, w)
		if i < 0 {
			t.Errorf("origin's head lacks %q (order and case kept):\n%s", w, head)
			continue
		}
		if i < last {
			t.Errorf("%q out of order:\n%s", w, head)
		}
		last = i
	}
	for _, w := range []string{"\r\nX-Forwarded-For: 127.0.0.1\r\n", "\r\nX-Forwarded-Proto: http\r\n", "\r\nVia: 1.1 velox\r\n"} {
		if !strings.Contains(head, w) {
			t.Errorf("origin's head lacks %q:\n%s", w, head)
		}
	}
}
