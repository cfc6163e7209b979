// Command goproxy is the goroutine-per-connection baseline of the benchmark:
// Go's net/http server in front of httputil.ReverseProxy with a keep-alive
// upstream pool, nothing else.
//
//	GOMAXPROCS=1 goproxy -listen 127.0.0.1:8081 -to 127.0.0.1:8080
//
// The benchmark runs it with GOMAXPROCS=1, pinned to one CPU, like every
// other proxy under test.
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8081", "address to serve on")
	to := flag.String("to", "127.0.0.1:8080", "upstream address (host:port)")
	idle := flag.Int("idle", 1024, "max idle upstream connections kept")
	flag.Parse()

	target := &url.URL{Scheme: "http", Host: *to}
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        *idle,
		MaxIdleConnsPerHost: *idle,
		IdleConnTimeout:     300 * time.Second,
		DisableCompression:  true,
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.SetXForwarded()
		},
		Transport: transport,
	}
	srv := &http.Server{
		Addr:              *listen,
		Handler:           rp,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       300 * time.Second,
		ErrorLog:          log.New(log.Writer(), "goproxy: ", log.LstdFlags),
	}
	log.Fatal(srv.ListenAndServe())
}
