package proxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
)

// The clocks of clock.go, each with the side it blames. A client that
// stalls or reads slowly must never count as a backend failure (one slow
// client would otherwise get a single-backend cluster ejected: a cheap DoS),
// and a backend is timed only while it owes bytes.

// dialRaw opens a client connection to the proxy with a deadline on
// everything.
func dialRaw(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// readResponse reads one response and its whole body from br.
func readResponse(t *testing.T, br *bufio.Reader) (int, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return resp.StatusCode, string(b)
}

// stalledUpload POSTs a body of declared length n of which only sent
// arrives, then nothing, and returns the answer: on a raw socket in h1,
// through net/http in h2c (the body's writer stops; the request ends with
// the test).
func stalledUpload(t *testing.T, tp *testProxy, m mode, sent string, n int) (int, string) {
	t.Helper()
	if !m.h2() {
		c := dialRaw(t, tp.addr)
		fmt.Fprintf(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", n, sent)
		return readResponse(t, bufio.NewReader(c))
	}
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	go io.WriteString(pw, sent)
	req, _ := http.NewRequest("POST", tp.url("/up"), pr)
	req.ContentLength = int64(n)
	return doBody(t, tp, m, req)
}

// pacedUpload POSTs n bytes "x", one every gap, and returns the answer.
func pacedUpload(t *testing.T, tp *testProxy, m mode, n int, gap time.Duration) (int, string) {
	t.Helper()
	if !m.h2() {
		c := dialRaw(t, tp.addr)
		fmt.Fprintf(c, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", n)
		for i := 0; i < n; i++ {
			time.Sleep(gap)
			io.WriteString(c, "x")
		}
		return readResponse(t, bufio.NewReader(c))
	}
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < n; i++ {
			time.Sleep(gap)
			if _, err := io.WriteString(pw, "x"); err != nil {
				return
			}
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", tp.url("/up"), pr)
	req.ContentLength = int64(n)
	return doBody(t, tp, m, req)
}

// doBody sends req in mode m and returns the status and the whole body.
func doBody(t *testing.T, tp *testProxy, m mode, req *http.Request) (int, string) {
	t.Helper()
	resp, err := tp.do(m, req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return resp.StatusCode, string(b)
}

// backendFailures is the failures counter of the only backend of cluster c.
func (tp *testProxy) backendFailures(t *testing.T) uint64 {
	t.Helper()
	bs := tp.Stats().Clusters["c"]
	if len(bs) == 0 {
		t.Fatal("no backend stats for cluster c")
	}
	return bs[0].Failures
}

// checkStillServes sends a plain GET from a fresh client and wants 200: the
// backend was not ejected by what the test's client did.
func (tp *testProxy) checkStillServes(t *testing.T) {
	t.Helper()
	resp, err := tp.clientFor(modeH1).Get(tp.url("/ok"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("a fresh request got %d after the slow client, want 200", resp.StatusCode)
	}
	if f := tp.backendFailures(t); f != 0 {
		t.Fatalf("backend failures = %d, want 0: the client was slow, not the backend", f)
	}
}

func TestStalledUploadIs408AndNotABackendFailure(t *testing.T) {
	run(t, testStalledUploadIs408AndNotABackendFailure)
}

// In h1 the upload is a raw socket's short body; in h2c a net/http body
// that stops after ten of its hundred bytes.
func testStalledUploadIs408AndNotABackendFailure(t *testing.T, m mode) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, "got it")
	})
	cfg := clusterConfig(o.addr())
	cfg.Timeouts.ClientBody = config.Duration(300 * time.Millisecond)
	cfg.Clusters[0].ResponseTimeout = config.Duration(200 * time.Millisecond)
	tp := startProxy(t, cfg, 1)
	code, b := stalledUpload(t, tp, m, "only ten b", 100)
	if code != 408 || !strings.Contains(b, "request body not received in time") {
		t.Fatalf("stalled upload got %d %q, want 408", code, b)
	}
	eventually(t, "the stall logged", func() bool { return strings.Contains(tp.log.String(), "request body stalled") })
	tp.checkStillServes(t)
}

// TestSlowUploadIsNotTimedAsTheBackend: the response timeout starts when the
// request is all sent, so an upload longer than it, but steady, succeeds.
func TestSlowUploadIsNotTimedAsTheBackend(t *testing.T) { run(t, testSlowUploadIsNotTimedAsTheBackend) }

// In h1 the upload is paced on a raw socket; in h2c through a net/http body.
func testSlowUploadIsNotTimedAsTheBackend(t *testing.T, m mode) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		w.Header().Set("X-Got", http.StatusText(200))
		io.WriteString(w, strings.Repeat("k", int(n)))
	})
	cfg := clusterConfig(o.addr())
	cfg.Clusters[0].ResponseTimeout = config.Duration(500 * time.Millisecond)
	cfg.Timeouts.ClientBody = config.Duration(5 * time.Second)
	tp := startProxy(t, cfg, 1)
	code, b := pacedUpload(t, tp, m, 6, 700*time.Millisecond) // each gap longer than the response timeout
	if code != 200 || b != "kkkkkk" {
		t.Fatalf("slow upload got %d %q, want 200 kkkkkk", code, b)
	}
}

// TestSlowReaderPauseIsNotTimedAsTheBackend: while velox holds the backend
// back because the client reads slowly, the backend's clock is stopped; the
// client gets the whole response, late.
func TestSlowReaderPauseIsNotTimedAsTheBackend(t *testing.T) {
	run(t, testSlowReaderPauseIsNotTimedAsTheBackend)
}

// In h1 the pause is a raw socket's receive buffer filling; in h2c it is
// the stream's flow-control window, a net/http body not read.
func testSlowReaderPauseIsNotTimedAsTheBackend(t *testing.T, m mode) {
	const size = 8 << 20
	body := bytes.Repeat([]byte("z"), size) // made before: under -race it takes a while
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "8388608")
		w.WriteHeader(200)
		w.(http.Flusher).Flush() // the head goes at once, whatever the body costs
		w.Write(body)
	})
	cfg := clusterConfig(o.addr())
	cfg.Clusters[0].ResponseTimeout = config.Duration(600 * time.Millisecond)
	cfg.Limits.StreamBuffer = 64 << 10
	tp := startProxy(t, cfg, 1)
	var resp *http.Response
	var err error
	if !m.h2() {
		c := dialRaw(t, tp.addr)
		c.SetReadBuffer(16 << 10)
		io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
		time.Sleep(2400 * time.Millisecond) // four response timeouts without reading
		resp, err = http.ReadResponse(bufio.NewReader(c), nil)
	} else {
		req, _ := http.NewRequest("GET", tp.url("/big"), nil)
		resp, err = tp.do(m, req)
		time.Sleep(2400 * time.Millisecond) // four response timeouts without reading the body
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || n != size {
		t.Fatalf("read %d bytes (%v), want the whole %d", n, err, size)
	}
	tp.checkStillServes(t)
}

// TestClientThatStopsReadingIsClosed: timeouts.send closes a client that
// takes no bytes while some are queued for it; the backend is not blamed.
func TestClientThatStopsReadingIsClosed(t *testing.T) {
	// h1 only: a raw socket that stops reading (HTTP/2 flow control would stop the sender first).
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("s"), 16<<20))
	})
	cfg := clusterConfig(o.addr())
	cfg.Timeouts.Send = config.Duration(300 * time.Millisecond)
	cfg.Limits.StreamBuffer = 64 << 10
	tp := startProxy(t, cfg, 1)
	c := dialRaw(t, tp.addr)
	c.SetReadBuffer(16 << 10)
	io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
	eventually(t, "the non-reading client closed", func() bool {
		return strings.Contains(tp.log.String(), "client took no bytes for timeouts.send, closed")
	})
	eventually(t, "its connection released", func() bool { return tp.totals().DownstreamConnsActive == 0 })
	tp.checkStillServes(t)
}

// TestCloseAfterFlushIsBounded: the last response before a close (here a
// Connection: close request) does not keep a client that never reads.
func TestCloseAfterFlushIsBounded(t *testing.T) {
	// h1 only: Connection: close is HTTP/1.1.
	// velox's own 4 MiB answer (a static filter), queued whole and then
	// closed after: only the close-after-flush path can time it.
	cfg := clusterConfig(deadAddr(t))
	cfg.Products[0].DefaultCluster = ""
	cfg.Filters = []config.Filter{{Type: config.FilterStatic, Body: strings.Repeat("c", 4<<20)}}
	cfg.Timeouts.Send = config.Duration(300 * time.Millisecond)
	tp := startProxy(t, cfg, 1)
	c := dialRaw(t, tp.addr)
	c.SetReadBuffer(16 << 10)
	io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	eventually(t, "the closing connection given up", func() bool { return tp.totals().DownstreamConnsActive == 0 })
}

// TestSlowButSteadyReaderIsNotCutOff: timeouts.send measures progress, not
// a drained queue. velox queues a 32 MiB answer of its own at once (a static
// filter); the client takes it steadily for several send timeouts, the
// kernel taking more of the queue every tick, and gets all of it (about
// 3 s at 10 MB/s, twice the send timeout; the timeout leaves a loaded
// machine room to deschedule the reader for a while).
func TestSlowButSteadyReaderIsNotCutOff(t *testing.T) {
	// h1 only: the pace is a raw socket's reads.
	const size = 32 << 20
	cfg := clusterConfig(deadAddr(t))
	cfg.Products[0].DefaultCluster = ""
	cfg.Filters = []config.Filter{{Type: config.FilterStatic, Body: strings.Repeat("p", size)}}
	cfg.Timeouts.Send = config.Duration(1500 * time.Millisecond)
	tp := startProxy(t, cfg, 1)
	c := dialRaw(t, tp.addr)
	io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReaderSize(slowReader{c}, 512<<10), nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || n != size {
		t.Fatalf("read %d bytes (%v), want %d: a steady reader was cut off\n%s", n, err, size, tp.log.String())
	}
}

// slowReader reads at most 512 KiB every 50 ms (about 10 MB/s).
type slowReader struct{ r io.Reader }

func (s slowReader) Read(p []byte) (int, error) {
	time.Sleep(50 * time.Millisecond)
	return s.r.Read(p[:min(len(p), 512<<10)])
}

// TestTunnelIdleTimeout: an upgraded connection that carries nothing for
// tunnel_idle is closed on both sides.
func TestTunnelIdleTimeout(t *testing.T) {
	// h1 only: an HTTP/1.1 upgrade tunnel.
	heads := make(chan string, 1)
	cfg := clusterConfig(upgradeOrigin(t, heads))
	cfg.Upgrades = []string{"echo"}
	cfg.Timeouts.TunnelIdle = config.Duration(2 * time.Second) // 8 times the pings' gap: room for a loaded machine
	tp := startProxy(t, cfg, 1)
	c := dialRaw(t, tp.addr)
	io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	<-heads
	for i := 0; i < 4; i++ { // activity keeps it open past the idle timeout
		time.Sleep(250 * time.Millisecond)
		io.WriteString(c, "ping")
		got := make([]byte, 4)
		if _, err := io.ReadFull(br, got); err != nil || string(got) != "PING" {
			t.Fatalf("echo %q, %v: an active tunnel was closed", got, err)
		}
	}
	start := time.Now()
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("read a byte from an idle tunnel, want it closed")
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("the idle tunnel was not closed")
	}
}

// TestInterimResponsesKeepTheBackendAlive: a backend that sends 102
// Processing while it works is making progress: each 1xx restarts its clock.
func TestInterimResponsesKeepTheBackendAlive(t *testing.T) {
	// h1 only: 1xx read off a raw HTTP/1.1 socket.
	up := serveRaw(t, func(c net.Conn) {
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		for i := 0; i < 6; i++ { // 6 x 300ms: more than the response timeout, each gap a fifth of it
			time.Sleep(300 * time.Millisecond)
			io.WriteString(c, "HTTP/1.1 102 Processing\r\n\r\n")
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone")
	})
	cfg := clusterConfig(up)
	cfg.Clusters[0].ResponseTimeout = config.Duration(1500 * time.Millisecond)
	tp := startProxy(t, cfg, 1)
	c := dialRaw(t, tp.addr)
	io.WriteString(c, "GET /long HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	code, body := readResponse(t, br)
	for code == 102 {
		code, body = readResponse(t, br)
	}
	if code != 200 || body != "done" {
		t.Fatalf("got %d %q, want 200 done after the 102s", code, body)
	}
}
