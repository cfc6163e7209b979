package upstream

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/velox-proxy/velox/config"
)

// testCluster makes a cluster whose backend i listens on port 1000+i and
// is ejected by its first failure.
func testCluster(t testing.TB, balancer string, weights ...int) *Cluster {
	t.Helper()
	cc := config.Cluster{Name: "t", Balancer: balancer, ConsecutiveFailures: 1}
	for i, w := range weights {
		cc.Backends = append(cc.Backends, config.Backend{Address: fmt.Sprintf("127.0.0.1:%d", 1000+i), Weight: new(w)})
	}
	c, err := NewCluster(&cc, From{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// picks returns n picks as letters, a for backend 0; Done after each.
func picks(t *testing.T, p Picker, now time.Time, exclude *Backend, n int) string {
	t.Helper()
	s := make([]byte, 0, n)
	for range n {
		b, err := p.Pick(now, exclude)
		if err != nil {
			t.Fatalf("Pick: %v", err)
		}
		p.Done(b)
		s = append(s, byte('a'+b.Index))
	}
	return string(s)
}

func count(s string) map[byte]int {
	m := map[byte]int{}
	for i := range len(s) {
		m[s[i]]++
	}
	return m
}

func TestNewPickerKinds(t *testing.T) {
	if _, ok := NewPicker(testCluster(t, "", 1)).(*roundRobin); !ok {
		t.Error("default balancer is not round robin")
	}
	if _, ok := NewPicker(testCluster(t, "least_request", 1)).(*leastRequest); !ok {
		t.Error("least_request is not leastRequest")
	}
}

// TestRoundRobinNginxSequence: nginx's smooth weighted round robin with
// weights {5, 1, 1} gives a a b a c a a, and again.
func TestRoundRobinNginxSequence(t *testing.T) {
	p := NewPicker(testCluster(t, "round_robin", 5, 1, 1))
	if got, want := picks(t, p, t0, nil, 14), "aabacaaaabacaa"; got != want {
		t.Errorf("sequence = %s, want %s", got, want)
	}
}

func TestRoundRobinEqualWeights(t *testing.T) {
	p := NewPicker(testCluster(t, "round_robin", 1, 1, 1))
	if got, want := picks(t, p, t0, nil, 6), "abcabc"; got != want {
		t.Errorf("sequence = %s, want %s", got, want)
	}
}

func TestRoundRobinExclude(t *testing.T) {
	c := testCluster(t, "round_robin", 5, 1, 1)
	p := NewPicker(c)
	got := count(picks(t, p, t0, c.Backends[0], 20))
	if got['a'] != 0 || got['b'] != 10 || got['c'] != 10 {
		t.Errorf("picks excluding a = %v", got)
	}
}

func TestRoundRobinSkipsEjected(t *testing.T) {
	c := testCluster(t, "round_robin", 5, 1, 1)
	p := NewPicker(c)
	c.Backends[1].ReportFailure(t0)
	got := count(picks(t, p, t0, nil, 12))
	if got['a'] != 10 || got['b'] != 0 || got['c'] != 2 {
		t.Errorf("picks with b ejected = %v", got)
	}
	// Once the ejection ends b is picked again.
	got = count(picks(t, p, t0.Add(time.Second), nil, 7))
	if got['b'] == 0 {
		t.Errorf("b never picked after its ejection: %v", got)
	}
}

func TestLeastRequestSkipsEjectedAndExcluded(t *testing.T) {
	c := testCluster(t, "least_request", 1, 1, 1, 1)
	p := NewPicker(c)
	c.Backends[1].ReportFailure(t0)
	got := count(picks(t, p, t0, c.Backends[2], 200))
	if got['b'] != 0 || got['c'] != 0 || got['a'] == 0 || got['d'] == 0 {
		t.Errorf("picks with b ejected, c excluded = %v", got)
	}
}

func TestPickersOnlyExcludeHealthy(t *testing.T) {
	for _, kind := range []string{"round_robin", "least_request"} {
		c := testCluster(t, kind, 1, 1, 1)
		p := NewPicker(c)
		c.Backends[0].ReportFailure(t0)
		c.Backends[2].ReportFailure(t0)
		if b, err := p.Pick(t0, c.Backends[1]); err != nil || b != c.Backends[1] {
			t.Errorf("%s: Pick = %v, %v; want the excluded b, the only healthy one", kind, b, err)
		}
	}
}

// TestPickersPanicWhenAllEjected: with every backend ejected, Pick uses
// them all (Envoy's panic mode) instead of failing, in both balancers.
func TestPickersPanicWhenAllEjected(t *testing.T) {
	for _, kind := range []string{"round_robin", "least_request"} {
		c := testCluster(t, kind, 1, 1, 1)
		p := NewPicker(c)
		for _, b := range c.Backends {
			b.ReportFailure(t0)
		}
		got := count(picks(t, p, t0, nil, 300))
		if got['a'] == 0 || got['b'] == 0 || got['c'] == 0 {
			t.Errorf("%s: picks with all ejected = %v, want every backend", kind, got)
		}
		got = count(picks(t, p, t0, c.Backends[0], 300))
		if got['a'] != 0 || got['b'] == 0 || got['c'] == 0 {
			t.Errorf("%s: picks with all ejected, a excluded = %v", kind, got)
		}
		one := testCluster(t, kind, 1)
		one.Backends[0].ReportFailure(t0)
		if b, err := NewPicker(one).Pick(t0, one.Backends[0]); err != nil || b != one.Backends[0] {
			t.Errorf("%s: one ejected backend, excluded: Pick = %v, %v; want it anyway", kind, b, err)
		}
	}
}

// TestPickersSkipDrained: weight 0 is never picked, healthy or not, panic
// or not; a cluster with every backend drained has nothing to pick.
func TestPickersSkipDrained(t *testing.T) {
	for _, kind := range []string{"round_robin", "least_request"} {
		c := testCluster(t, kind, 0, 1, 0, 1)
		p := NewPicker(c)
		if got := count(picks(t, p, t0, nil, 300)); got['a'] != 0 || got['c'] != 0 || got['b'] == 0 || got['d'] == 0 {
			t.Errorf("%s: picks with a, c drained = %v", kind, got)
		}
		c.Backends[1].ReportFailure(t0)
		c.Backends[3].ReportFailure(t0)
		if got := count(picks(t, p, t0, c.Backends[1], 50)); got['d'] != 50 {
			t.Errorf("%s: panic picks excluding b = %v, want only d", kind, got)
		}
		drained := testCluster(t, kind, 0, 0)
		for _, ex := range []*Backend{nil, drained.Backends[0]} {
			if b, err := NewPicker(drained).Pick(t0, ex); !errors.Is(err, ErrNoHealthy) || b != nil {
				t.Errorf("%s: all drained: Pick(exclude %v) = %v, %v; want ErrNoHealthy", kind, ex, b, err)
			}
		}
	}
}

func TestLeastRequestPrefersLessLoaded(t *testing.T) {
	c := testCluster(t, "least_request", 1, 1, 1)
	p := NewPicker(c).(*leastRequest)
	p.outstanding[0] = 100
	got := count(picks(t, p, t0, nil, 300))
	if got['a'] != 0 || got['b'] < 50 || got['c'] < 50 {
		t.Errorf("picks with a loaded = %v", got)
	}
}

func TestLeastRequestBalancesOutstanding(t *testing.T) {
	c := testCluster(t, "least_request", 1, 1)
	p := NewPicker(c).(*leastRequest)
	for range 101 { // never Done: with two backends P2C compares both every time
		if _, err := p.Pick(t0, nil); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := p.outstanding[0], p.outstanding[1]; a+b != 101 || a-b > 1 || b-a > 1 {
		t.Errorf("outstanding = %d, %d", a, b)
	}
	for range 200 {
		p.Done(c.Backends[0]) // extra Done calls are ignored
	}
	if p.outstanding[0] != 0 {
		t.Errorf("outstanding went to %d", p.outstanding[0])
	}
}

func TestLeastRequestWeightBreaksTies(t *testing.T) {
	c := testCluster(t, "least_request", 1, 3)
	got := count(picks(t, NewPicker(c), t0, nil, 50))
	if got['b'] != 50 {
		t.Errorf("picks with equal load = %v, want all on the heavier b", got)
	}
}

func TestPRNGRange(t *testing.T) {
	r := newPRNG()
	seen := make([]int, 5)
	for range 5000 {
		seen[r.intn(5)]++
	}
	for i, n := range seen {
		if n < 700 { // expected 1000
			t.Errorf("intn(5) gave %d %d times in 5000", i, n)
		}
	}
}

func TestPickZeroAllocs(t *testing.T) {
	for _, kind := range []string{"round_robin", "least_request"} {
		c := testCluster(t, kind, 3, 1, 2, 1)
		c.Backends[3].ReportFailure(t0)
		p := NewPicker(c)
		ex := c.Backends[0]
		allocs := testing.AllocsPerRun(1000, func() {
			b, err := p.Pick(t0, ex)
			if err != nil {
				panic(err)
			}
			p.Done(b)
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocs per Pick", kind, allocs)
		}
	}
}

func BenchmarkPick(b *testing.B) {
	for _, kind := range []string{"round_robin", "least_request"} {
		b.Run(kind, func(b *testing.B) {
			c := testCluster(b, kind, 5, 1, 1, 3, 2, 1, 1, 4)
			p := NewPicker(c)
			now := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				be, _ := p.Pick(now, nil)
				p.Done(be)
			}
		})
	}
}
