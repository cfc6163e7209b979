package upstream

import (
	"sync/atomic"
	"time"
)

// health is a Backend's passive health and its counters, shared by all loops.
// Every loop reports what it sees; the first failure ejects the backend for
// EjectBase, each further consecutive failure doubles that, up to EjectMax.
type health struct {
	// Shared (atomics):
	consecutive  atomic.Int64 // failures since the last success
	ejectedUntil atomic.Int64 // unix nanoseconds; healthy from then on
	requests     atomic.Uint64
	failures     atomic.Uint64
	ejections    atomic.Uint64
	activeConns  atomic.Int64 // open connections, all loops
}

// Healthy reports whether b is not ejected at time now.
func (b *Backend) Healthy(now time.Time) bool { return b.healthyAt(now.UnixNano()) }

func (b *Backend) healthyAt(t int64) bool { return t >= b.ejectedUntil.Load() }

// EjectedUntil is when b's current or last ejection ends (zero if never ejected).
func (b *Backend) EjectedUntil() time.Time {
	u := b.ejectedUntil.Load()
	if u == 0 {
		return time.Time{}
	}
	return time.Unix(0, u)
}

// ReportFailure records a connect failure or reset; after it b is ejected for
// EjectBase << (consecutive failures - 1), capped at EjectMax.
//
// A failure reported while b is already ejected is counted but does not
// lengthen the ejection: it comes from a request sent before the ejection,
// and many of those failing together must not jump straight to EjectMax.
func (b *Backend) ReportFailure(now time.Time) {
	b.failures.Add(1)
	t := now.UnixNano()
	for {
		until := b.ejectedUntil.Load()
		if t < until {
			return
		}
		n := b.consecutive.Load() + 1
		if b.ejectedUntil.CompareAndSwap(until, t+int64(b.backoff(n))) {
			b.consecutive.Store(n)
			b.ejections.Add(1)
			return
		}
	}
}

// backoff is the ejection after n consecutive failures (n >= 1).
func (b *Backend) backoff(n int64) time.Duration {
	d := b.ejectBase
	for ; n > 1 && d <= b.ejectMax/2; n-- {
		d <<= 1
	}
	if n > 1 { // one more doubling would pass EjectMax
		d = b.ejectMax
	}
	return min(d, b.ejectMax)
}

// ReportSuccess clears the consecutive failure count.
func (b *Backend) ReportSuccess() {
	if b.consecutive.Load() != 0 {
		b.consecutive.Store(0)
	}
}

// CountRequest adds one to b's request counter.
func (b *Backend) CountRequest() { b.requests.Add(1) }

// addActive moves b's open-connection count (all loops) by delta; pools call it.
func (b *Backend) addActive(delta int64) { b.activeConns.Add(delta) }
