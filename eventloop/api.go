package eventloop

import (
	"errors"
	"time"
)

// Errors reported to Handler.OnClose or returned by the calls named.
var (
	// ErrClosed is returned by Write, Writev, Gather and Dial on a closed Conn
	// or a stopped Loop.
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
	// OnWritable runs when a flush (on EPOLLOUT, or the end-of-iteration
	// flush of gathered output) brings the output queue down through c's low
	// watermark. Without one (0, the default) that is when the queue, after
	// having been non-empty, is fully flushed to the kernel; so a Gather that
	// the end-of-iteration flush writes out in full is followed by
	// OnWritable, while a Write the kernel takes at once never is. With
	// SetLowWatermark(n), n > 0, it runs once each time the queue goes from
	// more than n bytes queued to n or fewer, whether that flush emptied the
	// queue or not; not on every partial write, not when the queue drains
	// without having been above n.
	OnWritable(c *Conn)
	// OnClose runs once when the Conn is closed, by either side, with the cause:
	// nil for a local Close, io.EOF for a peer that closed, a syscall error, or
	// ErrConnectTimeout. After OnClose the Conn must not be used.
	OnClose(c *Conn, err error)
}

// HalfCloser is an optional interface of a Handler: it hears of a peer that
// shut down its write side (shutdown(SHUT_WR), nc -N) and may keep the Conn
// open to answer it.
type HalfCloser interface {
	// OnReadEOF runs when a read returned EOF, after every kept input byte
	// was offered to OnData. Returning true keeps c open for writing:
	// reading stops for good (OnData never runs again) and c stays until
	// the handler closes it, CloseAfterFlush completes, or a write fails.
	// Returning false closes c: OnClose(c, io.EOF) runs, as it does for a
	// Handler without this method.
	OnReadEOF(c *Conn) bool
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
	// BusyPoll is how long a busy loop spins for new events before it
	// sleeps in epoll_wait (busypoll.go); 0 = never spin.
	BusyPoll time.Duration
}
