package eventloop

import (
	"bytes"
	"io"
	"testing"
	"time"
)

// The busy-poll policy, driven one iteration at a time on a loop that is
// not started. Each case fixes busy and BusyPoll, then checks what one
// poll did: whether it spun, whether the spin caught the event, and what
// the loop concluded for the next wait.

func newBusyPollLoop(t *testing.T, spin time.Duration) *Loop {
	t.Helper()
	g, err := New(Config{Loops: 1, BusyPoll: spin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	return g.Loops()[0]
}

// executeAfter hands the loop a task from another goroutine after d: an
// event that arrives while the loop spins or sleeps.
func executeAfter(t *testing.T, l *Loop, d time.Duration, f func()) {
	t.Helper()
	go func() {
		time.Sleep(d)
		if err := l.Execute(f); err != nil {
			t.Error(err)
		}
	}()
}

func TestBusyPollCatchesEventWhileBusy(t *testing.T) {
	l := newBusyPollLoop(t, 10*time.Second) // spins until the event comes
	l.busy = true
	ran := false
	executeAfter(t, l, time.Millisecond, func() { ran = true })
	for !ran {
		l.poll()
	}
	if l.stats.BusyPollHits != 1 || l.stats.BusyPollMisses != 0 {
		t.Errorf("hits %d misses %d, want the spin to catch the task (1, 0)", l.stats.BusyPollHits, l.stats.BusyPollMisses)
	}
	if !l.busy {
		t.Error("a loop whose spin found work stopped spinning")
	}
}

func TestBusyPollIdleLoopDoesNotSpin(t *testing.T) {
	l := newBusyPollLoop(t, time.Millisecond)
	var tm Timer
	fired := 0
	tm.Init(l, func() { fired++ })
	tm.Reset(30 * time.Millisecond) // a sleep far longer than the spin
	for fired == 0 {
		l.poll()
	}
	if l.stats.BusyPollHits+l.stats.BusyPollMisses != 0 {
		t.Errorf("hits %d misses %d: a loop that was not busy spun", l.stats.BusyPollHits, l.stats.BusyPollMisses)
	}
	if l.busy {
		t.Error("after a 30ms sleep with a 1ms spin, the loop still counts as busy")
	}
}

func TestBusyPollShortSleepMakesBusy(t *testing.T) {
	l := newBusyPollLoop(t, 10*time.Second)
	ran := false
	executeAfter(t, l, time.Millisecond, func() { ran = true })
	for !ran {
		l.poll() // not busy: sleeps, and the task wakes it well within 10s
	}
	if !l.busy {
		t.Error("a sleep shorter than BusyPoll did not turn spinning on")
	}
}

func TestBusyPollStopsAtTimer(t *testing.T) {
	l := newBusyPollLoop(t, 10*time.Second)
	l.busy = true
	var tm Timer
	fired := false
	tm.Init(l, func() { fired = true })
	tm.Reset(2 * time.Millisecond)
	for !fired {
		l.poll() // a 10s spin would hold the timer back: it must end at the deadline
	}
	if l.stats.BusyPollMisses == 0 {
		t.Error("no spin ended for the timer")
	}
}

func TestBusyPollOffByDefault(t *testing.T) {
	l := newTestLoop(t)
	l.busy = true // even so: BusyPoll 0 never spins
	ran := false
	executeAfter(t, l, time.Millisecond, func() { ran = true })
	for !ran {
		l.poll()
	}
	if l.stats.BusyPollHits+l.stats.BusyPollMisses != 0 {
		t.Errorf("hits %d misses %d with BusyPoll 0", l.stats.BusyPollHits, l.stats.BusyPollMisses)
	}
}

// TestBusyPollEcho runs a real group with busy polling: a ping-pong client
// gets every byte back, and the loop's spins caught events.
func TestBusyPollEcho(t *testing.T) {
	g, addr := startGroup(t, Config{Loops: 1, BusyPoll: 100 * time.Millisecond}, acceptAll(echo))
	c := dial(t, addr)
	msg := []byte("ping-pong\n")
	got := make([]byte, len(msg))
	for i := 0; i < 500; i++ {
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("round trip %d: got %q", i, got)
		}
	}
	var st Stats
	onLoop(t, g.Loops()[0], func() { st = g.Loops()[0].Stats() })
	if st.BusyPollHits == 0 {
		t.Errorf("500 round trips and no spin caught an event: %+v", st)
	}
}
