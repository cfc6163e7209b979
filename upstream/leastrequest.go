package upstream

import "time"

var _ Picker = (*leastRequest)(nil)

// leastRequest is the power of two choices: take two distinct healthy
// backends with a weight at random and send to the one with fewer outstanding requests on
// this loop; on a tie the heavier weight wins, then the first drawn.
// Outstanding counts are per loop (Pick adds one, Done takes it back), so
// they need no atomics and never wait on another loop.
type leastRequest struct {
	// Immutable:
	backends []*Backend
	// Owned by the loop:
	outstanding []int // by Backend.Index
	candidates  []int // scratch for Pick, cap len(backends)
	rng         prng
}

func newLeastRequest(c *Cluster) Picker {
	n := len(c.Backends)
	return &leastRequest{
		backends:    c.Backends,
		outstanding: make([]int, n),
		candidates:  make([]int, 0, n),
		rng:         newPRNG(),
	}
}

func (p *leastRequest) Pick(now time.Time, exclude *Backend) (*Backend, error) {
	i, err := choose(p, p.backends, exclude, now.UnixNano())
	if err != nil {
		return nil, err
	}
	p.outstanding[i]++
	return p.backends[i], nil
}

// pick draws two distinct candidates and returns the less loaded.
func (p *leastRequest) pick(exclude *Backend, t int64, anyHealth bool) int {
	cand := p.candidates[:0]
	for i, b := range p.backends {
		if candidate(b, exclude, t, anyHealth) {
			cand = append(cand, i)
		}
	}
	switch len(cand) {
	case 0:
		return -1
	case 1:
		return cand[0]
	}
	i := p.rng.intn(len(cand))
	j := p.rng.intn(len(cand) - 1)
	if j >= i {
		j++
	}
	a, b := cand[i], cand[j]
	if p.less(b, a) {
		a = b
	}
	return a
}

// less reports whether backend i is a better choice than backend j.
func (p *leastRequest) less(i, j int) bool {
	if p.outstanding[i] != p.outstanding[j] {
		return p.outstanding[i] < p.outstanding[j]
	}
	return p.backends[i].Weight > p.backends[j].Weight
}

// Done takes back the request Pick counted for b. Extra calls are ignored.
func (p *leastRequest) Done(b *Backend) {
	if owns(p.backends, b) && p.outstanding[b.Index] > 0 {
		p.outstanding[b.Index]--
	}
}

// Outstanding is this loop's count of requests picked for b and not Done.
func (p *leastRequest) Outstanding(b *Backend) int { return p.outstanding[b.Index] }
