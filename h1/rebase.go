package h1

import "github.com/velox-proxy/velox/codec"

// Rebase points every slice of r that lies within from at the same bytes in
// to, a copy of from: a caller that must keep a parsed head past the life of
// the input buffer copies the head and rebases the Request onto the copy
// without parsing it again. Slices outside from (a shared constant, a value
// a filter set) are left as they are. It does not allocate.
func (r *Request) Rebase(from, to []byte) {
	r.Method = codec.Rebase(r.Method, from, to)
	r.Target = codec.Rebase(r.Target, from, to)
	r.Path = codec.Rebase(r.Path, from, to)
	r.Query = codec.Rebase(r.Query, from, to)
	r.Host = codec.Rebase(r.Host, from, to)
	for i := range r.Headers {
		h := &r.Headers[i]
		h.Name = codec.Rebase(h.Name, from, to)
		h.Value = codec.Rebase(h.Value, from, to)
	}
}
