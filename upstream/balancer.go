package upstream

import (
	"math/rand/v2"
	"time"

	"github.com/velox-proxy/velox/config"
)

// Picker chooses a backend. One per loop per cluster: not safe for concurrent use.
type Picker interface {
	// Pick returns a healthy backend other than exclude (nil = no exclusion),
	// or ErrNoHealthy. If only exclude is healthy, it returns exclude.
	Pick(now time.Time, exclude *Backend) (*Backend, error)
	// Done tells the picker a request picked earlier has finished
	// (least_request counts outstanding requests).
	Done(b *Backend)
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

// onlyExclude is Pick's answer when no backend but exclude is healthy.
func onlyExclude(backends []*Backend, exclude *Backend, t int64) (*Backend, error) {
	if owns(backends, exclude) && exclude.healthyAt(t) {
		return exclude, nil
	}
	return nil, ErrNoHealthy
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
