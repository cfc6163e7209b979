package proxy

// WebSocket through velox (the HTTP/1.1 Upgrade tunnel, tunnel.go) with
// two independent real implementations on each end: gorilla/websocket and
// coder/websocket servers behind velox, their clients in front.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	gorilla "github.com/gorilla/websocket"

	"github.com/velox-proxy/velox/config"
)

// wsEcho is a gorilla/websocket echo server: each message back as it came
// (text or binary), pings answered by the library, a message "close:N"
// closes with code N.
func wsEcho(t *testing.T) *origin {
	up := gorilla.Upgrader{ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10}
	return newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.SetReadLimit(32 << 20)
		for {
			typ, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if code, ok := strings.CutPrefix(string(msg), "close:"); ok {
				n := map[string]int{"4001": 4001, "1000": 1000}[code]
				c.WriteMessage(gorilla.CloseMessage, gorilla.FormatCloseMessage(n, "bye"))
				continue
			}
			if err := c.WriteMessage(typ, msg); err != nil {
				return
			}
		}
	})
}

func wsURL(tp *testProxy, path string) string { return "ws://" + tp.addr + path }

// TestWebSocketGorilla: text, binary, 16 MiB messages, ping/pong and a
// close code, gorilla client to gorilla server through velox.
func TestWebSocketGorilla(t *testing.T) {
	o := wsEcho(t)
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	d := gorilla.Dialer{HandshakeTimeout: testWait, ReadBufferSize: 64 << 10, WriteBufferSize: 64 << 10}
	c, resp, err := d.Dial(wsURL(tp, "/ws"), nil)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	defer c.Close()
	c.SetReadLimit(32 << 20)
	c.SetReadDeadline(time.Now().Add(3 * testWait))
	if got := resp.Header.Get("Via"); !strings.Contains(got, "velox") {
		t.Errorf("101 without velox in Via: %q", got)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB
	for _, m := range []struct {
		typ  int
		data []byte
	}{{gorilla.TextMessage, []byte("hello")}, {gorilla.BinaryMessage, []byte{0, 1, 2, 255}}, {gorilla.BinaryMessage, big}, {gorilla.TextMessage, []byte("après")}} {
		if err := c.WriteMessage(m.typ, m.data); err != nil {
			t.Fatal(err)
		}
		typ, got, err := c.ReadMessage()
		if err != nil || typ != m.typ || !bytes.Equal(got, m.data) {
			t.Fatalf("echo of %d bytes (type %d): %d bytes (type %d), %v", len(m.data), m.typ, len(got), typ, err)
		}
	}
	pong := make(chan string, 1)
	c.SetPongHandler(func(s string) error { pong <- s; return nil })
	if err := c.WriteControl(gorilla.PingMessage, []byte("are you there"), time.Now().Add(testWait)); err != nil {
		t.Fatal(err)
	}
	c.WriteMessage(gorilla.TextMessage, []byte("after the ping"))
	if _, msg, err := c.ReadMessage(); err != nil || string(msg) != "after the ping" {
		t.Fatalf("after the ping: %q, %v", msg, err)
	}
	select {
	case s := <-pong:
		if s != "are you there" {
			t.Fatalf("pong %q", s)
		}
	default:
		t.Fatal("no pong before the next message")
	}
	c.WriteMessage(gorilla.TextMessage, []byte("close:4001"))
	_, _, err = c.ReadMessage()
	var ce *gorilla.CloseError
	if !errors.As(err, &ce) || ce.Code != 4001 || ce.Text != "bye" {
		t.Fatalf("close: %v, want code 4001 \"bye\"", err)
	}
}

// TestWebSocketCoder: coder/websocket client and server (another
// implementation, with fragmented writes) through velox.
// coderEcho is a coder/websocket echo server (accepting with opts) that
// echoes each message in pieces, each a frame of a fragmented message; a
// request for /plain gets "plain" without an upgrade.
func coderEcho(t *testing.T, opts *websocket.AcceptOptions) *origin {
	return newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/plain" {
			io.WriteString(w, "plain")
			return
		}
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(32 << 20)
		ctx := r.Context()
		for {
			typ, rd, err := c.Reader(ctx)
			if err != nil {
				return
			}
			wr, err := c.Writer(ctx, typ)
			if err != nil {
				return
			}
			// Echo in pieces: each piece goes out as a frame of a
			// fragmented message.
			buf := make([]byte, 100<<10)
			for {
				n, err := rd.Read(buf)
				if n > 0 {
					if _, err := wr.Write(buf[:n]); err != nil {
						return
					}
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					return
				}
			}
			if err := wr.Close(); err != nil {
				return
			}
		}
	})
}

func TestWebSocketCoder(t *testing.T) {
	o := coderEcho(t, nil)
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	ctx, cancel := context.WithTimeout(context.Background(), 3*testWait)
	defer cancel()
	c, _, err := websocket.Dial(ctx, wsURL(tp, "/coder"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(32 << 20)
	big := make([]byte, 16<<20)
	for i := range big {
		big[i] = byte(i * 31)
	}
	want := sha256.Sum256(big)
	// Written as a fragmented message of 1 MiB frames.
	wr, err := c.Writer(ctx, websocket.MessageBinary)
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(big); off += 1 << 20 {
		if _, err := wr.Write(big[off : off+1<<20]); err != nil {
			t.Fatal(err)
		}
	}
	if err := wr.Close(); err != nil {
		t.Fatal(err)
	}
	typ, got, err := c.Read(ctx)
	if err != nil || typ != websocket.MessageBinary || sha256.Sum256(got) != want {
		t.Fatalf("16 MiB fragmented echo: type %v, %d bytes, %v", typ, len(got), err)
	}
	// A pong comes back to a reader: CloseRead reads (and answers control
	// frames) from here on; the server answers the ping from its Reader.
	c.CloseRead(ctx)
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if err := c.Close(websocket.StatusNormalClosure, "done"); err != nil {
		t.Fatalf("close handshake through velox: %v", err)
	}
}

// TestWebSocketBackpressure: a client that reads nothing while the server
// sends 64 MiB makes velox pause the server, not buffer it all; once the
// client reads, everything arrives.
func TestWebSocketBackpressure(t *testing.T) {
	const total = 64 << 20
	sent := make(chan error, 1)
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		c, err := (&gorilla.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		chunk := make([]byte, 1<<20)
		var err2 error
		for i := 0; i < total/len(chunk) && err2 == nil; i++ {
			err2 = c.WriteMessage(gorilla.BinaryMessage, chunk)
		}
		sent <- err2
		c.ReadMessage() // until the client closes
	})
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	c, _, err := gorilla.DefaultDialer.Dial(wsURL(tp, "/flood"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case err := <-sent:
		t.Fatalf("the server sent 64 MiB to a client that read nothing (%v): velox buffered it", err)
	case <-time.After(500 * time.Millisecond):
	}
	c.SetReadDeadline(time.Now().Add(3 * testWait))
	n := 0
	for n < total {
		_, msg, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("after %d bytes: %v", n, err)
		}
		n += len(msg)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
}

// TestWebSocketIdleTimeout: no frame either way for timeouts.tunnel_idle
// closes both sides; a tunnel with traffic stays.
func TestWebSocketIdleTimeout(t *testing.T) {
	o := wsEcho(t)
	cfg := clusterConfig(o.addr())
	cfg.Timeouts.TunnelIdle = config.Duration(300 * time.Millisecond)
	tp := startProxy(t, cfg, 1)
	var wg sync.WaitGroup
	busy, _, err := gorilla.DefaultDialer.Dial(wsURL(tp, "/busy"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	wg.Add(1)
	busyErr := make(chan error, 1)
	go func() { // a message every 100 ms for a second
		defer wg.Done()
		for i := 0; i < 10; i++ {
			if err := busy.WriteMessage(gorilla.TextMessage, []byte("tick")); err != nil {
				busyErr <- err
				return
			}
			busy.SetReadDeadline(time.Now().Add(testWait))
			if _, _, err := busy.ReadMessage(); err != nil {
				busyErr <- err
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		busyErr <- nil
	}()
	idle, _, err := gorilla.DefaultDialer.Dial(wsURL(tp, "/idle"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	idle.SetReadDeadline(time.Now().Add(testWait))
	if _, _, err := idle.ReadMessage(); err == nil || errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "timeout") {
		t.Fatalf("idle tunnel: %v, want it closed by velox", err)
	}
	wg.Wait()
	if err := <-busyErr; err != nil {
		t.Fatalf("a tunnel with traffic was cut: %v", err)
	}
}
