package proxy

import (
	"cmp"
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/h1"
)

// limits are config.Limits and config.ServerTimeouts with defaults resolved.
type limits struct {
	h1           h1.Limits
	maxBody      int64 // 0 = unlimited
	maxConns     int
	streamBuffer int
	maxInput     int // per connection; the loops take it once, at New
	headerRead   time.Duration
	idle         time.Duration
	drain        time.Duration
}

func resolveLimits(cfg *config.Config) limits {
	l, t := cfg.Limits, cfg.Timeouts
	return limits{
		h1: h1.Limits{
			MaxURI:         cmp.Or(l.MaxURI, config.DefaultMaxURI),
			MaxHeaderBytes: cmp.Or(l.MaxHeaderBytes, config.DefaultMaxHeaderBytes),
			MaxHeaders:     cmp.Or(l.MaxHeaders, config.DefaultMaxHeaders),
		},
		maxBody:      l.MaxBodyBytes,
		maxConns:     cmp.Or(l.MaxConns, config.DefaultMaxConns),
		streamBuffer: cmp.Or(l.StreamBuffer, config.DefaultStreamBuffer),
		maxInput:     cmp.Or(l.MaxInput, config.DefaultMaxInput),
		headerRead:   cmp.Or(time.Duration(t.HeaderRead), config.DefaultHeaderRead),
		idle:         cmp.Or(time.Duration(t.Idle), config.DefaultIdle),
		drain:        cmp.Or(time.Duration(t.Drain), config.DefaultDrain),
	}
}
