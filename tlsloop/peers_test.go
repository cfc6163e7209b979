package tlsloop

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/internal/testcert"
)

// Real peers: openssl s_client and curl against an eventloop server with a
// tiny HTTP/1.1 responder. Skipped when the tool is missing (make
// deps-test installs curl; openssl comes with it).

// responder answers each request head with "hello <alpn> <sni>"; with
// "Connection: close" in the request it closes after the answer.
var responder = &handlerFuncs{data: func(c *eventloop.Conn, b []byte) int {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		return 0
	}
	in := State(c)
	body := "hello " + in.ALPN + " " + in.ServerName + " " + in.ClientSubject
	c.Write(fmt.Appendf(nil, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
	if bytes.Contains(bytes.ToLower(b[:end]), []byte("connection: close")) {
		c.CloseAfterFlush()
	}
	return end + 4
}}

func need(t *testing.T, tool string) {
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s not installed", tool)
	}
}

const closeReq = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"

// sClient runs openssl s_client with args, sends stdin, and returns its
// output once the server closed.
func sClient(t *testing.T, ts *testServer, stdin string, args ...string) string {
	t.Helper()
	args = append([]string{"s_client", "-connect", ts.addr, "-CAfile", ts.ca.File,
		"-verify_return_error", "-ign_eof"}, args...)
	cmd := exec.Command("openssl", args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestOpenSSL(t *testing.T) {
	need(t, "openssl")
	ts := startServer(t, Config{NextProtos: []string{"h2", "http/1.1"}}, responder)
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"-tls1_2", "-servername", "localhost", "-alpn", "http/1.1"},
			[]string{"Protocol  : TLSv1.2", "ALPN protocol: http/1.1", "hello http/1.1 localhost"}},
		{[]string{"-tls1_3", "-servername", "a.wild.test", "-alpn", "h2"},
			[]string{"TLSv1.3", "ALPN protocol: h2", "hello h2 a.wild.test"}},
	} {
		out := sClient(t, ts, closeReq, c.args...)
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Fatalf("openssl %v: no %q in\n%s", c.args, w, out)
			}
		}
	}
}

func TestOpenSSLResumption(t *testing.T) {
	need(t, "openssl")
	ts := startServer(t, Config{}, responder)
	for _, v := range []string{"-tls1_2", "-tls1_3"} {
		sess := filepath.Join(t.TempDir(), "sess.pem")
		out := sClient(t, ts, closeReq, v, "-servername", "localhost", "-sess_out", sess)
		if !strings.Contains(out, "New, TLSv1") {
			t.Fatalf("%s first: not new\n%s", v, out)
		}
		out = sClient(t, ts, closeReq, v, "-servername", "localhost", "-sess_in", sess)
		if !strings.Contains(out, "Reused, TLSv1") || !strings.Contains(out, "hello") {
			t.Fatalf("%s second: not reused\n%s", v, out)
		}
	}
}

func TestOpenSSLClientCert(t *testing.T) {
	need(t, "openssl")
	clientCA := testcert.NewCA(t, "client-ca")
	carol := clientCA.Client("carol")
	ts := startServer(t, Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCA.Pool}, responder)
	out := sClient(t, ts, closeReq, "-servername", "localhost", "-cert", carol.CertFile, "-key", carol.KeyFile)
	if !strings.Contains(out, "CN=carol,O=velox test") {
		t.Fatalf("subject not seen by the server:\n%s", out)
	}
}

// KeyUpdate (TLS 1.3, a post-handshake message on the loop): s_client's K
// command asks for one with update_requested; the request after it is
// sealed with the client's new keys, so it is answered only if the server
// took the update.
func TestOpenSSLKeyUpdate(t *testing.T) {
	need(t, "openssl")
	ts := startServer(t, Config{}, responder)
	cmd := exec.Command("openssl", "s_client", "-connect", ts.addr, "-CAfile", ts.ca.File,
		"-servername", "localhost", "-tls1_3", "-crlf")
	in, _ := cmd.StdinPipe()
	outp, outw := io.Pipe()
	cmd.Stdout, cmd.Stderr = outw, outw // KEYUPDATE goes to stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		outw.Close()
	}()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(outp)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitLine := func(want string) {
		t.Helper()
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("s_client ended before %q", want)
				}
				if strings.Contains(l, want) {
					return
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no %q from s_client", want)
			}
		}
	}
	waitLine("Verify return code: 0")
	fmt.Fprint(in, "K\n")
	waitLine("KEYUPDATE")
	fmt.Fprint(in, "GET / HTTP/1.1\nHost: localhost\nConnection: close\n\n")
	waitLine("hello")
	in.Close()
}

func TestCurl(t *testing.T) {
	need(t, "curl")
	ts := startServer(t, Config{NextProtos: []string{"h2", "http/1.1"}}, responder)
	port := ts.addr[strings.LastIndex(ts.addr, ":")+1:]
	url := "https://localhost:" + port + "/"
	out, err := exec.Command("curl", "--http1.1", "-sS", "--max-time", "10", "--cacert", ts.ca.File,
		"--resolve", "localhost:"+port+":127.0.0.1", url, url).CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	if string(out) != "hello http/1.1 localhost hello http/1.1 localhost " {
		t.Fatalf("curl got %q", out)
	}
	if st := ts.srv.Stats(); st.Handshakes != 1 {
		t.Fatalf("two requests, %d handshakes: keep-alive over TLS broken", st.Handshakes)
	}
}
