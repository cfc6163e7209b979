package tlsloop

import (
	"crypto/tls"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// The benchmarks behind the comparison in doc.go and bench/README.md. The
// server side is this package (a tls.Conn over the memory transport, the
// handshake on its own goroutine as in the pool); the client is crypto/tls,
// the same in bench/tlsllib, which runs the same workloads against llib's
// non-blocking fork. "cpu-ns/op" is the process's user+system CPU time per
// operation (getrusage), client included; "server-ns/op" times the server's
// calls only (records).

// cpuNanos is the process's CPU time so far.
func cpuNanos() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// benchServer is a Server with an ECDSA P-256 certificate for localhost.
func benchServer(b *testing.B) (*Server, *tls.Config) {
	ca := newCA(b, "bench-ca")
	cert, _, _ := ca.issue(b, "localhost", []string{"localhost"}, false)
	s, err := NewServer(Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	return s, &tls.Config{RootCAs: ca.pool, ServerName: "localhost"}
}

func BenchmarkHandshake(b *testing.B) {
	for _, resumed := range []bool{false, true} {
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			name := map[bool]string{false: "full", true: "resumed"}[resumed] + "/" + tls.VersionName(v)
			b.Run(name, func(b *testing.B) {
				s, ccfg := benchServer(b)
				ccfg.MinVersion, ccfg.MaxVersion = v, v
				if resumed {
					ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
					p := newMemPair(b, s, ccfg)
					p.roundTrip(b, []byte("x"), make([]byte, 16)) // TLS 1.3: take the ticket
				}
				b.ReportAllocs()
				cpu := cpuNanos()
				for b.Loop() {
					p := newMemPair(b, s, ccfg)
					if p.srv.info.Resumed != resumed {
						b.Fatal("resumption not as asked")
					}
					if resumed {
						p.roundTrip(b, []byte("x"), make([]byte, 16))
					}
				}
				b.ReportMetric(float64(cpuNanos()-cpu)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// roundTrip sends req from the client, reads it on the server, seals it
// back and reads it on the client; it returns the server's time and the
// number of records the server opened and sealed.
func (p *memPair) roundTrip(b testing.TB, req, buf []byte) (time.Duration, int) {
	in := p.toServer(b, req)
	records := countRecords(in)
	start := time.Now()
	p.srv.Feed(in)
	got := 0
	for {
		n, err := p.srv.Read(buf[got:])
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
		got += n
	}
	p.srv.Seal(buf[:got])
	out := p.srv.Output()
	took := time.Since(start)
	records += countRecords(out)
	p.ct.in = out // a view, as Session.Feed: read up before the next Seal
	for got > 0 {
		n, err := p.cli.Read(buf)
		if err != nil || n == 0 {
			b.Fatalf("client read: %d, %v", n, err)
		}
		got -= n
	}
	return took, records
}

// countRecords counts the TLS records in b, which holds whole records.
func countRecords(b []byte) int {
	n := 0
	for len(b) >= 5 {
		b = b[5+int(b[3])<<8+int(b[4]):]
		n++
	}
	return n
}

// BenchmarkRecords is keep-alive echo: the client sends size bytes, the
// server opens them and seals them back, on one goroutine.
func BenchmarkRecords(b *testing.B) {
	for _, size := range []int{12, 4 << 10, 64 << 10} {
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			b.Run(strconv.Itoa(size)+"B/"+tls.VersionName(v), func(b *testing.B) {
				s, ccfg := benchServer(b)
				ccfg.MinVersion, ccfg.MaxVersion = v, v
				ccfg.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256} // TLS 1.2: as bench/tlsllib's
				p := newMemPair(b, s, ccfg)
				b.Logf("cipher suite %s", tls.CipherSuiteName(p.cli.ConnectionState().CipherSuite))
				req, buf := make([]byte, size), make([]byte, 2*size+(16<<10))
				for range 64 { // past crypto/tls's small first records
					p.roundTrip(b, req, buf)
				}
				var server time.Duration
				records := 0
				b.ReportAllocs()
				b.SetBytes(int64(2 * size))
				cpu := cpuNanos()
				for b.Loop() {
					d, r := p.roundTrip(b, req, buf)
					server += d
					records += r
				}
				b.ReportMetric(float64(cpuNanos()-cpu)/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(server.Nanoseconds())/float64(b.N), "server-ns/op")
				b.ReportMetric(float64(records)/float64(b.N), "records/op")
			})
		}
	}
}

// BenchmarkIdle holds many idle TLS connections on a loop after one
// request each and reports goroutines and heap per connection.
func BenchmarkIdle(b *testing.B) {
	const n = 5000
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
		// Client and server side both live in this process: half is an
		// upper bound of the server's share only if both were equal.
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/n, "heap-B/conn(both-sides)")
		for _, c := range conns {
			c.Close()
		}
	}
}
