package upstream

import "errors"

// Errors returned by the calls named.
var (
	// ErrNoHealthy is returned by Picker.Pick when every backend is ejected.
	ErrNoHealthy = errors.New("upstream: no healthy backend")
	// ErrConnLimit is returned by Pool.Dial when MaxConns is reached.
	ErrConnLimit = errors.New("upstream: connection limit reached")
)
