package proxy

// tls and proxy_protocol on one listener (proxyheader.go, proxyFirst): the
// PROXY header comes first in plaintext, then the TLS handshake, as
// HAProxy's send-proxy-v2 with ssl sends them.

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pp "github.com/pires/go-proxyproto"

	"github.com/velox-proxy/velox/config"
)

// tlsProxiedEnv is a TLS listener for api.example.com in front of an
// origin answering its X-Forwarded-For, taking PROXY headers from trusted.
func tlsProxiedEnv(t *testing.T, trusted ...string) (*tlsEnv, *origin) {
	o := newOrigin(t, xffHandler)
	e := newTLSEnv(t, o.addr(), []string{"api.example.com"})
	e.cfg.Listeners[0].ProxyProtocol = &config.ProxyProtocol{Trusted: trusted}
	return e, o
}

// v2Header is a PROXY v2 header (go-proxyproto's) for a client at src.
func v2Header(t *testing.T, src string) []byte {
	h := pp.HeaderProxyFromAddrs(2, &net.TCPAddr{IP: net.ParseIP(src), Port: 4000}, &net.TCPAddr{IP: net.ParseIP("198.51.100.1"), Port: 443})
	b, err := h.Format()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// prefixConn writes head in front of the first Write: a PROXY header and
// the ClientHello in one segment.
type prefixConn struct {
	net.Conn
	head []byte
}

func (c *prefixConn) Write(b []byte) (int, error) {
	if c.head != nil {
		_, err := c.Conn.Write(append(c.head, b...))
		c.head = nil
		return len(b), err
	}
	return c.Conn.Write(b)
}

// tlsGetOver does a TLS handshake on c (HTTP/2 when h2) and one GET, and
// returns the response's protocol and body.
func tlsGetOver(t *testing.T, e *tlsEnv, c net.Conn, h2 bool) (string, string, error) {
	protos := []string{"http/1.1"}
	if h2 {
		protos = []string{"h2"}
	}
	tc := tls.Client(c, &tls.Config{RootCAs: e.ca.pool, ServerName: "api.example.com", NextProtos: protos})
	tc.SetDeadline(time.Now().Add(testWait))
	if err := tc.Handshake(); err != nil {
		return "", "", err
	}
	tr := &http.Transport{DialTLSContext: oneConn(tc), ForceAttemptHTTP2: h2}
	if !h2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: testWait}).Get("https://api.example.com/")
	if err != nil {
		return "", "", err
	}
	return resp.Proto, string(readAll(t, resp)), nil
}

func TestTLSProxyProtocol(t *testing.T) {
	e, o := tlsProxiedEnv(t, "127.0.0.0/8")
	tp := startProxy(t, e.cfg, 1)
	v1 := []byte("PROXY TCP4 203.0.113.7 198.51.100.1 5555 443\r\n")
	cases := []struct {
		name  string
		h2    bool
		write func(c net.Conn) net.Conn
		want  string
	}{
		{"v2 then TLS, HTTP/1.1", false, func(c net.Conn) net.Conn { c.Write(v2Header(t, "2001:db8::7")); return c }, "2001:db8::7"},
		{"v2 then TLS, HTTP/2", true, func(c net.Conn) net.Conn { c.Write(v2Header(t, "203.0.113.8")); return c }, "203.0.113.8"},
		{"v1 and the ClientHello in one segment", false, func(c net.Conn) net.Conn { return &prefixConn{c, v1} }, "203.0.113.7"},
		{"v2 split byte by byte", true, func(c net.Conn) net.Conn {
			for _, b := range v2Header(t, "203.0.113.9") {
				c.Write([]byte{b})
			}
			return c
		}, "203.0.113.9"},
		{"v2 LOCAL: the connection's own address", false, func(c net.Conn) net.Conn { c.Write(localV2(t)); return c }, "127.0.0.1"},
	}
	for _, tc := range cases {
		proto, body, err := tlsGetOver(t, e, tc.write(dialTCP(t, tp.addr)), tc.h2)
		wantProto := map[bool]string{false: "HTTP/1.1", true: "HTTP/2.0"}[tc.h2]
		if err != nil || proto != wantProto || body != tc.want {
			t.Errorf("%s: %s %q, %v; want %s with X-Forwarded-For %s", tc.name, proto, body, err, wantProto, tc.want)
		}
	}
	if n := o.reqs.Load(); n != int64(len(cases)) {
		t.Errorf("origin saw %d requests, want %d", n, len(cases))
	}

	// A trusted source that begins with the ClientHello, or with a bad
	// header: closed before any handshake, counted as PROXY errors.
	before := tp.totals().ProxyProtocolErrors
	if _, _, err := tlsGetOver(t, e, dialTCP(t, tp.addr), false); err == nil {
		t.Error("a trusted source without a PROXY header was served")
	}
	bad := dialTCP(t, tp.addr)
	io.WriteString(bad, "PROXY TCP4 203.0.113.7 nonsense\r\n")
	if res := readAllRaw(bad, testWait); len(res.data) != 0 || !res.closed {
		t.Errorf("a bad PROXY header: %q, want closed", res.data)
	}
	eventually(t, "both counted", func() bool { return tp.totals().ProxyProtocolErrors == before+2 })
	if st := tlsTotals(tp); st.Handshakes != uint64(len(cases)) || st.NotTLS != 0 {
		t.Errorf("TLS stats %+v: the refused ones reached the handshake", st)
	}
}

// TestTLSProxyProtocolHeaderTimeout: a trusted source that sends a part
// of a header and stops is closed after timeouts.header_read.
func TestTLSProxyProtocolHeaderTimeout(t *testing.T) {
	e, _ := tlsProxiedEnv(t, "127.0.0.1")
	e.cfg.Timeouts.HeaderRead = config.Duration(200 * time.Millisecond)
	tp := startProxy(t, e.cfg, 1)
	c := dialTCP(t, tp.addr)
	c.Write(v2Header(t, "203.0.113.7")[:20])
	if res := readAllRaw(c, testWait); !res.closed || len(res.data) != 0 {
		t.Fatalf("half a header: %q, closed %v", res.data, res.closed)
	}
	eventually(t, "counted", func() bool { return tp.totals().ProxyProtocolErrors == 1 })
	if !strings.Contains(tp.log.String(), "no PROXY protocol header within timeouts.header_read") {
		t.Errorf("no log line:\n%s", tp.log.String())
	}
}

// TestTLSProxyProtocolUntrusted: an untrusted source's PROXY header is
// only bytes before its ClientHello, so the handshake fails (not TLS);
// without one it is served with its own address.
func TestTLSProxyProtocolUntrusted(t *testing.T) {
	e, o := tlsProxiedEnv(t, "10.0.0.0/8")
	tp := startProxy(t, e.cfg, 1)
	c := dialTCP(t, tp.addr)
	c.Write(v2Header(t, "203.0.113.7"))
	if _, body, err := tlsGetOver(t, e, c, false); err == nil {
		t.Fatalf("an untrusted PROXY header then TLS: served, X-Forwarded-For %q", body)
	}
	eventually(t, "not TLS counted", func() bool { return tlsTotals(tp).NotTLS == 1 })
	if _, body, err := tlsGetOver(t, e, dialTCP(t, tp.addr), false); err != nil || body != "127.0.0.1" {
		t.Fatalf("plain TLS from an untrusted source: %q, %v", body, err)
	}
	if o.reqs.Load() != 1 {
		t.Fatalf("origin saw %d requests, want 1", o.reqs.Load())
	}
}

// TestTLSProxyProtocolTCPListener: a tcp listener with tls and
// proxy_protocol forwards the plaintext and sends the client the header
// named on to its backend (send_proxy_protocol v1).
func TestTLSProxyProtocolTCPListener(t *testing.T) {
	got := make(chan string, 1)
	b := headerBackend(t, got, func(c net.Conn, br *bufio.Reader) string {
		line, _ := br.ReadString('\n')
		c.Write([]byte("bye\n"))
		return line
	})
	e := newTLSEnv(t, b.addr(), []string{"db.example.com"})
	lt := e.cfg.Listeners[0].TLS
	e.cfg = proxiedTCPConfig(b.addr(), "v1")
	e.cfg.Listeners[0].TLS = lt
	tp := startProxy(t, e.cfg, 1)
	c := tls.Client(&prefixConn{dialTCP(t, tp.addr), v2Header(t, "203.0.113.7")}, &tls.Config{RootCAs: e.ca.pool, ServerName: "db.example.com"})
	c.SetDeadline(time.Now().Add(testWait))
	io.WriteString(c, "hello\n")
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || line != "bye\n" {
		t.Fatalf("through the tcp listener: %q, %v", line, err)
	}
	c.Close()
	if s := <-got; s != "203.0.113.7:4000 -> 198.51.100.1:443: hello\n" {
		t.Fatalf("backend: %s", s)
	}
}

// TestTLSProxyProtocolThroughHAProxy: a real HAProxy in mode tcp sends
// PROXY v2 then TLS (send-proxy-v2 ssl); curl bound to 127.0.0.2 talks
// plain HTTP to HAProxy: the origin learns 127.0.0.2.
func TestTLSProxyProtocolThroughHAProxy(t *testing.T) {
	e, _ := tlsProxiedEnv(t, "127.0.0.1")
	tp := startProxy(t, e.cfg, 1)
	pem, err := os.ReadFile(e.ca.writeCA(t, e.dir))
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(e.dir, "ca.pem") // HAProxy's config takes no space in a path
	if err := os.WriteFile(caFile, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	front := startHAProxy(t, "server velox "+tp.addr+" send-proxy-v2 ssl verify required sni str(api.example.com) ca-file "+caFile)
	out, err := exec.Command("curl", "-sS", "--max-time", "10", "--interface", "127.0.0.2", "http://"+front+"/").CombinedOutput()
	if err != nil || string(out) != "127.0.0.2" {
		t.Fatalf("curl from 127.0.0.2 through HAProxy (PROXY v2, TLS) and velox: %q, %v", out, err)
	}
	// startHAProxy's probe may have made a connection of its own through
	// HAProxy: at least curl's handshake, and none failed.
	if st := tlsTotals(tp); st.Handshakes == 0 || st.NotTLS+st.OtherErrors != 0 {
		t.Fatalf("TLS stats %+v, want handshakes and no failure", st)
	}
}
