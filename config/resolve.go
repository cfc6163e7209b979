package config

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
)

// Hosts maps each backend host name to the addresses it resolved to.
type Hosts map[string][]netip.Addr

// LookupHost returns the addresses of a host name, as
// net.Resolver.LookupHost does. Tests inject their own.
type LookupHost func(ctx context.Context, host string) ([]string, error)

// Resolve looks up every backend host name of c (IP addresses need no
// lookup), each once, with lookup (nil = net.DefaultResolver.LookupHost).
// A name that does not resolve is a FieldError at the first backend address
// that uses it, with the file and line when c came from Parse:
// `velox.yaml:12: clusters[0].backends[1].address: host "api.internal" does not resolve: ...`.
// Resolve blocks: call it off the loops.
func (c *Config) Resolve(ctx context.Context, lookup LookupHost) (Hosts, error) {
	v := &checker{src: c.src}
	hosts := Hosts{}
	for i := range c.Clusters {
		for j, b := range c.Clusters[i].Backends {
			name := hostName(b.Address)
			if _, done := hosts[name]; done || name == "" {
				continue
			}
			addrs, err := LookupAddrs(ctx, lookup, name)
			if err != nil {
				p := fieldPath(indexPath(fieldPath(indexPath("clusters", i), "backends"), j), "address")
				v.add(p, "host %q does not resolve: %v", name, err)
			}
			hosts[name] = addrs
		}
	}
	return hosts, v.errs.sorted()
}

// HostNames are the host names among c's backend addresses, each once, in
// the order written.
func (c *Cluster) HostNames() []string {
	var names []string
	for _, b := range c.Backends {
		if n := hostName(b.Address); n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

// hostName is the host of a backend address if it is a name, else "".
func hostName(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return ""
	}
	return host
}

var errNoAddrs = errors.New("no addresses")

// LookupAddrs resolves one host name with lookup (nil =
// net.DefaultResolver.LookupHost) to its addresses, sorted and each once.
// An answer with no address is an error.
func LookupAddrs(ctx context.Context, lookup LookupHost, host string) ([]netip.Addr, error) {
	if lookup == nil {
		lookup = net.DefaultResolver.LookupHost
	}
	ss, err := lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	for _, s := range ss {
		if a, err := netip.ParseAddr(s); err == nil {
			addrs = append(addrs, a.Unmap())
		}
	}
	if len(addrs) == 0 {
		return nil, errNoAddrs
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	return slices.Compact(addrs), nil
}
