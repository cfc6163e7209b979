package proxy

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
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
	seen := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			seen[k] = v
		}
	}
	if seen["method"] == "" {
		t.Fatalf("not an echo response:\n%s", out)
	}
	return seen
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

// skipCurlH2CReuse skips a test that needs curl to reuse an HTTP/2
// prior-knowledge connection for several URLs when the curl installed
// cannot: curl 7.88 fails the second URL with "(16) Error in the HTTP2
// framing layer" before sending it, against net/http's own h2c server too.
func skipCurlH2CReuse(t *testing.T, m mode) {
	t.Helper()
	if !m.h2() {
		return
	}
	out, err := exec.Command("curl", "--version").Output()
	if err != nil || strings.HasPrefix(string(out), "curl 7.88.") {
		t.Skip("curl 7.88 cannot reuse a prior-knowledge HTTP/2 connection (not velox: it fails against net/http's h2c server too)")
	}
}

// curlFlag is the curl option that speaks m.
func curlFlag(m mode) string {
	if m.h2() {
		return "--http2-prior-knowledge"
	}
	return "--http1.1"
}

// curlStatus is how curl -i prints a status line in mode m (HTTP/2 has no
// reason phrase).
func curlStatus(m mode, code int) string {
	if m.h2() {
		return fmt.Sprintf("HTTP/2 %d", code)
	}
	return fmt.Sprintf("HTTP/1.1 %d %s", code, http.StatusText(code))
}

// curlField is how curl -i prints a response field in mode m: HTTP/2
// field names are lowercase on the wire.
func curlField(m mode, name, value string) string {
	if m.h2() {
		name = strings.ToLower(name)
	}
	return name + ": " + value
}

func TestE2ECurlGet(t *testing.T) { run(t, testE2ECurlGet) }

func testE2ECurlGet(t *testing.T, m mode) {
	_, _, base := echoProxy(t)
	out, _ := runCurl(t, curlFlag(m), "-i", base+"/get/me?x=1")
	head, body, _ := strings.Cut(out, "\r\n\r\n")
	if !strings.HasPrefix(head, curlStatus(m, 200)) {
		t.Fatalf("status: %q", head)
	}
	if !strings.Contains(head, "\r\n"+curlField(m, "X-Origin", "echo")) {
		t.Errorf("origin's header not forwarded:\n%s", head)
	}
	seen := echoed(t, body)
	want := map[string]string{"method": "GET", "uri": "/get/me?x=1", "len": "0",
		"xff": "127.0.0.1", "xfp": "http"}
	for k, v := range want {
		if seen[k] != v {
			t.Errorf("origin saw %s=%q, want %q", k, seen[k], v)
		}
	}
	if !strings.Contains(head, "\r\n"+curlField(m, "Via", "1.1 velox")) {
		t.Errorf("response lacks Via: 1.1 velox:\n%s", head)
	}
	if v := requestVia(m); seen["via"] != v {
		t.Errorf("origin saw via=%q, want %q", seen["via"], v)
	}
}

// requestVia is the Via the origin must see for a request received in mode
// m: its received-protocol is the version the client spoke.
func requestVia(m mode) string {
	if m.h2() {
		return "2 velox"
	}
	return "1.1 velox"
}

func TestE2ECurlHead(t *testing.T) { run(t, testE2ECurlHead) }

func testE2ECurlHead(t *testing.T, m mode) {
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
	skipCurlH2CReuse(t, m)
	out, stderr := runCurl(t, curlFlag(m), "-v", "-I", "http://"+addr+"/a", "http://"+addr+"/b")
	if n := strings.Count(out, curlStatus(m, 200)); n != 2 {
		t.Fatalf("want two 200s, got %d:\n%s", n, out)
	}
	if n := strings.Count(out, curlField(m, "Content-Length", "1234")); n != 2 {
		t.Errorf("Content-Length of the HEAD responses not kept:\n%s", out)
	}
	if !strings.Contains(out, curlField(m, "X-Method", "HEAD")) {
		t.Errorf("origin did not see HEAD:\n%s", out)
	}
	if !strings.Contains(stderr, "Re-using existing connection") {
		t.Errorf("curl did not reuse the connection after a HEAD:\n%s", stderr)
	}
}

func TestE2ECurlPost(t *testing.T) { run(t, testE2ECurlPost) }

func testE2ECurlPost(t *testing.T, m mode) {
	_, _, base := echoProxy(t)
	out, _ := runCurl(t, curlFlag(m), "-d", "a=1&b=2", base+"/form")
	seen := echoed(t, out)
	sum := sha256.Sum256([]byte("a=1&b=2"))
	if seen["method"] != "POST" || seen["len"] != "7" || seen["cl"] != "7" || seen["sha"] != hex.EncodeToString(sum[:]) {
		t.Errorf("origin saw %v, want POST of the 7 bytes a=1&b=2", seen)
	}
}

func TestE2ECurlPostFile(t *testing.T) { run(t, testE2ECurlPostFile) }

func testE2ECurlPostFile(t *testing.T, m mode) {
	_, _, base := echoProxy(t)
	path, sum := randomFile(t, 1<<20)
	// "Expect:" turns off curl's own 100-continue: a plain length body.
	out, _ := runCurl(t, curlFlag(m), "-H", "Expect:", "--data-binary", "@"+path, base+"/upload")
	seen := echoed(t, out)
	if seen["len"] != "1048576" || seen["sha"] != sum || seen["te"] != "" || seen["cl"] != "1048576" {
		t.Errorf("origin saw len=%s cl=%s te=%q sha=%s, want 1 MiB with Content-Length, sha %s",
			seen["len"], seen["cl"], seen["te"], seen["sha"], sum)
	}
}

func TestE2ECurlChunkedUpload(t *testing.T) { run(t, testE2ECurlChunkedUpload) }

func testE2ECurlChunkedUpload(t *testing.T, m mode) {
	_, _, base := echoProxy(t)
	path, sum := randomFile(t, 1<<20)
	// In h2c curl sends no Transfer-Encoding (there is no chunked framing
	// in HTTP/2): a body without a length, which velox forwards chunked.
	out, _ := runCurl(t, curlFlag(m), "-H", "Expect:", "-H", "Transfer-Encoding: chunked",
		"--data-binary", "@"+path, base+"/chunked")
	seen := echoed(t, out)
	if seen["len"] != "1048576" || seen["sha"] != sum || seen["te"] != "chunked" || seen["cl"] != "-1" {
		t.Errorf("origin saw len=%s cl=%s te=%q sha=%s, want 1 MiB chunked, sha %s",
			seen["len"], seen["cl"], seen["te"], seen["sha"], sum)
	}
}

func TestE2ECurlExpectContinue(t *testing.T) { run(t, testE2ECurlExpectContinue) }

func testE2ECurlExpectContinue(t *testing.T, m mode) {
	_, _, base := echoProxy(t)
	path, sum := randomFile(t, 4<<20)
	out, stderr := runCurl(t, curlFlag(m), "-v", "-H", "Expect: 100-continue", "--data-binary", "@"+path, base+"/big")
	if !strings.Contains(stderr, "< "+curlStatus(m, 100)) {
		t.Errorf("curl got no 100 Continue:\n%s", stderr)
	}
	seen := echoed(t, out)
	if seen["len"] != "4194304" || seen["sha"] != sum {
		t.Errorf("origin saw len=%s sha=%s, want 4 MiB sha %s", seen["len"], seen["sha"], sum)
	}
	if seen["expect"] != "" {
		t.Errorf("origin saw Expect: %q; velox answers it and must not forward it", seen["expect"])
	}
}

func TestE2ECurlHTTP10(t *testing.T) {
	// h1 only: HTTP/1.0 and its keep-alive.
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

func TestE2ECurlConnectionReuse(t *testing.T) { run(t, testE2ECurlConnectionReuse) }

func testE2ECurlConnectionReuse(t *testing.T, m mode) {
	origin, srv, base := echoProxy(t)
	skipCurlH2CReuse(t, m)
	out, stderr := runCurl(t, curlFlag(m), "-v", base+"/1", base+"/2", base+"/3", base+"/4")
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
func TestE2ECurlHopByHop(t *testing.T) { run(t, testE2ECurlHopByHop) }

func testE2ECurlHopByHop(t *testing.T, m mode) {
	origin := startHeadOrigin(t, func(string) (string, bool) {
		return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=9\r\nX-Resp: 1\r\n\r\nok", false
	})
	tp := startProxySetup(t, oneCluster(t, "", origin.addr()), Options{Loops: 2}, nil)
	addr := tp.addr
	out, _ := runCurl(t, curlFlag(m), "-i",
		"-H", "X-First: 1",
		"-H", "Connection: X-Foo",
		"-H", "X-Foo: secret",
		"-H", "Keep-Alive: timeout=5",
		"-H", "TE: trailers",
		"-H", "Proxy-Authorization: Basic Zm9vOmJhcg==",
		"-H", "x-MiXeD-CaSe: Value With  Spaces",
		"-H", "X-Last: z",
		"http://"+addr+"/hop")
	if !strings.HasPrefix(out, curlStatus(m, 200)) || !strings.HasSuffix(out, "ok") {
		t.Fatalf("response:\n%s", out)
	}
	if strings.Contains(out, curlField(m, "Keep-Alive", "timeout=9")) {
		t.Errorf("origin's Keep-Alive reached the client:\n%s", out)
	}
	heads := origin.Heads()
	if len(heads) != 1 {
		t.Fatalf("origin saw %d requests, want 1", len(heads))
	}
	head := heads[0]
	gones := []string{"X-Foo", "secret", "Keep-Alive", "TE:", "Proxy-Authorization", "Zm9vOmJhcg"}
	if m.h2() {
		// HTTP/2 has no Connection header: curl drops it (and Keep-Alive),
		// so X-Foo is an ordinary field there. TE: trailers is allowed in
		// HTTP/2 and sent; it is hop-by-hop towards HTTP/1.1.
		gones = gones[2:]
	}
	for _, gone := range gones {
		if strings.Contains(strings.ToLower(head), strings.ToLower(gone)) {
			t.Errorf("hop-by-hop %q reached the origin:\n%s", gone, head)
		}
	}
	if strings.Contains(strings.ToLower(head), "connection: x-foo") {
		t.Errorf("client's Connection header reached the origin:\n%s", head)
	}
	want := []string{
		"GET /hop HTTP/1.1\r\n",
		"\r\nX-First: 1\r\n",
		"\r\nx-MiXeD-CaSe: Value With  Spaces\r\n",
		"\r\nX-Last: z\r\n",
	}
	if m.h2() { // HTTP/2 field names are lowercase on the wire: order is kept, case cannot be
		for i := 1; i < len(want); i++ {
			name, value, _ := strings.Cut(want[i], ": ")
			want[i] = strings.ToLower(name) + ": " + value
		}
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
	for _, w := range []string{"\r\nX-Forwarded-For: 127.0.0.1\r\n", "\r\nX-Forwarded-Proto: http\r\n"} {
		if !strings.Contains(head, w) {
			t.Errorf("origin's head lacks %q:\n%s", w, head)
		}
	}
	if w := "\r\nVia: " + requestVia(m) + "\r\n"; !strings.Contains(head, w) {
		t.Errorf("origin's head lacks %q:\n%s", w, head)
	}
}
