package upstream

import (
	"math/rand/v2"
	"time"

	"github.com/velox-proxy/velox/config"
)

// Picker chooses a backend. One per loop per cluster: not safe for concurrent use.
type Picker interface {
	// Pick returns a backend other than exclude (nil = no exclusion), in
	// this order of preference: a healthy one; exclude, if it is the only
	// healthy one; when every backend is ejected, any of them anyway
	// (Envoy's panic mode: better a backend that may have come back than a
	// 503), then exclude. A drained backend (weight 0) is never picked:
	// ErrNoHealthy means every backend is drained.
	Pick(now time.Time, exclude *Backend) (*Backend, error)
	// Done tells the picker a request picked earlier has finished
	// (least_request counts outstanding requests).
	Done(b *Backend)
}

// selector is what a balancer does for choose: among the backends other
// than exclude with a weight, healthy at t unless anyHealth, take one and
// return its index, or -1 if there is none.
type selector interface {
	pick(exclude *Backend, t int64, anyHealth bool) int
}

// choose is the order of preference every Pick follows (see Picker).
func choose(s selector, backends []*Backend, exclude *Backend, t int64) (int, error) {
	if i := s.pick(exclude, t, false); i >= 0 {
		return i, nil
	}
	ex := owns(backends, exclude) && exclude.Weight > 0
	if ex && exclude.healthyAt(t) {
		return exclude.Index, nil
	}
	if i := s.pick(exclude, t, true); i >= 0 {
		return i, nil
	}
	if ex {
		return exclude.Index, nil
	}
	return -1, ErrNoHealthy
}

// candidate reports whether b may be picked by a selector.
func candidate(b, exclude *Backend, t int64, anyHealth bool) bool {
	return b != exclude && b.Weight > 0 && (anyHealth || b.healthyAt(t))
}

// pickers makes a Picker by config name; NewCluster rejects other names.
var pickers = map[string]func(*Cluster) Picker{
	config.BalancerRoundRobin:   newRoundRobin,
	config.BalancerLeastRequest: newLeastRequest,
}

// NewPicker makes the cluster's balancer for one loop.
func NewPicker(c *Cluster) Picker {
	if f := pickers[c.Balancer]; f != nil {
		return f(c)
	}
	return newRoundRobin(c)
}

// owns reports whether b is one of backends (exclude may come from anywhere).
func owns(backends []*Backend, b *Backend) bool {
	return b != nil && b.Index >= 0 && b.Index < len(backends) && backends[b.Index] == b
}

// prng is a splitmix64 generator: one per picker, so no lock and no allocation.
type prng uint64

func newPRNG() prng { return prng(rand.Uint64()) }

func (r *prng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// intn returns a number in [0, n), 0 < n < 2^32 (multiply-shift, no division).
func (r *prng) intn(n int) int { return int((r.next() >> 32) * uint64(n) >> 32) }
