package tlsloop

import (
	"crypto/tls"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/velox-proxy/velox/bench/tlsbench"
)

// The benchmarks behind the comparison in doc.go and bench/README.md:
// bench/tlsbench's workloads on this package's Session (a tls.Conn over
// the memory transport, the handshake on its own goroutine as in the
// pool). bench/tlsllib runs the same on llib v1.2.5.

// engine is tlsloop for tlsbench.
type engine struct{ s *Server }

func (e engine) Handshake(b *testing.B, cfg *tls.Config) tlsbench.Pair {
	return newMemPair(b, e.s, cfg)
}

// newEngine is a Server with cert only.
func newEngine(b *testing.B, cert tls.Certificate) tlsbench.Engine {
	s, err := NewServer(Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	return engine{s}
}

func BenchmarkHandshake(b *testing.B) { tlsbench.Handshakes(b, newEngine) }
func BenchmarkRecords(b *testing.B)   { tlsbench.Records(b, newEngine) }

// BenchmarkIdle holds many idle TLS connections on a loop after one
// request each and reports goroutines and heap per connection.
func BenchmarkIdle(b *testing.B) {
	n := idleConns()
	for b.Loop() {
		ts := startServer(b, Config{HandshakeQueue: n}, echo)
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		cfg := ts.client("localhost")
		conns := make([]*tls.Conn, 0, n)
		for range n {
			c, err := ts.dial(b, cfg)
			if err != nil {
				b.Fatal(err)
			}
			echoOnce(b, c, []byte("ping"))
			conns = append(conns, c)
		}
		for ts.srv.Stats().InProgress != 0 {
			time.Sleep(time.Millisecond)
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(runtime.NumGoroutine()-g0), "goroutines")
		// Client and server sides both live in this process.
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/float64(n), "heap-B/conn(both-sides)")
		for _, c := range conns {
			c.Close()
		}
	}
}

// idleConns is BenchmarkIdle's count: $TLSLOOP_IDLE, default 5000.
func idleConns() int {
	if n, err := strconv.Atoi(os.Getenv("TLSLOOP_IDLE")); err == nil && n > 0 {
		return n
	}
	return 5000
}
