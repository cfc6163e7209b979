// Package tlsbench is the harness of the TLS engine comparison: the same
// workloads, the same crypto/tls client and the same ECDSA P-256
// certificate for every server engine, all in memory on one goroutine so
// that the figures are the engines' and not the sockets'. tlsloop's
// bench_test.go runs it on tlsloop; bench/tlsllib (a module of its own)
// on llib v1.2.5. It imports only the standard library, so llib never
// enters velox's module. Results: bench/README.md, "TLS engine".
package tlsbench

import (
	"crypto/tls"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/velox-proxy/velox/internal/testcert"
)

// Engine is one server side under test.
type Engine interface {
	// Handshake connects a new client with cfg, in memory, and returns
	// the established pair.
	Handshake(b *testing.B, cfg *tls.Config) Pair
}

// Pair is an established server connection and its crypto/tls client.
type Pair interface {
	// Client is the client's tls.Conn; ClientIn feeds it the server's
	// records (it reads them all before the server seals again).
	Client() *tls.Conn
	ClientIn(records []byte)
	// ClientOut returns (and forgets) the records the client wrote.
	ClientOut() []byte
	// Echo is the server's whole work for one request: open the records,
	// seal the plaintext back, return the records to send.
	Echo(records, buf []byte) []byte
	Resumed() bool
}

// Sizes are the keep-alive request/response sizes measured.
var Sizes = []int{12, 4 << 10, 64 << 10}

// Versions are the TLS versions measured.
var Versions = []uint16{tls.VersionTLS12, tls.VersionTLS13}

// Suite12 is the TLS 1.2 suite every engine is held to, so that records
// compare like with like (TLS 1.3 suites are the server's choice).
const Suite12 = tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256

// NewEngine makes an engine that serves cert.
type NewEngine func(b *testing.B, cert tls.Certificate) Engine

// setup makes the engine with a fresh certificate for "localhost" and the
// client config that trusts it.
func setup(b *testing.B, newEngine NewEngine) (Engine, *tls.Config) {
	ca := testcert.NewCA(b, "bench-ca")
	e := newEngine(b, ca.Server("localhost", "localhost").TLS)
	return e, &tls.Config{RootCAs: ca.Pool, ServerName: "localhost"}
}

// CPUNanos is the process's user+system CPU time so far.
func CPUNanos() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// CountRecords counts the TLS records in b, which holds whole records.
func CountRecords(b []byte) int {
	n := 0
	for len(b) >= 5 {
		b = b[5+int(b[3])<<8+int(b[4]):]
		n++
	}
	return n
}

// RoundTrip sends req from the client, has the server echo it and reads
// the echo on the client. It returns the server's time and how many
// records the server opened and sealed.
func RoundTrip(b testing.TB, p Pair, req, buf []byte) (time.Duration, int) {
	if _, err := p.Client().Write(req); err != nil {
		b.Fatal(err)
	}
	in := p.ClientOut()
	start := time.Now()
	out := p.Echo(in, buf)
	took := time.Since(start)
	records := CountRecords(in) + CountRecords(out)
	p.ClientIn(out)
	for got := len(req); got > 0; {
		n, err := p.Client().Read(buf)
		if err != nil || n == 0 {
			b.Fatalf("client read: %d, %v", n, err)
		}
		got -= n
	}
	return took, records
}

// serverAllocs is the allocations of the server's Echo alone: the client
// seals a run of requests first, then the server opens and seals each (the
// client never reads the answers; the pair is spent afterwards).
func serverAllocs(b *testing.B, p Pair, req, buf []byte) float64 {
	const runs = 50
	reqs := make([][]byte, runs+1)
	for i := range reqs {
		if _, err := p.Client().Write(req); err != nil {
			b.Fatal(err)
		}
		reqs[i] = append([]byte(nil), p.ClientOut()...)
	}
	i := 0
	return testing.AllocsPerRun(runs, func() {
		p.Echo(reqs[i], buf)
		i++
	})
}

// Handshakes measures full and resumed handshakes, TLS 1.2 and 1.3.
// "cpu-ns/op" is client and server together.
func Handshakes(b *testing.B, newEngine NewEngine) {
	e, client := setup(b, newEngine)
	for _, resumed := range []bool{false, true} {
		for _, v := range Versions {
			name := map[bool]string{false: "full", true: "resumed"}[resumed] + "/" + tls.VersionName(v)
			b.Run(name, func(b *testing.B) {
				cfg := client.Clone()
				cfg.MinVersion, cfg.MaxVersion = v, v
				if resumed {
					cfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
					RoundTrip(b, e.Handshake(b, cfg), []byte("x"), make([]byte, 16)) // TLS 1.3: take the ticket
				}
				first := e.Handshake(b, cfg).Client().ConnectionState()
				b.Logf("key exchange %s, cipher suite %s", first.CurveID, tls.CipherSuiteName(first.CipherSuite))
				b.ReportAllocs()
				cpu := CPUNanos()
				for b.Loop() {
					p := e.Handshake(b, cfg)
					if resumed {
						RoundTrip(b, p, []byte("x"), make([]byte, 16))
					}
					if p.Resumed() != resumed {
						b.Fatal("resumption not as asked")
					}
				}
				b.ReportMetric(float64(CPUNanos()-cpu)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

// Records measures keep-alive echo of each of Sizes: "server-ns/op" is the
// server's time only, "records/op" what it opened and sealed, "cpu-ns/op"
// the process's CPU (client included); allocations are both sides'.
func Records(b *testing.B, newEngine NewEngine) {
	e, client := setup(b, newEngine)
	for _, size := range Sizes {
		for _, v := range Versions {
			b.Run(strconv.Itoa(size)+"B/"+tls.VersionName(v), func(b *testing.B) {
				cfg := client.Clone()
				cfg.MinVersion, cfg.MaxVersion = v, v
				cfg.CipherSuites = []uint16{Suite12}
				p := e.Handshake(b, cfg)
				b.Logf("cipher suite %s", tls.CipherSuiteName(p.Client().ConnectionState().CipherSuite))
				req, buf := make([]byte, size), make([]byte, 2*size+(16<<10))
				for range 64 { // past crypto/tls's small first records
					RoundTrip(b, p, req, buf)
				}
				var server time.Duration
				records := 0
				b.ReportAllocs()
				b.SetBytes(int64(2 * size))
				cpu := CPUNanos()
				for b.Loop() {
					d, r := RoundTrip(b, p, req, buf)
					server += d
					records += r
				}
				b.ReportMetric(float64(CPUNanos()-cpu)/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(server.Nanoseconds())/float64(b.N), "server-ns/op")
				b.ReportMetric(float64(records)/float64(b.N), "records/op")
				b.ReportMetric(serverAllocs(b, p, req, buf), "server-allocs/op")
			})
		}
	}
}
