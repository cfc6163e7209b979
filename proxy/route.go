package proxy

import (
	"bytes"
	"regexp"

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
