package proxy

import "testing"

// TestNormalizedRequestZeroAllocs: a proxied request whose path must be
// normalised (copied into the stream's buffer) allocates nothing either,
// once the stream's buffer has grown; the origin gets the normal form.
func TestNormalizedRequestZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	roundTrip := rawExchange(t, rawCase{
		req:         "GET //a/./b/../%68ello?x=%2e HTTP/1.1\r\nHost: example.com\r\n\r\n",
		upstreamReq: "GET /a/hello?x=%2e HTTP/1.1\r\nHost: example.com\r\nX-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Proto: http\r\nVia: 1.1 velox\r\n\r\n",
		body:        "ok\n",
	})
	for range 200 {
		roundTrip()
	}
	if n := testing.AllocsPerRun(1000, roundTrip); n != 0 {
		t.Fatalf("%v allocations per proxied request, want 0", n)
	}
}
