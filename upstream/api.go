package upstream

import (
	"errors"
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/eventloop"
	"golang.org/x/sys/unix"
)

// Errors returned by the calls named.
var (
	// ErrNoHealthy is returned by Picker.Pick when every backend is ejected.
	ErrNoHealthy = errors.New("upstream: no healthy backend")
	// ErrConnLimit is returned by Pool.Dial when MaxConns is reached.
	ErrConnLimit = errors.New("upstream: connection limit reached")
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

// NewCluster resolves defaults and parses backend addresses (IP:port only).
func NewCluster(c *config.Cluster) (*Cluster, error) { panic("upstream: not implemented") }

// Backend is one origin. Address fields are immutable; health and counters are
// atomics shared by all loops.
type Backend struct {
	// Immutable:
	Index    int // position in Cluster.Backends
	Addr     string
	Sockaddr unix.Sockaddr
	Weight   int
	// health and stats: atomics (unexported), see health.go
}

// Healthy reports whether b is not ejected at time now.
func (b *Backend) Healthy(now time.Time) bool { panic("upstream: not implemented") }

// ReportFailure records a connect failure or reset; after it b is ejected for
// EjectBase << (consecutive failures - 1), capped at EjectMax.
func (b *Backend) ReportFailure(now time.Time) { panic("upstream: not implemented") }

// ReportSuccess clears the consecutive failure count.
func (b *Backend) ReportSuccess() { panic("upstream: not implemented") }

// Stats is a snapshot of a backend's counters for /stats.
type Stats struct {
	Addr        string `json:"addr"`
	Healthy     bool   `json:"healthy"`
	Requests    uint64 `json:"requests"`
	Failures    uint64 `json:"failures"`
	Ejections   uint64 `json:"ejections"`
	ActiveConns int64  `json:"active_conns"`
}

func (b *Backend) Stats(now time.Time) Stats { panic("upstream: not implemented") }

// CountRequest adds one to b's request counter.
func (b *Backend) CountRequest() { panic("upstream: not implemented") }

// Picker chooses a backend. One per loop per cluster: not safe for concurrent use.
type Picker interface {
	// Pick returns a healthy backend other than exclude (nil = no exclusion),
	// or ErrNoHealthy. If only exclude is healthy, it returns exclude.
	Pick(now time.Time, exclude *Backend) (*Backend, error)
	// Done tells the picker a request picked earlier has finished
	// (least_request counts outstanding requests).
	Done(b *Backend)
}

// NewPicker makes the cluster's balancer for one loop.
func NewPicker(c *Cluster) Picker { panic("upstream: not implemented") }

// Conn is an upstream connection of one loop's pool. The eventloop.Conn's
// context is the *Conn. While a request uses it, the user's handler is set on
// the eventloop.Conn; while idle, the pool's.
type Conn struct {
	// Immutable:
	EC      *eventloop.Conn
	Backend *Backend
	// Owned by the loop:
	Requests int // requests sent on this connection
	// unexported: pool, idle timer, idle-list links
}

// Pool is one loop's connections to one cluster's backends. Loop only.
type Pool struct{}

// NewPool makes the pool of cluster c on loop l.
func NewPool(l *eventloop.Loop, c *Cluster) *Pool { panic("upstream: not implemented") }

// Get takes an idle connection to b (most recently used first), or nil.
// The caller sets its handler on c.EC before using it.
func (p *Pool) Get(b *Backend) *Conn { panic("upstream: not implemented") }

// Dial opens a new connection to b with handler h (its OnOpen or OnClose tells
// how the connect went). ErrConnLimit when b has MaxConns open on this loop.
func (p *Pool) Dial(b *Backend, h eventloop.Handler) (*Conn, error) {
	panic("upstream: not implemented")
}

// Put returns c after a complete response on a reusable connection. The pool
// keeps it idle (handler switched to the pool's) or closes it when MaxIdle is
// reached or MaxRequestsPerConn is used up.
func (p *Pool) Put(c *Conn) { panic("upstream: not implemented") }

// Forget must be called from the user's OnClose of an active connection so the
// pool's open-connection count stays right. Idempotent.
func (p *Pool) Forget(c *Conn) { panic("upstream: not implemented") }

// Idle and Open return this loop's counts for b.
func (p *Pool) Idle(b *Backend) int { panic("upstream: not implemented") }
func (p *Pool) Open(b *Backend) int { panic("upstream: not implemented") }

// Close closes every idle connection (reload, shutdown).
func (p *Pool) Close() { panic("upstream: not implemented") }
