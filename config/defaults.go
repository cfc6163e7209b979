package config

import "time"

// Defaults that a zero value in Config stands for (an unset one, for the
// *int fields, where 0 has its own meaning). Consumers resolve them
// where they build their runtime state (d.Or(DefaultIdle), or
// cmp.Or(limits.MaxURI, DefaultMaxURI)); the config is never rewritten.
const (
	// Limits.
	DefaultMaxURI         = 8192      // Limits.MaxURI
	DefaultMaxHeaderBytes = 32768     // Limits.MaxHeaderBytes
	DefaultMaxHeaders     = 100       // Limits.MaxHeaders
	DefaultStreamBuffer   = 256 << 10 // Limits.StreamBuffer
	DefaultMaxConns       = 65536     // Limits.MaxConns, downstream per loop
	DefaultMaxInput       = 1 << 20   // Limits.MaxInput, per connection

	// ServerTimeouts.
	DefaultHeaderRead = 30 * time.Second // ServerTimeouts.HeaderRead
	DefaultIdle       = 75 * time.Second // ServerTimeouts.Idle
	DefaultDrain      = 10 * time.Second // ServerTimeouts.Drain
	DefaultClientBody = 60 * time.Second // ServerTimeouts.ClientBody
	DefaultSend       = 60 * time.Second // ServerTimeouts.Send
	DefaultTunnelIdle = time.Hour        // ServerTimeouts.TunnelIdle

	// DefaultUpgrade is the one protocol Config.Upgrades allows when unset.
	DefaultUpgrade = "websocket"

	// Cluster and Backend.
	DefaultConnectTimeout      = 2 * time.Second  // Cluster.ConnectTimeout
	DefaultResponseTimeout     = 30 * time.Second // Cluster.ResponseTimeout
	DefaultPoolIdleTimeout     = 60 * time.Second // Cluster.IdleTimeout
	DefaultMaxIdle             = 1024             // Cluster.MaxIdle when unset, per backend per loop (as many as MaxConns)
	DefaultClusterMaxConns     = 1024             // Cluster.MaxConns, per backend per loop
	DefaultRetries             = 1                // Cluster.Retries (-1 = none)
	DefaultEjectBase           = 1 * time.Second  // Cluster.EjectBase
	DefaultEjectMax            = 30 * time.Second // Cluster.EjectMax
	DefaultConsecutiveFailures = 5                // Cluster.ConsecutiveFailures (-1 = never eject)
	DefaultResolveInterval     = 30 * time.Second // Cluster.ResolveInterval
	DefaultWeight              = 1                // Backend.Weight when unset

	// Filters.
	DefaultStaticStatus   = 200          // Filter.Status of static
	DefaultDenyStatus     = 403          // Filter.Status of deny
	DefaultRedirectStatus = 302          // Filter.Status of redirect
	DefaultContentType    = "text/plain" // Filter.ContentType of static
)
