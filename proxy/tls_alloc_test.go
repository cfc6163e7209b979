package proxy

// What mutual TLS adds per request (tls.go, fromTLS: the client
// certificate header) allocates nothing: a keep-alive HTTPS request with a
// verified client certificate costs the same allocations as one without
// client_auth. crypto/tls allocates on both sides of the test (a reader
// per network read), so the two are compared, not counted to zero.

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
)

// headAnswerer answers every request head (no body) with resp.
func headAnswerer(t testing.TB, resp []byte) string {
	return serveRaw(t, func(c net.Conn) {
		buf := make([]byte, 0, 4096)
		for {
			n, err := c.Read(buf[len(buf):cap(buf)])
			if err != nil {
				return
			}
			buf = buf[:len(buf)+n]
			if !bytes.HasSuffix(buf, []byte("\r\n\r\n")) {
				continue
			}
			buf = buf[:0]
			if _, err := c.Write(resp); err != nil {
				return
			}
		}
	})
}

// tlsRoundTripper is a TLS listener (with client_auth require when mtls,
// the client then showing a certificate) in front of a raw origin, and a
// function that sends one keep-alive GET over one TLS connection and reads
// the answer, on fixed buffers.
func tlsRoundTripper(t *testing.T, mtls bool) func() {
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nhello world\n")
	e := newTLSEnv(t, headAnswerer(t, resp), []string{"api.example.com"})
	var certs []tls.Certificate
	if mtls {
		e.cfg.Listeners[0].TLS.ClientAuth = &config.ClientAuth{Mode: "require", CA: e.ca.writeCA(t, e.dir)}
		certs = []tls.Certificate{e.ca.issueClient(t, "client-1")}
	}
	tp := startProxy(t, e.cfg, 1)
	c, err := tls.Dial("tcp", tp.addr, &tls.Config{RootCAs: e.ca.pool, ServerName: "api.example.com", Certificates: certs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	out := []byte("GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n")
	in := make([]byte, len("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nVia: 1.1 velox\r\n\r\nhello world\n"))
	return func() {
		c.SetDeadline(time.Now().Add(testWait))
		if _, err := c.Write(out); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, in); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(in, []byte("hello world\n")) {
			t.Fatalf("answer %q", in)
		}
	}
}

// mallocsPerRun is testing.AllocsPerRun without its rounding down.
func mallocsPerRun(runs int, f func()) float64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		f()
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / float64(runs)
}

func TestTLSClientCertHeaderZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	const runs = 2000
	var per [2]float64
	for i, mtls := range []bool{false, true} {
		roundTrip := tlsRoundTripper(t, mtls)
		for j := 0; j < 200; j++ { // warm buffers, pools, maps
			roundTrip()
		}
		per[i] = mallocsPerRun(runs, roundTrip)
	}
	if d := per[1] - per[0]; d >= 0.5 {
		t.Fatalf("an mTLS request allocates %.2f times, one without client_auth %.2f: the client certificate header costs %.2f", per[1], per[0], d)
	}
}
