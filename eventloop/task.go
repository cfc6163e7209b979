package eventloop

import "golang.org/x/sys/unix"

// wakeValue is what Execute and Stop add to a loop's eventfd counter.
var wakeValue = [8]byte{1}

// Execute runs f on the loop. Safe from any goroutine; f runs in FIFO order
// with other tasks, on a later iteration of the loop (never inside Execute,
// even when called from the loop itself). Returns ErrClosed if the loop has
// stopped.
func (l *Loop) Execute(f func()) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.tasks = append(l.tasks, f)
	if !l.notified {
		l.notified = true
		l.wakeLocked()
	}
	return nil
}

// wakeLocked makes epoll_wait return. l.mu is held so that the eventfd is not
// closed under it.
func (l *Loop) wakeLocked() {
	unix.Write(l.efd, wakeValue[:])
}

// wake makes epoll_wait return, from any goroutine.
func (l *Loop) wake() {
	l.mu.Lock()
	if !l.closed {
		l.wakeLocked()
	}
	l.mu.Unlock()
}

// runTasks runs the tasks queued so far. The queue is swapped with the
// loop's spare slice so that Execute keeps appending without allocating.
func (l *Loop) runTasks() {
	l.mu.Lock()
	tasks := l.tasks
	l.tasks = l.runq[:0]
	l.notified = false
	l.mu.Unlock()
	for i, f := range tasks {
		tasks[i] = nil
		l.stats.Tasks++
		f()
	}
	l.runq = tasks[:0]
}
