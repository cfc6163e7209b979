package eventloop

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SetRemoteAddr makes a the peer's address for RemoteAddr and RemoteIP
// from now on: for a connection from a proxy that named the real client
// (a PROXY protocol header). The socket is not touched.
func (c *Conn) SetRemoteAddr(a netip.AddrPort) { c.peer = a }

// LocalAddr is the socket's own address (getsockname: a system call, for
// what is not on a hot path, such as a PROXY protocol header to send).
func (c *Conn) LocalAddr() netip.AddrPort {
	sa, err := unix.Getsockname(c.fd)
	if err != nil {
		return netip.AddrPort{}
	}
	return addrPortOf(sa)
}

// RemoteIP appends the peer's IP in text form to dst (for X-Forwarded-For)
// without allocating when dst has room. An IPv4-mapped IPv6 peer is written
// as IPv4; an IPv6 zone is left out.
func (c *Conn) RemoteIP(dst []byte) []byte {
	if !c.peer.IsValid() {
		return dst
	}
	return c.peer.Addr().Unmap().WithZone("").AppendTo(dst)
}

// addrPortOf converts a sockaddr given to Dial into the peer address.
func addrPortOf(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// rawAddrPort reads the peer address accept4 wrote, without allocating.
func rawAddrPort(rsa *unix.RawSockaddrAny) netip.AddrPort {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		p := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom4(p.Addr), ntohs(p.Port))
	case unix.AF_INET6:
		p := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		return netip.AddrPortFrom(netip.AddrFrom16(p.Addr), ntohs(p.Port))
	}
	return netip.AddrPort{}
}

// ntohs turns a port as the kernel stores it (network order) into a number.
func ntohs(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}
