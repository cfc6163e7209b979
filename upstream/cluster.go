package upstream

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
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
	ConnectTimeout     time.Duration
	ResponseTimeout    time.Duration
	IdleTimeout        time.Duration
	MaxIdle            int
	MaxConns           int
	MaxRequestsPerConn int // 0 = unlimited
	Retries            int // resolved: 0 or more
	EjectBase          time.Duration
	EjectMax           time.Duration
}

// Backend is one origin. Address fields are immutable; health and counters are
// atomics shared by all loops.
type Backend struct {
	// Immutable:
	Index     int // position in Cluster.Backends
	Addr      string
	Sockaddr  unix.Sockaddr
	Weight    int
	ejectBase time.Duration
	ejectMax  time.Duration

	// Shared (atomics):
	health
}

// NewCluster resolves defaults and parses backend addresses (IP:port only).
// Errors name the field as written in YAML, relative to the cluster:
// `backends[1].address: "x": not IP:port`.
func NewCluster(c *config.Cluster) (*Cluster, error) {
	cl := &Cluster{
		Name:               c.Name,
		Balancer:           cmp.Or(c.Balancer, config.BalancerRoundRobin),
		ConnectTimeout:     c.ConnectTimeout.Or(config.DefaultConnectTimeout),
		ResponseTimeout:    c.ResponseTimeout.Or(config.DefaultResponseTimeout),
		IdleTimeout:        c.IdleTimeout.Or(config.DefaultPoolIdleTimeout),
		MaxIdle:            cmp.Or(c.MaxIdle, config.DefaultMaxIdle),
		MaxConns:           cmp.Or(c.MaxConns, config.DefaultClusterMaxConns),
		MaxRequestsPerConn: c.MaxRequestsPerConn,
		Retries:            resolveRetries(c.Retries),
		EjectBase:          c.EjectBase.Or(config.DefaultEjectBase),
		EjectMax:           c.EjectMax.Or(config.DefaultEjectMax),
	}
	if err := checkCluster(c); err != nil {
		return nil, err
	}
	if len(c.Backends) == 0 {
		return nil, fmt.Errorf("backends: none")
	}
	for i := range c.Backends {
		b, err := newBackend(i, &c.Backends[i], cl)
		if err != nil {
			return nil, err
		}
		cl.Backends = append(cl.Backends, b)
	}
	return cl, nil
}

// checkCluster rejects values that have no meaning (negative sizes, unknown
// balancer); the error names the YAML field.
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
		{"max_idle", int64(c.MaxIdle)},
		{"max_conns", int64(c.MaxConns)},
		{"max_requests_per_conn", int64(c.MaxRequestsPerConn)},
	} {
		if f.v < 0 {
			return fmt.Errorf("%s: must be >= 0", f.name)
		}
	}
	if c.Retries < -1 {
		return fmt.Errorf("retries: must be >= -1")
	}
	return nil
}

func newBackend(i int, c *config.Backend, cl *Cluster) (*Backend, error) {
	if c.Weight < 0 {
		return nil, fmt.Errorf("backends[%d].weight: must be >= 0", i)
	}
	ap, err := netip.ParseAddrPort(c.Address)
	if err != nil {
		return nil, fmt.Errorf("backends[%d].address: %q: not IP:port", i, c.Address)
	}
	if ap.Port() == 0 {
		return nil, fmt.Errorf("backends[%d].address: %q: port 0", i, c.Address)
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	sa, err := sockaddr(ap)
	if err != nil {
		return nil, fmt.Errorf("backends[%d].address: %q: %v", i, c.Address, err)
	}
	return &Backend{
		Index:     i,
		Addr:      ap.String(),
		Sockaddr:  sa,
		Weight:    cmp.Or(c.Weight, config.DefaultWeight),
		ejectBase: cl.EjectBase,
		ejectMax:  cl.EjectMax,
	}, nil
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

func resolveRetries(n int) int {
	switch {
	case n == 0:
		return config.DefaultRetries
	case n < 0:
		return 0
	}
	return n
}
