package upstream

import "errors"

// Errors returned by the calls named.
var (
	// ErrNoHealthy is returned by Picker.Pick when every backend of the
	// cluster is drained (weight 0). When every backend is merely ejected,
	// Pick uses them anyway (panic mode) and does not return it.
	ErrNoHealthy = errors.New("upstream: every backend is drained (weight 0)")
	// ErrConnLimit is returned by Pool.Dial when MaxConns is reached.
	ErrConnLimit = errors.New("upstream: connection limit reached")
)
