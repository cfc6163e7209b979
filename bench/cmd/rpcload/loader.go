package main

// One loader is one goroutine locked to its thread with its own epoll and
// its share of the connections: it writes requests, reads responses,
// matches each to its request by id and records the latency.

import (
	"errors"
	"time"

	"github.com/velox-proxy/velox/rpcx"
	"golang.org/x/sys/unix"
)

// pending is a request sent and not yet answered: its id and when it was
// (meant to be) sent, in nanoseconds since the loader's start.
type pending struct {
	id uint64
	at int64
}

type conn struct {
	fd        int
	index     int32 // in loader.conns: the epoll event's key
	connected bool
	in        []byte // the start of a frame not read whole yet
	out       []byte // bytes not written yet
	wantOut   bool   // EPOLLOUT is asked for
	pend      []pending
}

// Counts are the errors a run met, by kind.
type Counts struct {
	BadStatus  int64 `json:"bad_status"`  // responses whose status is not OK
	UnknownID  int64 `json:"unknown_id"`  // responses to no request outstanding on their connection
	BadFrames  int64 `json:"bad_frames"`  // bytes that are no frame, or frames that are no response
	ConnErrors int64 `json:"conn_errors"` // connections that failed or closed
	Unanswered int64 `json:"unanswered"`  // open loop: requests of the window not answered at its end
	// Statuses counts the BadStatus responses by their native status
	// (Dubbo status byte, Bolt respstatus).
	Statuses map[uint16]int64 `json:"statuses,omitempty"`
}

func (c *Counts) add(o Counts) {
	c.BadStatus += o.BadStatus
	c.UnknownID += o.UnknownID
	c.BadFrames += o.BadFrames
	c.ConnErrors += o.ConnErrors
	c.Unanswered += o.Unanswered
	for st, n := range o.Statuses {
		if c.Statuses == nil {
			c.Statuses = map[uint16]int64{}
		}
		c.Statuses[st] += n
	}
}

func (c Counts) total() int64 {
	return c.BadStatus + c.UnknownID + c.BadFrames + c.ConnErrors + c.Unanswered
}

// plan is what every loader of a run does.
type plan struct {
	proto   rpcx.Protocol
	frame   []byte  // the request, id 0
	depth   int     // closed loop: requests outstanding per connection
	rate    float64 // open loop: requests per second of this loader (0 = closed loop)
	warmup  time.Duration
	dur     time.Duration
	firstID uint64
	idStep  uint64 // ids are firstID, firstID+idStep, ...: unique across loaders
}

type loader struct {
	plan
	ep     int
	conns  []*conn
	buf    []byte
	start  time.Time
	nextID uint64
	hist   histogram
	counts Counts
	alive  int
	// Measured: the window is [from, end) in ns since start.
	from, end int64
	answered  int64 // responses received in the window (closed loop) or to requests of it (open loop)
	sent      int64 // requests sent in the window
	rr        int   // open loop: the next connection to send on
	inflight  int   // requests outstanding on all connections
	dirty     []*conn
}

var errNoConn = errors.New("no connection could be set up")

// dialAll opens n non-blocking connections to sa and waits until each is
// connected or failed, at most timeout.
func (l *loader) dialAll(sa unix.Sockaddr, n int, timeout time.Duration) error {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return err
	}
	l.ep = ep
	for i := range n {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		if err := unix.Connect(fd, sa); err != nil && err != unix.EINPROGRESS {
			unix.Close(fd)
			return err
		}
		ev := unix.EpollEvent{Events: unix.EPOLLOUT, Fd: int32(i)}
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			unix.Close(fd)
			return err
		}
		l.conns = append(l.conns, &conn{fd: fd, index: int32(i)})
	}
	events := make([]unix.EpollEvent, 256)
	waiting := n
	deadline := time.Now().Add(timeout)
	for waiting > 0 && time.Now().Before(deadline) {
		k, err := unix.EpollWait(ep, events, 50)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		for _, ev := range events[:k] {
			c := l.conns[ev.Fd]
			if c.connected || c.fd < 0 {
				continue
			}
			waiting--
			if e, _ := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR); e != 0 {
				l.fail(c)
				continue
			}
			c.connected = true
			l.alive++
			mod := unix.EpollEvent{Events: unix.EPOLLIN, Fd: c.index}
			unix.EpollCtl(ep, unix.EPOLL_CTL_MOD, c.fd, &mod)
		}
	}
	for _, c := range l.conns {
		if !c.connected && c.fd >= 0 {
			l.fail(c)
		}
	}
	if l.alive == 0 {
		return errNoConn
	}
	return nil
}

func (l *loader) close() {
	for _, c := range l.conns {
		if c.fd >= 0 {
			unix.Close(c.fd)
			c.fd = -1
		}
	}
	unix.Close(l.ep)
}

func (l *loader) now() int64 { return int64(time.Since(l.start)) }

// run drives the connections through the warm-up and the measured window
// (and, open loop, a drain of up to drain after it).
func (l *loader) run(drain time.Duration) {
	l.buf = make([]byte, 256<<10)
	l.nextID = l.firstID
	l.start = time.Now()
	l.from, l.end = int64(l.warmup), int64(l.warmup+l.dur)
	if l.rate == 0 {
		for _, c := range l.conns {
			for range l.depth {
				l.send(c, 0)
			}
		}
		l.flushDirty()
	}
	events := make([]unix.EpollEvent, 512)
	interval := int64(0)
	next := int64(0)
	if l.rate > 0 {
		interval = int64(float64(time.Second) / l.rate)
	}
	stop := l.end
	if l.rate > 0 {
		stop += int64(drain)
	}
	for l.alive > 0 {
		now := l.now()
		if now >= stop || now >= l.end && l.rate > 0 && l.outstanding() == 0 {
			break
		}
		wait := 10
		if l.rate > 0 && now < l.end {
			for next <= now && next < l.end {
				l.sendNext(next)
				next += interval
			}
			l.flushDirty()
			ms := int64(time.Millisecond)
			wait = int(max(0, (next-l.now()+ms-1)/ms))
		}
		n, err := unix.EpollWait(l.ep, events, wait)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			l.counts.ConnErrors++
			return
		}
		for _, ev := range events[:n] {
			l.event(l.conns[ev.Fd], ev.Events)
		}
		l.flushDirty()
	}
	if l.rate > 0 {
		for _, c := range l.conns {
			for _, p := range c.pend {
				if p.at >= l.from && p.at < l.end {
					l.counts.Unanswered++
				}
			}
		}
	}
}

func (l *loader) outstanding() int { return l.inflight }

// sendNext sends the open loop's request meant for time at on the next
// live connection.
func (l *loader) sendNext(at int64) {
	for range l.conns {
		c := l.conns[l.rr]
		l.rr = (l.rr + 1) % len(l.conns)
		if c.fd >= 0 && c.connected {
			l.send(c, at)
			if at >= l.from {
				l.sent++
			}
			return
		}
	}
}

// send queues a request on c with a fresh id, sent (or meant to be) at at.
func (l *loader) send(c *conn, at int64) {
	id := l.nextID & l.proto.MaxID()
	if id == 0 {
		id = 1
	}
	l.nextID += l.idStep
	n := len(c.out)
	c.out = append(c.out, l.frame...)
	l.proto.SetID(c.out[n:], id)
	c.pend = append(c.pend, pending{id: id, at: at})
	l.inflight++
	if n == 0 && !c.wantOut {
		l.dirty = append(l.dirty, c)
	}
}

func (l *loader) flushDirty() {
	for _, c := range l.dirty {
		l.flush(c)
	}
	l.dirty = l.dirty[:0]
}

// flush writes what c has queued; what the socket does not take waits for
// EPOLLOUT.
func (l *loader) flush(c *conn) {
	if c.fd < 0 || len(c.out) == 0 {
		return
	}
	n, err := unix.Write(c.fd, c.out)
	if err != nil && err != unix.EAGAIN {
		l.fail(c)
		return
	}
	n = max(n, 0)
	rest := copy(c.out, c.out[n:])
	c.out = c.out[:rest]
	if want := rest > 0; want != c.wantOut {
		c.wantOut = want
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: c.index}
		if want {
			ev.Events |= unix.EPOLLOUT
		}
		unix.EpollCtl(l.ep, unix.EPOLL_CTL_MOD, c.fd, &ev)
	}
}

func (l *loader) event(c *conn, events uint32) {
	if c.fd < 0 {
		return
	}
	if events&unix.EPOLLOUT != 0 {
		l.flush(c)
		if c.fd < 0 {
			return
		}
	}
	if events&(unix.EPOLLIN|unix.EPOLLERR|unix.EPOLLHUP) == 0 {
		return
	}
	for c.fd >= 0 {
		n, err := unix.Read(c.fd, l.buf)
		if err == unix.EAGAIN {
			return
		}
		if err != nil || n == 0 {
			l.fail(c)
			return
		}
		l.consume(c, l.buf[:n])
		if n < len(l.buf) {
			return
		}
	}
}

// consume decodes the responses in b (after what c kept of a frame).
func (l *loader) consume(c *conn, b []byte) {
	if len(c.in) > 0 {
		c.in = append(c.in, b...)
		b = c.in
	}
	var f rpcx.Frame
	for len(b) > 0 {
		n, err := l.proto.Decode(b, &f)
		if err == rpcx.ErrNeedMore {
			break
		}
		if err != nil {
			l.counts.BadFrames++
			l.fail(c)
			return
		}
		l.answer(c, &f)
		b = b[n:]
	}
	if len(b) == 0 {
		c.in = c.in[:0]
		return
	}
	if len(c.in) > 0 && &b[0] == &c.in[0] {
		return
	}
	c.in = append(c.in[:0], b...) // b may be c.in's own tail: copy moves it down
}

// answer matches response f to its request on c.
func (l *loader) answer(c *conn, f *rpcx.Frame) {
	if f.Kind != rpcx.KindResponse {
		l.counts.BadFrames++
		return
	}
	i := 0
	for i < len(c.pend) && c.pend[i].id != f.ID {
		i++
	}
	if i == len(c.pend) {
		l.counts.UnknownID++
		return
	}
	p := c.pend[i]
	c.pend = append(c.pend[:i], c.pend[i+1:]...)
	l.inflight--
	now := l.now()
	if !f.OK {
		l.counts.BadStatus++
		if l.counts.Statuses == nil {
			l.counts.Statuses = map[uint16]int64{}
		}
		l.counts.Statuses[f.Status]++
	}
	if l.rate > 0 {
		if p.at >= l.from && p.at < l.end && f.OK {
			l.answered++
			l.hist.add((now - p.at) / int64(time.Microsecond))
		}
		return
	}
	if now >= l.from && now < l.end && f.OK {
		l.answered++
		l.hist.add((now - p.at) / int64(time.Microsecond))
	}
	if now < l.end {
		l.send(c, now)
		if now >= l.from {
			l.sent++
		}
	}
}

func (l *loader) fail(c *conn) {
	if c.connected {
		l.alive--
	}
	l.counts.ConnErrors++
	unix.EpollCtl(l.ep, unix.EPOLL_CTL_DEL, c.fd, nil)
	unix.Close(c.fd)
	c.fd = -1
	l.inflight -= len(c.pend)
	c.pend = c.pend[:0]
}
