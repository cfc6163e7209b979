package proxy

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/tlsloop"
	"github.com/velox-proxy/velox/upstream"
)

// Options configure a Server beyond its config file.
type Options struct {
	Loops   int     // 0 = GOMAXPROCS
	PinCPUs []int   // loop i pinned to PinCPUs[i]; empty = no pinning
	Logger  *Logger // nil = no logging
	// BusyPoll: a busy loop spins this long for events before it sleeps
	// (see eventloop/busypoll.go); 0 = never spin.
	BusyPoll time.Duration
	// LookupHost resolves backend host names, at New and Reload and every
	// cluster's resolve_interval after, always off the loops; nil =
	// net.DefaultResolver.LookupHost. Tests inject their own answers.
	LookupHost config.LookupHost
}

// Server is a running proxy: its loops, its current table, its filters.
type Server struct {
	// Immutable after New:
	group     *eventloop.Group
	loops     []*loopState
	log       *Logger
	listeners []string          // what may not change on reload (listenerAddrs)
	addrs     []string          // the listeners' addresses, in config order
	tls       []*tlsloop.Server // by listener: its TLS terminator, nil for plain (tls.go)
	lookup    config.LookupHost
	res       resolver
	// Shared (atomics): the conn filters, published whole by RegisterConn.
	connF [numPoints]connPoint
	// Shared:
	table    atomic.Pointer[table]
	draining atomic.Bool
	mu       sync.Mutex // serialises Reload, Register and re-resolution; guards what follows
	cfg      *config.Config
	hosts    config.Hosts // what the backend host names of cfg resolved to
	bound    []string
	// Guarded by mu:
	registered [numPoints]chain
}

// ErrListenersChanged is returned by Reload when the new config has other
// listeners: listeners are fixed for the life of the process.
var ErrListenersChanged = errors.New("proxy: listeners cannot change on reload")

// New validates nothing itself: cfg must have passed config.Validate.
func New(cfg *config.Config, o Options) (*Server, error) {
	s := &Server{log: o.Logger, listeners: listenerAddrs(cfg), cfg: cfg, lookup: o.LookupHost}
	for i := range cfg.Listeners {
		l := &cfg.Listeners[i]
		s.addrs = append(s.addrs, l.Address)
		var ts *tlsloop.Server
		if l.TLS != nil {
			var err error
			if ts, err = s.newTLSServer(l); err != nil {
				s.closeTLS()
				return nil, fmt.Errorf("listeners[%d].tls: %w", i, err)
			}
		}
		s.tls = append(s.tls, ts)
	}
	var err error
	if s.hosts, err = s.resolve(cfg); err != nil {
		return nil, err
	}
	t, err := buildTable(cfg, 1, tableFrom{registered: &s.registered, hosts: s.hosts, tlsLog: s.logUpstreamTLSError})
	if err != nil {
		return nil, err
	}
	// The loops last: a config that fails above leaves no epoll set behind.
	maxInput := t.limits.maxInput // fixed for the life of the process: a reload keeps it
	g, err := eventloop.New(eventloop.Config{Loops: o.Loops, PinCPUs: o.PinCPUs, BusyPoll: o.BusyPoll, MaxInput: maxInput})
	if err != nil {
		return nil, err
	}
	s.group = g
	s.table.Store(t)
	s.res.init(s)
	for i, l := range g.Loops() {
		s.loops = append(s.loops, newLoopState(s, l, i))
	}
	return s, nil
}

// listenerAddrs lists what is fixed of each listener for the life of the
// process: its address, protocol and PROXY protocol sources.
func listenerAddrs(cfg *config.Config) []string {
	var a []string
	for _, l := range cfg.Listeners {
		id := l.Address + " " + cmp.Or(l.Protocol, config.ListenerHTTP)
		if l.ProxyProtocol != nil {
			id += " proxy_protocol " + strings.Join(l.ProxyProtocol.Trusted, ",")
		}
		id += l.TLS.Identity()
		a = append(a, id)
	}
	return a
}

// Register adds a Go filter at a request point. It may be called at any
// time: requests that begin after it returns run the filter.
func (s *Server) Register(p Point, f RequestFilter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.registered[p] = append(s.registered[p], f)
	s.rebuild(s.cfg, s.hosts)
}

// RegisterConn adds a Go filter at Accept, Handshake or Finish. It may be
// called at any time, also while traffic flows: connections accepted (or
// closing, for Finish) after it returns run the filter. The loops read a
// published copy of each chain, never the one being changed.
func (s *Server) RegisterConn(p Point, f ConnFilter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.connF[p].add(f)
}

// rebuild publishes a new table of cfg and hosts with the current
// generation (the config is the one in use). s.mu is held.
func (s *Server) rebuild(cfg *config.Config, hosts config.Hosts) {
	old := s.table.Load()
	t, err := buildTable(cfg, old.gen, tableFrom{registered: &s.registered, hosts: hosts, prev: old, tlsLog: s.logUpstreamTLSError})
	if err != nil {
		panic("proxy: config that built once fails to build: " + err.Error())
	}
	s.publish(t)
}

// publish makes t the table of new requests and hands every loop a task
// that switches it to t now: the old pools close their idle connections at
// once, not when the loop next sees a request. s.mu is held.
func (s *Server) publish(t *table) {
	s.table.Store(t)
	for _, ls := range s.loops {
		ls.loop.Execute(ls.switchTable) // ErrClosed once stopped: nothing to switch
	}
}

// Start opens the listeners and starts the loops.
func (s *Server) Start() error {
	for i, a := range s.addrs {
		var acc eventloop.Acceptor = listenerAcceptor{s, i}
		if s.tls[i] != nil {
			acc = s.tls[i].Acceptor(acc) // the handshake first, off the loop
		}
		if s.tls[i] != nil || config.IsRPC(s.cfg.Listeners[i].Protocol) {
			// A trusted source's PROXY header before it (or before the
			// first RPC frame): checked per connection against the
			// current table, so a reload may add proxy_protocol.
			acc = proxyFirstAcceptor{s, i, acc}
		}
		b, err := s.group.Listen(a, acc)
		if err != nil {
			s.group.Stop()
			return fmt.Errorf("listen %s: %w", a, err)
		}
		s.bound = append(s.bound, b)
	}
	if err := s.group.Start(); err != nil {
		return err
	}
	s.res.start()
	return nil
}

// Addrs are the bound listener addresses, in config order.
func (s *Server) Addrs() []string { return s.bound }

// listenerAcceptor is the eventloop.Acceptor of listener i: it runs on
// the loop that accepted c.
type listenerAcceptor struct {
	s *Server
	i int
}

func (a listenerAcceptor) Accept(c *eventloop.Conn) eventloop.Handler {
	ls := a.s.loops[c.Loop().ID()]
	t := ls.current()
	if ls.draining || ls.stats.active.Load() >= int64(t.limits.maxConns) {
		return nil
	}
	// On a TLS listener the header came before the handshake (proxyFirst).
	proxied := a.s.tls[a.i] == nil && t.trustsProxy(a.i, c.RemoteAddr())
	if r := &t.tcp[a.i]; r.tcp {
		return ls.acceptTCP(c, a.i, r, proxied)
	}
	if r := t.rpc[a.i]; r != nil {
		return ls.acceptRPC(c, r)
	}
	return ls.accept(c, a.i, proxied)
}

// Reload switches every loop to cfg. cfg must be validated; its backend
// host names are resolved here (a blocking call: never call Reload on a
// loop). If a name does not resolve or building fails, the old table keeps
// serving and the error says why. Backends that stay (same cluster name and
// address) keep their health and counters.
func (s *Server) Reload(cfg *config.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Equal(listenerAddrs(cfg), s.listeners) {
		return ErrListenersChanged
	}
	hosts, err := s.resolve(cfg)
	if err != nil {
		return err
	}
	old := s.table.Load()
	t, err := buildTable(cfg, old.gen+1, tableFrom{registered: &s.registered, hosts: hosts, prev: old, tlsLog: s.logUpstreamTLSError})
	if err != nil {
		return err
	}
	swapCerts, err := s.reloadCertificates(cfg)
	if err != nil {
		return err
	}
	s.cfg, s.hosts = cfg, hosts
	swapCerts()
	s.publish(t)
	s.res.reloaded()
	return nil
}

// Shutdown stops accepting, lets requests in flight finish (closing
// keep-alive connections as they go idle) for up to the drain timeout, then
// stops every loop. It reports whether everything drained in time.
func (s *Server) Shutdown() bool {
	s.draining.Store(true)
	s.res.stop()
	s.group.CloseListeners()
	for _, ls := range s.loops {
		ls.loop.Execute(ls.startDrain)
	}
	deadline := time.Now().Add(s.table.Load().limits.drain)
	drained := false
	for time.Now().Before(deadline) {
		if s.activeConns() == 0 {
			drained = true
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.group.Stop()
	s.closeTLS()
	return drained
}

// closeTLS stops the TLS terminators' ticket key rotation.
func (s *Server) closeTLS() {
	for _, ts := range s.tls {
		if ts != nil {
			ts.Close()
		}
	}
}

func (s *Server) activeConns() int64 {
	var n int64
	for _, ls := range s.loops {
		n += ls.stats.active.Load()
	}
	return n
}

// Stats is the /stats document.
type Stats struct {
	Loops    []LoopStats                 `json:"loops"`
	Clusters map[string][]upstream.Stats `json:"clusters"`
	TLS      []TLSStats                  `json:"tls"`
	UpTLS    []TLSStats                  `json:"upstream_tls"`
	LogDrops uint64                      `json:"log_lines_dropped"`
}

// Stats snapshots the counters of every loop and backend. Safe from any goroutine.
func (s *Server) Stats() Stats {
	st := Stats{Clusters: map[string][]upstream.Stats{}, LogDrops: s.log.droppedLines(), TLS: s.tlsStats()}
	for _, ls := range s.loops {
		st.Loops = append(st.Loops, ls.stats.snapshot(ls.id))
	}
	now := time.Now()
	t := s.table.Load()
	st.UpTLS = t.upstreamTLSStats()
	for _, c := range t.clusters {
		for _, b := range c.Backends {
			st.Clusters[c.Name] = append(st.Clusters[c.Name], b.Stats(now))
		}
	}
	return st
}
