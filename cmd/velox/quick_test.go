package main

// In-process tests of quick mode's config: the proxy runs in the test
// process (proxy.New on quickConfig's result, as `velox proxy` does).

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/internal/testcert"
	"github.com/velox-proxy/velox/proxy"
)

// startQuick runs `velox proxy --to to` in process and returns its address.
func startQuick(t *testing.T, to ...string) (*proxy.Server, string) {
	t.Helper()
	return startQuickProtocol(t, "http", to...)
}

// startQuickProtocol is startQuick with --protocol protocol.
func startQuickProtocol(t *testing.T, protocol string, to ...string) (*proxy.Server, string) {
	t.Helper()
	cfg, err := quickConfig("127.0.0.1:0", to, "round_robin", protocol)
	if err != nil {
		t.Fatal(err)
	}
	return startConfig(t, cfg)
}

// startConfig runs cfg in process on one loop and returns its address.
func startConfig(t *testing.T, cfg *config.Config) (*proxy.Server, string) {
	t.Helper()
	srv, err := proxy.New(cfg, proxy.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown() })
	return srv, srv.Addrs()[0]
}

// fixedOrigin is a net/http origin that can be stopped and started again on
// the same loopback port.
type fixedOrigin struct {
	t    *testing.T
	addr string
	srv  *http.Server
}

func (o *fixedOrigin) start() {
	o.t.Helper()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		o.t.Fatal(err)
	}
	o.addr = ln.Addr().String()
	o.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "up")
	})}
	go o.srv.Serve(ln)
}

func (o *fixedOrigin) stop() { o.srv.Close() }

// getStatus sends GET / through the proxy on a new connection.
func getStatus(t *testing.T, addr string) (int, string) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: e2Wait}
	resp, err := c.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestQuickModeBackendRestart: `velox proxy --to ADDR` in front of one
// backend that restarts answers 502 while it is down (never 503, however
// often it failed: with every backend ejected, it is tried anyway) and 200
// from the first request once it is back.
func TestQuickModeBackendRestart(t *testing.T) {
	o := &fixedOrigin{t: t, addr: "127.0.0.1:0"}
	o.start()
	defer o.stop()
	srv, addr := startQuick(t, o.addr)
	if code, body := getStatus(t, addr); code != 200 || body != "up" {
		t.Fatalf("backend up: %d %q", code, body)
	}
	o.stop()
	deadline := time.Now().Add(e2Wait)
	for i := 0; ; i++ { // past the 5 failures that eject, and more
		code, body := getStatus(t, addr)
		if code != 502 {
			t.Fatalf("request %d with the backend down: %d %q, want 502", i, code, body)
		}
		if s := srv.Stats().Clusters["backends"][0]; !s.Healthy && i >= 8 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("backend never ejected")
		}
	}
	o.start() // same port
	if code, body := getStatus(t, addr); code != 200 || body != "up" {
		t.Fatalf("first request once the backend is back: %d %q, want 200", code, body)
	}
}

// TestQuickModeHostName: `--to localhost:PORT` resolves localhost for real
// and reaches the origin on whichever of its addresses it listens.
func TestQuickModeHostName(t *testing.T) {
	o := &fixedOrigin{t: t, addr: "127.0.0.1:0"}
	o.start()
	defer o.stop()
	_, port, _ := net.SplitHostPort(o.addr)
	srv, addr := startQuick(t, "localhost:"+port)
	for i := range 4 { // ::1, if localhost has it, is refused and retried on 127.0.0.1
		if code, body := getStatus(t, addr); code != 200 || body != "up" {
			t.Fatalf("request %d: %d %q", i, code, body)
		}
	}
	found := false
	for _, s := range srv.Stats().Clusters["backends"] {
		found = found || s.Addr == o.addr && s.Name == "localhost:"+port && s.Requests > 0
		if !strings.HasSuffix(s.Addr, ":"+port) {
			t.Errorf("backend %s, want port %s", s.Addr, port)
		}
	}
	if !found {
		t.Errorf("no backend %s from localhost:%s with requests: %+v", o.addr, port, srv.Stats().Clusters)
	}
}

// TestQuickConfigH2C: h2c:// backends make an h2 cluster of their addresses.
func TestQuickConfigH2C(t *testing.T) {
	cfg, err := quickConfig("127.0.0.1:0", []string{"h2c://127.0.0.1:50051", " h2c://localhost:50052"}, "round_robin", "http")
	if err != nil {
		t.Fatal(err)
	}
	cl := cfg.Clusters[0]
	if cl.Protocol != "h2" || len(cl.Backends) != 2 || cl.Backends[0].Address != "127.0.0.1:50051" || cl.Backends[1].Address != "localhost:50052" {
		t.Fatalf("cluster %+v", cl)
	}
	if cfg, err = quickConfig("127.0.0.1:0", []string{"127.0.0.1:1"}, "round_robin", "http"); err != nil || cfg.Clusters[0].Protocol == "h2" {
		t.Fatalf("plain backend: %v %+v", err, cfg)
	}
}

// TestQuickModeTCP: `velox proxy --protocol tcp` forwards bytes to the
// backends (here an echo server), nothing parsed; h2c:// backends and
// unknown protocols are refused.
func TestQuickModeTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	_, addr := startQuickProtocol(t, "tcp", ln.Addr().String())
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "not HTTP at all\r\n\r\n")
	c.(*net.TCPConn).CloseWrite()
	if got, err := io.ReadAll(c); err != nil || string(got) != "not HTTP at all\r\n\r\n" {
		t.Fatalf("echo through a tcp listener: %q, %v", got, err)
	}
	if _, err := quickConfig("127.0.0.1:0", []string{"h2c://127.0.0.1:1"}, "round_robin", "tcp"); err == nil || !strings.Contains(err.Error(), "speaks h2") {
		t.Fatalf("tcp to h2c:// backends: %v, want refused", err)
	}
	if _, err := quickConfig("127.0.0.1:0", []string{"127.0.0.1:1"}, "round_robin", "udp"); err == nil || !strings.Contains(err.Error(), "--protocol udp") {
		t.Fatalf("--protocol udp: %v, want refused", err)
	}
}

// TestQuickModeTLS: --cert and --key terminate TLS with ALPN h2 and
// http/1.1; a key that does not load is refused with its field.
func TestQuickModeTLS(t *testing.T) {
	o := &fixedOrigin{t: t, addr: "127.0.0.1:0"}
	o.start()
	defer o.stop()
	certFile, keyFile := selfSigned(t, "localhost")
	cfg, err := quickConfig("127.0.0.1:0", []string{o.addr}, "round_robin", "http")
	if err != nil {
		t.Fatal(err)
	}
	if err := quickTLS(cfg, certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	srv, _ := startConfig(t, cfg)
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(caPEM)
	for _, h2 := range []bool{false, true} {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: h2}
		if !h2 {
			tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		}
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://localhost:" + strings.Split(srv.Addrs()[0], ":")[1] + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tr.CloseIdleConnections()
		if string(body) != "up" || resp.ProtoMajor != map[bool]int{false: 1, true: 2}[h2] {
			t.Fatalf("h2=%v: %s %q", h2, resp.Proto, body)
		}
	}
	bad, _ := quickConfig("127.0.0.1:0", []string{o.addr}, "round_robin", "http")
	if err := quickTLS(bad, certFile, certFile); err == nil || !strings.Contains(err.Error(), "listeners[0].tls.certificates[0]") {
		t.Fatalf("a key file that is no key: %v", err)
	}
}

// selfSigned writes a self-signed certificate for name and its key as
// PEM files in a temporary directory.
func selfSigned(t *testing.T, name string) (certFile, keyFile string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	return certFile, keyFile
}

// TestQuickModeHTTPS: `--to https://ADDR --to-ca FILE` speaks TLS to the
// backend, verified by that CA (for the IP address, against its IP SANs);
// without --to-ca the system's roots refuse the test CA: 502 saying why.
func TestQuickModeHTTPS(t *testing.T) {
	ca := testcert.NewCA(t, "quick-backends")
	o := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "tls=%t", r.TLS != nil)
	}))
	o.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Server("127.0.0.1", "127.0.0.1").TLS}}
	o.StartTLS()
	defer o.Close()
	to := []string{"https://" + o.Listener.Addr().String()}
	cfg, err := quickConfig("127.0.0.1:0", to, "round_robin", "http")
	if err != nil {
		t.Fatal(err)
	}
	if err := quickUpstreamCA(cfg, ca.File); err != nil {
		t.Fatal(err)
	}
	_, addr := startConfig(t, cfg)
	if code, body := getStatus(t, addr); code != 200 || body != "tls=true" {
		t.Fatalf("with --to-ca: %d %q", code, body)
	}
	_, addr = startQuick(t, to...)
	if code, body := getStatus(t, addr); code != 502 || !strings.Contains(body, "certificate did not verify") {
		t.Fatalf("without --to-ca: %d %q", code, body)
	}
	plain, _ := quickConfig("127.0.0.1:0", []string{"127.0.0.1:1"}, "round_robin", "http")
	if err := quickUpstreamCA(plain, ca.File); err == nil || !strings.Contains(err.Error(), "--to-ca is for https://") {
		t.Fatalf("--to-ca with plain backends: %v", err)
	}
	if err := quickUpstreamCA(cfg, o.Listener.Addr().String()); err == nil || !strings.Contains(err.Error(), "clusters[0].tls.ca") {
		t.Fatalf("--to-ca of a file that is not there: %v", err)
	}
	if _, err := quickConfig("127.0.0.1:0", []string{"https://127.0.0.1:1", "127.0.0.1:2"}, "round_robin", "http"); err == nil ||
		!strings.Contains(err.Error(), "mixes https:// and plain backends") {
		t.Fatalf("https:// and plain: %v", err)
	}
}
