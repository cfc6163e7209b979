package proxy

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/velox-proxy/velox/config"
)

// TestReviewClientCertHeaderOtherListener: the mTLS listener's header is
// removed only from that listener's requests. A second, plain listener in
// front of the same cluster (port 80 next to 443, as is usual) passes a
// client's own x-forwarded-client-cert to the backend, which cannot tell
// it from velox's.
func TestReviewClientCertHeaderOtherListener(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Join(r.Header.Values("X-Forwarded-Client-Cert"), " | "))
	})
	e := newTLSEnv(t, o.addr(), []string{"api.example.com"})
	e.cfg.Listeners[0].TLS.ClientAuth = &config.ClientAuth{Mode: "request", CA: e.ca.writeCA(t, e.dir)}
	e.cfg.Listeners = append(e.cfg.Listeners, config.Listener{Address: "127.0.0.2:0"})
	tp := startProxy(t, e.cfg, 1)
	plain := tp.Server.Addrs()[1]
	res := rawRoundTrip(t, plain, "GET / HTTP/1.1\r\nHost: api.example.com\r\nX-Forwarded-Client-Cert: Hash=00;Subject=\"CN=admin\"\r\nConnection: close\r\n\r\n", testWait)
	if strings.Contains(res.Body(), "admin") {
		t.Errorf("the backend got a client's own x-forwarded-client-cert through the plain listener: %q", res.Body())
	}
	// And on the TLS listener itself without a certificate (mode request): removed.
	c := e.client(tp, "api.example.com", false)
	req, _ := http.NewRequest("GET", "https://api.example.com/", nil)
	req.Header.Set("X-Forwarded-Client-Cert", `Subject="CN=admin"`)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if body := string(readAll(t, resp)); strings.Contains(body, "admin") {
		t.Errorf("TLS listener, no certificate: backend got %q", body)
	}
}
