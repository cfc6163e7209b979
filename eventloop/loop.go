package eventloop

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Epoll event data tags. A Conn's event carries its fd and its generation
// (always > 0) in Pad, so an event queued for a closed fd that was reused in
// the same batch is recognised as stale and dropped.
const (
	tagWake     = -1
	tagListener = -2
)

const maxEvents = 128

// Stats are a loop's counters, by stable snake_case name in the field tags.
type Stats struct {
	Wakeups  uint64 `metric:"eventloop_wakeups_total"`
	Reads    uint64 `metric:"eventloop_reads_total"`
	Writes   uint64 `metric:"eventloop_writes_total"`
	Accepts  uint64 `metric:"eventloop_accepts_total"`
	Dials    uint64 `metric:"eventloop_dials_total"`
	Tasks    uint64 `metric:"eventloop_tasks_total"`
	Timers   uint64 `metric:"eventloop_timers_fired_total"`
	ReadIn   uint64 `metric:"eventloop_read_bytes_total"`
	WriteOut uint64 `metric:"eventloop_written_bytes_total"`
	// Busy polling (Config.BusyPoll): spins that found events, and spins
	// that found nothing before their time ran out or a timer came due.
	BusyPollHits   uint64 `metric:"eventloop_busy_poll_hits_total"`
	BusyPollMisses uint64 `metric:"eventloop_busy_poll_misses_total"`
}

// Loop is one reactor: an epoll set, an eventfd for wake-ups, a task queue,
// a timer heap, a shared read buffer.
type Loop struct {
	// Immutable:
	id   int
	cfg  Config // with defaults applied
	epfd int
	efd  int // eventfd that Execute and Stop write to
	pin  int // CPU to pin to, or -1

	// Guarded by mu (the only state other goroutines touch):
	mu       sync.Mutex
	tasks    []func()
	notified bool // the eventfd has been written since the last drain
	closed   bool // Execute refuses work; the eventfd may be gone

	stopReq atomic.Bool
	nconns  atomic.Int64
	tid     atomic.Int32 // OS thread of the loop once it runs

	// Owned by the loop:
	now       int64 // cached monotonic clock, ns
	stopping  bool  // shutting down: Dial refuses, listeners gone
	buf       []byte
	events    []unix.EpollEvent
	conns     []*Conn // by fd
	gen       int32
	listeners []*listener
	timers    timerHeap
	timerSeq  uint64
	pending   []*Conn // conns with work to do at the end of the iteration
	spare     []*Conn
	flushHead *Conn // conns with gathered output, linked by flushNext (gather.go)
	flushTail *Conn
	runq      []func()
	iov       []unix.Iovec
	wakeBuf   [8]byte
	busy      bool // the last sleep was short: spin before the next one
	stats     Stats
}

var clockOrigin = time.Now()

func monotonic() int64 { return int64(time.Since(clockOrigin)) }

func newLoop(g *Group, id int) (*Loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	l := &Loop{id: id, cfg: g.cfg, epfd: epfd, efd: efd, pin: -1}
	if len(g.cfg.PinCPUs) > 0 {
		l.pin = g.cfg.PinCPUs[id%len(g.cfg.PinCPUs)]
	}
	l.buf = make([]byte, g.cfg.ReadBuffer)
	l.events = make([]unix.EpollEvent, maxEvents)
	l.iov = make([]unix.Iovec, 0, maxIovecs)
	l.now = monotonic()
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(efd), Pad: tagWake}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, efd, &ev); err != nil {
		unix.Close(efd)
		unix.Close(epfd)
		return nil, err
	}
	return l, nil
}

// ID is the loop's index in its Group, from 0.
func (l *Loop) ID() int { return l.id }

// Now is the loop's cached monotonic clock, refreshed once per wake-up
// (nanoseconds since an arbitrary origin). Loop only.
func (l *Loop) Now() int64 { return l.now }

// Conns returns the number of open Conns on the loop (accepted and dialled,
// connecting ones included). Safe from any goroutine.
func (l *Loop) Conns() int { return int(l.nconns.Load()) }

// Stats returns the loop's counters. Loop only: from another goroutine, read
// them inside Execute.
func (l *Loop) Stats() Stats {
	l.assertOwner()
	return l.stats
}

// run is the loop goroutine's body after setup: poll, dispatch, tasks,
// timers, pending work, gathered output, until Stop.
func (l *Loop) run() {
	for !l.stopReq.Load() {
		l.poll()
	}
	l.shutdown()
}

// poll is one iteration of the loop.
func (l *Loop) poll() {
	n, err := l.wait()
	if err != nil && err != unix.EINTR {
		panic("eventloop: epoll_wait: " + err.Error())
	}
	l.now = monotonic()
	l.stats.Wakeups++
	for i := 0; i < n; i++ {
		l.dispatch(&l.events[i])
	}
	l.runTasks()
	l.runTimers()
	l.runPending()
	l.runFlushes()
}

// wait returns ready events. A busy loop finds them with a non-blocking raw
// epoll_pwait and never leaves the scheduler's view of a running goroutine;
// when nothing is ready it may spin a little (busypoll.go), then it yields
// its P to any ready goroutine (yield.go) and blocks, through the scheduler,
// so that sysmon and the garbage collector can work while the loop sleeps.
func (l *Loop) wait() (int, error) {
	n, err := epollPoll(l.epfd, l.events)
	if n != 0 || (err != nil && err != unix.EINTR) {
		return n, err
	}
	timeout := l.pollTimeout()
	if timeout == 0 {
		return 0, nil
	}
	if l.busy && l.cfg.BusyPoll > 0 {
		if n, err := l.busyPoll(); n != 0 || err != nil {
			return n, err
		}
		if timeout = l.pollTimeout(); timeout == 0 {
			return 0, nil // a timer came due during the spin
		}
	}
	return l.sleep(timeout)
}

// pollTimeout is 0 when work or a flush is pending, else the time to the nearest
// timer in ms (rounded up), else -1.
func (l *Loop) pollTimeout() int {
	if len(l.pending) > 0 || l.flushHead != nil {
		return 0
	}
	if len(l.timers) == 0 {
		return -1
	}
	d := l.timers[0].when - monotonic()
	if d <= 0 {
		return 0
	}
	ms := (d + int64(time.Millisecond) - 1) / int64(time.Millisecond)
	if ms > 1<<30 {
		ms = 1 << 30
	}
	return int(ms)
}

// dispatch routes one epoll event by its tag.
func (l *Loop) dispatch(ev *unix.EpollEvent) {
	switch ev.Pad {
	case tagWake:
		unix.Read(l.efd, l.wakeBuf[:])
	case tagListener:
		l.onListener(int(ev.Fd))
	default:
		fd := int(ev.Fd)
		if fd < len(l.conns) {
			if c := l.conns[fd]; c != nil && c.gen == ev.Pad {
				c.onEvent(ev.Events)
			}
		}
	}
}

// addPending queues c for runPending at the end of this iteration.
func (l *Loop) addPending(c *Conn) {
	if c.inPending {
		return
	}
	c.inPending = true
	l.pending = append(l.pending, c)
}

// runPending handles conns queued during this iteration: deferred closes
// (write errors, failed connects) and kept input to re-deliver after
// ResumeRead. Conns queued while it runs wait for the next iteration.
func (l *Loop) runPending() {
	list := l.pending
	l.pending = l.spare[:0]
	for _, c := range list {
		c.inPending = false
		c.runPending()
	}
	clear(list)
	l.spare = list[:0]
}

// addConn puts c into the fd table.
func (l *Loop) addConn(c *Conn) {
	if c.fd >= len(l.conns) {
		grown := make([]*Conn, max(2*len(l.conns), c.fd+1, 64))
		copy(grown, l.conns)
		l.conns = grown
	}
	l.gen++
	if l.gen <= 0 {
		l.gen = 1
	}
	c.gen = l.gen
	l.conns[c.fd] = c
	l.nconns.Add(1)
}

// removeConn takes c out of the fd table.
func (l *Loop) removeConn(c *Conn) {
	if c.fd < len(l.conns) && l.conns[c.fd] == c {
		l.conns[c.fd] = nil
	}
	l.nconns.Add(-1)
}

// shutdown runs once on the loop after Stop: listeners, Conns, tasks,
// timers, then the loop's own fds.
func (l *Loop) shutdown() {
	l.stopping = true
	l.closeListeners()
	for _, c := range l.conns {
		if c != nil {
			c.closeWith(ErrClosed)
		}
	}
	l.runTasks()
	l.mu.Lock()
	l.closed = true
	tasks := l.tasks
	l.tasks = nil
	l.mu.Unlock()
	for _, f := range tasks {
		f()
	}
	l.timers.clear()
	l.unlinkFlushes()
	unix.Close(l.efd)
	unix.Close(l.epfd)
}
