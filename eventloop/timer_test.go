package eventloop

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// newTestLoop is a group of one loop, not started: tests drive it by hand
// with poll, on the test goroutine, which owns it.
func newTestLoop(t testing.TB) *Loop {
	g, err := New(Config{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	return g.Loops()[0]
}

func TestTimerOrder(t *testing.T) {
	l := newTestLoop(t)
	var fired []int
	timers := make([]Timer, 200)
	for i := range timers {
		timers[i].Init(l, func() { fired = append(fired, i) })
	}
	// Deadlines in reverse order of i, with ties between pairs: pairs fire
	// in arming order.
	for i := range timers {
		timers[i].Reset(time.Duration(len(timers)-i/2*2) * 100 * time.Microsecond)
	}
	for len(fired) < len(timers) {
		l.poll()
	}
	for k := 1; k < len(fired); k++ {
		a, b := fired[k-1], fired[k]
		if timers[a].when > timers[b].when || (timers[a].when == timers[b].when && a > b) {
			t.Fatalf("timer %d fired before %d", a, b)
		}
	}
}

func TestTimerResetStop(t *testing.T) {
	l := newTestLoop(t)
	var a, b, c Timer
	var fired []string
	a.Init(l, func() { fired = append(fired, "a") })
	b.Init(l, func() { fired = append(fired, "b") })
	c.Init(l, func() { fired = append(fired, "c") })
	if a.Stop() || a.Armed() {
		t.Fatal("unarmed timer reported armed")
	}
	a.Reset(time.Hour)
	b.Reset(time.Hour)
	c.Reset(time.Hour)
	if !b.Stop() || b.Armed() {
		t.Fatal("Stop of an armed timer")
	}
	a.Reset(2 * time.Millisecond) // moves earlier
	c.Reset(time.Millisecond)
	c.Reset(0) // fires on the next iteration
	for len(fired) < 2 {
		l.poll()
	}
	if !slices.Equal(fired, []string{"c", "a"}) {
		t.Fatalf("fired %v", fired)
	}
	if len(l.timers) != 0 || a.Armed() || c.Armed() {
		t.Fatal("fired timers still armed")
	}
}

// TestTimerRearmFromCallback checks that a timer re-armed with 0 from its
// own callback fires once per iteration, not in a loop.
func TestTimerRearmFromCallback(t *testing.T) {
	l := newTestLoop(t)
	var tm Timer
	n := 0
	tm.Init(l, func() { n++; tm.Reset(0) })
	tm.Reset(0)
	l.poll()
	l.poll()
	if n != 2 {
		t.Fatalf("fired %d times in 2 iterations", n)
	}
}

func TestManyTimersRandom(t *testing.T) {
	l := newTestLoop(t)
	timers := make([]Timer, 5000)
	var whens []int64
	for i := range timers {
		timers[i].Init(l, func() { whens = append(whens, timers[i].when) })
		timers[i].Reset(time.Duration(rand.IntN(20000)) * time.Microsecond)
	}
	stopped := 0
	for i := 0; i < len(timers); i += 7 {
		if timers[i].Stop() {
			stopped++
		}
	}
	for len(whens) < len(timers)-stopped {
		l.poll()
	}
	if !slices.IsSorted(whens) {
		t.Fatal("timers fired out of deadline order")
	}
	if len(l.timers) != 0 {
		t.Fatalf("%d timers left in the heap", len(l.timers))
	}
}

func TestTimerAllocs(t *testing.T) {
	l := newTestLoop(t)
	var tm [3]Timer
	for i := range tm {
		tm[i].Init(l, func() {})
		tm[i].Reset(time.Hour) // grow the heap once
	}
	allocs := testing.AllocsPerRun(1000, func() {
		tm[0].Reset(time.Second)
		tm[1].Reset(time.Millisecond)
		tm[1].Stop()
		tm[2].Stop()
		tm[2].Reset(time.Minute)
	})
	if allocs != 0 {
		t.Fatalf("Timer Reset/Stop: %v allocs", allocs)
	}
}
