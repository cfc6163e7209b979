package proxy

// WebSocket over HTTP/2 (RFC 8441, ws_h2.go): an extended CONNECT from an
// HTTP/2 client (wsh2client_test.go) bridged to real WebSocket servers
// (gorilla/websocket, coder/websocket) and to raw HTTP/1.1 backends that
// show what velox sends.

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/net/http2"

	"github.com/velox-proxy/velox/config"
)

// wsEchoMessages checks text, binary and 1 MiB echoes, a ping's pong and
// a close code over one tunnelled stream.
func wsEchoMessages(t *testing.T, st *wsh2Stream, closeCode bool) {
	t.Helper()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	for _, m := range []struct {
		op   byte
		data []byte
	}{{wsText, []byte("hello")}, {wsBinary, []byte{0, 1, 2, 255}}, {wsBinary, big}, {wsText, []byte("après")}} {
		if err := wsWrite(st, m.op, true, m.data); err != nil {
			t.Fatal(err)
		}
		op, got, err := wsReadMessage(st)
		if err != nil || op != m.op || !bytes.Equal(got, m.data) {
			t.Fatalf("echo of %d bytes (op %d): %d bytes (op %d), %v", len(m.data), m.op, len(got), op, err)
		}
	}
	if err := wsWrite(st, wsPing, true, []byte("are you there")); err != nil {
		t.Fatal(err)
	}
	if op, got, err := wsReadMessage(st); err != nil || op != wsPong || string(got) != "are you there" {
		t.Fatalf("ping: op %d %q %v, want the pong", op, got, err)
	}
	if !closeCode {
		return
	}
	wsWrite(st, wsText, true, []byte("close:4001"))
	op, got, err := wsReadMessage(st)
	if code, reason := wsCloseCode(got); err != nil || op != wsClose || code != 4001 || reason != "bye" {
		t.Fatalf("close: op %d code %d %q %v, want 4001 \"bye\"", op, code, reason, err)
	}
}

// TestWebSocketH2Settings: velox advertises SETTINGS_ENABLE_CONNECT_PROTOCOL
// (RFC 8441 section 3), and with http2.disable_connect_protocol it does not
// and an extended CONNECT is reset with PROTOCOL_ERROR (section 4) while
// the connection goes on.
func TestWebSocketH2Settings(t *testing.T) {
	o := coderEcho(t, nil)
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	if v, ok := dialWSH2(t, tp.addr).serverSettings()[http2.SettingEnableConnectProtocol]; !ok || v != 1 {
		t.Fatalf("SETTINGS_ENABLE_CONNECT_PROTOCOL %d %v, want 1", v, ok)
	}
	cfg := clusterConfig(o.addr())
	cfg.HTTP2.DisableConnectProtocol = true
	tp2 := startProxy(t, cfg, 1)
	h := dialWSH2(t, tp2.addr)
	if _, ok := h.serverSettings()[http2.SettingEnableConnectProtocol]; ok {
		t.Fatal("SETTINGS_ENABLE_CONNECT_PROTOCOL advertised when disabled")
	}
	if code, err := h.connect("websocket", "/ws").waitReset(); err != nil || code != http2.ErrCodeProtocol {
		t.Fatalf("extended CONNECT when disabled: %v %v, want RST_STREAM(PROTOCOL_ERROR)", code, err)
	}
	if st, _, err := h.get("/plain").response(); err != nil || st != 200 {
		t.Fatalf("GET after the reset: %d %v", st, err)
	}
}

// TestWebSocketH2Gorilla: a gorilla/websocket server behind velox; text,
// binary, 1 MiB, ping/pong and a close code over an HTTP/2 stream.
func TestWebSocketH2Gorilla(t *testing.T) {
	o := wsEcho(t)
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	st := dialWSH2(t, tp.addr).connect("websocket", "/ws")
	status, fs, err := st.response()
	if err != nil || status != 200 {
		t.Fatalf("extended CONNECT: %d %v %s", status, err, fieldsString(fs))
	}
	if !strings.Contains(fs["via"], "velox") || fs["sec-websocket-accept"] != "" {
		t.Fatalf("200 fields: %s", fieldsString(fs))
	}
	wsEchoMessages(t, st, true)
	wsWrite(st, wsClose, true, wsCloseFrame(1000, ""))
	st.closeWrite()
	if _, err := io.ReadAll(st); err != nil { // gorilla closes after the close: END_STREAM
		t.Fatalf("after close: %v", err)
	}
}

// TestWebSocketH2Coder: a coder/websocket server (fragmented echoes) with
// a negotiated subprotocol; then two WebSocket streams and a GET on the
// same connection at once.
func TestWebSocketH2Coder(t *testing.T) {
	o := coderEcho(t, &websocket.AcceptOptions{Subprotocols: []string{"chat"}})
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	h := dialWSH2(t, tp.addr)
	a := h.connect("websocket", "/a", "sec-websocket-protocol", "superchat, chat")
	b := h.connect("websocket", "/b", "sec-websocket-protocol", "chat")
	for _, st := range []*wsh2Stream{a, b} {
		status, fs, err := st.response()
		if err != nil || status != 200 || fs["sec-websocket-protocol"] != "chat" {
			t.Fatalf("stream %d: %d %v %s", st.id, status, err, fieldsString(fs))
		}
	}
	wsEchoMessages(t, a, false)
	g := h.get("/plain")
	// Both tunnels and the GET interleave on the one connection.
	for i := range 20 {
		for _, st := range []*wsh2Stream{a, b} {
			msg := bytes.Repeat([]byte{byte('a' + i)}, 1000*(i+1)+int(st.id))
			wsWrite(st, wsBinary, true, msg)
			if op, got, err := wsReadMessage(st); err != nil || op != wsBinary || !bytes.Equal(got, msg) {
				t.Fatalf("stream %d message %d: op %d %d bytes %v", st.id, i, op, len(got), err)
			}
		}
	}
	if body, err := g.body(); err != nil || body != "plain" {
		t.Fatalf("GET beside the tunnels: %q %v", body, err)
	}
	for _, st := range []*wsh2Stream{a, b} {
		wsWrite(st, wsClose, true, wsCloseFrame(1000, "done"))
		op, got, err := wsReadMessage(st)
		if code, _ := wsCloseCode(got); err != nil || op != wsClose || code != 1000 {
			t.Fatalf("stream %d close: op %d code %d %v", st.id, op, code, err)
		}
		st.closeWrite()
		if _, err := io.ReadAll(st); err != nil {
			t.Fatalf("stream %d end: %v", st.id, err)
		}
	}
	// The connection stays open; no stream of it is left on the loop.
	eventually(t, "the tunnels' streams released", func() bool {
		return tp.totals().RequestsActive == 0 && tp.h2InUse(t) == h2InUse{conns: 1}
	})
}

// rawUpgradeOrigin hands each request head it gets to reqs and answers
// with what answer returns; then tunnel, if any, has the connection.
func rawUpgradeOrigin(t *testing.T, answer func(req *http.Request) string, tunnel func(req *http.Request, c net.Conn, r *bufio.Reader)) (string, chan *http.Request) {
	reqs := make(chan *http.Request, 4)
	addr := serveRaw(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		reqs <- req
		io.WriteString(c, answer(req))
		if tunnel != nil {
			tunnel(req, c, br)
		}
	})
	return addr, reqs
}

// recvRequest is the next request rawUpgradeOrigin read; the test fails
// if none comes within testWait.
func recvRequest(t *testing.T, reqs chan *http.Request) *http.Request {
	t.Helper()
	select {
	case r := <-reqs:
		return r
	case <-time.After(testWait):
		t.Fatal("the backend got no request")
		return nil
	}
}

// switched is a backend's correct 101 to req, with more header lines.
func switched(req *http.Request, more string) string {
	return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		acceptFor(req.Header.Get("Sec-WebSocket-Key")) + "\r\n" + more + "\r\n"
}

// sinkOrigin switches to websocket, reads until the connection ends, and
// then closes closed.
func sinkOrigin(t *testing.T) (addr string, closed chan struct{}) {
	closed = make(chan struct{})
	addr, _ = rawUpgradeOrigin(t, func(req *http.Request) string { return switched(req, "") },
		func(req *http.Request, c net.Conn, r *bufio.Reader) {
			io.Copy(io.Discard, r)
			close(closed)
		})
	return addr, closed
}

func acceptFor(key string) string {
	sum := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// TestWebSocketH2Bridge: the request an HTTP/1.1 backend gets (a GET with
// Connection: Upgrade, Upgrade: websocket, version 13, a fresh key of
// velox's, the client's subprotocols and extensions, not its own key);
// raw bytes both ways after the 101; the client's END_STREAM reaches the
// backend as a half-close, and the backend's close ends the stream.
func TestWebSocketH2Bridge(t *testing.T) {
	addr, reqs := rawUpgradeOrigin(t, func(req *http.Request) string {
		return switched(req, "Sec-WebSocket-Protocol: chat\r\n")
	}, func(req *http.Request, c net.Conn, r *bufio.Reader) {
		b, _ := io.ReadAll(r) // until the client's half-close
		c.Write(append([]byte("got:"), b...))
	})
	tp := startProxy(t, clusterConfig(addr), 1)
	h := dialWSH2(t, tp.addr)
	st := h.connect("websocket", "/chat?room=1", "sec-websocket-protocol", "chat", "sec-websocket-extensions", "permessage-deflate",
		"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
	status, fs, err := st.response()
	if err != nil || status != 200 || fs["sec-websocket-protocol"] != "chat" {
		t.Fatalf("response: %d %v %s", status, err, fieldsString(fs))
	}
	req := recvRequest(t, reqs)
	key := req.Header.Get("Sec-WebSocket-Key")
	raw, _ := base64.StdEncoding.DecodeString(key)
	switch {
	case req.Method != "GET" || req.RequestURI != "/chat?room=1" || req.Host != "example.com":
		t.Errorf("request line %s %s host %s", req.Method, req.RequestURI, req.Host)
	case !strings.EqualFold(req.Header.Get("Connection"), "upgrade") || req.Header.Get("Upgrade") != "websocket":
		t.Errorf("Connection %q Upgrade %q", req.Header.Get("Connection"), req.Header.Get("Upgrade"))
	case req.Header.Get("Sec-WebSocket-Version") != "13":
		t.Errorf("Sec-WebSocket-Version %q", req.Header.Get("Sec-WebSocket-Version"))
	case len(raw) != 16 || key == "dGhlIHNhbXBsZSBub25jZQ==" || len(req.Header.Values("Sec-WebSocket-Key")) != 1:
		t.Errorf("Sec-WebSocket-Key %q", req.Header.Values("Sec-WebSocket-Key"))
	case req.Header.Get("Sec-WebSocket-Protocol") != "chat" || req.Header.Get("Sec-WebSocket-Extensions") != "permessage-deflate":
		t.Errorf("subprotocols %q extensions %q", req.Header.Get("Sec-WebSocket-Protocol"), req.Header.Get("Sec-WebSocket-Extensions"))
	case req.ContentLength > 0 || len(req.TransferEncoding) > 0:
		t.Errorf("a body: %d %q", req.ContentLength, req.TransferEncoding)
	}
	st.Write([]byte("raw bytes, "))
	st.Write([]byte("both ways"))
	st.closeWrite()
	if body, err := st.body(); err != nil || body != "got:raw bytes, both ways" {
		t.Fatalf("tunnel: %q %v", body, err)
	}
	// A second one on the same connection: the client resets it, the
	// backend's connection closes.
	addr2, closed := sinkOrigin(t)
	tp2 := startProxy(t, clusterConfig(addr2), 1)
	st = dialWSH2(t, tp2.addr).connect("websocket", "/")
	if status, _, err := st.response(); err != nil || status != 200 {
		t.Fatalf("second: %d %v", status, err)
	}
	st.Write([]byte("x"))
	st.resetStream()
	select {
	case <-closed:
	case <-time.After(3 * testWait):
		t.Fatal("RST_STREAM did not close the backend connection")
	}
}

// TestWebSocketH2EarlyData: DATA the client sends right after its
// extended CONNECT, before the 200, is not lost: it reaches the backend
// first when the tunnel opens, then what follows the 200.
func TestWebSocketH2EarlyData(t *testing.T) {
	addr, reqs := rawUpgradeOrigin(t, func(req *http.Request) string {
		time.Sleep(50 * time.Millisecond) // the early DATA is at velox before the 101
		return switched(req, "")
	}, func(req *http.Request, c net.Conn, r *bufio.Reader) {
		b, _ := io.ReadAll(r) // until the client's half-close
		c.Write(append([]byte("got:"), b...))
	})
	tp := startProxy(t, clusterConfig(addr), 1)
	st := dialWSH2(t, tp.addr).connect("websocket", "/early")
	st.Write([]byte("sent before the 200, "))
	if status, _, err := st.response(); err != nil || status != 200 {
		t.Fatalf("response: %d %v", status, err)
	}
	recvRequest(t, reqs)
	st.Write([]byte("then after it"))
	st.closeWrite()
	if body, err := st.body(); err != nil || body != "got:sent before the 200, then after it" {
		t.Fatalf("tunnel: %q %v", body, err)
	}
}

// TestWebSocketH2Refused: before the 101 everything is an ordinary HTTP/2
// response: a backend's 403 as it is, a wrong Sec-WebSocket-Accept 502, a
// :protocol not on the upgrades list (and websocket when the list is
// empty) 501 without reaching the backend.
func TestWebSocketH2Refused(t *testing.T) {
	addr, reqs := rawUpgradeOrigin(t, func(req *http.Request) string {
		if req.URL.Path == "/forbidden" {
			return "HTTP/1.1 403 Forbidden\r\nContent-Length: 6\r\n\r\nno way"
		}
		return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
			acceptFor("not the key") + "\r\n\r\n"
	}, nil)
	tp := startProxy(t, clusterConfig(addr), 1)
	h := dialWSH2(t, tp.addr)
	st := h.connect("websocket", "/forbidden")
	if status, _, err := st.response(); err != nil || status != 403 {
		t.Fatalf("403 backend: %d %v", status, err)
	}
	if body, err := st.body(); err != nil || body != "no way" {
		t.Fatalf("403 body %q %v", body, err)
	}
	recvRequest(t, reqs)
	st = h.connect("websocket", "/bad-accept")
	if status, _, err := st.response(); err != nil || status != 502 {
		t.Fatalf("wrong Sec-WebSocket-Accept: %d %v, want 502", status, err)
	}
	st.body()
	recvRequest(t, reqs)
	st = h.connect("mqtt", "/")
	if status, _, err := st.response(); err != nil || status != 501 {
		t.Fatalf(":protocol mqtt: %d %v, want 501", status, err)
	}
	st.body()
	cfg := clusterConfig(addr)
	cfg.Upgrades = []string{}
	tp2 := startProxy(t, cfg, 1)
	st = dialWSH2(t, tp2.addr).connect("websocket", "/")
	if status, _, err := st.response(); err != nil || status != 501 {
		t.Fatalf("websocket with upgrades: []: %d %v, want 501", status, err)
	}
	st.body()
	select {
	case r := <-reqs:
		t.Fatalf("a refused extended CONNECT reached the backend: %s %s", r.Method, r.URL)
	default:
	}
}

// TestWebSocketH2TunnelIdle: a tunnel with no byte either way for
// tunnel_idle is closed: the stream is reset, the backend closed.
func TestWebSocketH2TunnelIdle(t *testing.T) {
	addr, closed := sinkOrigin(t)
	cfg := clusterConfig(addr)
	cfg.Timeouts.TunnelIdle = config.Duration(300 * time.Millisecond)
	tp := startProxy(t, cfg, 1)
	st := dialWSH2(t, tp.addr).connect("websocket", "/")
	if status, _, err := st.response(); err != nil || status != 200 {
		t.Fatalf("%d %v", status, err)
	}
	if code, err := st.waitReset(); err != nil || code != http2.ErrCodeCancel {
		t.Fatalf("idle tunnel: %v %v, want RST_STREAM(CANCEL)", code, err)
	}
	select {
	case <-closed:
	case <-time.After(3 * testWait):
		t.Fatal("the backend connection stayed open")
	}
}

// TestWebSocketH2Backpressure: flow control is the backpressure both ways.
// A client that does not credit what it gets pauses the backend (it
// cannot write 64 MiB; nothing piles up in velox), and a backend that does
// not read has velox withhold WINDOW_UPDATE (the client cannot send 64
// MiB); meanwhile a GET on the same connection is answered. Both recover.
func TestWebSocketH2Backpressure(t *testing.T) {
	const total = 64 << 20
	written := make(chan int64, 1)
	read := make(chan int64, 1)
	addr, _ := rawUpgradeOrigin(t, func(req *http.Request) string {
		if req.URL.Path == "/plain" {
			return "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nplain"
		}
		return switched(req, "")
	}, func(req *http.Request, c net.Conn, r *bufio.Reader) {
		if req.URL.Path == "/plain" {
			return
		}
		var w int64
		buf := make([]byte, 64<<10)
		for w < total {
			c.SetWriteDeadline(time.Now().Add(time.Second))
			n, err := c.Write(buf)
			w += int64(n)
			if err != nil {
				break
			}
		}
		written <- w
		c.SetWriteDeadline(time.Time{})
		// Then it reads nothing for a while, then everything.
		time.Sleep(time.Second)
		n, err := io.Copy(io.Discard, r)
		if err != nil {
			t.Logf("backend read: %v", err)
		}
		read <- n
	})
	tp := startProxy(t, clusterConfig(addr), 1)
	h := dialWSH2(t, tp.addr)
	h.setHold(true)
	st := h.connect("websocket", "/")
	if status, _, err := st.response(); err != nil || status != 200 {
		t.Fatalf("%d %v", status, err)
	}
	// The client credits nothing: the backend stalls well short of 64 MiB.
	w := <-written
	if w >= total/2 {
		t.Fatalf("the backend wrote %d bytes to a client that credits nothing", w)
	}
	if got := st.buffered(); got > 2<<20 {
		t.Fatalf("the client got %d bytes beyond its 1 MiB window", got)
	}
	if body, err := h.get("/plain").body(); err != nil || body != "plain" {
		t.Fatalf("GET beside the stalled tunnel: %q %v", body, err)
	}
	h.setHold(false)
	n := int64(0)
	for n < w {
		k, err := st.Read(make([]byte, 1<<20))
		if err != nil {
			t.Fatalf("after %d of %d bytes: %v", n, w, err)
		}
		n += int64(k)
	}
	// Now the backend does not read: the client's send stalls.
	sent := make(chan int64, 1)
	go func() {
		buf := make([]byte, 1<<20)
		var s int64
		for s < total {
			k, err := st.Write(buf)
			s += int64(k)
			if err != nil {
				break
			}
		}
		sent <- s
	}()
	time.Sleep(time.Second / 2)
	st.c.mu.Lock()
	win := st.win
	st.c.mu.Unlock()
	select {
	case s := <-sent:
		t.Fatalf("the client sent all %d bytes to a backend that does not read", s)
	default:
	}
	if win > 0 {
		t.Logf("stream send window still %d", win)
	}
	if got := <-sent; got != total {
		t.Fatalf("sent %d of %d once the backend read", got, total)
	}
	st.closeWrite()
	if got := <-read; got != total {
		t.Fatalf("the backend read %d of %d; log: %s", got, total, tp.log.String())
	}
	st.resetStream()
}

// TestWebSocketH2Routing: filters and routes see an extended CONNECT as a
// GET of its :path with Upgrade: websocket: a route on method GET and that
// header picks the WebSocket cluster, a filter's own answer is an ordinary
// HTTP/2 response.
func TestWebSocketH2Routing(t *testing.T) {
	ws := wsEcho(t)
	other := newOrigin(t, func(w http.ResponseWriter, r *http.Request) { http.Error(w, "not here", http.StatusTeapot) })
	cfg := clusterConfig(other.addr())
	cfg.Clusters = append(cfg.Clusters, config.Cluster{Name: "ws", Backends: []config.Backend{{Address: ws.addr()}}})
	cfg.Products[0].Routes = []config.Route{{Prefix: "/ws", Methods: []string{"GET"}, Headers: []config.HeaderMatch{{Name: "Upgrade", Value: "websocket"}}, Cluster: "ws"}}
	seen := make(chan string, 8)
	tp := startProxySetup(t, cfg, Options{Loops: 1}, func(srv *Server) {
		srv.Register(BeforeLocation, RequestFilterFunc(func(s *Stream) Verdict {
			r := s.Request()
			seen <- string(r.Method) + " " + string(r.Target) + " upgrade=" + string(r.Get("Upgrade"))
			if string(r.Path) == "/ws/deny" {
				return s.Respond(401, "text/plain", nil, []byte("who are you\n"))
			}
			return Continue
		}))
	})
	h := dialWSH2(t, tp.addr)
	st := h.connect("websocket", "/ws/chat")
	if status, _, err := st.response(); err != nil || status != 200 {
		t.Fatalf("/ws/chat: %d %v", status, err)
	}
	if got := <-seen; got != "GET /ws/chat upgrade=websocket" {
		t.Fatalf("the filter saw %q", got)
	}
	wsWrite(st, wsText, true, []byte("routed"))
	if op, got, err := wsReadMessage(st); err != nil || op != wsText || string(got) != "routed" {
		t.Fatalf("echo: %d %q %v", op, got, err)
	}
	for _, c := range []struct {
		path   string
		status int
	}{{"/elsewhere", http.StatusTeapot}, {"/ws/deny", 401}} {
		st := h.connect("websocket", c.path)
		if status, _, err := st.response(); err != nil || status != c.status {
			t.Fatalf("%s: %d %v, want %d", c.path, status, err, c.status)
		}
		st.body()
		<-seen
	}
	st.resetStream()
}

// TestWebSocketH2TLS: the same over TLS (ALPN h2) to a gorilla server.
func TestWebSocketH2TLS(t *testing.T) {
	o := wsEcho(t)
	e := newTLSEnv(t, o.addr(), []string{"localhost"})
	tp := startProxy(t, e.cfg, 1)
	c, err := tls.Dial("tcp", tp.addr, &tls.Config{RootCAs: e.ca.pool, ServerName: "localhost", NextProtos: []string{"h2"}})
	if err != nil || c.ConnectionState().NegotiatedProtocol != "h2" {
		t.Fatalf("TLS: %v", err)
	}
	h := newWSH2(t, c)
	if h.serverSettings()[http2.SettingEnableConnectProtocol] != 1 {
		t.Fatal("no SETTINGS_ENABLE_CONNECT_PROTOCOL over TLS")
	}
	st := h.connect("websocket", "/wss")
	if status, fs, err := st.response(); err != nil || status != 200 {
		t.Fatalf("%d %v %s", status, err, fieldsString(fs))
	}
	wsEchoMessages(t, st, true)
	st.resetStream()
}
