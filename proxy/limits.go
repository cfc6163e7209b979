package proxy

import (
	"cmp"
	"strings"
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/h1"
	"github.com/velox-proxy/velox/h2"
)

// limits are config.Limits and config.ServerTimeouts with defaults resolved.
type limits struct {
	h1           h1.Limits
	h2           h2.Config // HTTP/2 connections, both sides (resolveH2)
	maxBody      int64     // 0 = unlimited
	maxConns     int
	streamBuffer int
	maxInput     int // per connection; the loops take it once, at New
	headerRead   time.Duration
	idle         time.Duration
	drain        time.Duration
	clientBody   time.Duration
	send         time.Duration
	tunnelIdle   time.Duration
	upgrades     []string // lower case
}

func resolveLimits(cfg *config.Config) limits {
	l, t := cfg.Limits, cfg.Timeouts
	return limits{
		h1: h1.Limits{
			MaxURI:         cmp.Or(l.MaxURI, config.DefaultMaxURI),
			MaxHeaderBytes: cmp.Or(l.MaxHeaderBytes, config.DefaultMaxHeaderBytes),
			MaxHeaders:     cmp.Or(l.MaxHeaders, config.DefaultMaxHeaders),
		},
		h2:           cfg.HTTP2,
		maxBody:      l.MaxBodyBytes,
		maxConns:     cmp.Or(l.MaxConns, config.DefaultMaxConns),
		streamBuffer: cmp.Or(l.StreamBuffer, config.DefaultStreamBuffer),
		maxInput:     cmp.Or(l.MaxInput, config.DefaultMaxInput),
		headerRead:   cmp.Or(time.Duration(t.HeaderRead), config.DefaultHeaderRead),
		idle:         cmp.Or(time.Duration(t.Idle), config.DefaultIdle),
		drain:        cmp.Or(time.Duration(t.Drain), config.DefaultDrain),
		clientBody:   cmp.Or(time.Duration(t.ClientBody), config.DefaultClientBody),
		send:         cmp.Or(time.Duration(t.Send), config.DefaultSend),
		tunnelIdle:   cmp.Or(time.Duration(t.TunnelIdle), config.DefaultTunnelIdle),
		upgrades:     resolveUpgrades(cfg.Upgrades),
	}
}

// resolveUpgrades lower-cases the allowed upgrade tokens; nil means the
// default list, an empty list none.
func resolveUpgrades(us []string) []string {
	if us == nil {
		return []string{config.DefaultUpgrade}
	}
	out := make([]string, 0, len(us))
	for _, u := range us {
		out = append(out, strings.ToLower(u))
	}
	return out
}
