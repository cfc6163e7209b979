package proxy

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/velox-proxy/velox/h1"
)

// Tenant routing finds the product by Host; cluster routing walks the
// product's ordered rules. Both are immutable once built and shared by all
// loops; matching does not allocate.

// product is a tenant with its routes.
type product struct {
	name           string
	routes         []*route
	defaultCluster int   // index into table.clusters, -1 = none (404)
	filters        chain // at FoundProduct
	respFilters    chain // at ReadResponse
}

// route is one ordered rule of a product.
type route struct {
	exact, prefix []byte
	re            *regexp.Regexp
	methods       [][]byte
	headers       []headerMatch
	cluster       int   // index into table.clusters, -1 = filters answer
	filters       chain // at AfterLocation
	respFilters   chain // at ReadResponse
}

type headerMatch struct {
	name  string
	value []byte // nil = present
}

// hostTable maps lower-case hosts to products: exact names first, then
// wildcards "*.suffix" from the longest suffix to the shortest.
type hostTable struct {
	exact    map[string]*product
	wildcard map[string]*product // keyed by ".suffix"
	deflt    *product
}

// maxHostLen bounds the stack buffer used to lower-case a Host.
const maxHostLen = 255

// lookup finds the product of a Host header value, normalised by hostKey.
func (t *hostTable) lookup(host []byte) *product {
	var buf [maxHostLen]byte
	h := hostKey(buf[:0], host)
	if h == nil {
		return t.deflt
	}
	if p, ok := t.exact[string(h)]; ok {
		return p
	}
	for i := 0; i < len(h); i++ {
		if h[i] != '.' {
			continue
		}
		if p, ok := t.wildcard[string(h[i:])]; ok {
			return p
		}
	}
	return t.deflt
}

// hostKey writes the name a Host is looked up by into dst: without its port,
// without a trailing dot (an absolute domain name is the same host, RFC 1034
// section 3.1), in lower case (RFC 9110 section 4.2.3); nil if too long. h1
// has already checked the syntax (h1/host.go).
func hostKey(dst, host []byte) []byte {
	if i := bytes.LastIndexByte(host, ':'); i >= 0 && !bytes.Contains(host[i:], []byte("]")) {
		host = host[:i]
	}
	if n := len(host); n > 1 && host[n-1] == '.' {
		host = host[:n-1]
	}
	if len(host) > maxHostLen {
		return nil
	}
	for _, c := range host {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// addHost registers one configured host for p.
func (t *hostTable) addHost(host string, p *product) {
	host = strings.ToLower(host)
	if strings.HasPrefix(host, "*.") {
		t.wildcard[host[1:]] = p
		return
	}
	t.exact[host] = p
}

// match picks the first route of p that matches req, whose path (as
// normalised, target.go) is path; or nil.
func (p *product) match(path []byte, req *h1.Request) *route {
	for _, r := range p.routes {
		if r.matches(path, req) {
			return r
		}
	}
	return nil
}

func (r *route) matches(path []byte, req *h1.Request) bool {
	switch {
	case r.exact != nil && !bytes.Equal(path, r.exact):
		return false
	case r.prefix != nil && !bytes.HasPrefix(path, r.prefix):
		return false
	case r.re != nil && !r.re.Match(path):
		return false
	}
	return r.methodMatches(req.Method) && r.headersMatch(req)
}

func (r *route) methodMatches(m []byte) bool {
	if len(r.methods) == 0 {
		return true
	}
	for _, want := range r.methods {
		if bytes.Equal(m, want) {
			return true
		}
	}
	return false
}

func (r *route) headersMatch(req *h1.Request) bool {
	for _, hm := range r.headers {
		v := req.Get(hm.name)
		if v == nil || (hm.value != nil && !bytes.Equal(v, hm.value)) {
			return false
		}
	}
	return true
}
