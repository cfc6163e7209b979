package config

import (
	"slices"
	"time"
)

// RPC listeners (Listener.Protocol ListenerDubbo or ListenerBolt) decode
// each frame, route each request by its service the way HTTP requests are
// routed by Host (see proxy/rpc.go): a product's hosts are service
// (interface) names, its routes match the path "/<service>/<method>", the
// method (methods) and the headers "version", "group" and any Dubbo
// attachment or Bolt header a route names. A service no product takes goes
// to the listener's Cluster, if it has one. Clusters of RPC listeners are
// spoken to in the listener's protocol, multiplexed (RPC below).

// Listener protocols of RPC listeners (Listener.Protocol).
const (
	ListenerDubbo = "dubbo"
	ListenerBolt  = "bolt"
	// ListenerAuto tells HTTP/1.x, h2c, Dubbo and Bolt apart by a client's
	// first byte: HTTP requests are routed as on an http listener, RPC
	// requests as on a dubbo or bolt one (Cluster and RPC apply to them).
	ListenerAuto = "auto"
)

// RPC is how an RPC listener talks to its backends and what it allows its
// clients. Zero values mean the defaults below.
type RPC struct {
	// UpstreamConns is how many multiplexed connections each loop keeps to
	// each backend: 0 = 1. Requests go to the least loaded one.
	UpstreamConns int `yaml:"upstream_conns"`
	// MaxInFlight is how many requests may wait for their response on one
	// upstream connection: 0 = 16384. When every connection to the backend
	// picked is full, the request gets the protocol's overload error.
	MaxInFlight int `yaml:"max_in_flight"`
	// MaxClientInFlight is how many requests of one client connection may
	// wait for their response: 0 = 1024; over it, the protocol's overload
	// error.
	MaxClientInFlight int `yaml:"max_client_in_flight"`
	// MaxFrame is the largest frame accepted from a client or a backend, in
	// bytes: 0 = 8 MiB (Dubbo's default payload). A bigger one closes that
	// connection with a log line.
	MaxFrame int `yaml:"max_frame"`
	// HeartbeatInterval: an upstream connection that read nothing for this
	// long gets a heartbeat from velox: 0 = 30s.
	HeartbeatInterval Duration `yaml:"heartbeat_interval"`
	// HeartbeatTimeout: a heartbeat not answered within this closes the
	// connection (its pending requests get the upstream error): 0 = 10s.
	HeartbeatTimeout Duration `yaml:"heartbeat_timeout"`
}

// Defaults of RPC.
const (
	DefaultRPCUpstreamConns     = 1
	DefaultRPCMaxInFlight       = 16384
	DefaultRPCMaxClientInFlight = 1024
	DefaultRPCMaxFrame          = 8 << 20
	DefaultRPCHeartbeatInterval = 30 * time.Second
	DefaultRPCHeartbeatTimeout  = 10 * time.Second
)

// IsRPC reports whether protocol is an RPC listener's (auto included: it
// takes RPC clients too).
func IsRPC(protocol string) bool {
	return protocol == ListenerDubbo || protocol == ListenerBolt || protocol == ListenerAuto
}

// rpcListener checks an RPC listener at path at: its cluster (optional;
// an RPC listener speaks its own protocol to any cluster, whatever the
// cluster's protocol says for HTTP) and its rpc options.
func (v *checker) rpcListener(at string, l *Listener, cs []Cluster) {
	if i := slices.IndexFunc(cs, func(c Cluster) bool { return c.Name == l.Cluster }); l.Cluster != "" && i < 0 {
		v.add(fieldPath(at, "cluster"), "unknown cluster %q", l.Cluster)
	}
	if len(l.SNIRoutes) > 0 {
		v.add(fieldPath(at, "sni_routes"), "only a tcp listener routes by SNI")
	}
	p := fieldPath(at, "rpc")
	v.counts(p, []namedCount{
		{"upstream_conns", int64(l.RPC.UpstreamConns)}, {"max_in_flight", int64(l.RPC.MaxInFlight)},
		{"max_client_in_flight", int64(l.RPC.MaxClientInFlight)}, {"max_frame", int64(l.RPC.MaxFrame)},
	})
	v.durations(p, []namedDuration{
		{"heartbeat_interval", l.RPC.HeartbeatInterval}, {"heartbeat_timeout", l.RPC.HeartbeatTimeout},
	})
}

// rpcOnHTTP checks that a listener that is not an RPC one has no rpc options.
func (v *checker) rpcOnHTTP(at string, l *Listener) {
	if !IsRPC(l.Protocol) && l.RPC != (RPC{}) {
		v.add(fieldPath(at, "rpc"), "only a dubbo, bolt or auto listener takes rpc options")
	}
}
