package proxy

import (
	"bytes"

	"github.com/velox-proxy/velox/h1"
	"github.com/velox-proxy/velox/head"
	"github.com/velox-proxy/velox/rpcx"
)

// route finds the cluster of request f (a table cluster index), or the
// failure to answer it with (failHandled: a filter answered it). The
// request is presented to filters, products and routes as a neutral head
// (d.req, valid until the next frame; rpc_filter.go runs them):
//
//	Host    the service (Dubbo: the service path; Bolt: header "service")
//	Method  the RPC method
//	Path    "/<service>/<method>" (also Target)
//	headers "version", "group", and each attachment (Dubbo) or header
//	        (Bolt) that some route's headers name, when the frame has it
//
// A service no product takes (and no default_product) goes to the
// listener's cluster.
func (d *rpcDown) route(f *rpcx.Frame) (int, rpcx.Failure) {
	t := d.ls.current()
	d.r = d.r.in(t) // a reload may have moved the listener's cluster and routes
	if err := d.r.proto.Head(f, &d.head); err != nil {
		return -1, rpcx.FailBadRequest
	}
	d.neutral(&d.head)
	return d.filtered(t, f)
}

// in returns r's listener's routes of the same protocol in table t.
func (r *rpcRoutes) in(t *table) *rpcRoutes {
	n := t.rpc[r.listener]
	if n.auto != nil {
		if r.proto.Name() == n.auto.dubbo.proto.Name() {
			return n.auto.dubbo
		}
		return n.auto.bolt
	}
	return n
}

// neutral fills d.req from h. A service written "<interface>:<version>"
// (SOFA's service header; a unique id may follow) is the interface, its
// version the version header.
func (d *rpcDown) neutral(h *rpcx.Head) *h1.Request {
	service, version := h.Service, h.Version
	if i := bytes.IndexByte(service, ':'); i >= 0 && len(version) == 0 {
		service, version = service[:i], service[i+1:]
		if j := bytes.IndexByte(version, ':'); j >= 0 {
			version = version[:j]
		}
	}
	d.path = append(append(append(append(d.path[:0], '/'), service...), '/'), h.Method...)
	d.fields = d.fields[:0]
	d.fields = appendField(d.fields, fieldVersion, version)
	d.fields = appendField(d.fields, fieldGroup, h.Group)
	for i, name := range d.r.headers {
		if v, ok, err := h.Lookup(name); ok && err == nil {
			d.fields = appendField(d.fields, d.r.headerBytes[i], v)
		}
	}
	d.req = h1.Request{Method: h.Method, Host: service, Path: d.path, Target: d.path, Headers: d.fields, Minor: 1}
	return &d.req
}

var (
	fieldVersion = []byte("version")
	fieldGroup   = []byte("group")
)

// appendField adds name: v when v is not empty.
func appendField(fs []head.Field, name, v []byte) []head.Field {
	if len(v) == 0 {
		return fs
	}
	return append(fs, head.Field{Name: name, Value: v})
}
