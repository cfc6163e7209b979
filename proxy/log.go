package proxy

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// Logger writes log lines off the loops: loops format a line and hand it to a
// buffered channel; one goroutine writes them. When the channel is full the
// line is dropped and counted, so a slow log never blocks a loop.
type Logger struct {
	// Immutable:
	lines   chan []byte
	w       io.Writer
	done    chan struct{}
	verbose bool
	// Shared (atomics):
	dropped atomic.Uint64
}

// NewLogger starts a logger writing to w. verbose adds a line per request.
func NewLogger(w io.Writer, verbose bool) *Logger {
	l := &Logger{lines: make(chan []byte, 4096), w: w, done: make(chan struct{}), verbose: verbose}
	go l.run()
	return l
}

func (l *Logger) run() {
	defer close(l.done)
	for b := range l.lines {
		l.w.Write(b)
	}
}

// Printf logs one line with the component prefix. Error paths only: it
// formats (and so allocates).
func (l *Logger) Printf(component, format string, args ...any) {
	if l == nil {
		return
	}
	b := fmt.Appendf(nil, "%s %s: ", time.Now().UTC().Format(time.RFC3339Nano), component)
	b = fmt.Appendf(b, format, args...)
	b = append(b, '\n')
	select {
	case l.lines <- b:
	default:
		l.dropped.Add(1)
	}
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

// Close flushes and stops the logger.
func (l *Logger) Close() {
	close(l.lines)
	<-l.done
}
