package proxy

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
)

// lineCounter is a log sink that keeps nothing and counts lines.
type lineCounter struct{ lines atomic.Int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.lines.Add(int64(bytes.Count(p, []byte{'\n'})))
	return len(p), nil
}

// notFoundConfig has one product whose only route is /api/: every other path is a 404.
func notFoundConfig() *config.Config {
	return &config.Config{
		Listeners: []config.Listener{{Address: "127.0.0.1:0"}},
		Products: []config.Product{{Name: "p", Hosts: []string{"example.com"},
			Routes: []config.Route{{Prefix: "/api/", Cluster: "c"}}}},
		Clusters: []config.Cluster{{Name: "c", Backends: []config.Backend{{Address: "127.0.0.1:9"}}}},
	}
}

// notFoundScanner starts a 1-loop proxy logging to sink with o and returns a
// function that sends one keep-alive GET for an unknown path (a new one each
// time, as a scan would) and reads the 404, on fixed buffers.
func notFoundScanner(t *testing.T, o LogOptions, sink io.Writer) (scan func(), logger *Logger) {
	cfg := notFoundConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logger = NewLoggerWith(sink, o)
	srv, err := New(cfg, Options{Loops: 1, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown() })
	conn, err := net.Dial("tcp", srv.Addrs()[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := []byte("GET /scan/00000000 HTTP/1.1\r\nHost: example.com\r\n\r\n")
	digits := req[len("GET /scan/") : len("GET /scan/")+8]
	in := make([]byte, notFoundLen(t, conn, req))
	n := 0
	return func() {
		n++
		for i, v := len(digits)-1, n; i >= 0; i, v = i-1, v/10 {
			digits[i] = byte('0' + v%10)
		}
		if _, err := conn.Write(req); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(conn, in); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(in, []byte("HTTP/1.1 404 ")) {
			t.Fatalf("unexpected response %q", in)
		}
	}, logger
}

// notFoundLen sends req once and returns the length of the whole 404.
func notFoundLen(t *testing.T, conn net.Conn, req []byte) int {
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(req); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("reading the first 404: %v (got %q)", err, got)
		}
		got = append(got, buf[:n]...)
		head, body, ok := bytes.Cut(got, []byte("\r\n\r\n"))
		if !ok {
			continue
		}
		_, cl, _ := bytes.Cut(head, []byte("Content-Length: "))
		cl, _, _ = bytes.Cut(cl, []byte("\r\n"))
		want, err := strconv.Atoi(string(cl))
		if err != nil {
			t.Fatalf("no Content-Length in the 404 %q", got)
		}
		if len(body) >= want {
			conn.SetReadDeadline(time.Time{})
			return len(head) + 4 + want
		}
	}
}

// A scan of unknown paths does not allocate per request, with a Logger
// attached: each 404 is logged (and, verbose, each request), the loop only
// copies a record, and the writer formats it on reused buffers or, past
// the burst, only counts it. The client is a raw socket on fixed buffers,
// so every allocation counted would be velox's.
func TestNotFoundScanLoggedZeroAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	const runs = 1000
	cases := []struct {
		name      string
		o         LogOptions
		wantLines int64 // at least, once the logger is closed
	}{
		{"every 404 written", LogOptions{RepeatBurst: -1}, runs},
		{"verbose, every line written", LogOptions{Verbose: true, RepeatBurst: -1}, 2 * runs},
		{"repeats summed up", LogOptions{RepeatBurst: 5}, 6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sink := &lineCounter{}
			scan, logger := notFoundScanner(t, tc.o, sink)
			for range 200 { // warm buffers, the free lists and the writer's map
				scan()
			}
			if n := testing.AllocsPerRun(runs, scan); n != 0 {
				t.Errorf("%v allocations per logged 404, want 0", n)
			}
			logger.Close()
			if got := sink.lines.Load(); got < tc.wantLines {
				t.Errorf("%d log lines, want at least %d: the 404s were not all logged", got, tc.wantLines)
			}
			if d := logger.Dropped(); d != 0 && tc.o.RepeatBurst < 0 {
				t.Logf("%d lines dropped (the writer fell behind)", d)
			}
		})
	}
}
