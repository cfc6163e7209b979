// Command echoload drives the echo workload of the engine yardstick: C
// connections, each sending a SIZE-byte message and waiting for all of it to
// come back before sending the next (ping-pong). It is a single-threaded epoll
// client, so that on one core it is not the bottleneck a goroutine-per-
// connection client would be.
//
//	echoload -addr 127.0.0.1:9000 -c 64 -size 64 -d 10s -warmup 1s
//
// It prints one JSON object: messages, seconds, rate (messages/s), p50_us,
// p99_us, errors.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// Result is what echoload prints.
type Result struct {
	Messages int64   `json:"messages"`
	Seconds  float64 `json:"seconds"`
	Rate     float64 `json:"rate"`
	P50us    float64 `json:"p50_us"`
	P99us    float64 `json:"p99_us"`
	Errors   int64   `json:"errors"`
}

type conn struct {
	fd        int
	index     int32 // in loader.conns, the epoll event's key
	connected bool
	got       int
	sent      time.Duration // since start
}

// histogram counts latencies in 1 µs buckets up to 100 ms.
type histogram struct {
	buckets [100001]int64
	n       int64
}

func (h *histogram) add(d time.Duration) {
	us := int64(d / time.Microsecond)
	if us >= int64(len(h.buckets)) {
		us = int64(len(h.buckets)) - 1
	}
	h.buckets[us]++
	h.n++
}

func (h *histogram) percentile(p float64) float64 {
	if h.n == 0 {
		return 0
	}
	rank := int64(p / 100 * float64(h.n))
	var seen int64
	for us, c := range h.buckets {
		seen += c
		if seen > rank {
			return float64(us)
		}
	}
	return float64(len(h.buckets) - 1)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "server address (IPv4)")
	nconns := flag.Int("c", 64, "connections")
	size := flag.Int("size", 64, "message size in bytes")
	dur := flag.Duration("d", 10*time.Second, "measured duration")
	warmup := flag.Duration("warmup", time.Second, "unmeasured duration before it")
	flag.Parse()
	res, err := run(*addr, *nconns, *size, *warmup, *dur)
	if err != nil {
		fmt.Fprintln(os.Stderr, "echoload:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(res)
}

func run(addr string, nconns, size int, warmup, dur time.Duration) (*Result, error) {
	runtime.LockOSThread()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		return nil, fmt.Errorf("bad IPv4 address %q", addr)
	}
	sa := &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	defer unix.Close(ep)
	conns := make([]*conn, nconns)
	for i := range conns {
		c, err := dial(ep, sa, i)
		if err != nil {
			return nil, err
		}
		conns[i] = c
	}
	defer func() {
		for _, c := range conns {
			if c != nil && c.fd >= 0 {
				unix.Close(c.fd)
			}
		}
	}()
	l := &loader{ep: ep, conns: conns, msg: make([]byte, size), buf: make([]byte, 64<<10), start: time.Now()}
	for i := range l.msg {
		l.msg[i] = byte('a' + i%26)
	}
	l.loop(warmup, dur)
	if l.alive == 0 && l.hist.n == 0 {
		return nil, fmt.Errorf("no connection worked (%d errors)", l.errors)
	}
	secs := dur.Seconds()
	return &Result{
		Messages: l.hist.n,
		Seconds:  secs,
		Rate:     float64(l.hist.n) / secs,
		P50us:    l.hist.percentile(50),
		P99us:    l.hist.percentile(99),
		Errors:   l.errors,
	}, nil
}

func dial(ep int, sa unix.Sockaddr, i int) (*conn, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if err := unix.Connect(fd, sa); err != nil && err != unix.EINPROGRESS {
		unix.Close(fd)
		return nil, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT, Fd: int32(i)}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &conn{fd: fd, index: int32(i)}, nil
}

type loader struct {
	ep     int
	conns  []*conn
	msg    []byte
	buf    []byte
	start  time.Time
	hist   histogram
	errors int64
	alive  int
	record bool
}

func (l *loader) loop(warmup, dur time.Duration) {
	events := make([]unix.EpollEvent, 256)
	l.alive = len(l.conns)
	measureFrom, end := warmup, warmup+dur
	for l.alive > 0 {
		now := time.Since(l.start)
		if now >= end {
			return
		}
		l.record = now >= measureFrom
		n, err := unix.EpollWait(l.ep, events, 50)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			l.errors++
			return
		}
		for _, ev := range events[:n] {
			l.event(l.conns[ev.Fd], ev.Events)
		}
	}
}

func (l *loader) event(c *conn, events uint32) {
	if c.fd < 0 {
		return
	}
	if !c.connected {
		if events&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) == 0 {
			return
		}
		if e, _ := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR); e != 0 {
			l.fail(c)
			return
		}
		c.connected = true
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: c.index}
		unix.EpollCtl(l.ep, unix.EPOLL_CTL_MOD, c.fd, &ev)
		l.send(c)
		return
	}
	for {
		n, err := unix.Read(c.fd, l.buf)
		if err == unix.EAGAIN {
			return
		}
		if err != nil || n == 0 {
			l.fail(c)
			return
		}
		c.got += n
		if c.got >= len(l.msg) {
			c.got -= len(l.msg)
			if l.record {
				l.hist.add(time.Since(l.start) - c.sent)
			}
			l.send(c)
		}
	}
}

func (l *loader) send(c *conn) {
	c.sent = time.Since(l.start)
	if n, err := unix.Write(c.fd, l.msg); err != nil || n != len(l.msg) {
		l.fail(c)
	}
}

func (l *loader) fail(c *conn) {
	l.errors++
	l.alive--
	unix.EpollCtl(l.ep, unix.EPOLL_CTL_DEL, c.fd, nil)
	unix.Close(c.fd)
	c.fd = -1
}
