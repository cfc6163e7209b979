package eventloop

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// acceptBackoff is how long a listener stops accepting after running out
// of file descriptors (EMFILE, ENFILE) or memory, instead of spinning.
const acceptBackoff = 100 * time.Millisecond

// listener is one loop's SO_REUSEPORT socket.
type listener struct {
	// Immutable:
	l  *Loop
	fd int
	a  Acceptor

	// Owned by the loop:
	resume Timer               // re-arms accepting after a backoff
	rsa    unix.RawSockaddrAny // accept4 writes the peer here
}

// parseListenAddr turns "host:port" into a sockaddr. host is an IP literal,
// "localhost" (127.0.0.1) or empty (all IPv4 addresses); no DNS lookup.
func parseListenAddr(addr string) (unix.Sockaddr, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, errors.New("eventloop: bad port in " + addr)
	}
	switch host {
	case "", "0.0.0.0":
		return &unix.SockaddrInet4{Port: int(port)}, nil
	case "localhost":
		host = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return nil, errors.New("eventloop: listen host must be an IP literal or localhost: " + addr)
	}
	if ip.Is4() {
		return &unix.SockaddrInet4{Port: int(port), Addr: ip.As4()}, nil
	}
	return &unix.SockaddrInet6{Port: int(port), Addr: ip.As16()}, nil
}

// listenSocket makes a non-blocking SO_REUSEPORT socket listening on sa.
func listenSocket(sa unix.Sockaddr, backlog int) (int, error) {
	fd, err := unix.Socket(sockaddrFamily(sa), unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := setupListen(fd, sa, backlog); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func setupListen(fd int, sa unix.Sockaddr, backlog int) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		return err
	}
	if _, ok := sa.(*unix.SockaddrInet6); ok {
		unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
	}
	if err := unix.Bind(fd, sa); err != nil {
		return err
	}
	return unix.Listen(fd, backlog)
}

// boundPort reads back the port the kernel gave fd.
func boundPort(fd int) (int, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, err
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return a.Port, nil
	case *unix.SockaddrInet6:
		return a.Port, nil
	}
	return 0, errors.New("eventloop: unexpected socket family")
}

// setPort sets the port of an IPv4 or IPv6 sockaddr.
func setPort(sa unix.Sockaddr, port int) {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		a.Port = port
	case *unix.SockaddrInet6:
		a.Port = port
	}
}

// addListener registers ln on its loop. Loop only (or before Start).
func (l *Loop) addListener(ln *listener) {
	if l.stopping {
		unix.Close(ln.fd)
		return
	}
	ln.resume.Init(l, ln.arm)
	l.listeners = append(l.listeners, ln)
	ln.arm()
}

// arm turns accepting on.
func (ln *listener) arm() { ln.ctl(unix.EPOLLIN) }

// ctl sets the listener's epoll interest, adding it on first use.
func (ln *listener) ctl(events uint32) {
	ev := unix.EpollEvent{Events: events, Fd: int32(ln.fd), Pad: tagListener}
	if unix.EpollCtl(ln.l.epfd, unix.EPOLL_CTL_MOD, ln.fd, &ev) == unix.ENOENT {
		unix.EpollCtl(ln.l.epfd, unix.EPOLL_CTL_ADD, ln.fd, &ev)
	}
}

// onListener accepts on the listener with that fd.
func (l *Loop) onListener(fd int) {
	for _, ln := range l.listeners {
		if ln.fd == fd {
			ln.acceptBatch()
			return
		}
	}
}

// acceptBatch accepts up to Config.AcceptBatch connections.
func (ln *listener) acceptBatch() {
	for i := 0; i < ln.l.cfg.AcceptBatch; i++ {
		fd, err := ln.accept()
		switch err {
		case nil:
			ln.open(fd, rawAddrPort(&ln.rsa))
		case unix.EINTR, unix.ECONNABORTED:
		case unix.EMFILE, unix.ENFILE, unix.ENOBUFS, unix.ENOMEM:
			ln.ctl(0)
			ln.resume.Reset(acceptBackoff)
			return
		default: // EAGAIN, or the listener is gone
			return
		}
	}
}

// accept is accept4(2) made raw (the listener is non-blocking) into ln.rsa,
// so that accepting allocates nothing.
func (ln *listener) accept() (int, error) {
	alen := uint32(unix.SizeofSockaddrAny)
	r, _, e := unix.RawSyscall6(unix.SYS_ACCEPT4, uintptr(ln.fd), uintptr(unsafe.Pointer(&ln.rsa)),
		uintptr(unsafe.Pointer(&alen)), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	return int(r), errnoOf(e)
}

// open sets up one accepted connection: Accept, then OnOpen.
func (ln *listener) open(fd int, peer netip.AddrPort) {
	l := ln.l
	l.stats.Accepts++
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	c := newConn(l, fd, peer)
	h := ln.a.Accept(c)
	if h == nil || c.closed {
		c.closeWith(nil)
		return
	}
	c.h = h
	if !c.registered {
		if err := c.register(); err != nil {
			c.closeWith(err)
			return
		}
	}
	h.OnOpen(c)
}

// closeListeners closes every listener of l. Loop only (or before Start).
func (l *Loop) closeListeners() {
	for _, ln := range l.listeners {
		ln.resume.Stop()
		unix.Close(ln.fd)
	}
	clear(l.listeners)
	l.listeners = l.listeners[:0]
}
