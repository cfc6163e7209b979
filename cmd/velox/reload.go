package main

import (
	"cmp"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/proxy"
)

// noteStartOnly logs the settings a reload changed that take effect only at
// the next start: limits.max_input (the loops' input limit is set when they
// are made). Listeners are refused by Reload itself.
func noteStartOnly(logger *proxy.Logger, started, next *config.Config) {
	was := cmp.Or(started.Limits.MaxInput, config.DefaultMaxInput)
	now := cmp.Or(next.Limits.MaxInput, config.DefaultMaxInput)
	if was != now {
		logger.Printf("reload", "limits.max_input %d takes effect at the next start; %d stays in force", now, was)
	}
}
