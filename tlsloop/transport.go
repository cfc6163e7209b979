package tlsloop

import (
	"net"
	"sync"
	"time"
)

// transport is the net.Conn under each tls.Conn: memory, not a socket. The
// loop feeds it the socket's bytes and writes what the tls.Conn writes to
// it. It has two modes.
//
// During the handshake (blocking) a pool goroutine runs tls.Conn.Handshake:
// Read blocks until the loop feeds bytes or shuts the transport; Write
// appends to out and asks the loop (Execute) to send it. Fields are guarded
// by mu.
//
// After the handshake (loop mode) only the loop touches it: Read returns
// what was fed, then errDry, a net.Error whose Temporary() is true, which
// crypto/tls returns from tls.Conn.Read without making it sticky
// (readRecordOrCCS: "if e, ok := err.(net.Error); !ok || !e.Temporary() {
// c.in.setErrorLocked(err) }"; TestDryErrorNotSticky fails if a future Go
// changes that). Write appends to the loop's shared output buffer, which
// Session.Output hands to the eventloop at once.
type transport struct {
	mu   sync.Mutex
	cond sync.Cond

	// Guarded by mu during the handshake; owned by the loop after it:
	in          []byte // blocking: bytes copied from the loop; loop mode: a view of Feed's raw
	out         []byte // handshake output not yet taken by the loop
	shared      *loopBufs
	loop        bool // loop mode
	shut        bool
	flushQueued bool
	notify      func() // asks the loop to take out (handshake only)
	unknownSNI  bool   // GetCertificate refused the ClientHello's name

	// Immutable:
	local, remote net.Addr
}

func newTransport(local, remote net.Addr, notify func()) *transport {
	t := &transport{local: local, remote: remote, notify: notify}
	t.cond.L = &t.mu
	return t
}

// dryError is what Read returns in loop mode when nothing fed is left.
type dryError struct{}

func (dryError) Error() string   { return "tlsloop: no more input fed" }
func (dryError) Timeout() bool   { return false }
func (dryError) Temporary() bool { return true }

var errDry net.Error = dryError{}

// Read is tls.Conn's read from the "network".
func (t *transport) Read(p []byte) (int, error) {
	if t.loop {
		if len(t.in) == 0 {
			t.in = nil
			return 0, errDry
		}
		n := copy(p, t.in)
		t.in = t.in[n:]
		return n, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.in) == 0 && !t.shut {
		t.cond.Wait()
	}
	if len(t.in) == 0 {
		return 0, net.ErrClosed
	}
	n := copy(p, t.in)
	t.in = t.in[n:]
	if len(t.in) == 0 {
		t.in = t.in[:0:0]
	}
	return n, nil
}

// Write is tls.Conn's write to the "network".
func (t *transport) Write(b []byte) (int, error) {
	if t.loop {
		t.shared.out = append(t.shared.out, b...)
		return len(b), nil
	}
	t.mu.Lock()
	if t.shut {
		t.mu.Unlock()
		return 0, net.ErrClosed
	}
	t.out = append(t.out, b...)
	kick := !t.flushQueued
	t.flushQueued = true
	t.mu.Unlock()
	if kick {
		t.notify()
	}
	return len(b), nil
}

// feed gives the handshake goroutine bytes from the socket (loop side)
// and returns how many wait unread.
func (t *transport) feed(raw []byte) int {
	t.mu.Lock()
	t.in = append(t.in, raw...)
	n := len(t.in)
	t.mu.Unlock()
	t.cond.Signal()
	return n
}

// takeOut hands the loop the handshake output written so far.
func (t *transport) takeOut() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.out
	t.out = nil
	t.flushQueued = false
	return out
}

// toLoop switches to loop mode once the handshake goroutine is done.
func (t *transport) toLoop(shared *loopBufs) {
	t.mu.Lock()
	t.loop, t.shared = true, shared
	t.notify = nil // nothing keeps the handshaker alive
	t.mu.Unlock()
}

// Close shuts the transport: a blocked Read returns net.ErrClosed.
func (t *transport) Close() error {
	t.mu.Lock()
	t.shut = true
	t.mu.Unlock()
	t.cond.Broadcast()
	return nil
}

func (t *transport) LocalAddr() net.Addr              { return t.local }
func (t *transport) RemoteAddr() net.Addr             { return t.remote }
func (t *transport) SetDeadline(time.Time) error      { return nil }
func (t *transport) SetReadDeadline(time.Time) error  { return nil }
func (t *transport) SetWriteDeadline(time.Time) error { return nil }

var _ net.Conn = (*transport)(nil)

// loopBufs are one loop's scratch buffer, shared by its Sessions: only one
// runs at a time, and what they hold is handed to the eventloop before the
// next one runs. So an idle Session holds no output buffer of its own.
type loopBufs struct {
	out []byte // sealed records, until Output
}
