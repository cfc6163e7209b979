// Package proxyproto reads and writes the PROXY protocol header (HAProxy's
// PROXY protocol, versions 1 and 2: www.haproxy.org/download/2.9/doc/proxy-protocol.txt),
// the line or block a load balancer in front of velox sends first on a
// connection to say which client it carries, and the one velox sends to a
// backend to say the same.
//
// It follows the package conventions of h1 and h2 (codec's package
// comment): Parse reads from the start of the bytes the loop holds, says
// ErrNeedMore until the whole header is in, and bounds what it waits for
// (v1: 107 bytes, the protocol's own limit; v2: MaxV2 bytes).
//
//	v1:  "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n"   (TCP6, or UNKNOWN: no addresses)
//	v2:  \r\n\r\n\0\r\nQUIT\n | ver 2, cmd (LOCAL 0, PROXY 1) | family, transport | length (2) |
//	     addresses (IPv4 12 bytes, IPv6 36, unix 216) | TLVs (skipped)
//
// Imported by proxy (the listeners' proxy_protocol, the clusters'
// send_proxy_protocol). Read next: the tests, which check it against
// github.com/pires/go-proxyproto and a real HAProxy.
package proxyproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"strconv"

	"github.com/velox-proxy/velox/codec"
)

// Header is what a PROXY protocol header says about the connection.
type Header struct {
	Version int
	// Local: no client address to use, the connection's own is it: the
	// sender speaks for itself (v2 LOCAL, as a health check sends), or
	// names no IP (v1 UNKNOWN; v2 AF_UNSPEC or AF_UNIX, for which the
	// specification says to use the real connection endpoints).
	Local bool
	// Source is the client, Dest the address it connected to; zero when
	// Local.
	Source, Dest netip.AddrPort
}

// MaxV2 bounds a v2 header (16 bytes, addresses and TLVs) Parse accepts.
const MaxV2 = 16 + 216 + 2048

// maxV1 is the longest v1 line, CRLF included (the specification's 107).
const maxV1 = 107

// Errors of Parse. ErrNeedMore is codec.ErrNeedMore, as for the other
// incremental decoders. ErrNotProxy: the bytes begin with neither signature.
var (
	ErrNeedMore  = codec.ErrNeedMore
	ErrNotProxy  = errors.New("proxyproto: no PROXY protocol header")
	ErrMalformed = errors.New("proxyproto: malformed PROXY protocol header")
	ErrTooLarge  = errors.New("proxyproto: PROXY protocol v2 header longer than MaxV2")
)

var (
	sigV1 = []byte("PROXY ")
	sigV2 = []byte("\r\n\r\n\x00\r\nQUIT\n")
)

// Parse reads the header at the start of data and returns it with its
// length in bytes (what follows is the connection's own data).
func Parse(data []byte) (Header, int, error) {
	switch {
	case len(data) == 0:
		return Header{}, 0, ErrNeedMore
	case hasPrefixOrIs(data, sigV2):
		if len(data) < len(sigV2) {
			return Header{}, 0, ErrNeedMore
		}
		return parseV2(data)
	case hasPrefixOrIs(data, sigV1):
		if len(data) < len(sigV1) {
			return Header{}, 0, ErrNeedMore
		}
		return parseV1(data)
	}
	return Header{}, 0, ErrNotProxy
}

// hasPrefixOrIs reports whether data begins with sig, or is a prefix of it.
func hasPrefixOrIs(data, sig []byte) bool {
	n := min(len(data), len(sig))
	return bytes.Equal(data[:n], sig[:n])
}

func parseV1(data []byte) (Header, int, error) {
	end := bytes.Index(data[:min(len(data), maxV1)], []byte("\r\n"))
	if end < 0 {
		if len(data) >= maxV1 {
			return Header{}, 0, ErrMalformed
		}
		return Header{}, 0, ErrNeedMore
	}
	h := Header{Version: 1}
	f := bytes.Split(data[len(sigV1):end], []byte(" "))
	switch string(f[0]) {
	case "UNKNOWN": // whatever follows is ignored
		h.Local = true
		return h, end + 2, nil
	case "TCP4", "TCP6":
	default:
		return Header{}, 0, ErrMalformed
	}
	if len(f) != 5 {
		return Header{}, 0, ErrMalformed
	}
	src, err1 := v1Addr(f[1], f[3], string(f[0]))
	dst, err2 := v1Addr(f[2], f[4], string(f[0]))
	if err1 != nil || err2 != nil {
		return Header{}, 0, ErrMalformed
	}
	h.Source, h.Dest = src, dst
	return h, end + 2, nil
}

// v1Addr parses an address and port of a v1 line; the family must match.
func v1Addr(ip, port []byte, fam string) (netip.AddrPort, error) {
	a, err := netip.ParseAddr(string(ip))
	if err != nil || a.Zone() != "" || a.Is4() != (fam == "TCP4") {
		return netip.AddrPort{}, ErrMalformed
	}
	if len(port) == 0 || len(port) > 5 || (port[0] == '0' && len(port) > 1) {
		return netip.AddrPort{}, ErrMalformed
	}
	p, err := strconv.ParseUint(string(port), 10, 16)
	if err != nil {
		return netip.AddrPort{}, ErrMalformed
	}
	return netip.AddrPortFrom(a, uint16(p)), nil
}

const (
	v2Local, v2Proxy  = 0x20, 0x21 // version 2 and the command
	famInet, famInet6 = 0x1, 0x2
)

func parseV2(data []byte) (Header, int, error) {
	if len(data) < 16 {
		return Header{}, 0, ErrNeedMore
	}
	n := 16 + int(binary.BigEndian.Uint16(data[14:16]))
	if n > MaxV2 {
		return Header{}, 0, ErrTooLarge
	}
	cmd := data[12]
	if cmd != v2Local && cmd != v2Proxy {
		return Header{}, 0, ErrMalformed
	}
	if len(data) < n {
		return Header{}, 0, ErrNeedMore
	}
	h := Header{Version: 2, Local: cmd == v2Local}
	if h.Local {
		return h, n, nil // the addresses, if any, are to be ignored
	}
	body := data[16:n]
	switch data[13] >> 4 {
	case famInet:
		if len(body) < 12 {
			return Header{}, 0, ErrMalformed
		}
		h.Source = netip.AddrPortFrom(netip.AddrFrom4([4]byte(body[0:4])), binary.BigEndian.Uint16(body[8:10]))
		h.Dest = netip.AddrPortFrom(netip.AddrFrom4([4]byte(body[4:8])), binary.BigEndian.Uint16(body[10:12]))
	case famInet6:
		if len(body) < 36 {
			return Header{}, 0, ErrMalformed
		}
		h.Source = netip.AddrPortFrom(netip.AddrFrom16([16]byte(body[0:16])).Unmap(), binary.BigEndian.Uint16(body[32:34]))
		h.Dest = netip.AddrPortFrom(netip.AddrFrom16([16]byte(body[16:32])).Unmap(), binary.BigEndian.Uint16(body[34:36]))
	default: // AF_UNSPEC, AF_UNIX: a proxied connection with no IP to tell
		h.Local = true
	}
	return h, n, nil
}

// AppendV1 appends a v1 line for a connection from src to dst (UNKNOWN
// when either is not a valid address, or their families differ).
func AppendV1(b []byte, src, dst netip.AddrPort) []byte {
	s, d := src.Addr().Unmap(), dst.Addr().Unmap()
	if !src.IsValid() || !dst.IsValid() || s.Is4() != d.Is4() {
		return append(b, "PROXY UNKNOWN\r\n"...)
	}
	fam := "PROXY TCP6 "
	if s.Is4() {
		fam = "PROXY TCP4 "
	}
	b = append(b, fam...)
	b = s.AppendTo(b)
	b = append(b, ' ')
	b = d.AppendTo(b)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(src.Port()), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(dst.Port()), 10)
	return append(b, "\r\n"...)
}

// AppendV2 appends a v2 header (PROXY, TCP) for a connection from src to
// dst; LOCAL when either is not a valid address or their families differ.
func AppendV2(b []byte, src, dst netip.AddrPort) []byte {
	b = append(b, sigV2...)
	s, d := src.Addr().Unmap(), dst.Addr().Unmap()
	switch {
	case !src.IsValid() || !dst.IsValid() || s.Is4() != d.Is4():
		return append(b, v2Local, 0, 0, 0)
	case s.Is4():
		b = append(b, v2Proxy, famInet<<4|1, 0, 12)
		s4, d4 := s.As4(), d.As4()
		b = append(append(b, s4[:]...), d4[:]...)
	default:
		b = append(b, v2Proxy, famInet6<<4|1, 0, 36)
		s16, d16 := s.As16(), d.As16()
		b = append(append(b, s16[:]...), d16[:]...)
	}
	b = binary.BigEndian.AppendUint16(b, src.Port())
	return binary.BigEndian.AppendUint16(b, dst.Port())
}
