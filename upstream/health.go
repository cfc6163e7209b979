package upstream

import (
	"sync/atomic"
	"time"
)

// health is a Backend's passive health and its counters, shared by all loops
// and kept across reloads for an address that stays in its cluster (the new
// table's Backend points at the same health). Every loop reports what it
// sees. As Envoy's consecutive_5xx: the Nth failure in a row (N =
// consecutive_failures) ejects the backend for EjectBase, and each further
// one after it doubles that, up to EjectMax; a success starts the count over.
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

// ReportFailure records a connect failure or reset. The
// ConsecutiveFailures-th one in a row ejects b for EjectBase, each further
// one for twice the last ejection, capped at EjectMax. With ejection turned
// off (consecutive_failures: -1) it only counts.
//
// A failure reported while b is ejected is counted but does not lengthen the
// ejection nor the run of failures: it comes from a request sent before the
// ejection (or sent anyway, every backend being ejected), and many of those
// failing together must not jump straight to EjectMax.
func (b *Backend) ReportFailure(now time.Time) {
	b.failures.Add(1)
	t := now.UnixNano()
	until := b.ejectedUntil.Load()
	if t < until {
		return
	}
	n := b.consecutive.Add(1)
	if b.ejectAfter <= 0 || n < b.ejectAfter {
		return
	}
	if !b.ejectedUntil.CompareAndSwap(until, t+int64(b.backoff(n-b.ejectAfter+1))) {
		b.consecutive.Add(-1) // another loop ejected b at this moment: ours came while ejected
		return
	}
	b.ejections.Add(1)
}

// backoff is the ejection for the k-th failure from the one that ejected
// (k >= 1): EjectBase << (k-1), capped at EjectMax.
func (b *Backend) backoff(k int64) time.Duration {
	d := b.ejectBase
	for ; k > 1 && d <= b.ejectMax/2; k-- {
		d <<= 1
	}
	if k > 1 { // one more doubling would pass EjectMax
		d = b.ejectMax
	}
	return min(d, b.ejectMax)
}

// ReportSuccess clears the consecutive failure count. An ejection in
// progress runs its course (as in Envoy): a success seen while b is ejected
// came from a request sent before, or from panic mode.
func (b *Backend) ReportSuccess() {
	if b.consecutive.Load() != 0 {
		b.consecutive.Store(0)
	}
}

// CountRequest adds one to b's request counter.
func (b *Backend) CountRequest() { b.requests.Add(1) }

// addActive moves b's open-connection count (all loops) by delta; pools call it.
func (b *Backend) addActive(delta int64) { b.activeConns.Add(delta) }
