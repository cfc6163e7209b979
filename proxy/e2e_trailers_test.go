package proxy

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// trailerEcho reads the request body and its trailers and answers with a
// chunked body and trailers of its own that say what it received.
func trailerEcho(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Trailer", "X-Got-Trailer, X-Got-Body")
	w.WriteHeader(200)
	io.WriteString(w, "response body")
	w.(http.Flusher).Flush() // chunked, not a Content-Length
	w.Header().Set("X-Got-Trailer", r.Trailer.Get("X-Req-Trailer"))
	w.Header().Set("X-Got-Body", string(body))
}

// Trailers travel end to end in every pairing of HTTP/1.1 and HTTP/2, both
// ways: the request's to the backend, the response's to the client
// (HTTP/1.1 chunked trailers <-> HTTP/2 trailing HEADERS).
func TestTrailersEndToEnd(t *testing.T) {
	run(t, func(t *testing.T, m mode) {
		for _, upstream := range []string{"http1", "h2"} {
			t.Run("to "+upstream, func(t *testing.T) {
				var addr string
				if upstream == "h2" {
					addr = newH2Origin(t, 0, trailerEcho).addr()
				} else {
					addr = newOrigin(t, trailerEcho).addr()
				}
				cfg := clusterConfig(addr)
				cfg.Clusters[0].Protocol = upstream
				tp := startProxy(t, cfg, 1)
				req, _ := http.NewRequest("POST", tp.url("/t"), io.MultiReader(strings.NewReader("request body"))) // no length: chunked / DATA
				req.Trailer = http.Header{"X-Req-Trailer": {"from the client"}}
				resp, err := tp.do(m, req)
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body) // trailers are read with the end of the body
				resp.Body.Close()
				if err != nil || string(body) != "response body" {
					t.Fatalf("body %q, %v", body, err)
				}
				if got := resp.Trailer.Get("X-Got-Body"); got != "request body" {
					t.Errorf("the backend's trailer X-Got-Body = %q, want the request body (response trailers lost?) %v", got, resp.Trailer)
				}
				if got := resp.Trailer.Get("X-Got-Trailer"); got != "from the client" {
					t.Errorf("the backend saw the request trailer as %q, want \"from the client\" %v", got, resp.Trailer)
				}
			})
		}
	})
}

// Request trailers wait behind body bytes the backend's window has not
// taken yet (HTTP/1.1 chunked client, HTTP/2 backend with a small window),
// and a large body keeps all its bytes.
func TestTrailersBehindAClosedWindow(t *testing.T) {
	o := newH2OriginWith(t, func(s *http.Server) {
		s.HTTP2 = &http.HTTP2Config{MaxReceiveBufferPerStream: 64 << 10, MaxReceiveBufferPerConnection: 64 << 10}
	}, func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		w.Header().Set("X-Got-Bytes", strconv.FormatInt(n, 10))
		w.Header().Set("X-Got-Trailer", r.Trailer.Get("X-Req-Trailer"))
	})
	cfg := h2ClusterConfig(o.addr())
	tp := startProxy(t, cfg, 1)
	const size = 4 << 20
	run(t, func(t *testing.T, m mode) {
		req, _ := http.NewRequest("POST", tp.url("/big"), io.MultiReader(strings.NewReader(strings.Repeat("b", size))))
		req.Trailer = http.Header{"X-Req-Trailer": {"after 4 MiB"}}
		resp, err := tp.do(m, req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if got := resp.Header.Get("X-Got-Bytes"); got != strconv.Itoa(size) {
			t.Fatalf("backend got %s bytes, want %d", got, size)
		}
		if got := resp.Header.Get("X-Got-Trailer"); got != "after 4 MiB" {
			t.Fatalf("backend got trailer %q", got)
		}
	})
}
