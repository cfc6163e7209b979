package config

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// Balancers (Cluster.Balancer); "" means BalancerRoundRobin.
const (
	BalancerRoundRobin   = "round_robin"
	BalancerLeastRequest = "least_request"
)

// Upstream protocols (Cluster.Protocol); "" means ProtocolHTTP1.
const (
	ProtocolHTTP1 = "http1"
	ProtocolH2    = "h2"
)

// Validate checks the whole config and returns every problem found as an
// Errors sorted by line, or nil. A Config from Load or Parse is already
// valid; call Validate on one built or changed in code. Lines are named
// only for a Config that came from Parse.
func (c *Config) Validate() error { return c.validate().sorted() }

func (c *Config) validate() Errors {
	v := &checker{src: c.src}
	v.listeners(c.Listeners)
	clusters := v.clusters(c.Clusters)
	v.listenerClusters(c)
	products := v.products(c, clusters)
	v.filters("filters", c.Filters, "")
	if c.DefaultProduct != "" && products[c.DefaultProduct] == "" {
		v.add("default_product", "unknown product %q", c.DefaultProduct)
	}
	v.limits(&c.Limits)
	v.http2(&c.HTTP2)
	v.routing(c)
	v.durations("timeouts", []namedDuration{
		{"header_read", c.Timeouts.HeaderRead}, {"idle", c.Timeouts.Idle}, {"drain", c.Timeouts.Drain},
		{"client_body", c.Timeouts.ClientBody}, {"send", c.Timeouts.Send}, {"tunnel_idle", c.Timeouts.TunnelIdle},
	})
	for i, u := range c.Upgrades {
		if !isToken(u) {
			v.add(indexPath("upgrades", i), "must be a protocol token like websocket, got %q", u)
		}
	}
	return v.errs
}

// checker collects the problems of one Validate call.
type checker struct {
	src  *source // nil for a Config built in code
	errs Errors
}

func (v *checker) add(path, format string, args ...any) {
	e := &FieldError{Line: v.src.line(path), Path: path, Msg: fmt.Sprintf(format, args...)}
	if v.src != nil {
		e.File = v.src.name
	}
	v.errs = append(v.errs, e)
}

// unique checks that a name is set and not taken; seen maps names to the
// path of their first use.
func (v *checker) unique(path, name string, seen map[string]string) {
	switch first, dup := seen[name]; {
	case name == "":
		v.add(path, "required")
	case dup:
		v.add(path, "duplicate %q, first at %s", name, first)
	default:
		seen[name] = path
	}
}

func (v *checker) listeners(ls []Listener) {
	if len(ls) == 0 {
		v.add("listeners", "at least one listener required")
	}
	seen := map[string]string{}
	for i, l := range ls {
		p := fieldPath(indexPath("listeners", i), "address")
		ap, err := ListenAddress(l.Address)
		if err != nil {
			v.add(p, "%v", err)
			continue
		}
		v.unique(p, ap.String(), seen) // ":8080" and "0.0.0.0:8080" are one socket
	}
}

// listenerClusters checks each listener's protocol and the cluster a tcp
// listener names.
func (v *checker) listenerClusters(c *Config) {
	for i, l := range c.Listeners {
		at := indexPath("listeners", i)
		v.rpcOnHTTP(at, &l)
		if pp := l.ProxyProtocol; pp != nil {
			v.trusted(fieldPath(fieldPath(at, "proxy_protocol"), "trusted"), pp.Trusted)
		}
		if l.TLS != nil {
			v.tls(fieldPath(at, "tls"), l.TLS)
		}
		switch l.Protocol {
		case "", ListenerHTTP:
			if l.Cluster != "" {
				v.add(fieldPath(at, "cluster"), "only a tcp listener names a cluster (http listeners route by products)")
			}
			if len(l.SNIRoutes) > 0 {
				v.add(fieldPath(at, "sni_routes"), "only a tcp listener routes by SNI")
			}
		case ListenerTCP:
			if l.Cluster != "" || len(l.SNIRoutes) == 0 {
				v.tcpCluster(fieldPath(at, "cluster"), l.Cluster, c.Clusters)
			}
			v.sniRoutes(fieldPath(at, "sni_routes"), l.SNIRoutes, c.Clusters)
		case ListenerDubbo, ListenerBolt, ListenerAuto:
			v.rpcListener(at, &c.Listeners[i], c.Clusters)
		default:
			v.add(fieldPath(at, "protocol"), "must be %s, %s, %s, %s or %s, got %q", ListenerHTTP, ListenerTCP, ListenerDubbo, ListenerBolt, ListenerAuto, l.Protocol)
		}
	}
}

func (v *checker) sniRoutes(path string, rs []SNIRoute, cs []Cluster) {
	seen := map[string]string{}
	for i, r := range rs {
		at := indexPath(path, i)
		if len(r.ServerNames) == 0 {
			v.add(fieldPath(at, "server_names"), "at least one server name required")
		}
		v.hosts(fieldPath(at, "server_names"), r.ServerNames, seen)
		v.tcpCluster(fieldPath(at, "cluster"), r.Cluster, cs)
	}
}

// trusted checks a list of sources: IP addresses or CIDR prefixes.
func (v *checker) trusted(path string, srcs []string) {
	if len(srcs) == 0 {
		v.add(path, "at least one source required (an IP address or a prefix like 10.0.0.0/8)")
	}
	for i, src := range srcs {
		if _, err := ParsePrefix(src); err != nil {
			v.add(indexPath(path, i), "%v", err)
		}
	}
}

// ParsePrefix reads a trusted source: a CIDR prefix ("10.0.0.0/8") or an
// IP address (a prefix of one address).
func ParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("must be an IP address or a prefix like 10.0.0.0/8, got %q", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("must be an IP address or a prefix like 10.0.0.0/8, got %q", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (v *checker) tcpCluster(path, name string, cs []Cluster) {
	if name == "" {
		v.add(path, "required for a tcp listener")
		return
	}
	for i := range cs {
		if cs[i].Name != name {
			continue
		}
		if cs[i].Protocol == ProtocolH2 {
			v.add(path, "cluster %q speaks h2; a tcp listener forwards bytes and needs an http1 cluster (the default)", name)
		}
		return
	}
	v.add(path, "unknown cluster %q", name)
}

// clusters checks each cluster and returns their names, mapped to paths.
func (v *checker) clusters(cs []Cluster) map[string]string {
	names := map[string]string{}
	for i := range cs {
		p := indexPath("clusters", i)
		v.unique(fieldPath(p, "name"), cs[i].Name, names)
		v.cluster(p, &cs[i])
	}
	return names
}

func (v *checker) cluster(p string, c *Cluster) {
	v.backends(fieldPath(p, "backends"), c.Backends)
	if c.TLS != nil {
		v.upstreamTLS(fieldPath(p, "tls"), c.TLS)
	}
	switch c.SendProxyProtocol {
	case "", "v1", "v2":
		if c.SendProxyProtocol != "" && c.Protocol == ProtocolH2 {
			v.add(fieldPath(p, "send_proxy_protocol"), "not with protocol h2: a PROXY header names one client, and an HTTP/2 connection carries many")
		}
	default:
		v.add(fieldPath(p, "send_proxy_protocol"), "must be v1 or v2, got %q", c.SendProxyProtocol)
	}
	if c.Protocol != "" && c.Protocol != ProtocolHTTP1 && c.Protocol != ProtocolH2 {
		v.add(fieldPath(p, "protocol"), "unknown protocol %q, want %s or %s", c.Protocol, ProtocolHTTP1, ProtocolH2)
	}
	if c.Balancer != "" && c.Balancer != BalancerRoundRobin && c.Balancer != BalancerLeastRequest {
		v.add(fieldPath(p, "balancer"), "unknown balancer %q, want %s or %s",
			c.Balancer, BalancerRoundRobin, BalancerLeastRequest)
	}
	v.durations(p, []namedDuration{
		{"connect_timeout", c.ConnectTimeout}, {"response_timeout", c.ResponseTimeout},
		{"idle_timeout", c.IdleTimeout}, {"eject_base", c.EjectBase}, {"eject_max", c.EjectMax},
		{"resolve_interval", c.ResolveInterval},
	})
	v.counts(p, []namedCount{
		{"max_idle", intOr0(c.MaxIdle)}, {"max_conns", int64(c.MaxConns)},
		{"max_requests_per_conn", int64(c.MaxRequestsPerConn)},
	})
	if c.Retries < -1 {
		v.add(fieldPath(p, "retries"), "must be >= -1, got %d", c.Retries)
	}
	if c.ConsecutiveFailures < -1 {
		v.add(fieldPath(p, "consecutive_failures"), "must be >= 1, or 0 for the default (5), or -1 to never eject, got %d",
			c.ConsecutiveFailures)
	}
	if c.EjectBase > 0 && c.EjectMax > 0 && c.EjectMax < c.EjectBase {
		v.add(fieldPath(p, "eject_max"), "must be >= eject_base (%s), got %s", c.EjectBase, c.EjectMax)
	}
}

func (v *checker) backends(p string, bs []Backend) {
	if len(bs) == 0 {
		v.add(p, "at least one backend required")
	}
	seen := map[string]string{}
	for i, b := range bs {
		bp := indexPath(p, i)
		if w := intOr0(b.Weight); w < 0 {
			v.add(fieldPath(bp, "weight"), "must be >= 0 (0 drains the backend), got %d", w)
		}
		ap := fieldPath(bp, "address")
		if msg := checkBackendAddr(b.Address); msg != "" {
			v.add(ap, "%s", msg)
			continue
		}
		v.unique(ap, b.Address, seen)
	}
}

// checkBackendAddr says what is wrong with a backend address, or "". A host
// name passes here; whether it resolves is Resolve's question.
func checkBackendAddr(addr string) string {
	if addr == "" {
		return "required"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return fmt.Sprintf("must be an IP address or host name and a port, e.g. 127.0.0.1:9000 or api.internal:8080, got %q", addr)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	switch {
	case err != nil:
		return fmt.Sprintf("port must be a number 1..65535, got %q", port)
	case n == 0:
		return "port must not be 0"
	}
	if _, err := netip.ParseAddr(host); err != nil && !isHostname(host) {
		return fmt.Sprintf("host must be an IP address or host name, got %q", host)
	}
	return ""
}

// products checks each product and returns their names, mapped to paths.
func (v *checker) products(c *Config, clusters map[string]string) map[string]string {
	names := map[string]string{}
	hosts := map[string]string{}
	for i := range c.Products {
		p, pr := indexPath("products", i), &c.Products[i]
		v.unique(fieldPath(p, "name"), pr.Name, names)
		if len(pr.Hosts) == 0 && (pr.Name == "" || pr.Name != c.DefaultProduct) {
			v.add(fieldPath(p, "hosts"), "at least one host required (unless it is the default_product)")
		}
		v.hosts(fieldPath(p, "hosts"), pr.Hosts, hosts)
		for j := range pr.Routes {
			v.route(indexPath(fieldPath(p, "routes"), j), &pr.Routes[j], clusters)
		}
		v.clusterRef(fieldPath(p, "default_cluster"), pr.DefaultCluster, clusters)
		v.filters(fieldPath(p, "filters"), pr.Filters, PointFoundProduct)
	}
	return names
}

// hosts checks each host; seen maps lowercased hosts of all products to
// the path of their first use.
func (v *checker) hosts(p string, hs []string, seen map[string]string) {
	for i, h := range hs {
		hp := indexPath(p, i)
		if msg := checkHost(h); msg != "" {
			v.add(hp, "%s", msg)
			continue
		}
		if first, dup := seen[strings.ToLower(h)]; dup {
			v.add(hp, "duplicate host %q, first at %s", h, first)
			continue
		}
		seen[strings.ToLower(h)] = hp
	}
}

// checkHost says what is wrong with a product host, or "".
func checkHost(h string) string {
	name := strings.TrimPrefix(h, "*.")
	switch {
	case h == "":
		return "must not be empty"
	case strings.Contains(name, "*"):
		return fmt.Sprintf(`wildcard allowed only as a leading "*.", got %q`, h)
	case strings.Contains(name, ":"):
		return fmt.Sprintf("must not include a port, got %q", h)
	case !isHostname(name):
		return fmt.Sprintf("must be a hostname like a.example.com or *.example.com, got %q", h)
	}
	return ""
}

// isHostname reports whether s is dot-separated labels of letters, digits,
// '-' and '_', none empty, longer than 63 or starting or ending with '-'.
func isHostname(s string) bool {
	if len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

func (v *checker) route(p string, r *Route, clusters map[string]string) {
	v.routeMatch(p, r)
	for i, m := range r.Methods {
		if !isToken(m) || strings.ToUpper(m) != m {
			v.add(indexPath(fieldPath(p, "methods"), i), "must be an uppercase token like GET, got %q", m)
		}
	}
	for i, h := range r.Headers {
		hp := indexPath(fieldPath(p, "headers"), i)
		v.headerName(fieldPath(hp, "name"), h.Name)
		v.headerValue(fieldPath(hp, "value"), h.Value)
	}
	terminal := false
	for i := range r.Filters {
		terminal = terminal || r.Filters[i].Terminal()
	}
	if r.Cluster == "" && !terminal {
		v.add(fieldPath(p, "cluster"), "required unless a static, deny or redirect filter ends the request")
	}
	v.clusterRef(fieldPath(p, "cluster"), r.Cluster, clusters)
	v.filters(fieldPath(p, "filters"), r.Filters, PointAfterLocation)
}

// routeMatch checks path, prefix and regexp: at most one, each well formed.
func (v *checker) routeMatch(p string, r *Route) {
	set := 0
	for _, m := range []struct{ key, val string }{{"path", r.Path}, {"prefix", r.Prefix}, {"regexp", r.Regexp}} {
		if m.val == "" {
			continue
		}
		if set++; set > 1 {
			v.add(fieldPath(p, m.key), "set at most one of path, prefix and regexp")
		}
		if m.key != "regexp" && !strings.HasPrefix(m.val, "/") {
			v.add(fieldPath(p, m.key), `must start with "/", got %q`, m.val)
		}
	}
	if r.Regexp == "" {
		return
	}
	if _, err := regexp.Compile(r.Regexp); err != nil {
		v.add(fieldPath(p, "regexp"), "%v", err)
	}
}

// clusterRef checks that a set cluster name exists.
func (v *checker) clusterRef(p, name string, clusters map[string]string) {
	if name != "" && clusters[name] == "" {
		v.add(p, "unknown cluster %q", name)
	}
}

func (v *checker) limits(l *Limits) {
	v.counts("limits", []namedCount{
		{"max_uri", int64(l.MaxURI)}, {"max_header_bytes", int64(l.MaxHeaderBytes)},
		{"max_headers", int64(l.MaxHeaders)}, {"max_body_bytes", l.MaxBodyBytes},
		{"max_conns", int64(l.MaxConns)}, {"stream_buffer", int64(l.StreamBuffer)},
		{"max_input", int64(l.MaxInput)},
	})
	if head := cmp.Or(max(l.MaxHeaderBytes, 0), DefaultMaxHeaderBytes); l.MaxInput > 0 && l.MaxInput < head {
		v.add("limits.max_input", "must be >= max_header_bytes (%d), got %d", head, l.MaxInput)
	}
}

type namedCount struct {
	key string
	n   int64
}

// counts checks that each count under p is >= 0.
func (v *checker) counts(p string, cs []namedCount) {
	for _, c := range cs {
		if c.n < 0 {
			v.add(fieldPath(p, c.key), "must be >= 0, got %d", c.n)
		}
	}
}

type namedDuration struct {
	key string
	d   Duration
}

// durations checks that each duration under p is >= 0 (a Config built in
// code can hold negative ones; Parse refuses them while decoding).
func (v *checker) durations(p string, ds []namedDuration) {
	for _, d := range ds {
		if d.d < 0 {
			v.add(fieldPath(p, d.key), "must be >= 0, got %s", d.d)
		}
	}
}

// headerName checks a header field name: required, an RFC 9110 token.
func (v *checker) headerName(p, name string) {
	switch {
	case name == "":
		v.add(p, "required")
	case !isToken(name):
		v.add(p, "must be a header name (an RFC 9110 token), got %q", name)
	}
}

// headerValue checks that a value can be written in a header.
func (v *checker) headerValue(p, val string) {
	if strings.ContainsAny(val, "\r\n\x00") {
		v.add(p, "must not contain CR, LF or NUL")
	}
}

// isToken reports whether s is an RFC 9110 token (section 5.6.2).
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return s != ""
}
