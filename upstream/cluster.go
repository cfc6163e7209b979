package upstream

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"strconv"
	"time"

	"github.com/velox-proxy/velox/config"
	"golang.org/x/sys/unix"
)

// Cluster is the immutable, validated form of config.Cluster, shared by all
// loops. Backends carry atomic health state shared by all loops.
type Cluster struct {
	// Immutable:
	Name               string
	Backends           []*Backend
	Balancer           string // "round_robin" or "least_request"
	Protocol           string // "http1" or "h2"
	ConnectTimeout     time.Duration
	ResponseTimeout    time.Duration
	IdleTimeout        time.Duration
	MaxIdle            int // 0 = no pooling
	MaxConns           int
	MaxRequestsPerConn int // 0 = unlimited
	Retries            int // resolved: 0 or more
	EjectAfter         int // consecutive failures that eject a backend; 0 = never
	EjectBase          time.Duration
	EjectMax           time.Duration
	ResolveInterval    time.Duration
	SendProxy          int // PROXY protocol version sent first on each connection; 0 = none

	byAddr map[string]*Backend // Backends by Addr
}

// Backend is one origin address. Address fields are immutable; health and
// counters are atomics shared by all loops, and by the Backend of the same
// cluster and address in the table a reload builds next.
type Backend struct {
	// Immutable:
	Index      int    // position in Cluster.Backends
	Addr       string // IP:port, normalised
	Name       string // the address as configured: Addr, or the host name:port it came from
	Sockaddr   unix.Sockaddr
	Weight     int // 0 = drained: never picked
	ejectAfter int64
	ejectBase  time.Duration
	ejectMax   time.Duration

	// Shared (atomics):
	*health
}

// From is what NewCluster builds on besides the config.
type From struct {
	// Hosts has the addresses of the cluster's backend host names
	// (config.Config.Resolve); IP addresses need none.
	Hosts config.Hosts
	// Prev is the cluster of the same name in the table being replaced: a
	// backend whose address stays keeps its health and counters. nil = none.
	Prev *Cluster
}

// Unchanged reports whether o is c again: the same settings and the same
// backends in the same order, sharing their health (o was built with c as
// From.Prev and nothing of the cluster changed). A loop keeps its pool and
// balancer of an unchanged cluster when it switches tables, so a reload or
// a re-resolution elsewhere does not drop its pooled connections. Reload
// time only: it walks both clusters.
func (c *Cluster) Unchanged(o *Cluster) bool { return reflect.DeepEqual(c, o) }

// NewCluster resolves defaults and makes a Backend of every address: an IP
// and port, or each address from.Hosts has for a host name (sharing its
// weight). An address that appears twice keeps its first weight. Errors name
// the field as written in YAML, relative to the cluster:
// `backends[1].address: "x": not host:port`.
func NewCluster(c *config.Cluster, from From) (*Cluster, error) {
	if err := checkCluster(c); err != nil {
		return nil, err
	}
	cl := newCluster(c)
	for i := range c.Backends {
		if err := cl.addBackends(i, &c.Backends[i], &from); err != nil {
			return nil, err
		}
	}
	return cl, nil
}

func newCluster(c *config.Cluster) *Cluster {
	return &Cluster{
		Name:               c.Name,
		Balancer:           cmp.Or(c.Balancer, config.BalancerRoundRobin),
		Protocol:           cmp.Or(c.Protocol, config.ProtocolHTTP1),
		ConnectTimeout:     c.ConnectTimeout.Or(config.DefaultConnectTimeout),
		ResponseTimeout:    c.ResponseTimeout.Or(config.DefaultResponseTimeout),
		IdleTimeout:        c.IdleTimeout.Or(config.DefaultPoolIdleTimeout),
		MaxIdle:            config.IntOr(c.MaxIdle, config.DefaultMaxIdle),
		MaxConns:           cmp.Or(c.MaxConns, config.DefaultClusterMaxConns),
		MaxRequestsPerConn: c.MaxRequestsPerConn,
		Retries:            resolveRetries(c.Retries),
		EjectAfter:         resolveEjectAfter(c.ConsecutiveFailures),
		EjectBase:          c.EjectBase.Or(config.DefaultEjectBase),
		EjectMax:           c.EjectMax.Or(config.DefaultEjectMax),
		ResolveInterval:    c.ResolveInterval.Or(config.DefaultResolveInterval),
		SendProxy:          map[string]int{"v1": 1, "v2": 2}[c.SendProxyProtocol],
		byAddr:             map[string]*Backend{},
	}
}

// checkCluster rejects values that have no meaning (negative sizes, unknown
// balancer, no backends); the error names the YAML field.
func checkCluster(c *config.Cluster) error {
	if c.Balancer != "" && pickers[c.Balancer] == nil {
		return fmt.Errorf("balancer: %q: want round_robin or least_request", c.Balancer)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"connect_timeout", int64(c.ConnectTimeout)},
		{"response_timeout", int64(c.ResponseTimeout)},
		{"idle_timeout", int64(c.IdleTimeout)},
		{"eject_base", int64(c.EjectBase)},
		{"eject_max", int64(c.EjectMax)},
		{"resolve_interval", int64(c.ResolveInterval)},
		{"max_idle", int64(config.IntOr(c.MaxIdle, 0))},
		{"max_conns", int64(c.MaxConns)},
		{"max_requests_per_conn", int64(c.MaxRequestsPerConn)},
	} {
		if f.v < 0 {
			return fmt.Errorf("%s: must be >= 0", f.name)
		}
	}
	switch {
	case c.Retries < -1:
		return fmt.Errorf("retries: must be >= -1")
	case c.ConsecutiveFailures < -1:
		return fmt.Errorf("consecutive_failures: must be >= -1")
	case len(c.Backends) == 0:
		return fmt.Errorf("backends: none")
	}
	return nil
}

// addBackends adds a Backend for every address of config backend i.
func (cl *Cluster) addBackends(i int, c *config.Backend, from *From) error {
	w := config.IntOr(c.Weight, config.DefaultWeight)
	if w < 0 {
		return fmt.Errorf("backends[%d].weight: must be >= 0", i)
	}
	aps, err := addrsOf(c.Address, from.Hosts)
	if err != nil {
		return fmt.Errorf("backends[%d].address: %q: %v", i, c.Address, err)
	}
	for _, ap := range aps {
		if cl.byAddr[ap.String()] != nil {
			continue
		}
		sa, err := sockaddr(ap)
		if err != nil {
			return fmt.Errorf("backends[%d].address: %q: %v", i, c.Address, err)
		}
		cl.add(&Backend{Addr: ap.String(), Name: c.Address, Sockaddr: sa, Weight: w}, from.Prev)
	}
	return nil
}

// add appends b, taking the health of the previous table's backend with the
// same address, or new health.
func (cl *Cluster) add(b *Backend, prev *Cluster) {
	b.Index = len(cl.Backends)
	b.ejectAfter, b.ejectBase, b.ejectMax = int64(cl.EjectAfter), cl.EjectBase, cl.EjectMax
	if old := prev.backend(b.Addr); old != nil {
		b.health = old.health
	} else {
		b.health = new(health)
	}
	cl.Backends = append(cl.Backends, b)
	cl.byAddr[b.Addr] = b
}

// backend returns the backend with address addr (IP:port), or nil. A nil
// cluster has none.
func (cl *Cluster) backend(addr string) *Backend {
	if cl == nil {
		return nil
	}
	return cl.byAddr[addr]
}

// addrsOf is what a configured address stands for: itself if it is IP:port,
// else every address hosts has for its name, with its port.
func addrsOf(addr string, hosts config.Hosts) ([]netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, errors.New("not host:port")
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return nil, errors.New("port must be a number 1..65535")
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.AddrPort{netip.AddrPortFrom(a.Unmap(), uint16(p))}, nil
	}
	ips := hosts[host]
	if len(ips) == 0 {
		return nil, fmt.Errorf("host %q not resolved", host)
	}
	aps := make([]netip.AddrPort, len(ips))
	for j, a := range ips {
		aps[j] = netip.AddrPortFrom(a.Unmap(), uint16(p))
	}
	return aps, nil
}

// sockaddr converts an unmapped address to the form connect(2) takes. An
// IPv6 zone is an interface name or index ("fe80::1%eth0").
func sockaddr(ap netip.AddrPort) (unix.Sockaddr, error) {
	a := ap.Addr()
	if a.Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}, nil
	}
	sa := &unix.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
	if z := a.Zone(); z != "" {
		if n, err := strconv.ParseUint(z, 10, 32); err == nil {
			sa.ZoneId = uint32(n)
		} else if ifi, err := net.InterfaceByName(z); err == nil {
			sa.ZoneId = uint32(ifi.Index)
		} else {
			return nil, fmt.Errorf("unknown zone %q", z)
		}
	}
	return sa, nil
}

// resolveEjectAfter: 0 is the default, -1 never ejects (0 here).
func resolveEjectAfter(n int) int {
	switch {
	case n == 0:
		return config.DefaultConsecutiveFailures
	case n < 0:
		return 0
	}
	return n
}

func resolveRetries(n int) int {
	switch {
	case n == 0:
		return config.DefaultRetries
	case n < 0:
		return 0
	}
	return n
}
