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

func (p *roundRobin) Pick(now time.Time, exclude *Backend) (*Backend, error) {
	i, err := choose(p, p.backends, exclude, now.UnixNano())
	if err != nil {
		return nil, err
	}
	return p.backends[i], nil
}

// pick runs one round over the candidates; the current weights of the
// others stand still.
func (p *roundRobin) pick(exclude *Backend, t int64, anyHealth bool) int {
	best, total := -1, 0
	for i, b := range p.backends {
		if !candidate(b, exclude, t, anyHealth) {
			continue
		}
		p.current[i] += b.Weight
		total += b.Weight
		if best < 0 || p.current[i] > p.current[best] {
			best = i
		}
	}
	if best >= 0 {
		p.current[best] -= total
	}
	return best
}

// Done does nothing: round robin does not count outstanding requests.
func (p *roundRobin) Done(*Backend) {}
