//go:build veloxdebug

package eventloop

import (
	"strings"
	"testing"
)

// offLoopPanic runs f on the test goroutine and returns what it panicked with.
func offLoopPanic(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

// TestDebugAssertOwner proves that a veloxdebug build checks loop ownership:
// Conn writes (Write, Gather, Flush), SetLowWatermark and a timer reset from
// the test goroutine panic, the same calls on the loop do not.
func TestDebugAssertOwner(t *testing.T) {
	opened := make(chan *Conn, 1)
	g, addr := startGroup(t, Config{Loops: 1}, acceptAll(&handlerFuncs{open: func(c *Conn) { opened <- c }}))
	dial(t, addr)
	c := recv(t, opened)
	l := g.Loops()[0]
	var tm Timer
	tm.Init(l, func() {})
	for name, f := range map[string]func(){
		"Conn.Write":           func() { c.Write([]byte("x")) },
		"Conn.Gather":          func() { c.Gather([]byte("x")) },
		"Conn.Flush":           func() { c.Flush() },
		"Conn.SetLowWatermark": func() { c.SetLowWatermark(0) },
		"Timer.Reset":          func() { tm.Reset(0) },
	} {
		v := offLoopPanic(f)
		if s, _ := v.(string); !strings.Contains(s, "touched off loop") {
			t.Errorf("%s off the loop: panic %v, want the ownership assertion", name, v)
		}
		onLoop(t, l, func() {
			if v := offLoopPanic(f); v != nil {
				t.Errorf("%s on the loop panicked: %v", name, v)
			}
		})
	}
	onLoop(t, l, func() { tm.Stop() })
}
