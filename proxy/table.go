package proxy

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/upstream"
)

// table is one configuration made ready to serve: hosts, routes, clusters and
// filters. It is immutable and shared by all loops; a reload builds a new one
// and each loop switches to it in a task handed over at once (Server.publish),
// or at its next request if that comes first.
type table struct {
	gen       uint64
	hosts     hostTable[*product]
	clusters  []*upstream.Cluster
	upTLS     []*upstreamTLS   // by cluster: its TLS to backends, nil = none (tls_upstream.go)
	points    [numPoints]chain // global request filters by point
	limits    limits
	routing   pathPolicy       // how paths are normalised (target.go)
	tcp       []tcpRoutes      // by listener (tcp.go)
	proxyFrom [][]netip.Prefix // by listener: whom it takes PROXY headers from (proxyheader.go)
	certHdr   [][]byte         // by listener: the header of a verified client certificate, nil = none (tls.go)
	certHdrs  []string         // every listener's: removed from every request, on every listener
	rpc       []*rpcRoutes     // by listener; nil for one that is not dubbo, bolt or auto (rpc.go)
}

// tableFrom is what a table is built from besides its config.
type tableFrom struct {
	registered *[numPoints]chain            // Go filters registered on the Server
	hosts      config.Hosts                 // addresses of the backend host names
	prev       *table                       // the table replaced: its backends' health is kept; nil = none
	tlsLog     func(*eventloop.Conn, error) // logs a failed handshake with a backend
}

// buildTable turns a validated config into a table. Go filters registered on
// the Server run before the config's at each point. A backend of the same
// cluster name and address as one of from.prev keeps its health and counters.
func buildTable(cfg *config.Config, gen uint64, from tableFrom) (*table, error) {
	t := &table{gen: gen, limits: resolveLimits(cfg), routing: resolveRouting(&cfg.Routing)}
	t.hosts = newHostTable[*product](nil)
	byName := map[string]int{}
	for i := range cfg.Clusters {
		prev, prevTLS := from.prev.cluster(cfg.Clusters[i].Name)
		c, err := upstream.NewCluster(&cfg.Clusters[i], upstream.From{Hosts: from.hosts, Prev: prev})
		if err != nil {
			return nil, fmt.Errorf("clusters[%d]: %w", i, err)
		}
		tl, err := buildUpstreamTLS(&cfg.Clusters[i], prevTLS, from.tlsLog)
		if err != nil {
			return nil, fmt.Errorf("clusters[%d].tls: %w", i, err)
		}
		byName[c.Name] = len(t.clusters)
		t.clusters = append(t.clusters, c)
		t.upTLS = append(t.upTLS, tl)
	}
	for i := range cfg.Listeners {
		r, err := buildTCPRoutes(&cfg.Listeners[i], byName)
		if err != nil {
			return nil, fmt.Errorf("listeners[%d]: %w", i, err)
		}
		t.tcp = append(t.tcp, r)
		rr, err := buildRPCRoutes(i, &cfg.Listeners[i], cfg, byName)
		if err != nil {
			return nil, fmt.Errorf("listeners[%d]: %w", i, err)
		}
		t.rpc = append(t.rpc, rr)
		t.proxyFrom = append(t.proxyFrom, buildProxyFrom(&cfg.Listeners[i]))
		var name []byte // the request's field points at it: no copy per request
		if h := tlsHeader(&cfg.Listeners[i]); h != "" {
			name = []byte(h)
			if !slices.Contains(t.certHdrs, h) {
				t.certHdrs = append(t.certHdrs, h)
			}
		}
		t.certHdr = append(t.certHdr, name)
	}
	for p := range t.points {
		t.points[p] = append(t.points[p], from.registered[p]...)
	}
	for i := range cfg.Filters {
		f, p, err := newFilter(&cfg.Filters[i], BeforeLocation)
		if err != nil {
			return nil, fmt.Errorf("filters[%d]: %w", i, err)
		}
		t.points[p] = append(t.points[p], f)
	}
	for i := range cfg.Products {
		p, err := buildProduct(&cfg.Products[i], byName)
		if err != nil {
			return nil, fmt.Errorf("products[%d]: %w", i, err)
		}
		for _, h := range cfg.Products[i].Hosts {
			t.hosts.add(h, p)
		}
		if p.name == cfg.DefaultProduct {
			t.hosts.deflt = p
		}
	}
	return t, nil
}

// cluster returns the cluster named name and its TLS (nil = none), or
// nil, nil; a nil table has none.
func (t *table) cluster(name string) (*upstream.Cluster, *upstreamTLS) {
	if t == nil {
		return nil, nil
	}
	for i, c := range t.clusters {
		if c.Name == name {
			return c, t.upTLS[i]
		}
	}
	return nil, nil
}

func clusterIndex(name string, byName map[string]int) (int, error) {
	if name == "" {
		return -1, nil
	}
	i, ok := byName[name]
	if !ok {
		return 0, fmt.Errorf("unknown cluster %q", name)
	}
	return i, nil
}

func buildProduct(pc *config.Product, byName map[string]int) (*product, error) {
	p := &product{name: pc.Name}
	var err error
	if p.defaultCluster, err = clusterIndex(pc.DefaultCluster, byName); err != nil {
		return nil, fmt.Errorf("default_cluster: %w", err)
	}
	if p.filters, p.respFilters, err = buildChains(pc.Filters, FoundProduct); err != nil {
		return nil, err
	}
	for i := range pc.Routes {
		r, err := buildRoute(&pc.Routes[i], byName)
		if err != nil {
			return nil, fmt.Errorf("routes[%d]: %w", i, err)
		}
		p.routes = append(p.routes, r)
	}
	return p, nil
}

func buildRoute(rc *config.Route, byName map[string]int) (*route, error) {
	r := &route{}
	var err error
	if r.cluster, err = clusterIndex(rc.Cluster, byName); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	if rc.Path != "" {
		r.exact = []byte(rc.Path)
	}
	if rc.Prefix != "" {
		r.prefix = []byte(rc.Prefix)
	}
	if rc.Regexp != "" {
		if r.re, err = regexp.Compile(rc.Regexp); err != nil {
			return nil, fmt.Errorf("regexp: %w", err)
		}
	}
	for _, m := range rc.Methods {
		r.methods = append(r.methods, []byte(m))
	}
	for _, h := range rc.Headers {
		hm := headerMatch{name: h.Name}
		if h.Value != "" {
			hm.value = []byte(h.Value)
		}
		r.headers = append(r.headers, hm)
	}
	r.filters, r.respFilters, err = buildChains(rc.Filters, AfterLocation)
	return r, err
}

// buildChains makes the filters of a product or route: those that act on the
// request (at def) and those that act on the response (at ReadResponse).
func buildChains(fcs []config.Filter, def Point) (req, resp chain, err error) {
	for i := range fcs {
		f, p, err := newFilter(&fcs[i], def)
		if err != nil {
			return nil, nil, fmt.Errorf("filters[%d]: %w", i, err)
		}
		if p == ReadResponse {
			resp = append(resp, f)
		} else {
			req = append(req, f)
		}
	}
	return req, resp, nil
}
