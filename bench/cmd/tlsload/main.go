// Command tlsload measures TLS handshakes per second: C goroutines each dial
// a new TLS connection, send one GET with Connection: close, read the answer
// to its end and close, over and over, for -d. With -resume every
// connection after a goroutine's first offers the session of the one before
// (a shared tls.ClientSessionCache: TLS 1.3 tickets, TLS 1.2 tickets);
// without it none is kept, so every handshake is a full one.
//
//	GOMAXPROCS=1 taskset -c 1 tlsload -addr 127.0.0.1:8443 -c 16 -d 10s -resume
//
// The server's certificate is not verified (the benchmark's own
// self-signed ones); the handshake signature still is, as crypto/tls always
// checks it. It prints one JSON object on stdout:
//
//	{"conns":51234,"seconds":10.0,"rate":5123.4,"resumed":51218,"errors":0,"p50_us":2950,"p99_us":5400}
//
// rate is completed connections (handshake, request, full answer) per
// second; resumed how many of them resumed a session; p50_us and p99_us the
// time from dial to the end of the answer. The first error is on stderr.
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what tlsload prints.
type Result struct {
	Conns   int64   `json:"conns"`
	Seconds float64 `json:"seconds"`
	Rate    float64 `json:"rate"`
	Resumed int64   `json:"resumed"`
	Errors  int64   `json:"errors"`
	P50us   float64 `json:"p50_us"`
	P99us   float64 `json:"p99_us"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8443", "server address")
	conc := flag.Int("c", 16, "connections in progress at once")
	dur := flag.Duration("d", 10*time.Second, "how long to run")
	path := flag.String("path", "/12", "request path")
	resume := flag.Bool("resume", false, "resume sessions (a shared client session cache)")
	flag.Parse()

	cfg := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}, ServerName: "localhost"}
	if *resume {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4 * *conc)
	}
	req := []byte("GET " + *path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	var (
		conns, resumed, errs atomic.Int64
		firstErr             sync.Once
		mu                   sync.Mutex
		lat                  []time.Duration
		wg                   sync.WaitGroup
	)
	start := time.Now()
	end := start.Add(*dur)
	for range *conc {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(end) {
				t0 := time.Now()
				did, err := once(*addr, cfg, req)
				if err != nil {
					errs.Add(1)
					firstErr.Do(func() { fmt.Fprintln(os.Stderr, "tlsload:", err) })
					continue
				}
				conns.Add(1)
				if did {
					resumed.Add(1)
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	slices.Sort(lat)
	r := Result{Conns: conns.Load(), Seconds: secs, Rate: float64(conns.Load()) / secs,
		Resumed: resumed.Load(), Errors: errs.Load(), P50us: pct(lat, 0.50), P99us: pct(lat, 0.99)}
	b, _ := json.Marshal(r)
	fmt.Println(string(b))
	if r.Conns == 0 {
		os.Exit(1)
	}
}

// once makes one connection: handshake, one request, its whole answer. It
// reports whether the handshake resumed a session.
func once(addr string, cfg *tls.Config, req []byte) (bool, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(&d, "tcp", addr, cfg)
	if err != nil {
		return false, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(req); err != nil {
		return false, err
	}
	// Connection: close: the answer ends where the server closes.
	br := bufio.NewReader(c)
	status, err := br.ReadSlice('\n')
	if err != nil {
		return false, fmt.Errorf("reading the status line: %w", err)
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 200 ")) {
		return false, fmt.Errorf("status line %q", bytes.TrimSpace(status))
	}
	if _, err := io.Copy(io.Discard, br); err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	return c.ConnectionState().DidResume, nil
}

// pct is the q quantile of sorted, in µs (0 without samples).
func pct(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[int(q*float64(len(sorted)-1))]) / float64(time.Microsecond)
}
