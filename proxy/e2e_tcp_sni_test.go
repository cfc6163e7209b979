package proxy

// TLS passthrough by SNI (tcp_sni.go): real crypto/tls servers behind
// velox, real crypto/tls clients and openssl s_client in front; the
// clients verify the backends' certificates, so the bytes went through
// untouched.

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
)

// newTLSBackend is a TLS server with cert that answers each connection
// with "<id> <server name it was asked for>".
func newTLSBackend(t *testing.T, id string, cert tls.Certificate) *tcpBackend {
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	return newTCPBackend(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		if err := tc.Handshake(); err != nil {
			return
		}
		fmt.Fprintf(tc, "%s %s", id, tc.ConnectionState().ServerName)
		tc.Close()
	})
}

// sniConfig: *.b.example.com and a.example.com to two clusters, the rest to
// the default cluster when deflt is set.
func sniConfig(a, b, deflt string) *config.Config {
	cfg := tcpConfig(a)
	cfg.Clusters = []config.Cluster{
		{Name: "a", Backends: []config.Backend{{Address: a}}},
		{Name: "b", Backends: []config.Backend{{Address: b}}},
	}
	l := &cfg.Listeners[0]
	l.Cluster = ""
	l.SNIRoutes = []config.SNIRoute{
		{ServerNames: []string{"A.example.com"}, Cluster: "a"},
		{ServerNames: []string{"*.b.example.com"}, Cluster: "b"},
	}
	if deflt != "" {
		cfg.Clusters = append(cfg.Clusters, config.Cluster{Name: "default", Backends: []config.Backend{{Address: deflt}}})
		l.Cluster = "default"
	}
	return cfg
}

func tlsThrough(t *testing.T, addr, name string, pool *x509.CertPool) (string, error) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: testWait}, "tcp", addr, &tls.Config{ServerName: name, RootCAs: pool})
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testWait))
	b, err := io.ReadAll(c)
	return string(b), err
}

func TestTCPSNIPassthrough(t *testing.T) {
	ca := newTestCA(t)
	a := newTLSBackend(t, "A", ca.issue(t, "a.example.com"))
	b := newTLSBackend(t, "B", ca.issue(t, "*.b.example.com", "deep.x.b.example.com"))
	d := newTLSBackend(t, "D", ca.issue(t, "other.example.com", "127.0.0.1"))
	tp := startProxy(t, sniConfig(a.addr(), b.addr(), d.addr()), 1)
	for _, tc := range []struct{ name, want string }{
		{"a.example.com", "A a.example.com"},
		{"x.b.example.com", "B x.b.example.com"},
		{"deep.x.b.example.com", "B deep.x.b.example.com"},
		{"other.example.com", "D other.example.com"},
	} {
		got, err := tlsThrough(t, tp.addr, tc.name, ca.pool)
		if err != nil || got != tc.want {
			t.Errorf("SNI %s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	// No SNI at all (a client dialling an IP sends none): the default.
	c, err := tls.Dial("tcp", tp.addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(c)
	c.Close()
	if string(got) != "D " {
		t.Errorf("no SNI: %q, want the default backend", got)
	}
	// openssl s_client, verifying against the test CA.
	caFile := ca.File
	out, err := exec.Command("openssl", "s_client", "-connect", tp.addr, "-servername", "a.example.com",
		"-CAfile", caFile, "-verify_return_error", "-quiet").CombinedOutput()
	if !strings.Contains(string(out), "A a.example.com") {
		t.Errorf("openssl s_client -servername a.example.com: %v\n%s", err, out)
	}
}

func TestTCPSNINoRoute(t *testing.T) {
	ca := newTestCA(t)
	a := newTLSBackend(t, "A", ca.issue(t, "a.example.com"))
	b := newTLSBackend(t, "B", ca.issue(t, "*.b.example.com"))
	cfg := sniConfig(a.addr(), b.addr(), "")
	cfg.Timeouts.HeaderRead = config.Duration(200 * time.Millisecond)
	tp := startProxy(t, cfg, 1)
	if _, err := tlsThrough(t, tp.addr, "unknown.example.com", ca.pool); err == nil {
		t.Fatal("a name no route has reached a backend")
	}
	c := dialTCP(t, tp.addr)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n")
	if got, _ := io.ReadAll(c); len(got) != 0 {
		t.Fatalf("plain HTTP on an sni_routes listener without a default got %q", got)
	}
	if !holds(func() bool { return tcpTotals(tp).NoRoute == 2 }) {
		t.Fatalf("no_route_total: %+v, want 2; log:\n%s", tcpTotals(tp), tp.log.String())
	}
	// A ClientHello that never completes: header_read closes it.
	c = dialTCP(t, tp.addr)
	c.Write([]byte{22, 3, 1, 1, 0, 1})
	if _, err := io.ReadAll(c); err != nil && !isConnReset(err) {
		t.Fatal(err)
	}
	if n := tcpTotals(tp).PrereadTimeouts; n != 1 {
		t.Fatalf("preread_timeouts_total %d, want 1", n)
	}
	if a.conns.Load() != 0 || b.conns.Load() != 0 {
		t.Fatalf("backends saw %d and %d connections, want none", a.conns.Load(), b.conns.Load())
	}
	for _, want := range []string{`"unknown.example.com" matches no sni_routes entry`, "not a TLS ClientHello", "no complete TLS ClientHello within timeouts.header_read"} {
		if !holds(func() bool { return strings.Contains(tp.log.String(), want) }) { // the log is written off the loop
			t.Errorf("no log line with %q in:\n%s", want, tp.log.String())
		}
	}
}
