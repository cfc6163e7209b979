package proxy

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
)

// sumHandler answers with the SHA-256 of the request body and its length.
func sumHandler(w http.ResponseWriter, r *http.Request) {
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	fmt.Fprintf(w, "%d %x", n, h.Sum(nil))
}

// genHandler streams /gen?n=N deterministic pseudo-random bytes; chunked
// unless ?cl=1.
func genHandler(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
	if r.URL.Query().Get("cl") == "1" {
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	}
	io.Copy(w, io.LimitReader(rand.New(rand.NewSource(n)), n))
}

func expectedSum(n int64) string {
	h := sha256.New()
	io.Copy(h, io.LimitReader(rand.New(rand.NewSource(n)), n))
	return hex.EncodeToString(h.Sum(nil))
}

func TestBodiesBothWays(t *testing.T) { run(t, testBodiesBothWays) }

// In h2c there is no chunked framing: chunked=true is a body without a
// length either way (DATA frames up to END_STREAM).
func testBodiesBothWays(t *testing.T, m mode) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gen" {
			genHandler(w, r)
			return
		}
		sumHandler(w, r)
	})
	tp := startProxy(t, clusterConfig(o.addr()), 2)
	c := tp.clientFor(m)
	sizes := []int64{0, 1, 4096, 1 << 20, 64 << 20}
	for _, n := range sizes {
		for _, chunked := range []bool{false, true} {
			t.Run(fmt.Sprintf("upload/%d/chunked=%v", n, chunked), func(t *testing.T) {
				body := io.LimitReader(rand.New(rand.NewSource(n)), n)
				req, _ := http.NewRequest("POST", tp.url("/sum"), body)
				if !chunked {
					req.ContentLength = n
				} else {
					req.ContentLength = -1
					req.TransferEncoding = []string{"chunked"}
				}
				got := doString(t, c, req)
				if want := fmt.Sprintf("%d %s", n, expectedSum(n)); got != want {
					t.Fatalf("origin saw %q, want %q", got, want)
				}
			})
			t.Run(fmt.Sprintf("download/%d/chunked=%v", n, chunked), func(t *testing.T) {
				cl := "1"
				if chunked {
					cl = "0"
				}
				req, _ := http.NewRequest("GET", tp.url(fmt.Sprintf("/gen?n=%d&cl=%s", n, cl)), nil)
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				h := sha256.New()
				got, err := io.Copy(h, resp.Body)
				if err != nil || got != n {
					t.Fatalf("read %d bytes, err %v; want %d", got, err, n)
				}
				if sum := hex.EncodeToString(h.Sum(nil)); sum != expectedSum(n) {
					t.Fatalf("checksum mismatch")
				}
			})
		}
	}
}

func doString(t *testing.T, c *http.Client, req *http.Request) string {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	return string(b)
}

func TestPipelinedRequestsAnsweredInOrder(t *testing.T) {
	// h1 only: pipelining is HTTP/1.1 on a raw socket.
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "you asked for %s", r.URL.Path)
	})
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	conn, err := net.Dial("tcp", tp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var batch strings.Builder
	const n = 10
	for i := 0; i < n; i++ {
		fmt.Fprintf(&batch, "GET /r%d HTTP/1.1\r\nHost: x\r\n\r\n", i)
	}
	batch.WriteString("POST /last HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
	if _, err := io.WriteString(conn, batch.String()); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	for i := 0; i <= n; i++ {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		want := fmt.Sprintf("you asked for /r%d", i)
		if i == n {
			want = "you asked for /last"
		}
		if string(b) != want {
			t.Fatalf("response %d = %q, want %q", i, b, want)
		}
	}
}

func TestKeepAliveReusesOneUpstreamConnection(t *testing.T) {
	// h1 only: sequential requests on one raw HTTP/1.1 connection.
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	tp := startProxy(t, clusterConfig(o.addr()), 2)
	conn, err := net.Dial("tcp", tp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	const n = 50
	for i := 0; i < n; i++ {
		io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
	}
	if got := o.conns.Load(); got != 1 {
		t.Fatalf("origin saw %d connections for %d sequential requests, want 1", got, n)
	}
	if st := tp.totals(); st.UpstreamReusedTotal != n-1 || st.UpstreamConnectsTotal != 1 {
		t.Fatalf("stats: reused %d connects %d", st.UpstreamReusedTotal, st.UpstreamConnectsTotal)
	}
}

func TestBackendDownIs502WithReason(t *testing.T) { run(t, testBackendDownIs502WithReason) }

func testBackendDownIs502WithReason(t *testing.T, m mode) {
	cfg := clusterConfig(deadAddr(t))
	tp := startProxy(t, cfg, 1)
	resp, err := tp.clientFor(m).Get(tp.url("/x"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 502 || !strings.Contains(string(b), "could not connect to backend") {
		t.Fatalf("got %d %q", resp.StatusCode, b)
	}
	eventually(t, "a log line", func() bool { return strings.Contains(tp.log.String(), "502 could not connect") })
}

func TestSlowBackendIs504(t *testing.T) { run(t, testSlowBackendIs504) }

func testSlowBackendIs504(t *testing.T, m mode) {
	release := make(chan struct{})
	defer close(release)
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	cfg := clusterConfig(o.addr())
	cfg.Clusters[0].ResponseTimeout = config.Duration(200 * time.Millisecond)
	tp := startProxy(t, cfg, 1)
	resp, err := tp.clientFor(m).Get(tp.url("/slow"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 504 || !strings.Contains(string(b), "timed out waiting") {
		t.Fatalf("got %d %q", resp.StatusCode, b)
	}
}

func TestRetryOnAnotherBackendForIdempotentRequests(t *testing.T) {
	run(t, testRetryOnAnotherBackendForIdempotentRequests)
}

func testRetryOnAnotherBackendForIdempotentRequests(t *testing.T, m mode) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "live") })
	dead := deadAddr(t)
	cfg := clusterConfig(dead, o.addr())
	cfg.Clusters[0].ConsecutiveFailures = 1
	tp := startProxy(t, cfg, 1)
	c := tp.clientFor(m)
	for i := 0; i < 4; i++ {
		req, _ := http.NewRequest("GET", tp.url("/"), nil)
		if got := doString(t, c, req); got != "live" {
			t.Fatalf("got %q", got)
		}
	}
	if st := tp.totals(); st.UpstreamRetriesTotal != 1 {
		// one retry, then the dead backend is ejected and skipped
		t.Fatalf("retries = %d, want 1 (then ejection)", st.UpstreamRetriesTotal)
	}
}

func TestNonIdempotentIsNotRetried(t *testing.T) { run(t, testNonIdempotentIsNotRetried) }

func testNonIdempotentIsNotRetried(t *testing.T, m mode) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "live") })
	tp := startProxy(t, clusterConfig(deadAddr(t), o.addr()), 1)
	// Round robin starts with the first (dead) backend.
	resp, err := tp.clientFor(m).Post(tp.url("/"), "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 502 {
		t.Fatalf("POST to a dead backend got %d, want 502", resp.StatusCode)
	}
	if o.reqs.Load() != 0 {
		t.Fatalf("POST was retried on the live backend")
	}
}

// TestAllBackendsEjectedStillTried: a lone backend that is ejected is
// still tried (panic mode): the client gets the 502 of a failed connect,
// not a 503, and the failure is counted.
func TestAllBackendsEjectedStillTried(t *testing.T) { run(t, testAllBackendsEjectedStillTried) }

func testAllBackendsEjectedStillTried(t *testing.T, m mode) {
	cfg := clusterConfig(deadAddr(t))
	cfg.Clusters[0].Retries = -1
	cfg.Clusters[0].ConsecutiveFailures = 1
	tp := startProxy(t, cfg, 1)
	for i := 0; i < 2; i++ {
		resp, err := tp.clientFor(m).Get(tp.url("/"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 502 || !strings.Contains(string(b), "could not connect") {
			t.Fatalf("request %d: %d %q, want 502 could not connect", i, resp.StatusCode, b)
		}
	}
	if s := tp.Stats().Clusters["c"][0]; s.Healthy || s.Failures != 2 || s.Ejections != 1 {
		t.Fatalf("backend stats %+v, want ejected after 2 failures, 1 ejection", s)
	}
}

// TestAllBackendsDrainedIs503: weight 0 on every backend leaves nothing to
// send to: 503 with the reason, and the backend sees nothing.
func TestAllBackendsDrainedIs503(t *testing.T) { run(t, testAllBackendsDrainedIs503) }

func testAllBackendsDrainedIs503(t *testing.T, m mode) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {})
	cfg := clusterConfig(o.addr())
	cfg.Clusters[0].Backends[0].Weight = new(0)
	tp := startProxy(t, cfg, 1)
	resp, err := tp.clientFor(m).Get(tp.url("/"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(b), "drained (weight 0)") {
		t.Fatalf("got %d %q, want 503 drained", resp.StatusCode, b)
	}
	if n := o.reqs.Load(); n != 0 {
		t.Fatalf("drained backend got %d requests", n)
	}
}

func TestClientGoneCancelsUpstream(t *testing.T) {
	// h1 only: the client goes by closing a raw HTTP/1.1 socket (h2c: TestH2CClientCancelReachesTheBackend).
	cancelled := make(chan struct{}, 1)
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/stream" {
			io.WriteString(w, "ok")
			return
		}
		buf := make([]byte, 32<<10)
		for i := 0; i < 100000; i++ {
			if _, err := w.Write(buf); err != nil {
				break
			}
			w.(http.Flusher).Flush()
			if i == 10 {
				<-time.After(50 * time.Millisecond)
			}
		}
		<-r.Context().Done()
		cancelled <- struct{}{}
	})
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	conn, err := net.Dial("tcp", tp.addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(conn, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
	io.ReadFull(conn, make([]byte, 100<<10))
	conn.Close()
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("origin never saw the request cancelled")
	}
	eventually(t, "client abort counted", func() bool { return tp.totals().ClientAbortsTotal == 1 })
	before := o.conns.Load()
	resp, err := tp.clientFor(modeH1).Get(tp.url("/next"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if o.conns.Load() != before+1 {
		t.Fatalf("the cancelled upstream connection was reused")
	}
}

// An HTTP/1.0 client cannot read chunked: velox sends the decoded data and
// closes the connection to delimit it.
func TestHTTP10ClientGetsChunkedResponseDecoded(t *testing.T) {
	// h1 only: HTTP/1.0 framing on a raw socket.
	o := newOrigin(t, genHandler)
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	conn, err := net.Dial("tcp", tp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const n = 300000
	fmt.Fprintf(conn, "GET /gen?n=%d HTTP/1.0\r\nHost: x\r\n\r\n", n)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	raw, err := io.ReadAll(conn) // the response ends with the connection
	if err != nil {
		t.Fatal(err)
	}
	head, body, ok := strings.Cut(string(raw), "\r\n\r\n")
	if !ok {
		t.Fatalf("no head in %q", raw[:min(len(raw), 200)])
	}
	if strings.Contains(strings.ToLower(head), "transfer-encoding") || !strings.Contains(head, "Connection: close") {
		t.Fatalf("head for an HTTP/1.0 client:\n%s", head)
	}
	h := sha256.Sum256([]byte(body))
	if len(body) != n || hex.EncodeToString(h[:]) != expectedSum(n) {
		t.Fatalf("body: %d bytes, checksum mismatch=%v", len(body), hex.EncodeToString(h[:]) != expectedSum(n))
	}
}

func TestConnectMethodIsRefused(t *testing.T) {
	// h1 only: an HTTP/1.1 CONNECT on a raw socket (CONNECT is another request shape in HTTP/2).
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "should not be reached") })
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	conn, err := net.Dial("tcp", tp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 405 || !strings.Contains(string(b), "CONNECT") || o.reqs.Load() != 0 {
		t.Fatalf("got %d %q, origin requests %d", resp.StatusCode, b, o.reqs.Load())
	}
}

// A filter that answers a request whose body velox has not read must close
// the connection, and say so in the response.
func TestFilterAnswerToUnreadBodySaysClose(t *testing.T) {
	// h1 only: Connection: close after an unread body is HTTP/1.1 on a raw socket.
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "origin") })
	cfg := clusterConfig(o.addr())
	cfg.Filters = []config.Filter{{Type: "deny", Body: "no\n"}}
	tp := startProxy(t, cfg, 1)
	conn, err := net.Dial("tcp", tp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	raw, err := io.ReadAll(conn) // velox closes after the answer
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(raw), "HTTP/1.1 403") || !strings.Contains(string(raw), "Connection: close\r\n") {
		t.Fatalf("answer to a request with an unread body:\n%s", raw)
	}
}
