package proxy

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// Logger writes log lines off the loops. A loop copies what a line says
// into a fixed-size record (logrecord.go: static strings, the client IP and
// request bytes copied into arrays, no pointer into its buffers) and hands
// it by value to a buffered channel: no formatting and no allocation on the
// loop. One goroutine formats the records (logformat.go), sums up repeated
// errors (logrepeat.go) and writes them in batches. When the channel is full
// the record is dropped and counted, so a slow log never blocks a loop.
type Logger struct {
	// Immutable:
	recs    chan record
	w       io.Writer
	done    chan struct{}
	verbose bool
	// Owned by the writer goroutine:
	buf     []byte
	repeats repeats
	// Shared (atomics):
	dropped atomic.Uint64
}

// LogOptions configure a Logger. Zero values mean the defaults.
type LogOptions struct {
	// Verbose adds a line per request (the access log).
	Verbose bool
	// RepeatBurst is how many identical error lines (same kind, status,
	// reason and backend; the client and the request may differ) are written
	// per RepeatInterval. The rest are counted, and at the end of the
	// interval one line says how many were left out. 0 = DefaultRepeatBurst;
	// -1 = no limit.
	RepeatBurst int
	// RepeatInterval: 0 = DefaultRepeatInterval.
	RepeatInterval time.Duration
}

// Defaults of LogOptions.
const (
	DefaultRepeatBurst    = 10
	DefaultRepeatInterval = time.Second
)

// logQueue is how many records may wait for the writer before loops drop them.
const logQueue = 4096

// logBatch is how many bytes the writer formats before one Write.
const logBatch = 64 << 10

// logWindow is how long the writer lets records gather after a batch: a
// line waits at most about this long, and loops logging thousands of lines
// a second wake the writer at most once per window.
const logWindow = 10 * time.Millisecond

// NewLogger starts a logger writing to w with the default options; verbose
// adds a line per request.
func NewLogger(w io.Writer, verbose bool) *Logger {
	return NewLoggerWith(w, LogOptions{Verbose: verbose})
}

// NewLoggerWith starts a logger writing to w.
func NewLoggerWith(w io.Writer, o LogOptions) *Logger {
	l := &Logger{recs: make(chan record, logQueue), w: w, done: make(chan struct{}), verbose: o.Verbose}
	l.buf = make([]byte, 0, 2*logBatch)
	l.repeats.init(o.RepeatBurst, o.RepeatInterval)
	go l.run()
	return l
}

// run is the writer goroutine. It parks on the queue only when the queue is
// empty: the record that finds it parked wakes it, and it then formats
// everything queued and sleeps for logWindow while new records pile up, so
// that under load loops hand records over without waking anyone.
func (l *Logger) run() {
	defer close(l.done)
	tick := time.NewTicker(l.repeats.interval)
	defer tick.Stop()
	for {
		select {
		case r, ok := <-l.recs:
			if !ok {
				l.flushRepeats(time.Now())
				return
			}
			l.take(&r)
			l.drain()
			time.Sleep(logWindow)
		case now := <-tick.C:
			l.drain() // what came before the interval ended counts in it
			l.flushRepeats(now)
		}
	}
}

// drain formats everything queued, writing a batch at a time.
func (l *Logger) drain() {
	for len(l.recs) > 0 {
		r, ok := <-l.recs
		if !ok {
			break
		}
		l.take(&r)
		if len(l.buf) >= logBatch {
			l.flush()
		}
	}
	l.flush()
}

// take formats r into the batch unless it is a repeat over the burst.
func (l *Logger) take(r *record) {
	if r.kind.limited() && !l.repeats.admit(r) {
		return
	}
	l.buf = appendRecord(l.buf, r)
}

// flushRepeats writes a line per error left out in the interval now ends.
func (l *Logger) flushRepeats(now time.Time) {
	l.buf = l.repeats.appendSummaries(l.buf, now)
	l.flush()
}

func (l *Logger) flush() {
	if len(l.buf) > 0 {
		l.w.Write(l.buf)
		l.buf = l.buf[:0]
	}
}

// send queues r, or counts it as dropped when the writer is behind.
func (l *Logger) send(r *record) {
	select {
	case l.recs <- *r:
	default:
		l.dropped.Add(1)
	}
}

// Printf logs one line with the component prefix, formatted by the caller
// (so it allocates): for rare events such as start, reload and shutdown.
// Per-request lines use the record methods of logrecord.go.
func (l *Logger) Printf(component, format string, args ...any) {
	if l == nil {
		return
	}
	r := record{kind: kindText, at: time.Now().UnixNano(), component: component, msg: fmt.Sprintf(format, args...)}
	l.send(&r)
}

// Verbose reports whether per-request lines are wanted; check it before
// building their arguments.
func (l *Logger) Verbose() bool { return l != nil && l.verbose }

// Dropped is how many lines were dropped because the writer fell behind.
func (l *Logger) Dropped() uint64 { return l.droppedLines() }

func (l *Logger) droppedLines() uint64 {
	if l == nil {
		return 0
	}
	return l.dropped.Load()
}

// Close writes what is queued, sums up the repeats of the last interval,
// and stops the logger. Nothing may be logged after Close.
func (l *Logger) Close() {
	close(l.recs)
	<-l.done
}
