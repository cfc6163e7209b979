package eventloop

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// Errors reported to Handler.OnClose or returned by the calls named.
var (
	// ErrClosed is returned by Write and Dial on a closed Conn or a stopped Loop.
	ErrClosed = errors.New("eventloop: closed")
	// ErrConnectTimeout is passed to OnClose when Dial's timeout fires first.
	ErrConnectTimeout = errors.New("eventloop: connect timeout")
	// ErrInputTooLarge is passed to OnClose when a handler leaves more than
	// Config.MaxInput bytes unconsumed.
	ErrInputTooLarge = errors.New("eventloop: unconsumed input over limit")
)

// Handler receives the events of a Conn. All methods run on the Conn's loop.
type Handler interface {
	// OnOpen runs once, after accept or after a successful connect.
	OnOpen(c *Conn)
	// OnData runs when input is available. data is the whole unconsumed input,
	// valid only until OnData returns. It returns how many bytes it consumed
	// (0 <= n <= len(data)); the rest is kept and offered again.
	OnData(c *Conn, data []byte) (consumed int)
	// OnWritable runs when the output queue, after having been non-empty, is
	// fully flushed to the kernel.
	OnWritable(c *Conn)
	// OnClose runs once when the Conn is closed, by either side, with the cause:
	// nil for a local Close, io.EOF for a peer that closed, a syscall error, or
	// ErrConnectTimeout. After OnClose the Conn must not be used.
	OnClose(c *Conn, err error)
}

// Acceptor gives a Handler to each connection a listener accepts.
type Acceptor interface {
	// Accept runs on the loop that accepted c, before OnOpen. Returning nil
	// closes c at once.
	Accept(c *Conn) Handler
}

// Config are the limits of a Group of loops. Zero values mean the defaults
// documented on each field.
type Config struct {
	Loops         int   // number of loops; 0 = runtime.GOMAXPROCS(0)
	PinCPUs       []int // loop i is pinned to PinCPUs[i % len]; empty = no pinning
	ReadBuffer    int   // size of each loop's shared read buffer; 0 = 64 KiB
	MaxInput      int   // max unconsumed input kept per Conn; 0 = 1 MiB
	AcceptBatch   int   // max accepts per listener wake-up; 0 = 64
	ListenBacklog int   // listen(2) backlog; 0 = 4096
}

// Group is a set of loops started together.
type Group struct{}

// New creates a Group; Start runs it.
func New(cfg Config) (*Group, error) { panic("eventloop: not implemented") }

// Loops returns the group's loops, in order.
func (g *Group) Loops() []*Loop { panic("eventloop: not implemented") }

// Listen opens one SO_REUSEPORT listening socket per loop on addr ("host:port",
// TCP) and registers it; accepted connections are handed to a.Accept on the
// loop that accepted them. It may be called before or after Start.
// It returns the bound address (useful with port 0).
func (g *Group) Listen(addr string, a Acceptor) (bound string, err error) {
	panic("eventloop: not implemented")
}

// CloseListeners stops accepting on every loop; established Conns live on.
func (g *Group) CloseListeners() { panic("eventloop: not implemented") }

// Start starts every loop on its own goroutine locked to its OS thread.
func (g *Group) Start() error { panic("eventloop: not implemented") }

// Stop closes every listener and Conn (each gets OnClose) and ends the loops.
// It returns when all loops have exited.
func (g *Group) Stop() { panic("eventloop: not implemented") }

// Loop is one reactor: an epoll set, an eventfd for wake-ups, a task queue,
// a timer heap, a shared read buffer.
type Loop struct{}

// ID is the loop's index in its Group, from 0.
func (l *Loop) ID() int { panic("eventloop: not implemented") }

// Execute runs f on the loop. Safe from any goroutine; f runs in FIFO order
// with other tasks. Returns ErrClosed if the loop has stopped.
func (l *Loop) Execute(f func()) error { panic("eventloop: not implemented") }

// Now is the loop's cached monotonic clock, refreshed once per wake-up
// (nanoseconds since an arbitrary origin). Loop only.
func (l *Loop) Now() int64 { panic("eventloop: not implemented") }

// Dial starts a non-blocking TCP connect to sa. The Conn belongs to l. h's
// OnOpen runs on success; on failure or timeout only OnClose runs. Loop only.
// A zero timeout means no timeout.
func (l *Loop) Dial(sa unix.Sockaddr, timeout time.Duration, h Handler) (*Conn, error) {
	panic("eventloop: not implemented")
}

// Conns returns the number of open Conns on the loop (accepted and dialled).
func (l *Loop) Conns() int { panic("eventloop: not implemented") }

// Conn is one non-blocking TCP socket registered on a loop. Loop only.
type Conn struct{}

func (c *Conn) Loop() *Loop               { panic("eventloop: not implemented") }
func (c *Conn) Fd() int                   { panic("eventloop: not implemented") }
func (c *Conn) SetHandler(h Handler)      { panic("eventloop: not implemented") }
func (c *Conn) Context() any              { panic("eventloop: not implemented") }
func (c *Conn) SetContext(v any)          { panic("eventloop: not implemented") }
func (c *Conn) RemoteAddr() unix.Sockaddr { panic("eventloop: not implemented") }

// RemoteIP appends the peer's IP in text form to dst (for X-Forwarded-For)
// without allocating when dst has room.
func (c *Conn) RemoteIP(dst []byte) []byte { panic("eventloop: not implemented") }

// Write writes b, or queues what the kernel does not take (copying it). b may be
// reused once Write returns. Returns ErrClosed on a closed Conn.
func (c *Conn) Write(b []byte) error { panic("eventloop: not implemented") }

// Writev is Write for several slices with one writev(2).
func (c *Conn) Writev(bs ...[]byte) error { panic("eventloop: not implemented") }

// Buffered is the number of output bytes queued and not yet taken by the kernel.
func (c *Conn) Buffered() int { panic("eventloop: not implemented") }

// PauseRead stops OnData for c (EPOLLIN off) until ResumeRead. Idempotent.
func (c *Conn) PauseRead() { panic("eventloop: not implemented") }

// ResumeRead re-enables reading. If input is kept unconsumed, OnData runs
// again with it on the next loop iteration even without new bytes.
func (c *Conn) ResumeRead() { panic("eventloop: not implemented") }

// Paused reports whether reading is paused.
func (c *Conn) Paused() bool { panic("eventloop: not implemented") }

// CloseWrite half-closes: shutdown(SHUT_WR) once the output queue is flushed.
func (c *Conn) CloseWrite() { panic("eventloop: not implemented") }

// Close closes c at once (queued output is dropped); OnClose runs with nil
// before Close returns. Idempotent.
func (c *Conn) Close() { panic("eventloop: not implemented") }

// CloseAfterFlush closes c once its output queue is flushed (or at once if empty).
func (c *Conn) CloseAfterFlush() { panic("eventloop: not implemented") }

// Closed reports whether c is closed.
func (c *Conn) Closed() bool { panic("eventloop: not implemented") }

// Timer is a one-shot timer owned by one loop. Embed it or keep it in a
// long-lived struct: Init once, then Reset/Stop any number of times without
// allocating. Loop only.
type Timer struct{}

// Init binds t to l and to the function it runs when it fires (on l).
func (t *Timer) Init(l *Loop, f func()) { panic("eventloop: not implemented") }

// Reset (re)arms t to fire after d. d <= 0 fires on the next iteration.
func (t *Timer) Reset(d time.Duration) { panic("eventloop: not implemented") }

// Stop disarms t; it reports whether t was armed.
func (t *Timer) Stop() bool { panic("eventloop: not implemented") }

// Armed reports whether t is armed.
func (t *Timer) Armed() bool { panic("eventloop: not implemented") }
