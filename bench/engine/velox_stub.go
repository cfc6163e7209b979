//go:build novelox

package engine

import (
	"context"
	"errors"
)

// ServeVelox is not available in this build: bench/run.sh builds with
// -tags novelox when the eventloop package does not compile yet.
func ServeVelox(context.Context, Mode, string, ReadyFunc) error {
	return errors.New("engine: velox eventloop not built (-tags novelox)")
}
