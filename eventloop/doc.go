// Package eventloop is velox's reactor: a few epoll loops, each locked to one OS
// thread, each owning its listener socket (SO_REUSEPORT), its connections, its
// timers and its buffers. It knows nothing about protocols; h1, h2 and rpcx
// codecs run inside the callbacks it makes, and the proxy package wires them.
//
// Imported by proxy, upstream and bench. Read next: loop.go (the reactor),
// conn.go (one socket), read.go and write.go (the data paths), timer.go
// (per-loop timers), dial.go (non-blocking connect), listen.go and group.go
// (SO_REUSEPORT listeners, start and stop), task.go (Execute), buffer.go
// (pooled buffers), gather.go (gathered writes, flushed once an iteration).
// transform.go (a Transform between a Conn's socket and its Handler, as
// tlsloop's TLS) leaves the Handler's side unchanged.
//
// # Ownership
//
// Everything a Loop owns (its Conns, Timers, buffers) is touched only by the
// loop's goroutine. Other goroutines hand work over with Loop.Execute. Every
// callback below runs on the owning loop.
//
// # Callback order for one Conn
//
//	OnOpen (once) → OnData* / OnWritable* (any order, interleaved) → OnClose (once)
//
// For an accepted Conn, OnOpen runs right after accept. For a dialled Conn,
// OnOpen runs when the connect completes; if it fails or times out, only
// OnClose runs (with the error) and OnOpen never does.
//
// # Buffer lifetimes (read this before touching OnData)
//
// OnData(c, data) receives the unconsumed input of c. data is valid only until
// OnData returns: it usually points into the loop's shared read buffer, which
// the next read on any connection of the loop overwrites. The handler returns
// how many bytes it consumed; the loop keeps the rest (copying it into a pooled
// buffer owned by c) and passes it again, followed by newer bytes, at the next
// OnData. Anything a handler needs after OnData returns must be copied.
//
// Conn.Write(b) may be called with b pointing into data: it writes b to the
// socket at once when nothing is queued; what the kernel does not take is
// copied into c's pooled output queue, so b may be reused when Write returns.
// Conn.Gather(b) copies all of b into that queue, so b may be reused when
// Gather returns too.
//
// At EOF the kept input, if any, is offered once more, then OnClose(c, io.EOF)
// runs: a peer's half-close ends the Conn, unless its Handler is a
// HalfCloser whose OnReadEOF keeps it open to write the answer.
//
// # Closing and errors
//
// Close calls OnClose(c, nil) before it returns, also from inside OnData;
// after that Write returns ErrClosed. A Write or Writev that fails (EPIPE,
// ECONNRESET) returns the error and dooms c: Closed reports true, and
// OnClose(c, err) runs from the loop at the end of the current iteration,
// never from inside the Write. A failed Flush, or a failed end-of-iteration
// flush of gathered output, dooms c the same way. Dial never calls the handler from inside
// Dial either: a connect that fails at once is reported the same way.
// Group.Stop closes every Conn with OnClose(c, ErrClosed).
//
// # Backpressure
//
// A Conn whose Buffered() output grows past what the caller allows is a signal
// to PauseRead the peer that feeds it; OnWritable(c) runs when c's output queue
// has been fully flushed, and the caller then ResumeReads the peer. With
// SetLowWatermark(n) it runs instead when the queue comes down from above n
// bytes to n or fewer (see Handler.OnWritable).
//
// # What HTTP/2 needs
//
// One client connection carries many streams, and its session writes many
// small frames per event, often while handling another Conn's OnData. Three
// things serve it (gather.go, write.go, read.go):
//
//   - Gathered writes. Conn.Gather copies a frame into c's output queue
//     without a syscall; at the end of the loop iteration (after the ready
//     events, tasks, timers and pending work, before the loop waits again)
//     every Conn gathered on is flushed with one writev(2) of its queue, in
//     which small frames share chunks: 32 frames are one syscall, not 32.
//     Write and Writev after a Gather queue behind it, so order is kept;
//     Conn.Flush sends what was gathered at once. An error of the deferred
//     flush dooms c like a failed Write.
//   - A low watermark. SetLowWatermark(n) makes OnWritable run once each
//     time queued output falls from above n to n or fewer, whichever flush
//     does it, so a session can stop producing DATA while the client is slow
//     and resume before the queue runs dry.
//   - The half-close event. A Handler that is a HalfCloser hears of the
//     peer's FIN in OnReadEOF and may keep c open to finish its streams;
//     what it Gathers there is flushed at the end of that iteration like any
//     other gathered output.
package eventloop
