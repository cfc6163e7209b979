package proxy

import (
	"bytes"
	"errors"

	"github.com/velox-proxy/velox/codec"
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
//	headers "version", "group" (as the server reads them), then every
//	        other field of the frame: Dubbo attachments with a string value,
//	        Bolt header-map entries (rpcx.Fields; addRPCField: a key sent
//	        twice has its last value, keys that differ only in case are
//	        refused, more than limits.max_headers too)
//
// A service no product takes (and no default_product) goes to the
// listener's cluster.
func (d *rpcDown) route(f *rpcx.Frame) (int, rpcx.Failure) {
	t := d.ls.current()
	d.r = d.r.in(t) // a reload may have moved the listener's cluster and routes
	if err := d.r.proto.Head(f, &d.head); err != nil {
		return -1, rpcx.FailBadRequest
	}
	if d.neutral(&d.head) != nil {
		return -1, rpcx.FailBadRequest
	}
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

// neutral fills d.req from h, or says why the request cannot be shown
// as one head. A service written "<interface>:<version>" (SOFA's service
// header; a unique id may follow) is the interface, its version the
// version header.
func (d *rpcDown) neutral(h *rpcx.Head) error {
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
	d.req = h1.Request{Method: h.Method, Host: service, Path: d.path, Target: d.path, Minor: 1}
	it := h.Fields()
	for {
		k, v, ok, err := it.Next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if d.reserved(k) {
			continue
		}
		if d.fields, err = addRPCField(d.fields, k, v); err != nil {
			return err
		}
		if len(d.fields) > d.ls.tbl.limits.h1.MaxHeaders {
			return errTooManyFields
		}
	}
	d.req.Headers = d.fields
	return nil
}

var (
	errTooManyFields = errors.New("more fields than limits.max_headers")
	errFieldsCollide = errors.New("two fields whose names differ only in case")
)

// reserved reports whether field k of the frame is shown otherwise: as
// Host and method, or as the version and group velox read (Dubbo: path,
// interface, version, group; Bolt: service, the method and target service
// headers, and version and group, which SOFA reads from the service).
func (d *rpcDown) reserved(k []byte) bool {
	names := dubboReserved
	if d.r.proto.Name() == "bolt" {
		names = boltReserved
	}
	for _, n := range names {
		if string(k) == n {
			return true
		}
	}
	return false
}

var (
	dubboReserved = []string{"path", "interface", "version", "group"}
	boltReserved  = []string{rpcx.BoltHeaderService, rpcx.BoltHeaderMethod, rpcx.BoltHeaderTargetService, "version", "group"}
)

// addRPCField adds field k: v to fs. A key sent twice keeps its last value
// (as the servers' decoders do); two keys that differ only in case are
// refused: routes and filters match names as HTTP does, without case,
// while the server reads the exact key.
func addRPCField(fs []head.Field, k, v []byte) ([]head.Field, error) {
	for i := range fs {
		if codec.EqualFoldBytes(fs[i].Name, k) {
			if !bytes.Equal(fs[i].Name, k) {
				return fs, errFieldsCollide
			}
			fs[i].Value = v
			return fs, nil
		}
	}
	return append(fs, head.Field{Name: k, Value: v}), nil
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
