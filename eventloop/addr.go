package eventloop

import (
	"net/netip"

	"golang.org/x/sys/unix"
)

// RemoteIP appends the peer's IP in text form to dst (for X-Forwarded-For)
// without allocating when dst has room. An IPv4-mapped IPv6 peer is written
// as IPv4; an IPv6 zone is left out.
func (c *Conn) RemoteIP(dst []byte) []byte {
	switch sa := c.sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrFrom4(sa.Addr).AppendTo(dst)
	case *unix.SockaddrInet6:
		return netip.AddrFrom16(sa.Addr).Unmap().AppendTo(dst)
	}
	return dst
}
