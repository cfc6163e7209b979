package eventloop

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Waiting without the scheduler. A loop that blocks in epoll_wait through
// the scheduler (entersyscall) pays for it on every sleep: the yield before
// it hands the loop's P to another thread and back (yield.go: two futex
// wake-ups and two context switches, as the goroutine is locked to its
// thread), and a sleep longer than a sysmon tick lets sysmon take the P
// back. Under load a loop sleeps thousands of times a second, each time for
// a few microseconds, so that is most of what its waiting costs.
//
// When the process has a P to spare (Start makes one, see reserveP) (GOMAXPROCS above the number of loops
// running), a loop first waits for up to rawWait with a raw epoll_pwait that
// the scheduler does not see: it keeps its P, nothing is handed over, and
// the goroutines that are not loops run on the spare P meanwhile. Only when
// that wait times out (the loop is idle) does it yield and sleep through the
// scheduler as before, so an idle loop gives its P back and sysmon can go to
// its long period. The garbage collector's stop-the-world still gets the
// loop promptly: its preemption signal ends the raw wait with EINTR, and
// the loop stops at its next function call. Without a spare P (loops =
// GOMAXPROCS) the raw wait is skipped: a goroutine woken by the network
// poller would wait for a P until the loop slept through the scheduler
// (bench/README.md, "How the yardstick got there").

// rawWait bounds a wait the scheduler does not see, in ms.
const rawWait = 1

// procsRefresh is how often a loop reads GOMAXPROCS again (it may change
// while the process runs).
const procsRefresh = int64(100 * time.Millisecond)

// runningLoops counts the loops of every Group in the process that are
// running (between the start and the end of Loop.main).
var runningLoops atomic.Int32

// spareP reports whether the process has a P that no loop holds.
func (l *Loop) spareP() bool {
	if l.procsAt == 0 || l.now-l.procsAt > procsRefresh {
		l.procsAt, l.procs = max(l.now, 1), runtime.GOMAXPROCS(0)
	}
	return int(runningLoops.Load()) < l.procs
}

// rawTimeout is the raw wait's timeout for a wait of timeout ms (-1 = no
// limit).
func rawTimeout(timeout int) int {
	if timeout < 0 || timeout > rawWait {
		return rawWait
	}
	return timeout
}

// epollWaitRaw blocks in epoll_pwait for up to timeout ms without telling
// the scheduler.
func epollWaitRaw(epfd int, events []unix.EpollEvent, timeout int) (int, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), uintptr(timeout), 0, 0)
	return int(r), errnoOf(e)
}

// spare is what reserveP did to GOMAXPROCS.
var spare struct {
	sync.Mutex
	from, to int // GOMAXPROCS before and after the last raise; 0 = none
}

// reserveP raises GOMAXPROCS, if need be, so that a P is left over when
// loops more loops run: to one more than the loops running, but never
// above one more than the CPUs the process may use (runtime.NumCPU), so
// that many Groups in one process (tests) do not keep raising it. It never
// lowers GOMAXPROCS.
func reserveP(loops int) {
	spare.Lock()
	defer spare.Unlock()
	want := min(int(runningLoops.Load())+loops, runtime.NumCPU()) + 1
	if now := runtime.GOMAXPROCS(0); now < want {
		runtime.GOMAXPROCS(want)
		if spare.to != now { // else keep the first value: it was ours
			spare.from = now
		}
		spare.to = want
	}
}

// defaultLoops is Config.Loops' default: GOMAXPROCS, as it was before
// reserveP raised it.
func defaultLoops() int {
	spare.Lock()
	defer spare.Unlock()
	n := runtime.GOMAXPROCS(0)
	if spare.to == n && spare.from > 0 {
		n = spare.from
	}
	return n
}
