package proxy

// What of the request head reaches an h2 cluster's origin: X-Forwarded-For,
// no connection-specific field; and cookies from an HTTP/2 client.

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// headEcho answers the request's fields, one "name: value" a line, sorted
// by net/http's canonical form.
func headEcho(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	for _, k := range []string{"X-Forwarded-For", "X-Forwarded-Proto", "Cookie", "Connection", "Keep-Alive",
		"Proxy-Connection", "Transfer-Encoding", "Upgrade", "Te", "X-Hop", "X-Keep"} {
		for _, v := range r.Header[k] {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	b.WriteString("Proto: " + r.Proto + "\n")
	io.WriteString(w, b.String())
}

// TestH2UpRequestHead: an HTTP/1.1 client's connection-specific fields (and
// those its Connection names) do not reach an HTTP/2 origin, which would
// refuse them; X-Forwarded-For is appended to.
func TestH2UpRequestHead(t *testing.T) {
	o := newH2Origin(t, 0, headEcho)
	tp := startH2Proxy(t, h2ClusterConfig(o.addr()), 1)
	req := "POST /h HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\n" +
		"Proxy-Connection: keep-alive\r\nX-Hop: 1\r\nX-Keep: 2\r\nTE: trailers, gzip\r\nUpgrade: foo\r\n" +
		"X-Forwarded-For: 192.0.2.7\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
	c, err := net.Dial("tcp", tp.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, req)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := string(readAll(t, resp))
	want := "X-Forwarded-For: 192.0.2.7, 127.0.0.1\nX-Forwarded-Proto: http\nTe: trailers\nX-Keep: 2\nProto: HTTP/2.0\n"
	if resp.StatusCode != 200 || got != want {
		t.Fatalf("origin saw (%d):\n%s\nwant:\n%s", resp.StatusCode, got, want)
	}
}

// rawH2Get sends one GET with fields (in this order, as separate header
// fields) over a new h2c connection to addr and returns the response body.
func rawH2Get(t *testing.T, addr string, fields ...hpack.HeaderField) (status, body string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, http2.ClientPreface)
	fr := http2.NewFramer(c, c)
	fr.WriteSettings()
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range append([]hpack.HeaderField{{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "http"},
		{Name: ":authority", Value: "x"}, {Name: ":path", Value: "/cookies"}}, fields...) {
		enc.WriteField(f)
	}
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndStream: true, EndHeaders: true})
	dec := hpack.NewDecoder(4096, nil)
	var b strings.Builder
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("reading frames: %v (body so far %q)", err, b.String())
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		case *http2.HeadersFrame:
			hs, err := dec.DecodeFull(f.HeaderBlockFragment())
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hs {
				if h.Name == ":status" {
					status = h.Value
				}
			}
			if f.StreamEnded() {
				return status, b.String()
			}
		case *http2.DataFrame:
			b.Write(f.Data())
			if f.StreamEnded() {
				return status, b.String()
			}
		case *http2.RSTStreamFrame:
			t.Fatalf("stream reset: %v", f.ErrCode)
		case *http2.GoAwayFrame:
			t.Fatalf("GOAWAY: %v", f.ErrCode)
		}
	}
}

// TestH2CookiesJoined: an HTTP/2 client's cookie fields reach an HTTP/1.1
// origin as one Cookie joined with "; " (RFC 9113 section 8.2.3), and an
// HTTP/2 origin as cookies it reads the same.
func TestH2CookiesJoined(t *testing.T) {
	cookies := []hpack.HeaderField{{Name: "cookie", Value: "a=1"}, {Name: "x-other", Value: "y"}, {Name: "cookie", Value: "b=2; c=3"}}
	t.Run("to HTTP/1.1", func(t *testing.T) {
		o := newOrigin(t, headEcho)
		tp := startProxy(t, clusterConfig(o.addr()), 1)
		status, body := rawH2Get(t, tp.addr, cookies...)
		if status != "200" || !strings.Contains(body, "Cookie: a=1; b=2; c=3\n") || strings.Count(body, "Cookie:") != 1 {
			t.Fatalf("%s: origin saw\n%s", status, body)
		}
	})
	t.Run("to HTTP/2", func(t *testing.T) {
		var got []string
		o := newH2Origin(t, 0, func(w http.ResponseWriter, r *http.Request) {
			for _, c := range r.Cookies() {
				got = append(got, c.Name+"="+c.Value)
			}
			io.WriteString(w, strings.Join(got, ","))
		})
		tp := startH2Proxy(t, h2ClusterConfig(o.addr()), 1)
		status, body := rawH2Get(t, tp.addr, cookies...)
		if status != "200" || body != "a=1,b=2,c=3" {
			t.Fatalf("%s: origin read cookies %q", status, body)
		}
	})
}

// Via toward and from an HTTP/2 backend (RFC 9110 section 7.6.3): the
// request says how it reached velox, the response how it came back.
func TestH2UpVia(t *testing.T) {
	o := newH2Origin(t, 0, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen-Via", r.Header.Get("Via"))
		io.WriteString(w, "ok")
	})
	tp := startProxy(t, h2ClusterConfig(o.addr()), 1)
	run(t, func(t *testing.T, m mode) {
		req, _ := http.NewRequest("GET", tp.url("/v"), nil)
		req.Header.Set("Via", "1.1 earlier")
		resp, err := tp.do(m, req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := "1.1 earlier, 1.1 velox"
		if m.h2() {
			want = "1.1 earlier, 2 velox"
		}
		if got := resp.Header.Get("X-Seen-Via"); got != want {
			t.Errorf("the backend saw Via %q, want %q", got, want)
		}
		if got := resp.Header.Get("Via"); got != "2 velox" {
			t.Errorf("the client got Via %q, want \"2 velox\" (the response came over HTTP/2)", got)
		}
	})
}
