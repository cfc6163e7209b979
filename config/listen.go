package config

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// ListenAddress reads a listen address the one way velox reads all of them
// (config listeners, `velox proxy --listen`, `--admin`): "host:port", where
// host is an IP literal, "localhost" (127.0.0.1), or empty, which means
// every IPv4 address (0.0.0.0), as nginx's "listen 8080" and HAProxy's
// "bind :8080" do. "[::]:PORT" is every IPv6 address. There is no DNS
// lookup. The error says what is wrong, without the field name.
func ListenAddress(addr string) (netip.AddrPort, error) {
	if addr == "" {
		return netip.AddrPort{}, fmt.Errorf("required")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("must be host:port, e.g. 127.0.0.1:8080, got %q", addr)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port must be a number 0..65535, got %q", port)
	}
	ip, err := listenHost(host)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(ip, uint16(p)), nil
}

// listenHost is the IP a listen address's host stands for.
func listenHost(host string) (netip.Addr, error) {
	switch host {
	case "":
		return netip.IPv4Unspecified(), nil
	case "localhost":
		return netip.AddrFrom4([4]byte{127, 0, 0, 1}), nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("host must be an IP address, localhost, or empty for every IPv4 address (no DNS names), got %q", host)
	}
	return ip.Unmap(), nil
}
