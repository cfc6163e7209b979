package proxy

// TLS termination on listeners (tls.go, package tlsloop) end to end: Go's
// TLS clients (HTTP/1.1 and HTTP/2 by ALPN), curl over https, openssl
// s_client, h2spec -t, gRPC and WebSocket (wss) over TLS, mutual TLS, SNI,
// resumption, certificate reload, and bad input.

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	gorilla "github.com/gorilla/websocket"
	"google.golang.org/grpc/credentials"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/internal/grpctest"
	"github.com/velox-proxy/velox/internal/h2spec"
)

// tlsEnv is a test CA, a directory for PEM files, and a TLS listener
// config in front of an origin.
type tlsEnv struct {
	ca  *testCA
	dir string
	cfg *config.Config
}

// newTLSEnv makes a config whose one listener terminates TLS with a
// certificate for each name list in certs (the first is the default).
func newTLSEnv(t *testing.T, origin string, certs ...[]string) *tlsEnv {
	e := &tlsEnv{ca: newTestCA(t), dir: t.TempDir(), cfg: clusterConfig(origin)}
	lt := &config.ListenerTLS{}
	for i, names := range certs {
		c, k := writePEM(t, e.dir, fmt.Sprint("cert", i), e.ca.issue(t, names...))
		lt.Certificates = append(lt.Certificates, config.CertFiles{Cert: c, Key: k})
	}
	e.cfg.Listeners[0].TLS = lt
	return e
}

// client is an HTTPS client trusting the test CA; h2 offers HTTP/2 (ALPN).
func (e *tlsEnv) client(tp *testProxy, serverName string, h2 bool, certs ...tls.Certificate) *http.Client {
	tc := &tls.Config{RootCAs: e.ca.pool, ServerName: serverName, Certificates: certs}
	tr := &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: h2, DisableCompression: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, tp.addr)
		}}
	if !h2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	tp.clients = append(tp.clients, tr)
	return &http.Client{Transport: tr, Timeout: testWait}
}

func tlsGet(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(readAll(t, resp))
}

// protoHandler answers the X-Forwarded-Proto the origin got.
func protoHandler(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, r.Header.Get("X-Forwarded-Proto"))
}

func TestTLSListener(t *testing.T) {
	o := newOrigin(t, protoHandler)
	e := newTLSEnv(t, o.addr(), []string{"api.example.com"})
	tp := startProxy(t, e.cfg, 1)
	for _, h2 := range []bool{false, true} {
		resp, body := tlsGet(t, e.client(tp, "api.example.com", h2), "https://api.example.com/")
		want := map[bool]int{false: 1, true: 2}[h2]
		if resp.ProtoMajor != want || resp.TLS == nil || body != "https" {
			t.Errorf("h2=%v: %s over TLS %v, X-Forwarded-Proto %q", h2, resp.Proto, resp.TLS != nil, body)
		}
	}
	caFile := e.ca.writeCA(t, e.dir)
	for _, flag := range []string{"--http1.1", "--http2"} {
		out, err := exec.Command("curl", "-sS", "--max-time", "10", flag, "--cacert", caFile,
			"--resolve", "api.example.com:"+portOf(tp.addr)+":127.0.0.1", "-w", " %{http_version}",
			"https://api.example.com:"+portOf(tp.addr)+"/").CombinedOutput()
		want := map[string]string{"--http1.1": "https 1.1", "--http2": "https 2"}[flag]
		if err != nil || string(out) != want {
			t.Errorf("curl %s: %q, %v; want %q", flag, out, err, want)
		}
	}
}

func portOf(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }

func TestTLSCertificateBySNI(t *testing.T) {
	o := newOrigin(t, protoHandler)
	e := newTLSEnv(t, o.addr(), []string{"a.example.com"}, []string{"*.b.example.com"})
	tp := startProxy(t, e.cfg, 1)
	for _, name := range []string{"a.example.com", "x.b.example.com"} {
		if _, body := tlsGet(t, e.client(tp, name, true), "https://"+name+"/"); body != "https" {
			t.Errorf("%s: %q", name, body)
		}
	}
	// An unknown name gets the default certificate (a.example.com's): a
	// client that checks the name refuses it.
	c, err := tls.Dial("tcp", tp.addr, &tls.Config{RootCAs: e.ca.pool, ServerName: "c.example.com"})
	if err == nil {
		c.Close()
		t.Fatal("a certificate for c.example.com was served")
	}
	c, err = tls.Dial("tcp", tp.addr, &tls.Config{RootCAs: e.ca.pool, ServerName: "a.example.com", InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ConnectionState().PeerCertificates[0].DNSNames[0]; got != "a.example.com" {
		t.Errorf("default certificate %q", got)
	}
	c.Close()

	// unknown_sni: reject: an alert instead.
	e2 := newTLSEnv(t, o.addr(), []string{"a.example.com"})
	e2.cfg.Listeners[0].TLS.UnknownSNI = "reject"
	tp2 := startProxy(t, e2.cfg, 1)
	// The socket stays open until the failure is counted: a close that
	// reached velox before its handshake goroutine reported would count
	// as an aborted handshake instead.
	raw := dialTCP(t, tp2.addr)
	if err := tls.Client(raw, &tls.Config{ServerName: "c.example.com", InsecureSkipVerify: true}).Handshake(); err == nil || !strings.Contains(err.Error(), "unrecognized name") {
		t.Fatalf("unknown SNI with reject: %v, want an unrecognized_name alert", err)
	}
	eventually(t, "counted", func() bool { return tlsTotals(tp2).UnknownSNI == 1 })
}

func TestTLSClientCertificates(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Join(r.Header.Values("X-Forwarded-Client-Cert"), " | "))
	})
	e := newTLSEnv(t, o.addr(), []string{"api.example.com"})
	e.cfg.Listeners[0].TLS.ClientAuth = &config.ClientAuth{Mode: "require", CA: e.ca.writeCA(t, e.dir)}
	tp := startProxy(t, e.cfg, 1)
	good := e.ca.issueClient(t, "client-1")
	for _, h2 := range []bool{false, true} {
		c := e.client(tp, "api.example.com", h2, good)
		req, _ := http.NewRequest("GET", "https://api.example.com/", nil)
		req.Header.Set("X-Forwarded-Client-Cert", `Subject="CN=admin"`) // a client's own claim: dropped
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := string(readAll(t, resp))
		if !strings.HasPrefix(body, "Hash=") || !strings.HasSuffix(body, `;Subject="CN=client-1,O=velox test"`) || strings.Contains(body, "admin") {
			t.Errorf("h2=%v: backend got x-forwarded-client-cert %q", h2, body)
		}
	}
	// No certificate, or one from another CA: the handshake fails.
	other := newTestCA(t).issueClient(t, "intruder")
	for name, certs := range map[string][]tls.Certificate{"none": nil, "another CA": {other}} {
		c, err := tls.Dial("tcp", tp.addr, &tls.Config{RootCAs: e.ca.pool, ServerName: "api.example.com", Certificates: certs})
		if err == nil {
			// TLS 1.3: the client learns of the refusal at its first read.
			c.SetDeadline(time.Now().Add(testWait))
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			_, err = c.Read(make([]byte, 1))
			c.Close()
		}
		if err == nil {
			t.Errorf("client certificate %s: served", name)
		}
	}
	eventually(t, "both refusals counted", func() bool { return tlsTotals(tp).ClientCert == 2 })
	if o.reqs.Load() != 2 {
		t.Fatalf("origin saw %d requests, want the 2 with a good certificate", o.reqs.Load())
	}
}

func TestTLSResumptionAndVersions(t *testing.T) {
	o := newOrigin(t, protoHandler)
	e := newTLSEnv(t, o.addr(), []string{"api.example.com"})
	tp := startProxy(t, e.cfg, 1)
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cache := tls.NewLRUClientSessionCache(4)
		var resumed []bool
		for i := 0; i < 2; i++ {
			c, err := tls.Dial("tcp", tp.addr, &tls.Config{RootCAs: e.ca.pool, ServerName: "api.example.com", MaxVersion: v, ClientSessionCache: cache})
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(testWait))
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			b, _ := io.ReadAll(c) // a TLS 1.3 ticket comes after the handshake: read to the end
			if !strings.HasSuffix(string(b), "https") || c.ConnectionState().Version != v {
				t.Fatalf("version %x: %q", v, b)
			}
			resumed = append(resumed, c.ConnectionState().DidResume)
			c.Close()
		}
		if resumed[0] || !resumed[1] {
			t.Errorf("version %x: resumed %v, want [false true]", v, resumed)
		}
	}
	e13 := newTLSEnv(t, o.addr(), []string{"api.example.com"})
	e13.cfg.Listeners[0].TLS.MinVersion = "1.3"
	tp13 := startProxy(t, e13.cfg, 1)
	if _, err := tls.Dial("tcp", tp13.addr, &tls.Config{RootCAs: e13.ca.pool, ServerName: "api.example.com", MaxVersion: tls.VersionTLS12}); err == nil {
		t.Fatal("min_version 1.3 took a TLS 1.2 client")
	}
	// openssl: TLS 1.2 and 1.3, a session written and resumed.
	caFile := e.ca.writeCA(t, e.dir)
	sess := e.dir + "/sess.pem"
	for _, args := range [][]string{
		{"-tls1_2", "-sess_out", sess},
		{"-tls1_2", "-sess_in", sess},
		{"-tls1_3", "-alpn", "h2"},
	} {
		cmd := exec.Command("openssl", append([]string{"s_client", "-connect", tp.addr, "-servername", "api.example.com", "-CAfile", caFile, "-verify_return_error"}, args...)...)
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		s := string(out)
		ok := err == nil && strings.Contains(s, "Verify return code: 0 (ok)")
		switch args[1] {
		case "-sess_in":
			ok = ok && strings.Contains(s, "Reused, ")
		case "-alpn":
			ok = ok && strings.Contains(s, "ALPN protocol: h2") && strings.Contains(s, "TLSv1.3")
		}
		if !ok {
			t.Errorf("openssl s_client %v: %v\n%s", args, err, s)
		}
	}
}

func TestTLSCertificateReload(t *testing.T) {
	o := newOrigin(t, protoHandler)
	e := newTLSEnv(t, o.addr(), []string{"old.example.com"})
	tp := startProxy(t, e.cfg, 1)
	old := e.client(tp, "old.example.com", false)
	if _, body := tlsGet(t, old, "https://old.example.com/"); body != "https" {
		t.Fatal(body)
	}
	// New files under the same names, then a reload.
	lt := e.cfg.Listeners[0].TLS
	c, k := writePEM(t, e.dir, "cert0", e.ca.issue(t, "new.example.com"))
	if c != lt.Certificates[0].Cert || k != lt.Certificates[0].Key {
		t.Fatal("writePEM names changed")
	}
	if err := tp.Reload(e.cfg); err != nil {
		t.Fatal(err)
	}
	if _, body := tlsGet(t, e.client(tp, "new.example.com", true), "https://new.example.com/"); body != "https" {
		t.Fatalf("new certificate: %q", body)
	}
	if _, body := tlsGet(t, old, "https://old.example.com/"); body != "https" { // its keep-alive connection
		t.Fatalf("a connection up across the reload: %q", body)
	}
	// A reload whose key file is broken is refused; the old keeps serving.
	os.WriteFile(k, []byte("not a key"), 0o600)
	if err := tp.Reload(e.cfg); err == nil {
		t.Fatal("a reload with a broken key file went ahead")
	}
	if _, body := tlsGet(t, e.client(tp, "new.example.com", false), "https://new.example.com/"); body != "https" {
		t.Fatalf("after the refused reload: %q", body)
	}
}

func TestTLSBadInput(t *testing.T) {
	o := newOrigin(t, protoHandler)
	e := newTLSEnv(t, o.addr(), []string{"api.example.com"})
	e.cfg.Listeners[0].TLS.HandshakeTimeout = config.Duration(300 * time.Millisecond)
	tp := startProxy(t, e.cfg, 1)
	res := rawRoundTrip(t, tp.addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", testWait)
	if !res.closed || strings.Contains(string(res.data), "200") {
		t.Fatalf("plain HTTP on a TLS port: %q", res.data)
	}
	c := dialTCP(t, tp.addr)
	c.Write([]byte{22, 3, 1, 0, 200, 1}) // a ClientHello that never completes
	if _, err := io.ReadAll(c); err != nil && !isConnReset(err) {
		t.Fatal(err)
	}
	eventually(t, "both counted", func() bool { st := tlsTotals(tp); return st.NotTLS == 1 && st.Timeouts == 1 })
	if !strings.Contains(tp.log.String(), "TLS handshake failed") {
		t.Errorf("no log line:\n%s", tp.log.String())
	}
	if _, body := tlsGet(t, e.client(tp, "api.example.com", true), "https://api.example.com/"); body != "https" {
		t.Fatalf("a good client after the bad ones: %q", body)
	}
}

// TestTLSH2Spec: every h2spec case over TLS (ALPN h2), as over h2c.
func TestTLSH2Spec(t *testing.T) {
	if testing.Short() {
		t.Skip("h2spec takes a while")
	}
	o := newOrigin(t, protoHandler)
	e := newTLSEnv(t, o.addr(), []string{"localhost"})
	tp := startProxy(t, e.cfg, 1)
	passed, failed := h2spec.RunTLS(t, tp.addr, false)
	for _, f := range failed {
		t.Errorf("failed: %s", f)
	}
	if len(passed) != 145 {
		t.Errorf("%d cases passed, want 145", len(passed))
	}
}

func TestTLSGRPC(t *testing.T) {
	sv := grpctest.Start(t)
	e := newTLSEnv(t, sv.Addr, []string{"grpc.example.com"})
	e.cfg.Clusters[0].Protocol = config.ProtocolH2
	tp := startProxy(t, e.cfg, 1)
	c := grpctest.DialWith(t, tp.addr, credentials.NewTLS(&tls.Config{RootCAs: e.ca.pool, ServerName: "grpc.example.com"}))
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	resp, err := c.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 3 << 20, Payload: &testpb.Payload{Body: make([]byte, 1<<20)}})
	if err != nil || len(resp.GetPayload().GetBody()) != 3<<20 {
		t.Fatalf("UnaryCall over TLS: %v", err)
	}
	st, err := c.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		st.Send(&testpb.StreamingOutputCallRequest{ResponseParameters: []*testpb.ResponseParameters{{Size: 100}}})
		if r, err := st.Recv(); err != nil || len(r.GetPayload().GetBody()) != 100 {
			t.Fatalf("stream message %d: %v", i, err)
		}
	}
	st.CloseSend()
	if _, err := st.Recv(); err != io.EOF {
		t.Fatalf("end of stream: %v", err)
	}
}

func TestTLSWebSocket(t *testing.T) {
	o := wsEcho(t)
	e := newTLSEnv(t, o.addr(), []string{"ws.example.com"})
	tp := startProxy(t, e.cfg, 1)
	d := gorilla.Dialer{TLSClientConfig: &tls.Config{RootCAs: e.ca.pool, ServerName: "ws.example.com"}, HandshakeTimeout: testWait,
		NetDial: func(network, _ string) (net.Conn, error) { return net.Dial(network, tp.addr) }}
	c, _, err := d.Dial("wss://ws.example.com/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(testWait))
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i)
	}
	c.WriteMessage(gorilla.BinaryMessage, big)
	if _, got, err := c.ReadMessage(); err != nil || string(got) != string(big) {
		t.Fatalf("wss echo: %d bytes, %v", len(got), err)
	}
}

// TestTLSTCPListener: a tcp listener with tls forwards the plaintext.
func TestTLSTCPListener(t *testing.T) {
	b := newTCPBackend(t, echo)
	e := newTLSEnv(t, b.addr(), []string{"db.example.com"})
	e.cfg.Listeners[0] = config.Listener{Address: "127.0.0.1:0", Protocol: config.ListenerTCP, Cluster: "c", TLS: e.cfg.Listeners[0].TLS}
	e.cfg.Products, e.cfg.DefaultProduct = nil, ""
	tp := startProxy(t, e.cfg, 1)
	c, err := tls.Dial("tcp", tp.addr, &tls.Config{RootCAs: e.ca.pool, ServerName: "db.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testWait))
	io.WriteString(c, "plaintext inside")
	got := make([]byte, len("plaintext inside"))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "plaintext inside" {
		t.Fatalf("echo through a TLS tcp listener: %q, %v", got, err)
	}
}

func tlsTotals(tp *testProxy) TLSStats {
	var s TLSStats
	for _, st := range tp.Stats().TLS {
		s.Handshakes += st.Handshakes
		s.NotTLS += st.NotTLS
		s.Timeouts += st.Timeouts
		s.UnknownSNI += st.UnknownSNI
		s.ClientCert += st.ClientCert
	}
	return s
}

// TestTLSCipherSuites: cipher_suites restricts TLS 1.2 to the suites
// named; a client offering only others is refused.
func TestTLSCipherSuites(t *testing.T) {
	o := newOrigin(t, protoHandler)
	e := newTLSEnv(t, o.addr(), []string{"api.example.com"})
	e.cfg.Listeners[0].TLS.CipherSuites = []string{"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"}
	tp := startProxy(t, e.cfg, 1)
	dial := func(suite uint16) (*tls.Conn, error) {
		return tls.Dial("tcp", tp.addr, &tls.Config{RootCAs: e.ca.pool, ServerName: "api.example.com",
			MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{suite}})
	}
	c, err := dial(tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.ConnectionState().CipherSuite; got != tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 {
		t.Errorf("suite %s", tls.CipherSuiteName(got))
	}
	c.Close()
	if c, err := dial(tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256); err == nil {
		c.Close()
		t.Fatal("a suite not in cipher_suites was accepted")
	}
}

// TestTLSClientCAReload: client_auth.ca rewritten in place and reloaded:
// new handshakes verify against the new bundle, an mTLS connection made
// before the reload keeps going; a bundle that does not load refuses the
// reload, with the field named, and the old one keeps verifying.
func TestTLSClientCAReload(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("X-Forwarded-Client-Cert"))
	})
	e := newTLSEnv(t, o.addr(), []string{"api.example.com"})
	caA, caB := newTestCA(t), newTestCA(t)
	caFile := e.dir + "/clients.pem"
	copyFile(t, caA.writeCA(t, e.dir), caFile)
	e.cfg.Listeners[0].TLS.ClientAuth = &config.ClientAuth{Mode: "require", CA: caFile}
	tp := startProxy(t, e.cfg, 1)
	fromA, fromB := caA.issueClient(t, "alice"), caB.issueClient(t, "bob")
	get := func(c *tls.Conn) (string, error) {
		c.SetDeadline(time.Now().Add(testWait))
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n"); err != nil {
			return "", err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	// served dials with cert and makes one request (TLS 1.3: a refused
	// certificate shows at the first read).
	served := func(cert tls.Certificate) (*tls.Conn, string, error) {
		c, err := tls.Dial("tcp", tp.addr, &tls.Config{RootCAs: e.ca.pool, ServerName: "api.example.com", Certificates: []tls.Certificate{cert}})
		if err != nil {
			return nil, "", err
		}
		t.Cleanup(func() { c.Close() })
		body, err := get(c)
		return c, body, err
	}
	old, body, err := served(fromA)
	if err != nil || !strings.Contains(body, "CN=alice") {
		t.Fatalf("alice (CA A) before the reload: %q, %v", body, err)
	}
	if _, _, err := served(fromB); err == nil {
		t.Fatal("bob (CA B) served before the reload")
	}
	copyFile(t, caB.writeCA(t, e.dir), caFile)
	if err := tp.Reload(e.cfg); err != nil {
		t.Fatal(err)
	}
	if _, body, err := served(fromB); err != nil || !strings.Contains(body, "CN=bob") {
		t.Fatalf("bob (CA B) after the reload: %q, %v", body, err)
	}
	if _, _, err := served(fromA); err == nil {
		t.Fatal("alice (CA A) served on a new connection after the reload")
	}
	if body, err := get(old); err != nil || !strings.Contains(body, "CN=alice") {
		t.Fatalf("alice's connection from before the reload: %q, %v", body, err)
	}
	eventually(t, "refusals counted", func() bool { return tlsTotals(tp).ClientCert == 2 })

	// A bundle that does not load: the reload is refused, B still verifies.
	os.WriteFile(caFile, []byte("not PEM"), 0o600)
	if err := tp.Reload(e.cfg); err == nil || !strings.Contains(err.Error(), "listeners[0].tls.client_auth.ca") {
		t.Fatalf("reload with a broken CA bundle: %v, want refused naming listeners[0].tls.client_auth.ca", err)
	}
	if _, body, err := served(fromB); err != nil || !strings.Contains(body, "CN=bob") {
		t.Fatalf("bob after the refused reload: %q, %v", body, err)
	}
}

// copyFile copies the file from to to (a reload rewrites files in place).
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTLSHandshakeFilter: the Handshake callback point of a TLS listener
// runs once per connection, after the handshake, and its filter sees the
// SNI, the ALPN, the version and the verified client certificate; one
// that answers CloseConn closes that connection only.
func TestTLSHandshakeFilter(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	e := newTLSEnv(t, o.addr(), []string{"api.example.com"})
	e.cfg.Listeners[0].TLS.ClientAuth = &config.ClientAuth{Mode: "request", CA: e.ca.writeCA(t, e.dir)}
	tp := startProxy(t, e.cfg, 1)
	seen := make(chan string, 8)
	tp.RegisterConn(Handshake, ConnFilterFunc(func(c *Session) Verdict {
		info := c.TLS()
		if info == nil {
			seen <- "no TLS info"
			return Continue
		}
		seen <- fmt.Sprintf("%s %s %x %s", info.ServerName, info.ALPN, info.Version, info.ClientSubject)
		if info.ClientSubject == "" {
			return CloseConn // this filter wants a client certificate
		}
		return Continue
	}))
	for _, h2 := range []bool{false, true} {
		resp, body := tlsGet(t, e.client(tp, "api.example.com", h2, e.ca.issueClient(t, "client-1")), "https://api.example.com/")
		if resp.StatusCode != 200 || body != "ok" {
			t.Errorf("h2=%v: %d %q", h2, resp.StatusCode, body)
		}
		alpn := "" // net/http's HTTP/1.1-only transport offers no ALPN
		if h2 {
			alpn = "h2"
		}
		if got, want := <-seen, fmt.Sprintf("api.example.com %s %x CN=client-1,O=velox test", alpn, tls.VersionTLS13); got != want {
			t.Errorf("h2=%v: the Handshake filter saw %q, want %q", h2, got, want)
		}
	}
	// No certificate: the handshake succeeds (mode request), the filter
	// closes the connection.
	c, err := tls.Dial("tcp", tp.addr, &tls.Config{RootCAs: e.ca.pool, ServerName: "api.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testWait))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n")
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Errorf("read %d bytes after the Handshake filter's CloseConn", n)
	}
	if got := <-seen; got != fmt.Sprintf("api.example.com  %x ", tls.VersionTLS13) {
		t.Errorf("without a certificate the Handshake filter saw %q", got)
	}
}

// TestTLSResumptionAcrossLoops: the session ticket keys are shared by all
// loops: a ticket one loop issued resumes on another.
func TestTLSResumptionAcrossLoops(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	e := newTLSEnv(t, o.addr(), []string{"api.example.com"})
	tp := startProxy(t, e.cfg, 2)
	type hs struct {
		loop    int
		resumed bool
	}
	seen := make(chan hs, 64)
	tp.RegisterConn(Handshake, ConnFilterFunc(func(c *Session) Verdict {
		seen <- hs{c.LoopID(), c.TLS().Resumed}
		return Continue
	}))
	cache := tls.NewLRUClientSessionCache(4)
	crossed := false
	prev := -1
	for i := range 20 {
		c, err := tls.Dial("tcp", tp.addr, &tls.Config{RootCAs: e.ca.pool, ServerName: "api.example.com", ClientSessionCache: cache})
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(testWait))
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n")
		io.ReadAll(c) // TLS 1.3: the ticket comes after the handshake
		c.Close()
		h := <-seen
		if i > 0 && !h.resumed {
			t.Fatalf("connection %d (loop %d) did not resume", i, h.loop)
		}
		if i > 0 && h.loop != prev {
			crossed = true
		}
		prev = h.loop
	}
	if !crossed {
		t.Error("20 connections all landed on one loop: no ticket was tried on another")
	}
}
