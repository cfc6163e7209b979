package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// h2SumHandler answers the method, path, a digest of the body and its size,
// and what the origin saw of the request's framing.
func h2SumHandler(w http.ResponseWriter, r *http.Request) {
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("X-Proto", r.Proto)
	w.Header().Set("X-Cookie", r.Header.Get("Cookie"))
	w.Header().Set("X-Host", r.Host)
	w.Header().Set("X-TE", strings.Join(r.TransferEncoding, ","))
	fmt.Fprintf(w, "%s %s %d %s", r.Method, r.URL.RequestURI(), n, hex.EncodeToString(h.Sum(nil)))
}

func sumOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// h2c only: what the origin sees of an HTTP/2 request, and h1 on the same port.
func TestH2CGetThroughToHTTP1(t *testing.T) {
	o := newOrigin(t, h2SumHandler)
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	c := tp.clientFor(modeH2C)
	resp, err := c.Get(tp.url("/a/b?x=1"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("client spoke %s, want HTTP/2", resp.Proto)
	}
	if resp.StatusCode != 200 || string(body) != "GET /a/b?x=1 0 "+sumOf(nil) {
		t.Fatalf("got %d %q", resp.StatusCode, body)
	}
	if got := resp.Header.Get("X-Proto"); got != "HTTP/1.1" {
		t.Fatalf("origin saw %q, want HTTP/1.1", got)
	}
	if got := resp.Header.Get("X-Host"); got != tp.addr {
		t.Fatalf("origin saw Host %q, want the :authority %q", got, tp.addr)
	}
	// The same port still speaks HTTP/1.1.
	r1, err := tp.clientFor(modeH1).Get(tp.url("/h1"))
	if err != nil {
		t.Fatal(err)
	}
	r1.Body.Close()
	if r1.ProtoMajor != 1 || r1.StatusCode != 200 {
		t.Fatalf("HTTP/1.1 on the same port: %s %d", r1.Proto, r1.StatusCode)
	}
}

func TestUploadsWithAndWithoutLength(t *testing.T) { run(t, testUploadsWithAndWithoutLength) }

func testUploadsWithAndWithoutLength(t *testing.T, m mode) {
	o := newOrigin(t, h2SumHandler)
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	c := tp.clientFor(m)
	body := bytes.Repeat([]byte("0123456789abcdef"), 5<<20/16) // 5 MiB: many windows
	for _, known := range []bool{true, false} {
		var rd io.Reader = bytes.NewReader(body)
		if !known {
			rd = io.MultiReader(rd) // hides the length: no content-length
		}
		req, _ := http.NewRequest("POST", tp.url("/up"), rd)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := fmt.Sprintf("POST /up %d %s", len(body), sumOf(body))
		if resp.StatusCode != 200 || string(got) != want {
			t.Fatalf("length known=%v: got %d %q, want %q", known, resp.StatusCode, got, want)
		}
		te := resp.Header.Get("X-TE")
		if known == (te == "chunked") {
			t.Fatalf("length known=%v: origin saw Transfer-Encoding %q", known, te)
		}
	}
}

func TestLargeAndChunkedResponses(t *testing.T) { run(t, testLargeAndChunkedResponses) }

func testLargeAndChunkedResponses(t *testing.T, m mode) {
	big := bytes.Repeat([]byte("x"), 8<<20)
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			for i := 0; i < 100; i++ {
				fmt.Fprintf(w, "chunk %d\n", i)
				w.(http.Flusher).Flush()
			}
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(big)))
		w.Write(big)
	})
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	c := tp.clientFor(m)
	resp, err := c.Get(tp.url("/big"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("big: %d bytes, err %v", len(got), err)
	}
	resp, err = c.Get(tp.url("/chunked"))
	if err != nil {
		t.Fatal(err)
	}
	got, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	var want strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&want, "chunk %d\n", i)
	}
	if err != nil || string(got) != want.String() {
		t.Fatalf("chunked: %q, err %v", got, err)
	}
}

// h2c only: many streams multiplexed on one connection.
func TestH2CConcurrentStreamsOnOneConnection(t *testing.T) {
	o := newOrigin(t, h2SumHandler)
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	c := tp.clientFor(modeH2C)
	warm, err := c.Get(tp.url("/warm")) // the connection is up before the streams race
	if err != nil {
		t.Fatal(err)
	}
	warm.Body.Close()
	var wg sync.WaitGroup
	const n = 90 // under the 100 concurrent streams velox advertises, so the client keeps one connection
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := bytes.Repeat([]byte{byte(i)}, i*100)
			resp, err := c.Post(tp.url(fmt.Sprintf("/s/%d", i)), "application/octet-stream", bytes.NewReader(body))
			if err != nil {
				errs <- err
				return
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if want := fmt.Sprintf("POST /s/%d %d %s", i, len(body), sumOf(body)); string(got) != want {
				errs <- fmt.Errorf("stream %d: %q, want %q", i, got, want)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := tp.Stats().Loops[0].HTTP2.DownstreamStream; got != n+1 {
		t.Fatalf("h2 streams counted %d, want %d", got, n+1)
	}
	if n := tp.Stats().Loops[0].DownstreamConnsTotal; n != 1 {
		t.Fatalf("%d client connections, want 1 (all streams on one)", n)
	}
}

func TestLocalResponses(t *testing.T) { run(t, testLocalResponses) }

func testLocalResponses(t *testing.T, m mode) {
	cfg := clusterConfig(deadAddr(t))
	tp := startProxy(t, cfg, 1)
	c := tp.clientFor(m)
	resp, err := c.Get(tp.url("/x"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 502 || !strings.Contains(string(body), "velox:") {
		t.Fatalf("dead backend over h2: %d %q", resp.StatusCode, body)
	}
	if m.h2() && resp.Header.Get("Connection") != "" {
		t.Fatalf("a connection-specific field crossed into HTTP/2: %v", resp.Header)
	}
}

// h2c only: an HTTP/1.1 client's close reads as a half-close, after which
// velox still owes the response (TestHalfClosedClientGetsItsResponse); the
// h1 cancel is TestClientGoneCancelsUpstream.
func TestH2CClientCancelReachesTheBackend(t *testing.T) {
	gone := make(chan struct{}, 1)
	started := make(chan struct{}, 1)
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/again" {
			return
		}
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		started <- struct{}{}
		<-r.Context().Done()
		gone <- struct{}{}
	})
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	c := tp.clientFor(modeH2C)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", tp.url("/hang"), nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	cancel() // RST_STREAM(CANCEL)
	resp.Body.Close()
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("the backend request was not cancelled after the client reset its stream")
	}
	eventually(t, "the reset counted", func() bool {
		return tp.Stats().Loops[0].HTTP2.ResetsIn["CANCEL"] >= 1
	})
	// The connection is still good for other streams.
	resp, err = c.Get(tp.url("/again"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after the reset: %v %v", resp, err)
	}
	resp.Body.Close()
	if tp.Stats().Loops[0].DownstreamConnsTotal != 1 {
		t.Fatal("the client's reset cost it its connection")
	}
}

// Expect: 100-continue over HTTP/2: velox answers the 100 itself once the
// request is routed (as for HTTP/1.1), the client then sends its body, and
// the backend gets the request without the Expect.
func TestH2CExpectContinue(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "expect=%q body=%q", r.Header.Get("Expect"), body)
	})
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &p, ExpectContinueTimeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	var got100 atomic.Bool
	req, _ := http.NewRequest("POST", tp.url("/up"), strings.NewReader("the body"))
	req.Header.Set("Expect", "100-continue")
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		Got100Continue: func() { got100.Store(true) },
	}))
	resp, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || !got100.Load() {
		t.Fatalf("proto %s, got 100: %v", resp.Proto, got100.Load())
	}
	if string(body) != `expect="" body="the body"` {
		t.Fatalf("backend saw %s", body)
	}
}
