package proxy

// TLS to backends (cluster tls, tls_upstream.go) end to end: plaintext
// clients (h1, h2c) through velox to origins that speak only TLS: net/http
// over HTTP/1.1 and over HTTP/2 (ALPN h2), grpc-go with TLS credentials,
// and a TLS echo server behind a tcp listener. The origins' certificates
// are made by the test for 127.0.0.1 (an IP SAN: the backends are given by
// address, so that is what velox verifies).

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/internal/grpctest"
)

// tlsOrigin is an origin behind TLS, counting resumed handshakes.
type tlsOrigin struct {
	*origin
	ca      *testCA
	resumed atomic.Int64
}

// newTLSOrigin starts an origin that speaks TLS only, with a certificate
// for 127.0.0.1 from its own CA; h2 makes it offer "h2" only (ALPN),
// else "http/1.1" only; conf, if given, changes its tls.Config first.
func newTLSOrigin(t *testing.T, h2 bool, h http.HandlerFunc, conf ...func(*tls.Config)) *tlsOrigin {
	t.Helper()
	o := &tlsOrigin{ca: newTestCA(t)}
	o.origin = unstartedOrigin(t, "", nil, h)
	o.TLS = &tls.Config{
		Certificates: []tls.Certificate{o.ca.issue(t, "127.0.0.1")},
		VerifyConnection: func(cs tls.ConnectionState) error {
			if cs.DidResume {
				o.resumed.Add(1)
			}
			return nil
		},
	}
	for _, f := range conf {
		f(o.TLS)
	}
	o.EnableHTTP2 = h2
	o.StartTLS()
	t.Cleanup(o.Close)
	return o
}

// tlsClusterConfig is clusterConfig over addr with tls verified by ca.
func tlsClusterConfig(addr string, ca *testCA, protocol string) *config.Config {
	cfg := clusterConfig(addr)
	cfg.Clusters[0].Protocol = protocol
	cfg.Clusters[0].TLS = &config.UpstreamTLS{CA: ca.File}
	return cfg
}

// tlsSeenHandler answers what the origin saw: protocol, TLS, X-Forwarded-Proto.
func tlsSeenHandler(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "%s tls=%t xfp=%s", r.Proto, r.TLS != nil, r.Header.Get("X-Forwarded-Proto"))
}

// Both client modes to an HTTP/1.1 and to an HTTP/2 origin over TLS: the
// answer comes back, the origin sees TLS and the protocol ALPN picked,
// X-Forwarded-Proto stays the client's (http), and the requests share one
// pooled upstream connection.
func TestUpstreamTLS(t *testing.T) { run(t, testUpstreamTLS) }

func testUpstreamTLS(t *testing.T, m mode) {
	for _, tc := range []struct {
		protocol, proto string
		h2              bool
	}{
		{config.ProtocolHTTP1, "HTTP/1.1", false},
		{config.ProtocolH2, "HTTP/2.0", true},
	} {
		t.Run(tc.protocol, func(t *testing.T) {
			o := newTLSOrigin(t, tc.h2, tlsSeenHandler)
			tp := startProxy(t, tlsClusterConfig(o.addr(), o.ca, tc.protocol), 1)
			c := tp.clientFor(m)
			want := tc.proto + " tls=true xfp=http"
			for i := 0; i < 5; i++ {
				resp, err := c.Get(tp.url("/"))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(b) != want {
					t.Fatalf("request %d: %d %q, want 200 %q", i, resp.StatusCode, b, want)
				}
			}
			if n := o.conns.Load(); n != 1 {
				t.Fatalf("origin saw %d connections for 5 requests, want 1 (pooled)", n)
			}
		})
	}
}

// With no pooling every request dials: the handshakes after the first
// resume the session (one cache for the cluster).
func TestUpstreamTLSResumption(t *testing.T) {
	o := newTLSOrigin(t, false, tlsSeenHandler)
	cfg := tlsClusterConfig(o.addr(), o.ca, "")
	noIdle := 0
	cfg.Clusters[0].MaxIdle = &noIdle
	tp := startProxy(t, cfg, 2)
	for i := 0; i < 4; i++ {
		if code, body := tp.get(t, modeH1, "/"); code != 200 || !strings.Contains(body, "tls=true") {
			t.Fatalf("request %d: %d %q", i, code, body)
		}
	}
	if n := o.conns.Load(); n != 4 {
		t.Fatalf("origin saw %d connections, want 4 (max_idle 0)", n)
	}
	if n := o.resumed.Load(); n != 3 {
		t.Fatalf("%d handshakes resumed, want 3 (all but the first)", n)
	}
	if st := tp.Stats().UpTLS; len(st) != 1 || st[0].Cluster != "c" || st[0].Handshakes != 4 || st[0].Resumed != 3 {
		t.Fatalf("/stats upstream_tls %+v", st)
	}
}

// A backend whose certificate does not verify (another CA) gets no
// request: 502 with why, and a log line with crypto/tls's cause.
func TestUpstreamTLSWrongCA(t *testing.T) { run(t, testUpstreamTLSWrongCA) }

func testUpstreamTLSWrongCA(t *testing.T, m mode) {
	o := newTLSOrigin(t, false, tlsSeenHandler)
	tp := startProxy(t, tlsClusterConfig(o.addr(), newTestCA(t), ""), 1)
	code, body, err := tp.fetch(m, "/")
	if err != nil {
		t.Fatal(err)
	}
	if code != 502 || !strings.Contains(body, "TLS handshake with backend failed: its certificate did not verify") {
		t.Fatalf("%d %q, want 502 naming the certificate", code, body)
	}
	if n := o.reqs.Load(); n != 0 {
		t.Fatalf("origin got %d requests", n)
	}
	if st := tp.Stats().UpTLS; len(st) != 1 || st[0].ServerCert != 1 || st[0].Handshakes != 0 {
		t.Fatalf("/stats upstream_tls %+v", st)
	}
	eventually(t, "the log line", func() bool {
		return strings.Contains(tp.log.String(), "TLS handshake with backend failed: tlsloop: server certificate refused: tls: failed to verify certificate")
	})
}

// A backend that speaks TLS without ALPN h2 to an h2 cluster is refused
// (ALPN is required), as a failed connect.
func TestUpstreamTLSH2NeedsALPN(t *testing.T) {
	o := newTLSOrigin(t, false, tlsSeenHandler)
	tp := startProxy(t, tlsClusterConfig(o.addr(), o.ca, config.ProtocolH2), 1)
	code, body, err := tp.fetch(modeH1, "/")
	if err != nil {
		t.Fatal(err)
	}
	if code != 502 || !strings.Contains(body, "TLS handshake with backend failed") {
		t.Fatalf("%d %q, want 502", code, body)
	}
}

// gRPC to a grpc-go server with TLS credentials, over an h2 cluster.
func TestUpstreamTLSGRPC(t *testing.T) {
	ca := newTestCA(t)
	cert := ca.issue(t, "127.0.0.1")
	srv := grpctest.Start(t, grpc.Creds(credentials.NewServerTLSFromCert(&cert)))
	tp := startH2Proxy(t, tlsClusterConfig(srv.Addr, ca, config.ProtocolH2), 1)
	c := grpctest.Dial(t, tp.addr)
	resp, err := c.UnaryCall(grpcContext(t), &testpb.SimpleRequest{ResponseSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.GetPayload().GetBody()); n != 1000 {
		t.Fatalf("payload %d bytes, want 1000", n)
	}
}

// A tcp listener forwards plaintext to a TLS backend (4 MiB each way),
// offering no ALPN.
func TestUpstreamTLSTCP(t *testing.T) {
	ca := newTestCA(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{ca.issue(t, "127.0.0.1")}})
	if err != nil {
		t.Fatal(err)
	}
	alpn := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		tc := c.(*tls.Conn)
		if tc.Handshake() == nil {
			alpn <- tc.ConnectionState().NegotiatedProtocol
			io.Copy(c, c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	cfg := tcpConfig(ln.Addr().String())
	cfg.Clusters[0].TLS = &config.UpstreamTLS{CA: ca.File}
	tp := startProxy(t, cfg, 1)
	if err := echoOnce(tp.addr, 4<<20, 3); err != nil { // half-close carried as close_notify
		t.Fatal(err)
	}
	if p := <-alpn; p != "" {
		t.Fatalf("ALPN %q on a tcp listener's connection, want none", p)
	}
}

// A backend that requires a client certificate gets the cluster's cert
// and key; without them the request is answered 502.
func TestUpstreamTLSClientCert(t *testing.T) {
	clients := newTestCA(t)
	o := newTLSOrigin(t, false, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "client=%s", r.TLS.PeerCertificates[0].Subject.CommonName)
	}, func(c *tls.Config) { c.ClientAuth, c.ClientCAs = tls.RequireAndVerifyClientCert, clients.pool })
	with := tlsClusterConfig(o.addr(), o.ca, "")
	leaf := clients.Client("velox-upstream")
	with.Clusters[0].TLS.Cert, with.Clusters[0].TLS.Key = leaf.CertFile, leaf.KeyFile
	if code, body := startProxy(t, with, 1).get(t, modeH1, "/"); code != 200 || body != "client=velox-upstream" {
		t.Fatalf("with a client certificate: %d %q", code, body)
	}
	without := startProxy(t, tlsClusterConfig(o.addr(), o.ca, ""), 1)
	if code, body := without.get(t, modeH1, "/"); code != 502 {
		t.Fatalf("without a client certificate: %d %q", code, body)
	}
}

// tls.min_version: a backend that speaks TLS 1.2 at most is taken by
// default and refused with min_version 1.3 (502 saying why, no request
// reaches it); a TLS 1.3 backend is taken with it.
func TestUpstreamTLSMinVersion(t *testing.T) { run(t, testUpstreamTLSMinVersion) }

func testUpstreamTLSMinVersion(t *testing.T, m mode) {
	versionHandler := func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%x", r.TLS.Version)
	}
	old := newTLSOrigin(t, false, versionHandler, func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 })
	if code, body := startProxy(t, tlsClusterConfig(old.addr(), old.ca, ""), 1).get(t, m, "/"); code != 200 || body != "303" {
		t.Fatalf("TLS 1.2 backend, default min_version: %d %q, want 200 over TLS 1.2 (303)", code, body)
	}
	cfg := tlsClusterConfig(old.addr(), old.ca, "")
	cfg.Clusters[0].TLS.MinVersion = "1.3"
	tp := startProxy(t, cfg, 1)
	code, body, err := tp.fetch(m, "/")
	if err != nil {
		t.Fatal(err)
	}
	if code != 502 || !strings.Contains(body, "no TLS version in common (the cluster's tls.min_version)") {
		t.Fatalf("TLS 1.2 backend, min_version 1.3: %d %q, want 502 saying why", code, body)
	}
	if n := old.reqs.Load(); n != 1 {
		t.Fatalf("TLS 1.2 backend got %d requests, want only the first proxy's", n)
	}
	if st := tp.Stats().UpTLS; len(st) != 1 || st[0].Handshakes != 0 || st[0].OtherErrors == 0 {
		t.Fatalf("/stats upstream_tls %+v", st)
	}

	o13 := newTLSOrigin(t, false, versionHandler)
	cfg = tlsClusterConfig(o13.addr(), o13.ca, "")
	cfg.Clusters[0].TLS.MinVersion = "1.3"
	if code, body := startProxy(t, cfg, 1).get(t, m, "/"); code != 200 || body != "304" {
		t.Fatalf("TLS 1.3 backend, min_version 1.3: %d %q, want 200 over TLS 1.3 (304)", code, body)
	}
}
