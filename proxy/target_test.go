package proxy

import (
	"io"
	"net"
	"testing"
)

// TestNormalizedRequestZeroAllocs: a proxied request whose path must be
// normalised (copied into the stream's buffer) allocates nothing either,
// once the stream's buffer has grown; the origin gets the normal form.
func TestNormalizedRequestZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	const req = "GET //a/./b/../%68ello?x=%2e HTTP/1.1\r\nHost: example.com\r\n\r\n"
	upstreamReq := "GET /a/hello?x=%2e HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nVia: 1.1 velox\r\n\r\n"
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
	o := rawOrigin(t, len(upstreamReq), resp)
	tp := startProxy(t, clusterConfig(o), 1)
	conn, err := net.Dial("tcp", tp.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	in := make([]byte, len("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nVia: 1.1 velox\r\n\r\nok\n"))
	out := []byte(req)
	roundTrip := func() {
		if _, err := conn.Write(out); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(conn, in); err != nil {
			t.Fatal(err)
		}
		if string(in[len(in)-3:]) != "ok\n" {
			t.Fatalf("unexpected response %q", in)
		}
	}
	for range 200 {
		roundTrip()
	}
	if n := testing.AllocsPerRun(1000, roundTrip); n != 0 {
		t.Fatalf("%v allocations per proxied request, want 0", n)
	}
}
