package upstream

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/velox-proxy/velox/config"
	"golang.org/x/sys/unix"
)

// Defaults for the zero values of config.Cluster, as config documents them.
const (
	defaultConnectTimeout  = 2 * time.Second
	defaultResponseTimeout = 30 * time.Second
	defaultIdleTimeout     = 60 * time.Second
	defaultMaxIdle         = 64
	defaultMaxConns        = 1024
	defaultRetries         = 1
	defaultEjectBase       = 1 * time.Second
	defaultEjectMax        = 30 * time.Second
	defaultBalancer        = "round_robin"
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
		Balancer:           orString(c.Balancer, defaultBalancer),
		ConnectTimeout:     orDuration(c.ConnectTimeout, defaultConnectTimeout),
		ResponseTimeout:    orDuration(c.ResponseTimeout, defaultResponseTimeout),
		IdleTimeout:        orDuration(c.IdleTimeout, defaultIdleTimeout),
		MaxIdle:            orInt(c.MaxIdle, defaultMaxIdle),
		MaxConns:           orInt(c.MaxConns, defaultMaxConns),
		MaxRequestsPerConn: c.MaxRequestsPerConn,
		Retries:            resolveRetries(c.Retries),
		EjectBase:          orDuration(c.EjectBase, defaultEjectBase),
		EjectMax:           orDuration(c.EjectMax, defaultEjectMax),
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
	if err != nil || ap.Addr().Zone() != "" {
		return nil, fmt.Errorf("backends[%d].address: %q: not IP:port", i, c.Address)
	}
	if ap.Port() == 0 {
		return nil, fmt.Errorf("backends[%d].address: %q: port 0", i, c.Address)
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	return &Backend{
		Index:     i,
		Addr:      ap.String(),
		Sockaddr:  sockaddr(ap),
		Weight:    orInt(c.Weight, 1),
		ejectBase: cl.EjectBase,
		ejectMax:  cl.EjectMax,
	}, nil
}

// sockaddr converts an unmapped address to the form connect(2) takes.
func sockaddr(ap netip.AddrPort) unix.Sockaddr {
	if ap.Addr().Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
}

func resolveRetries(n int) int {
	switch {
	case n == 0:
		return defaultRetries
	case n < 0:
		return 0
	}
	return n
}

func orDuration(d config.Duration, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return time.Duration(d)
}

func orInt(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}

func orString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
