package upstream

import (
	"sync"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
)

// testBackend is ejected by its first failure.
func testBackend(base, max time.Duration) *Backend {
	return &Backend{Addr: "127.0.0.1:1", Weight: 1, ejectAfter: 1, ejectBase: base, ejectMax: max, health: new(health)}
}

var t0 = time.Unix(1_700_000_000, 0)

// ejectedFor checks that b, failed at at, is ejected until exactly at+d.
func ejectedFor(t *testing.T, b *Backend, at time.Time, d time.Duration) {
	t.Helper()
	if b.Healthy(at.Add(d - 1)) {
		t.Errorf("healthy at +%v, want ejected for %v", d-1, d)
	}
	if !b.Healthy(at.Add(d)) {
		t.Errorf("ejected at +%v, want healthy after %v", d, d)
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	b := testBackend(time.Second, 5*time.Second)
	if !b.Healthy(t0) {
		t.Fatal("new backend not healthy")
	}
	now := t0
	for i, want := range []time.Duration{1, 2, 4, 5, 5, 5} {
		b.ReportFailure(now)
		ejectedFor(t, b, now, want*time.Second)
		if t.Failed() {
			t.Fatalf("failure %d", i+1)
		}
		now = now.Add(want * time.Second) // the next failure comes when the ejection ends
	}
	b.ReportSuccess()
	b.ReportFailure(now)
	ejectedFor(t, b, now, time.Second)
}

func TestFailureWhileEjectedDoesNotExtend(t *testing.T) {
	b := testBackend(time.Second, 30*time.Second)
	b.ReportFailure(t0)
	for range 10 { // in-flight requests sent before the ejection
		b.ReportFailure(t0.Add(100 * time.Millisecond))
	}
	ejectedFor(t, b, t0, time.Second)
	s := b.Stats(t0)
	if s.Failures != 11 || s.Ejections != 1 || s.Healthy {
		t.Errorf("stats = %+v, want 11 failures, 1 ejection, not healthy", s)
	}
	b.ReportFailure(t0.Add(time.Second)) // second consecutive: 2s
	ejectedFor(t, b, t0.Add(time.Second), 2*time.Second)
}

func TestBackoffNoOverflow(t *testing.T) {
	b := testBackend(time.Second, 30*time.Second)
	for _, n := range []int64{1, 5, 6, 63, 64, 1000} {
		d := b.backoff(n)
		if d <= 0 || d > 30*time.Second {
			t.Errorf("backoff(%d) = %v", n, d)
		}
	}
	if d := b.backoff(5); d != 16*time.Second {
		t.Errorf("backoff(5) = %v, want 16s", d)
	}
	if d := testBackend(0, 0).backoff(3); d != 0 {
		t.Errorf("zero backend backoff = %v", d)
	}
}

func TestStats(t *testing.T) {
	b := testBackend(time.Second, 30*time.Second)
	b.CountRequest()
	b.CountRequest()
	b.addActive(3)
	b.addActive(-1)
	b.ReportFailure(t0)
	want := Stats{Addr: "127.0.0.1:1", Weight: 1, Healthy: false, ConsecutiveFailures: 1,
		Requests: 2, Failures: 1, Ejections: 1, ActiveConns: 2}
	if s := b.Stats(t0); s != want {
		t.Errorf("Stats = %+v, want %+v", s, want)
	}
	if got := b.EjectedUntil(); !got.Equal(t0.Add(time.Second)) {
		t.Errorf("EjectedUntil = %v", got)
	}
}

// TestEjectAfterConsecutiveFailures: the Nth failure in a row ejects for
// EjectBase, the next ones double it; a success in between starts over.
func TestEjectAfterConsecutiveFailures(t *testing.T) {
	b := testBackend(time.Second, 30*time.Second)
	b.ejectAfter = 3
	b.ReportFailure(t0)
	b.ReportSuccess()
	now := t0
	for i := range 2 {
		b.ReportFailure(now)
		if !b.Healthy(now) {
			t.Fatalf("ejected after %d consecutive failures (one success before), want 3", i+1)
		}
	}
	b.ReportFailure(now) // the 3rd in a row
	ejectedFor(t, b, now, time.Second)
	now = now.Add(time.Second)
	b.ReportFailure(now) // the 4th, once the ejection is over
	ejectedFor(t, b, now, 2*time.Second)
	if s := b.Stats(now); s.Failures != 5 || s.Ejections != 2 || s.ConsecutiveFailures != 4 {
		t.Errorf("stats = %+v, want 5 failures, 2 ejections, 4 consecutive", s)
	}
}

// TestNeverEject: consecutive_failures -1 counts failures, ejects never.
func TestNeverEject(t *testing.T) {
	c, err := NewCluster(&config.Cluster{ConsecutiveFailures: -1, Backends: []config.Backend{{Address: "127.0.0.1:1"}}}, From{})
	if err != nil {
		t.Fatal(err)
	}
	b := c.Backends[0]
	for range 100 {
		b.ReportFailure(t0)
	}
	if s := b.Stats(t0); !s.Healthy || s.Failures != 100 || s.Ejections != 0 {
		t.Errorf("stats = %+v, want healthy with 100 failures", s)
	}
}

// TestDefaultEjectsAtFive: unset consecutive_failures is Envoy's 5.
func TestDefaultEjectsAtFive(t *testing.T) {
	c, err := NewCluster(&config.Cluster{Backends: []config.Backend{{Address: "127.0.0.1:1"}}}, From{})
	if err != nil {
		t.Fatal(err)
	}
	b := c.Backends[0]
	for i := range 5 {
		if !b.Healthy(t0) {
			t.Fatalf("ejected after %d failures", i)
		}
		b.ReportFailure(t0)
	}
	ejectedFor(t, b, t0, time.Second)
}

// TestHealthConcurrent is for -race: loops report at once.
func TestHealthConcurrent(t *testing.T) {
	b := testBackend(time.Millisecond, time.Second)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				now := t0.Add(time.Duration(i) * time.Millisecond)
				switch (g + i) % 3 {
				case 0:
					b.ReportFailure(now)
				case 1:
					b.ReportSuccess()
				default:
					b.Healthy(now)
					b.CountRequest()
				}
			}
		})
	}
	wg.Wait()
	if s := b.Stats(t0); s.Failures == 0 || s.Ejections == 0 || s.Ejections > s.Failures {
		t.Errorf("stats = %+v", s)
	}
}
