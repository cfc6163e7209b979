package eventloop

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"
)

// frameEcho consumes only complete 4-byte-length-prefixed frames and echoes
// each whole frame.
func frameEcho(c *Conn, b []byte) int {
	used := 0
	for len(b)-used >= 4 {
		n := int(binary.BigEndian.Uint32(b[used:]))
		if len(b)-used < 4+n {
			break
		}
		c.Write(b[used : used+4+n])
		used += 4 + n
	}
	return used
}

func frames(count int) []byte {
	var out []byte
	for i := range count {
		body := randomBytes(i * 37 % 5000)
		out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
		out = append(out, body...)
	}
	return out
}

func TestPartialConsumption(t *testing.T) {
	_, addr := startGroup(t, Config{ReadBuffer: 1024}, acceptAll(&handlerFuncs{data: frameEcho}))
	c := dial(t, addr)
	stream := frames(300)
	go func() {
		for rest := stream; len(rest) > 0; { // awkward pieces that split frames
			n := min(len(rest), 1+len(rest)%733)
			c.Write(rest[:n])
			rest = rest[n:]
		}
	}()
	got := make([]byte, len(stream))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, stream) {
		t.Fatal("frames differ")
	}
}

// TestPauseResumeKeptInput pauses with unconsumed input and checks that
// ResumeRead offers it again without new bytes arriving.
func TestPauseResumeKeptInput(t *testing.T) {
	calls := make(chan string, 10)
	var conn *Conn
	n := 0
	h := &handlerFuncs{
		open: func(c *Conn) { conn = c },
		data: func(c *Conn, b []byte) int {
			calls <- string(b)
			if n++; n == 1 {
				c.PauseRead()
				return 2 // keep the rest
			}
			c.Write(b)
			return len(b)
		},
	}
	g, addr := startGroup(t, Config{Loops: 1}, acceptAll(h))
	c := dial(t, addr)
	c.Write([]byte("hello"))
	if got := recv(t, calls); got != "hello" {
		t.Fatalf("first OnData %q", got)
	}
	c.Write([]byte(" world")) // arrives while paused: not delivered
	l := g.Loops()[0]
	var paused bool
	onLoop(t, l, func() { paused = conn.Paused() })
	if !paused || len(calls) != 0 {
		t.Fatalf("paused=%v, %d OnData while paused", paused, len(calls))
	}
	onLoop(t, l, func() { conn.ResumeRead() })
	if got := recv(t, calls); got != "llo" && got != "llo world" {
		t.Fatalf("OnData after resume %q", got)
	}
	want := "llo world"
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
		t.Fatalf("echo %q %v", got, err)
	}
}

func TestMaxInput(t *testing.T) {
	closed := make(chan error, 1)
	h := &handlerFuncs{
		data:  func(*Conn, []byte) int { return 0 },
		close: func(_ *Conn, err error) { closed <- err },
	}
	_, addr := startGroup(t, Config{MaxInput: 10000, ReadBuffer: 4096}, acceptAll(h))
	c := dial(t, addr)
	go c.Write(make([]byte, 20000))
	if err := recv(t, closed); !errors.Is(err, ErrInputTooLarge) {
		t.Fatalf("OnClose(%v), want ErrInputTooLarge", err)
	}
}

// TestEOFDeliversKeptInput checks the order at EOF: kept input once more,
// then OnClose(io.EOF).
func TestEOFDeliversKeptInput(t *testing.T) {
	events := make(chan string, 10)
	h := &handlerFuncs{
		data: func(c *Conn, b []byte) int {
			events <- "data:" + string(b)
			return 0
		},
		close: func(_ *Conn, err error) { events <- "close:" + errString(err) },
	}
	_, addr := startGroup(t, Config{}, acceptAll(h))
	c := dial(t, addr)
	c.Write([]byte("abc"))
	if got := recv(t, events); got != "data:abc" {
		t.Fatal(got)
	}
	c.Close()
	if got := recv(t, events); got != "data:abc" {
		t.Fatal(got)
	}
	if got := recv(t, events); got != "close:EOF" {
		t.Fatal(got)
	}
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// TestCloseInsideOnData closes from OnData: OnClose(nil) runs before Close
// returns and nothing more is delivered.
func TestCloseInsideOnData(t *testing.T) {
	events := make(chan string, 10)
	h := &handlerFuncs{
		data: func(c *Conn, b []byte) int {
			c.Close()
			events <- "closed-returned"
			if err := c.Write(b); err != ErrClosed {
				t.Errorf("Write after Close: %v", err)
			}
			return 0
		},
		close: func(_ *Conn, err error) { events <- "close:" + errString(err) },
	}
	_, addr := startGroup(t, Config{}, acceptAll(h))
	c := dial(t, addr)
	c.Write([]byte("x"))
	if got := recv(t, events); got != "close:nil" {
		t.Fatal(got)
	}
	if got := recv(t, events); got != "closed-returned" {
		t.Fatal(got)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("client read %v, want EOF", err)
	}
}

// TestHangupWhilePaused: the server half-closes and pauses, the client sends
// and closes, so the socket hangs up while reading is paused. Nothing is
// delivered until ResumeRead; then the input, then OnClose(io.EOF).
func TestHangupWhilePaused(t *testing.T) {
	events := make(chan string, 10)
	opened := make(chan *Conn, 1)
	h := &handlerFuncs{
		open: func(c *Conn) {
			c.CloseWrite()
			c.PauseRead()
			opened <- c
		},
		data: func(c *Conn, b []byte) int {
			events <- "data:" + string(b)
			return len(b)
		},
		close: func(_ *Conn, err error) { events <- "close:" + errString(err) },
	}
	g, addr := startGroup(t, Config{Loops: 1}, acceptAll(h))
	client := dial(t, addr)
	conn := recv(t, opened)
	if _, err := io.ReadAll(client); err != nil { // the server's FIN
		t.Fatal(err)
	}
	client.Write([]byte("late"))
	client.Close()
	l := g.Loops()[0]
	waitFor(t, l, func() bool { return !conn.registered }) // EPOLLHUP seen
	if len(events) != 0 {
		t.Fatalf("event while paused: %s", <-events)
	}
	onLoop(t, l, conn.ResumeRead)
	if got := recv(t, events); got != "data:late" {
		t.Fatal(got)
	}
	if got := recv(t, events); got != "close:EOF" {
		t.Fatal(got)
	}
}
