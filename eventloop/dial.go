package eventloop

import (
	"time"

	"golang.org/x/sys/unix"
)

// Dial starts a non-blocking TCP connect to sa (*unix.SockaddrInet4 or
// *unix.SockaddrInet6). The Conn belongs to l. Loop only. A zero timeout
// means no timeout.
//
// Dial returns (nil, err) only when no socket could be made (or ErrClosed
// when l is stopping). Every connect outcome is reported later, from the
// loop, never from inside Dial: OnOpen when the connect succeeds; OnClose
// with the error when it fails, even when connect(2) fails at once (e.g.
// ECONNREFUSED on loopback, reported at the end of the current iteration);
// OnClose with ErrConnectTimeout when timeout passes first. Write before
// OnOpen queues the bytes; they are sent once connected.
func (l *Loop) Dial(sa unix.Sockaddr, timeout time.Duration, h Handler) (*Conn, error) {
	l.assertOwner()
	if l.stopping {
		return nil, ErrClosed
	}
	fd, err := unix.Socket(sockaddrFamily(sa), unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	l.stats.Dials++
	c := newConn(l, fd, addrPortOf(sa))
	c.dial = &dialState{to: ownSockaddr(sa)}
	c.h = h
	c.connecting = true
	if err := c.startConnect(timeout); err != nil {
		c.fail(err)
	}
	return c, nil
}

// ownSockaddr copies sa for one connect. unix.Connect caches the raw form
// inside the struct it is given, so a sockaddr shared by several loops (a
// backend's) must never be passed to it; the copy reads only the exported
// fields, which nothing writes.
func ownSockaddr(sa unix.Sockaddr) unix.Sockaddr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return &unix.SockaddrInet4{Port: sa.Port, Addr: sa.Addr}
	case *unix.SockaddrInet6:
		return &unix.SockaddrInet6{Port: sa.Port, ZoneId: sa.ZoneId, Addr: sa.Addr}
	}
	return sa
}

// startConnect issues connect(2) and waits for EPOLLOUT. A connect that
// succeeds at once is also confirmed through EPOLLOUT, so OnOpen always runs
// from the loop.
func (c *Conn) startConnect(timeout time.Duration) error {
	switch err := unix.Connect(c.fd, c.dial.to); err {
	case nil, unix.EINPROGRESS, unix.EINTR:
	default:
		return err
	}
	if err := c.register(); err != nil {
		return err
	}
	if timeout > 0 {
		c.dial.timer.Init(c.l, c.onConnectTimeout)
		c.dial.timer.Reset(timeout)
	}
	return nil
}

func (c *Conn) onConnectTimeout() {
	if c.connecting {
		c.closeWith(ErrConnectTimeout)
	}
}

// onConnect handles the event that ends a connect: SO_ERROR says how.
func (c *Conn) onConnect() {
	if err := socketError(c.fd, nil); err != nil {
		c.closeWith(err)
		return
	}
	c.connecting = false
	c.dial.timer.Stop()
	c.dial = nil
	c.updateEvents()
	if c.closed || c.failErr != nil {
		return
	}
	c.h.OnOpen(c)
	if c.closed || c.out.n > 0 {
		return
	}
	switch {
	case c.closeAtEnd:
		c.closeWith(nil)
	case c.shutWr && !c.wrDone:
		c.shutdownWrite()
	}
}

// sockaddrFamily is the address family of sa.
func sockaddrFamily(sa unix.Sockaddr) int {
	switch sa.(type) {
	case *unix.SockaddrInet6:
		return unix.AF_INET6
	case *unix.SockaddrUnix:
		return unix.AF_UNIX
	}
	return unix.AF_INET
}
