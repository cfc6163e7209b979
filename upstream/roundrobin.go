package upstream

import "time"

var _ Picker = (*roundRobin)(nil)

// roundRobin is smooth weighted round robin, as nginx does it: every pick adds
// each candidate's weight to its current weight, takes the candidate with the
// largest current weight and subtracts the candidates' total from it. Weights
// {5, 1, 1} give a a b a c a a: the heavy backend is spread out, not bunched.
type roundRobin struct {
	// Immutable:
	backends []*Backend
	// Owned by the loop:
	current []int // by Backend.Index
}

func newRoundRobin(c *Cluster) Picker {
	return &roundRobin{backends: c.Backends, current: make([]int, len(c.Backends))}
}

// Pick skips ejected backends and exclude; their current weights stand still.
func (p *roundRobin) Pick(now time.Time, exclude *Backend) (*Backend, error) {
	t := now.UnixNano()
	best, total := -1, 0
	for i, b := range p.backends {
		if b == exclude || !b.healthyAt(t) {
			continue
		}
		p.current[i] += b.Weight
		total += b.Weight
		if best < 0 || p.current[i] > p.current[best] {
			best = i
		}
	}
	if best < 0 {
		return onlyExclude(p.backends, exclude, t)
	}
	p.current[best] -= total
	return p.backends[best], nil
}

// Done does nothing: round robin does not count outstanding requests.
func (p *roundRobin) Done(*Backend) {}
