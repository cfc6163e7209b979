package eventloop

import (
	"errors"
	"net"
	"runtime"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// Group is a set of loops started together.
type Group struct {
	// Immutable:
	cfg   Config
	loops []*Loop

	// Guarded by mu:
	mu      sync.Mutex
	started bool
	stopped bool
	wg      sync.WaitGroup
}

// Defaults of Config's zero fields.
const (
	DefaultReadBuffer    = 64 << 10
	DefaultMaxInput      = 1 << 20
	DefaultAcceptBatch   = 64
	DefaultListenBacklog = 4096
)

// withDefaults fills cfg's zero fields.
func (cfg Config) withDefaults() Config {
	if cfg.Loops <= 0 {
		cfg.Loops = runtime.GOMAXPROCS(0)
	}
	if cfg.ReadBuffer <= 0 {
		cfg.ReadBuffer = DefaultReadBuffer
	}
	if cfg.MaxInput <= 0 {
		cfg.MaxInput = DefaultMaxInput
	}
	if cfg.AcceptBatch <= 0 {
		cfg.AcceptBatch = DefaultAcceptBatch
	}
	if cfg.ListenBacklog <= 0 {
		cfg.ListenBacklog = DefaultListenBacklog
	}
	return cfg
}

// New creates a Group; Start runs it.
func New(cfg Config) (*Group, error) {
	g := &Group{cfg: cfg.withDefaults()}
	for i := 0; i < g.cfg.Loops; i++ {
		l, err := newLoop(g, i)
		if err != nil {
			for _, l := range g.loops {
				l.shutdown()
			}
			return nil, err
		}
		g.loops = append(g.loops, l)
	}
	return g, nil
}

// Loops returns the group's loops, in order.
func (g *Group) Loops() []*Loop { return g.loops }

// Listen opens one SO_REUSEPORT listening socket per loop on addr ("host:port",
// TCP) and registers it; accepted connections are handed to a.Accept on the
// loop that accepted them. It may be called before or after Start.
// It returns the bound address (useful with port 0).
//
// host is an IP literal, "localhost" (127.0.0.1) or empty (0.0.0.0); an IPv6
// listener is IPv6-only. No name is looked up. With port 0 the first socket
// gets a port from the kernel and the others bind to the same one.
func (g *Group) Listen(addr string, a Acceptor) (bound string, err error) {
	sa, err := parseListenAddr(addr)
	if err != nil {
		return "", err
	}
	fds, err := g.listenAll(sa)
	if err != nil {
		return "", err
	}
	port, err := boundPort(fds[0])
	for i, l := range g.loops {
		ln := &listener{l: l, fd: fds[i], a: a}
		if err2 := g.onLoop(l, func() { l.addListener(ln) }); err2 != nil {
			unix.Close(ln.fd)
			err = err2
		}
	}
	if err != nil {
		return "", err
	}
	host, _, _ := net.SplitHostPort(addr)
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// listenAll opens the sockets, the first one deciding the port.
func (g *Group) listenAll(sa unix.Sockaddr) ([]int, error) {
	fds := make([]int, 0, len(g.loops))
	for range g.loops {
		fd, err := listenSocket(sa, g.cfg.ListenBacklog)
		if err == nil && len(fds) == 0 {
			var port int
			if port, err = boundPort(fd); err == nil {
				setPort(sa, port)
			}
		}
		if err != nil {
			for _, fd := range fds {
				unix.Close(fd)
			}
			return nil, err
		}
		fds = append(fds, fd)
	}
	return fds, nil
}

// CloseListeners stops accepting on every loop; established Conns live on.
// It returns once every listener is closed, except when called from a loop:
// then the other loops close theirs on their next iteration.
func (g *Group) CloseListeners() {
	for _, l := range g.loops {
		g.onLoop(l, l.closeListeners)
	}
}

// onLoop runs f on l and waits for it: directly before Start, as a task
// after. From a loop goroutine it does not wait for other loops (two loops
// waiting for each other would deadlock).
func (g *Group) onLoop(l *Loop, f func()) error {
	g.mu.Lock()
	started, stopped := g.started, g.stopped
	g.mu.Unlock()
	if stopped {
		return ErrClosed
	}
	if !started {
		f()
		return nil
	}
	cur := g.currentLoop()
	if cur == l {
		f()
		return nil
	}
	done := make(chan struct{})
	if err := l.Execute(func() { f(); close(done) }); err != nil {
		return err
	}
	if cur == nil {
		<-done
	}
	return nil
}

// currentLoop is the loop running on this OS thread, if any.
func (g *Group) currentLoop() *Loop {
	tid := int32(unix.Gettid())
	for _, l := range g.loops {
		if l.tid.Load() == tid {
			return l
		}
	}
	return nil
}

// Start starts every loop on its own goroutine locked to its OS thread
// (pinned to a CPU if Config.PinCPUs says so). It returns once every loop
// runs, or the first error (bad CPU), having stopped the group.
func (g *Group) Start() error {
	g.mu.Lock()
	if g.started || g.stopped {
		g.mu.Unlock()
		return errors.New("eventloop: group already started or stopped")
	}
	g.started = true
	g.mu.Unlock()
	errs := make(chan error, len(g.loops))
	for _, l := range g.loops {
		g.wg.Add(1)
		go l.main(&g.wg, errs)
	}
	var first error
	for range g.loops {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		g.Stop()
	}
	return first
}

// main is the loop goroutine: thread setup, then run. A failed setup still
// shuts the loop down so that Stop can join it. The thread stays locked when
// the goroutine exits, so the runtime ends it rather than reusing a thread
// that may be pinned to one CPU.
func (l *Loop) main(wg *sync.WaitGroup, errs chan<- error) {
	defer wg.Done()
	runtime.LockOSThread()
	l.tid.Store(int32(unix.Gettid()))
	defer l.tid.Store(0)
	err := l.pinThread()
	errs <- err
	if err != nil {
		l.shutdown()
		return
	}
	l.run()
}

// pinThread pins the calling thread to l.pin, if set.
func (l *Loop) pinThread() error {
	if l.pin < 0 {
		return nil
	}
	var set unix.CPUSet
	set.Set(l.pin)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return errors.New("eventloop: pin loop " + strconv.Itoa(l.id) + " to CPU " + strconv.Itoa(l.pin) + ": " + err.Error())
	}
	return nil
}

// Stop closes every listener and Conn (each gets OnClose with ErrClosed)
// and ends the loops; tasks already queued run, later Executes return
// ErrClosed. It returns when all loops have exited, except when called from
// a loop, where it only asks them to stop. Idempotent.
func (g *Group) Stop() {
	g.mu.Lock()
	again, started := g.stopped, g.started
	g.stopped = true
	g.mu.Unlock()
	if again {
		if started && g.currentLoop() == nil {
			g.wg.Wait()
		}
		return
	}
	if !started {
		for _, l := range g.loops {
			l.shutdown()
		}
		return
	}
	for _, l := range g.loops {
		l.stopReq.Store(true)
		l.wake()
	}
	if g.currentLoop() == nil {
		g.wg.Wait()
	}
}
