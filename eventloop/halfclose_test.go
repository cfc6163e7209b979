package eventloop

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// halfCloser answers what it read once the peer half-closed, when keep says so.
type halfCloser struct {
	handlerFuncs
	keep   bool
	gather bool // answer with Gather instead of Write
	got    []byte
	eofs   chan struct{}
	closes chan error
}

func (h *halfCloser) OnReadEOF(c *Conn) bool {
	h.eofs <- struct{}{}
	if !h.keep {
		return false
	}
	if h.gather {
		c.Gather(bytes.ToUpper(h.got))
		c.Gather([]byte("."))
	} else {
		c.Write(bytes.ToUpper(h.got))
	}
	c.CloseAfterFlush()
	return true
}

func newHalfCloser(keep bool) *halfCloser {
	h := &halfCloser{keep: keep, eofs: make(chan struct{}, 1), closes: make(chan error, 1)}
	h.data = func(c *Conn, b []byte) int { h.got = append(h.got, b...); return len(b) }
	h.close = func(c *Conn, err error) { h.closes <- err }
	return h
}

// TestHalfCloseKeptOpen: a client that sends and then shuts down its write
// side still gets the answer written after its EOF.
func TestHalfCloseKeptOpen(t *testing.T) {
	h := newHalfCloser(true)
	_, addr := startGroup(t, Config{Loops: 1}, acceptAll(h))
	c := dial(t, addr)
	c.Write([]byte("request"))
	c.(*net.TCPConn).CloseWrite()
	recv(t, h.eofs)
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "REQUEST" {
		t.Fatalf("read %q, %v; want REQUEST after the half-close", got, err)
	}
	if err := recv(t, h.closes); err != nil {
		t.Fatalf("OnClose(%v), want nil (closed after flush)", err)
	}
}

// TestHalfCloseGathered: an answer gathered in OnReadEOF goes out with the
// end-of-iteration flush, and CloseAfterFlush closes c once it has.
func TestHalfCloseGathered(t *testing.T) {
	h := newHalfCloser(true)
	h.gather = true
	_, addr := startGroup(t, Config{Loops: 1}, acceptAll(h))
	c := dial(t, addr)
	c.Write([]byte("request"))
	c.(*net.TCPConn).CloseWrite()
	recv(t, h.eofs)
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "REQUEST." {
		t.Fatalf("read %q, %v; want REQUEST. after the half-close", got, err)
	}
	if err := recv(t, h.closes); err != nil {
		t.Fatalf("OnClose(%v), want nil (closed after flush)", err)
	}
}

// TestHalfCloseRefused: OnReadEOF returning false closes with io.EOF, as a
// Handler without it does.
func TestHalfCloseRefused(t *testing.T) {
	h := newHalfCloser(false)
	_, addr := startGroup(t, Config{Loops: 1}, acceptAll(h))
	c := dial(t, addr)
	c.Write([]byte("x"))
	c.(*net.TCPConn).CloseWrite()
	recv(t, h.eofs)
	if err := recv(t, h.closes); err != io.EOF {
		t.Fatalf("OnClose(%v), want io.EOF", err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("read %d, %v after refusal; want the connection closed", n, err)
	}
}

// TestHalfClosedPeerGoneCloses: a kept half-closed Conn whose peer then
// goes away entirely is closed with an error at the next write (TCP says
// nothing of a full close until then), never left dangling.
func TestHalfClosedPeerGoneCloses(t *testing.T) {
	h := newHalfCloser(true)
	kept := &keepOpen{halfCloser: h, conn: make(chan *Conn, 1)}
	g, addr := startGroup(t, Config{Loops: 1}, acceptAll(kept))
	c := dial(t, addr)
	c.(*net.TCPConn).CloseWrite()
	recv(t, h.eofs)
	sc := recv(t, kept.conn)
	c.Close()
	waitFor(t, g.Loops()[0], func() bool {
		sc.Write([]byte("late")) // the first write draws a reset, a later one fails
		return sc.Closed()
	})
	if err := recv(t, h.closes); err == nil {
		t.Fatal("OnClose(nil): want the write error")
	}
}

// keepOpen keeps the Conn after EOF and writes nothing.
type keepOpen struct {
	*halfCloser
	conn chan *Conn
}

func (k *keepOpen) OnReadEOF(c *Conn) bool {
	k.eofs <- struct{}{}
	k.conn <- c
	return true
}

// TestSentCountsKernelBytes: Sent grows by what the kernel took.
func TestSentCountsKernelBytes(t *testing.T) {
	conns := make(chan *Conn, 1)
	g, addr := startGroup(t, Config{Loops: 1}, acceptFunc(func(c *Conn) Handler {
		conns <- c
		return echo
	}))
	c := dial(t, addr)
	c.Write([]byte("hello"))
	io.ReadFull(c, make([]byte, 5))
	sc := recv(t, conns)
	var sent uint64
	onLoop(t, g.Loops()[0], func() { sent = sc.Sent() })
	if sent != 5 {
		t.Fatalf("Sent() = %d, want 5", sent)
	}
}
