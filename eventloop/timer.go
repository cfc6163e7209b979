package eventloop

import "time"

// Timer is a one-shot timer owned by one loop. Embed it or keep it in a
// long-lived struct: Init once, then Reset/Stop any number of times without
// allocating. Loop only.
//
// Timers that fall due in the same iteration fire in deadline order, and
// timers with the same deadline in the order they were armed. A timer armed
// from a timer callback fires on a later iteration at the earliest.
type Timer struct {
	// Immutable after Init:
	l *Loop
	f func()

	// Owned by the loop:
	when int64  // deadline on the loop's monotonic clock
	seq  uint64 // arming order, breaks ties between equal deadlines
	idx  int    // position in the loop's heap + 1; 0 = not armed
}

// Init binds t to l and to the function it runs when it fires (on l).
// Init on an armed timer stops it first.
func (t *Timer) Init(l *Loop, f func()) {
	if t.idx != 0 {
		t.Stop()
	}
	t.l, t.f = l, f
}

// Reset (re)arms t to fire after d, measured from the loop's cached Now.
// d <= 0 fires on the next iteration.
func (t *Timer) Reset(d time.Duration) {
	l := t.l
	l.assertOwner()
	if d < 0 {
		d = 0
	}
	t.when = l.now + int64(d)
	l.timerSeq++
	t.seq = l.timerSeq
	if t.idx == 0 {
		l.timers.push(t)
		return
	}
	l.timers.fix(t.idx - 1)
}

// Stop disarms t; it reports whether t was armed.
func (t *Timer) Stop() bool {
	if t.idx == 0 {
		return false
	}
	t.l.assertOwner()
	t.l.timers.remove(t.idx - 1)
	return true
}

// Armed reports whether t is armed.
func (t *Timer) Armed() bool { return t.idx != 0 }

// runTimers fires every timer due at l.now that was armed before this call.
func (l *Loop) runTimers() {
	last := l.timerSeq
	for len(l.timers) > 0 {
		t := l.timers[0]
		if t.when > l.now || t.seq > last {
			return
		}
		l.timers.remove(0)
		l.stats.Timers++
		t.f()
	}
}

// timerHeap is a binary min-heap ordered by (when, seq). Each Timer keeps
// its index so that Stop and Reset are O(log n) without searching.
type timerHeap []*Timer

func (h timerHeap) less(i, j int) bool {
	a, b := h[i], h[j]
	return a.when < b.when || (a.when == b.when && a.seq < b.seq)
}

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = i + 1
	h[j].idx = j + 1
}

func (h *timerHeap) push(t *Timer) {
	*h = append(*h, t)
	t.idx = len(*h)
	h.up(len(*h) - 1)
}

// remove takes out the timer at i and marks it unarmed.
func (h *timerHeap) remove(i int) {
	old := *h
	n := len(old) - 1
	t := old[i]
	if i != n {
		old.swap(i, n)
	}
	old[n] = nil
	*h = old[:n]
	t.idx = 0
	if i != n {
		h.fix(i)
	}
}

// fix restores the heap after the timer at i changed its deadline.
func (h timerHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

// down sifts i down and reports whether it moved.
func (h timerHeap) down(i int) bool {
	start := i
	for {
		c := 2*i + 1
		if c >= len(h) {
			break
		}
		if r := c + 1; r < len(h) && h.less(r, c) {
			c = r
		}
		if !h.less(c, i) {
			break
		}
		h.swap(i, c)
		i = c
	}
	return i > start
}

// clear disarms every timer (loop shutdown).
func (h *timerHeap) clear() {
	for _, t := range *h {
		t.idx = 0
	}
	clear(*h)
	*h = (*h)[:0]
}
