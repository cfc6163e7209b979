// Command idleconns opens N keep-alive connections to an HTTP server, sends
// one GET on each, reads the response, and keeps them all open and idle, to
// measure what an idle connection costs the server.
//
//	idleconns -addr 127.0.0.1:8081 -n 10000 -path /12 -hold 60s
//
// With -h2 each connection speaks h2c (HTTP/2 with prior knowledge) and
// sends no request: it writes the client preface and an empty SETTINGS frame,
// reads frames until the server's SETTINGS has come and been acknowledged
// (h2.go), and then stays idle. With -tls each connection is TLS (ALPN
// http/1.1, the server's certificate not verified) and has its one request
// answered inside it, then stays idle.
//
// It prints "ready N" on stdout once every connection has had its response,
// then holds them until SIGTERM or SIGINT arrives or -hold expires.
// It exits 1 if fewer than N connections could be set up.
package main

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "server address")
	n := flag.Int("n", 10000, "connections to open")
	path := flag.String("path", "/12", "request path")
	parallel := flag.Int("parallel", 64, "connections set up at once")
	hold := flag.Duration("hold", 120*time.Second, "longest time to hold the connections")
	h2 := flag.Bool("h2", false, "h2c: exchange the preface and SETTINGS instead of a request")
	useTLS := flag.Bool("tls", false, "TLS (HTTP/1.1 inside): a handshake, then the request")
	flag.Parse()

	dial := func() (net.Conn, error) { return net.DialTimeout("tcp", *addr, 10*time.Second) }
	if *useTLS {
		cfg := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}, ServerName: "localhost"}
		dial = func() (net.Conn, error) {
			return tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", *addr, cfg)
		}
	}
	setup := func() (net.Conn, error) { return openOne(dial, "GET "+*path+" HTTP/1.1\r\nHost: "+*addr+"\r\n\r\n") }
	if *h2 {
		setup = func() (net.Conn, error) { return openH2(*addr) }
	}
	conns, failed := open(setup, *n, *parallel)
	fmt.Printf("ready %d failed %d\n", len(conns), failed)
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "idleconns: %d of %d connections failed\n", failed, *n)
	}
	wait(*hold)
	for _, c := range conns {
		c.Close()
	}
	if failed > 0 {
		os.Exit(1)
	}
}

// open sets up n connections with setup, parallel at a time. It returns
// the good ones and how many failed.
func open(setup func() (net.Conn, error), n, parallel int) ([]net.Conn, int) {
	var (
		mu     sync.Mutex
		conns  = make([]net.Conn, 0, n)
		failed atomic.Int64
		next   atomic.Int64
		wg     sync.WaitGroup
	)
	for range parallel {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				c, err := setup()
				if err != nil {
					failed.Add(1)
					continue
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return conns, int(failed.Load())
}

// openOne opens a connection with dial and has one request on it answered.
func openOne(dial func() (net.Conn, error), req string) (net.Conn, error) {
	c, err := dial()
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || resp.Close {
		c.Close()
		return nil, fmt.Errorf("status %d, close %v, err %v", resp.StatusCode, resp.Close, err)
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// wait returns when a signal arrives or hold passes.
func wait(hold time.Duration) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
	case <-time.After(hold):
	}
}
