package config

import (
	"strings"

	"github.com/velox-proxy/velox/proxy/pathnorm"
)

// Routing is the top-level "routing" section: how the path of a request is
// normalised before products, routes and their filters see it, and what is
// forwarded. Unset fields mean the defaults; NormalizePath and MergeSlashes
// are pointers so that "unset" (true) and "false" differ.
//
//	routing:
//	  normalize_path: true        # default true
//	  merge_slashes: true         # default true
//	  escaped_slashes: reject     # keep | reject | decode; default reject
//	  forward_path: normalized    # normalized | original; default normalized
type Routing struct {
	// NormalizePath decodes percent-encoded unreserved characters,
	// upper-cases the other percent-encodings and removes dot segments
	// (RFC 3986 sections 6.2.2 and 5.2.4); a path that climbs above the
	// root, "%00" or a malformed percent-encoding is a 400. nil = true.
	NormalizePath *bool `yaml:"normalize_path"`
	// MergeSlashes makes "//" one "/" (as nginx's merge_slashes). nil = true.
	MergeSlashes *bool `yaml:"merge_slashes"`
	// EscapedSlashes is what "%2F", "%5C" and a raw "\" in a path do:
	// "reject" (400, the default), "keep" (data inside a segment) or
	// "decode" (a "/" that separates segments).
	EscapedSlashes string `yaml:"escaped_slashes"`
	// ForwardPath is the path sent upstream: "normalized" (the default,
	// what routing matched) or "original" (as received; the query is
	// always forwarded as received).
	ForwardPath string `yaml:"forward_path"`
}

// Values of Routing.EscapedSlashes and Routing.ForwardPath.
const (
	EscapedSlashesReject = "reject"
	EscapedSlashesKeep   = "keep"
	EscapedSlashesDecode = "decode"

	ForwardPathNormalized = "normalized"
	ForwardPathOriginal   = "original"
)

// Defaults that the zero Routing stands for.
const (
	DefaultNormalizePath  = true                  // Routing.NormalizePath
	DefaultMergeSlashes   = true                  // Routing.MergeSlashes
	DefaultEscapedSlashes = EscapedSlashesReject  // Routing.EscapedSlashes
	DefaultForwardPath    = ForwardPathNormalized // Routing.ForwardPath
)

// Normalize is NormalizePath with its default resolved.
func (r *Routing) Normalize() bool { return boolOr(r.NormalizePath, DefaultNormalizePath) }

// Merge is MergeSlashes with its default resolved.
func (r *Routing) Merge() bool { return boolOr(r.MergeSlashes, DefaultMergeSlashes) }

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// PathOptions are the pathnorm options the section stands for (with
// Normalize true; with it false nothing is normalised).
func (r *Routing) PathOptions() pathnorm.Options {
	o := pathnorm.Options{MergeSlashes: r.Merge()}
	switch r.EscapedSlashes {
	case EscapedSlashesKeep:
		o.Slashes = pathnorm.Keep
	case EscapedSlashesDecode:
		o.Slashes = pathnorm.Decode
	}
	return o
}

// routing checks the routing section and that routes can match under it.
func (v *checker) routing(c *Config) {
	v.routingFields(&c.Routing)
	if !c.Routing.Normalize() {
		return
	}
	o := c.Routing.PathOptions()
	for i := range c.Products {
		for j, r := range c.Products[i].Routes {
			p := indexPath(fieldPath(indexPath("products", i), "routes"), j)
			v.normalForm(fieldPath(p, "path"), r.Path, false, &o)
			v.normalForm(fieldPath(p, "prefix"), r.Prefix, true, &o)
		}
	}
}

// normalForm checks that a route's path or prefix is in the normal form
// request paths are matched in: else no request could match it. A prefix
// may end inside a segment ("/x/." matches "/x/.well-known"), so it is
// checked with one more character.
func (v *checker) normalForm(path, val string, prefix bool, o *pathnorm.Options) {
	if !strings.HasPrefix(val, "/") {
		return // routeMatch reports it
	}
	probe := val
	if prefix {
		if strings.Contains(val[max(len(val)-2, 0):], "%") {
			return // ends inside a percent-encoding
		}
		probe += "x"
	}
	n, err := o.Normalize(nil, []byte(probe))
	switch {
	case err != nil:
		v.add(path, "no request can match %q: %v", val, err)
	case string(n) != probe:
		want := string(n)
		if prefix {
			want = strings.TrimSuffix(want, "x")
		}
		v.add(path, "requests are matched in normal form (routing.normalize_path), so %q never matches; write %q", val, want)
	}
}

// routingFields checks the section's own fields: known values, and no
// normalisation setting when normalize_path is false (it would do nothing).
func (v *checker) routingFields(r *Routing) {
	v.oneOf("routing.escaped_slashes", r.EscapedSlashes,
		EscapedSlashesReject, EscapedSlashesKeep, EscapedSlashesDecode)
	v.oneOf("routing.forward_path", r.ForwardPath, ForwardPathNormalized, ForwardPathOriginal)
	if r.Normalize() {
		return
	}
	for _, f := range []struct {
		key string
		set bool
	}{{"merge_slashes", r.MergeSlashes != nil}, {"escaped_slashes", r.EscapedSlashes != ""},
		{"forward_path", r.ForwardPath != ""}} {
		if f.set {
			v.add(fieldPath("routing", f.key), "has no effect with normalize_path: false")
		}
	}
}

// oneOf checks that a set string field holds one of the allowed values.
func (v *checker) oneOf(path, val string, allowed ...string) {
	if val == "" {
		return
	}
	for _, a := range allowed {
		if val == a {
			return
		}
	}
	v.add(path, "unknown value %q, want %s or %s", val,
		strings.Join(allowed[:len(allowed)-1], ", "), allowed[len(allowed)-1])
}
