package proxy

import (
	"context"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/velox-proxy/velox/config"
)

// resolveTimeout bounds the lookups of one resolution.
const resolveTimeout = 5 * time.Second

// resolve looks up the backend host names of cfg (New, Reload). It blocks.
func (s *Server) resolve(cfg *config.Config) (config.Hosts, error) {
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	return cfg.Resolve(ctx, s.lookup)
}

// resolver looks the backend host names of the config in use up again, on
// its own goroutine, each name at the shortest resolve_interval of the
// clusters that use it. When an answer changes a name's addresses it
// publishes a new table the way Reload does: backends whose address stays
// keep their health and counters. A failed lookup keeps the addresses the
// name had, and is logged.
type resolver struct {
	// Immutable after init:
	s    *Server
	kick chan struct{} // a reload changed the names or their intervals
	quit chan struct{}
	done chan struct{}
	// ctx is cancelled by stop, so a lookup in flight does not hold up a
	// shutdown for its whole timeout.
	ctx    context.Context
	cancel context.CancelFunc
	// Shared (atomics):
	started atomic.Bool
	stopped sync.Once
	// Guarded by s.mu:
	next map[string]time.Time // next lookup of each name
}

func (r *resolver) init(s *Server) {
	*r = resolver{s: s, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.reloaded()
}

// reloaded restarts every name's interval from now: s.hosts is fresh.
// s.mu is held (or s is not yet shared).
func (r *resolver) reloaded() {
	now := time.Now()
	r.next = map[string]time.Time{}
	for name, every := range intervals(r.s.cfg) {
		r.next[name] = now.Add(every)
	}
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *resolver) start() {
	r.started.Store(true)
	go r.run()
}

func (r *resolver) stop() {
	r.stopped.Do(func() {
		close(r.quit)
		r.cancel()
	})
	if r.started.Load() {
		<-r.done
	}
}

func (r *resolver) run() {
	defer close(r.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if d, ok := r.wait(); ok {
			timer.Reset(d)
		} else {
			timer.Stop()
		}
		select {
		case <-r.quit:
			return
		case <-r.kick:
		case <-timer.C:
			r.refresh()
		}
	}
}

// wait is the time until the next name is due; false if there is none.
func (r *resolver) wait() (time.Duration, bool) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if len(r.next) == 0 {
		return 0, false
	}
	next := slices.MinFunc(slices.Collect(maps.Values(r.next)), time.Time.Compare)
	return max(time.Until(next), 0), true
}

// refresh looks up the names that are due, without holding s.mu (a slow
// DNS server must not hold up Reload), and publishes a new table if an
// answer changed and no reload came in the meantime (a reload resolves
// everything itself).
func (r *resolver) refresh() {
	cfg, hosts, due := r.due()
	changed := false
	for _, name := range due {
		changed = r.lookup(name, hosts) || changed
	}
	if !changed {
		return
	}
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg != cfg {
		return
	}
	s.hosts = hosts
	s.rebuild(cfg, hosts)
}

// due returns the config in use, a copy of its hosts, and the names due
// for a lookup, whose next lookup it schedules.
func (r *resolver) due() (*config.Config, config.Hosts, []string) {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	var names []string
	for name, every := range intervals(s.cfg) {
		if !now.Before(r.next[name]) {
			r.next[name] = now.Add(every)
			names = append(names, name)
		}
	}
	return s.cfg, maps.Clone(s.hosts), names
}

// lookup resolves name into hosts and reports whether its addresses changed.
func (r *resolver) lookup(name string, hosts config.Hosts) bool {
	ctx, cancel := context.WithTimeout(r.ctx, resolveTimeout)
	defer cancel()
	addrs, err := config.LookupAddrs(ctx, r.s.lookup, name)
	switch {
	case err != nil:
		r.s.log.Printf("resolve", "host %q: %v; keeping %v", name, err, hosts[name])
		return false
	case slices.Equal(addrs, hosts[name]):
		return false
	}
	r.s.log.Printf("resolve", "host %q: %v, was %v", name, addrs, hosts[name])
	hosts[name] = addrs
	return true
}

// intervals maps each backend host name of cfg to the shortest
// resolve_interval of the clusters that use it.
func intervals(cfg *config.Config) map[string]time.Duration {
	m := map[string]time.Duration{}
	for i := range cfg.Clusters {
		every := cfg.Clusters[i].ResolveInterval.Or(config.DefaultResolveInterval)
		for _, name := range cfg.Clusters[i].HostNames() {
			if d, ok := m[name]; !ok || every < d {
				m[name] = every
			}
		}
	}
	return m
}
