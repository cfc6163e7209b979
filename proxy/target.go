package proxy

import (
	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/proxy/pathnorm"
)

// What routing sees is what the backend gets. Before any filter runs, the
// stream puts the path of the request-target in normal form (pathnorm):
// products' routes, their filters, Go filters (Request().Path) and the
// redirect filter's $request_uri all see that path, and it is the path sent
// upstream, followed by the query as received. With forward_path: original
// routes still match the normal form, but the path goes upstream as
// received (a backend must then normalise it the same way, or a rule can be
// escaped). An absolute-form target goes upstream in origin-form with its
// authority as Host (h1 does that).

// pathPolicy is config.Routing with defaults resolved. It is immutable and
// shared by all loops.
type pathPolicy struct {
	normalize       bool // false: routes see the path as received
	opts            pathnorm.Options
	forwardOriginal bool // send the path as received upstream
}

// resolveRouting turns the config's routing section into a pathPolicy.
func resolveRouting(r *config.Routing) pathPolicy {
	return pathPolicy{
		normalize:       r.Normalize(),
		opts:            r.PathOptions(),
		forwardOriginal: r.ForwardPath == config.ForwardPathOriginal,
	}
}

// routeTarget normalises the path, unless the config says not to, into
// Request().Path, or with forward_path: original into s.routePath only. A
// path the normaliser refuses is a 400, and it reports false.
func (s *Stream) routeTarget() bool {
	pp := &s.tbl.routing
	s.routePath = s.req.Path
	if !pp.normalize || string(s.req.Path) == "*" { // OPTIONS *
		return true
	}
	p, err := pp.opts.Normalize(s.path[:0], s.req.Path)
	if err != nil {
		return s.refusePath(err)
	}
	if &p[0] != &s.req.Path[0] {
		s.path = p // built in s.path (or a larger buffer that replaces it)
	}
	s.routePath = p
	if !pp.forwardOriginal {
		s.req.Path = p
	}
	return true
}

// matchPath is the path routes match: Request().Path (so a Go filter that
// rewrites it routes by what it wrote), or with forward_path: original the
// normal form of the received path.
func (s *Stream) matchPath() []byte {
	if s.tbl.routing.forwardOriginal {
		return s.routePath
	}
	return s.req.Path
}

// refusePath answers 400 for a path that has no normal form.
func (s *Stream) refusePath(err error) bool {
	s.ls.stats.badRequests.Add(1)
	if s.ls.srv.log.Verbose() {
		s.ls.srv.log.request("proxy", s.ip, s.info, 400, err.Error(), "", "") // the errors are static
	}
	s.answerError(400, err.Error())
	return false
}
