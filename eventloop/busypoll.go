package eventloop

import "golang.org/x/sys/unix"

// Busy polling. A loop that goes to sleep in epoll_wait has to be woken by
// whoever sends it the next byte: that sender's kernel path then runs the
// scheduler's wake-up (and, across CPUs, an inter-processor interrupt, dear
// on a VM), and the loop pays a context switch to come back. Under load the
// next event is usually a few microseconds away, so a loop with
// Config.BusyPoll > 0 first spins on a non-blocking epoll_pwait for up to that
// long, and only then sleeps. Profiles of the benchmark origin showed the
// wake-up path as 6–7% of its CPU with a sleeping proxy and 3% with a
// spinning one (bench/README.md).
//
// The spin is adaptive, so that an idle or lightly loaded loop does not burn
// its CPU: the loop spins only while busy, which it judges by its last sleep.
// A sleep shorter than BusyPoll means a spin would have caught that event,
// so the next wait spins; a longer sleep switches spinning off until a short
// one comes again. At a steady rate the spin therefore costs at most one
// BusyPoll per wake-up and only while wake-ups come less than 2×BusyPoll
// apart; a spin never runs past the next timer.

// busyPoll spins for events until cfg.BusyPoll has passed or a timer is due.
// It returns what epoll_pwait found, or (0, nil) when nothing came and the
// loop should sleep.
func (l *Loop) busyPoll() (int, error) {
	now := monotonic()
	end := now + int64(l.cfg.BusyPoll)
	if len(l.timers) > 0 && l.timers[0].when < end {
		end = l.timers[0].when
	}
	for now < end {
		n, err := epollPoll(l.epfd, l.events)
		if n != 0 || (err != nil && err != unix.EINTR) {
			l.stats.BusyPollHits++
			return n, err
		}
		now = monotonic()
	}
	l.stats.BusyPollMisses++
	return 0, nil
}

// sleep yields (yield.go), then blocks in epoll_wait for up to timeout ms
// (-1 = no limit), through the scheduler, and decides from how long it slept
// whether the next wait spins first. A sleep cut short by a signal (EINTR)
// decides nothing.
func (l *Loop) sleep(timeout int) (int, error) {
	yieldBeforeSleep()
	if l.cfg.BusyPoll <= 0 {
		return unix.EpollWait(l.epfd, l.events, timeout)
	}
	start := monotonic()
	n, err := unix.EpollWait(l.epfd, l.events, timeout)
	if err == nil {
		l.busy = monotonic()-start < int64(l.cfg.BusyPoll)
	}
	return n, err
}
