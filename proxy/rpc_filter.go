package proxy

import (
	"bytes"
	"strconv"

	"github.com/velox-proxy/velox/codec"
	"github.com/velox-proxy/velox/h1"
	"github.com/velox-proxy/velox/head"
	"github.com/velox-proxy/velox/rpcx"
)

// Filters on RPC requests: the callback points and filters of HTTP, run on
// the neutral head of rpc_route.go, in the same order as for HTTP
// (Stream.locate):
//
//	before_location, found_product (+ the product's filters),
//	after_location (+ the route's filters)   when the request is routed
//	read_response (+ product's, route's)      when the backend's answer comes
//	request_finish                            when the request ends
//	accept, finish (ConnFilters)              at the client connection's open and close
//
// A RequestFilter sees a *Stream lent for the call (one per loop, the
// rpcLoop's view): Request, Product, Cluster and, at read_response,
// Response (Status 200 for a success, else the status the protocol's
// error maps to, rpcHTTPStatus; one field "rpc-status", the native
// status). Respond answers the request in the protocol's own terms: its
// status picks the error (rpcFailureOf), its body is the message the
// client gets; the request is counted in refused_total. CloseConn closes
// the client connection.
//
// Routing must see what the backend will: the fields filters change
// (set/add/remove_request_header) are written into the frame before it
// goes (rpcx AppendWithFields: Dubbo attachments, and the leading version
// with the "version" attachment; Bolt header-map entries), a copy of the
// frame then. A change the frame cannot carry (the fields that name the
// call: Dubbo's path and interface, Bolt's service, method and version)
// refuses the request with the bad-request error and a log line. Response
// head changes have no effect on the frame (its status and attachments
// are the backend's).

// failHandled is the failure route returns when a filter answered the
// request or closed the connection: nothing is left to do.
const failHandled rpcx.Failure = 0xff

// rpcFailureOf maps the HTTP status a filter answers an RPC request with
// to the failure whose native status the client gets.
func rpcFailureOf(status int) rpcx.Failure {
	switch status {
	case 400, 411, 413, 414, 431:
		return rpcx.FailBadRequest
	case 404:
		return rpcx.FailNoBackend
	case 408, 504:
		return rpcx.FailTimeout
	case 429, 503:
		return rpcx.FailOverload
	case 502:
		return rpcx.FailUpstream
	}
	return rpcx.FailRefused
}

// rpcHTTPStatus is the status filters see for a backend's answer.
func rpcHTTPStatus(f *rpcx.Frame) int {
	if f.OK {
		return 200
	}
	return 502
}

// failureStatus is the status filters see for velox's own error answer.
func failureStatus(f rpcx.Failure) int {
	switch f {
	case rpcx.FailBadRequest:
		return 400
	case rpcx.FailTimeout:
		return 504
	case rpcx.FailOverload:
		return 503
	case rpcx.FailRefused:
		return 403
	}
	return 502
}

// respFilters reports whether a request routed to product p and route r
// of table t has filters to run after it was sent (read_response,
// request_finish): its stream then keeps a copy of its head.
func respFilters(t *table, p *product, r *route) bool {
	return len(t.points[ReadResponse]) > 0 || len(t.points[RequestFinish]) > 0 ||
		(p != nil && len(p.respFilters) > 0) || (r != nil && len(r.respFilters) > 0)
}

// finishLocal runs request_finish for a request velox answered itself
// (status) before it had a stream.
func (d *rpcDown) finishLocal(t *table, status int, p *product, r *route) {
	if ch := t.points[RequestFinish]; len(ch) > 0 {
		v := d.ls.rpc.view(d.ls, t, &d.req)
		v.product, v.route, v.status = p, r, status
		ch.run(v)
	}
}

// keepHead copies req into st's own buffer: the frame it points into is
// gone when the response comes. It does not allocate once the buffers
// have grown.
func (st *rpcStream) keepHead(req *h1.Request) {
	n := len(req.Method) + len(req.Host) + len(req.Path)
	for _, f := range req.Headers {
		n += len(f.Name) + len(f.Value)
	}
	if cap(st.headBuf) < n {
		st.headBuf = make([]byte, 0, n)
	}
	a := arena{buf: st.headBuf[:0]}
	st.req = h1.Request{Method: a.put(req.Method), Host: a.put(req.Host), Path: a.put(req.Path), Minor: req.Minor}
	st.req.Target = st.req.Path
	st.fields = st.fields[:0]
	for _, f := range req.Headers {
		if f.Name != nil {
			st.fields = append(st.fields, head.Field{Name: a.put(f.Name), Value: a.put(f.Value)})
		}
	}
	st.req.Headers = st.fields
	st.headBuf = a.buf
}

// readResponse runs read_response (global, product's, route's) on the
// backend's answer f to st. It returns the answer to write: f.Raw, or
// the error a filter gave instead; close is set when a filter closes the
// client.
func (st *rpcStream) readResponse(f *rpcx.Frame) (answer []byte, close bool) {
	ls := st.up.ls
	st.status = rpcHTTPStatus(f)
	v := ls.rpc.view(ls, st.tbl, &st.req)
	v.product, v.route, v.cs = st.product, st.route, st.cs
	v.hasResp = true
	st.statusBuf = strconv.AppendUint(st.statusBuf[:0], uint64(f.Status), 10)
	st.respField[0] = head.Field{Name: fieldRPCStatus, Value: st.statusBuf}
	v.resp = h1.Response{Status: st.status, Minor: 1, Headers: st.respField[:1]}
	verdict := Continue
	for _, ch := range [...]chain{st.tbl.points[ReadResponse], v.product.respFiltersOrNil(), v.route.respFiltersOrNil()} {
		if verdict = ch.run(v); verdict != Continue {
			break
		}
	}
	v.hasResp = false
	switch verdict {
	case Responded:
		st.status = v.status
		d := st.down
		ls.stats.rpcOf(d.r).refused.Add(1)
		fr := st.errFrame()
		d.scratch = d.r.proto.AppendError(d.scratch[:0], &fr, rpcFailureOf(v.status), string(v.out))
		return d.scratch, false
	case CloseConn:
		return nil, true
	}
	return f.Raw, false
}

var fieldRPCStatus = []byte("rpc-status")

func (p *product) respFiltersOrNil() chain {
	if p == nil {
		return nil
	}
	return p.respFilters
}

func (r *route) respFiltersOrNil() chain {
	if r == nil {
		return nil
	}
	return r.respFilters
}

// requestFinish runs request_finish for st as it ends.
func (st *rpcStream) requestFinish() {
	ls := st.up.ls
	if ch := st.tbl.points[RequestFinish]; len(ch) > 0 {
		v := ls.rpc.view(ls, st.tbl, &st.req)
		v.product, v.route, v.cs, v.status = st.product, st.route, st.cs, st.status
		ch.run(v)
	}
}

// view returns the loop's Stream lent to filters, set for a request of
// table t whose neutral head is req.
func (rl *rpcLoop) view(ls *loopState, t *table, req *h1.Request) *Stream {
	v := rl.fs
	if v == nil {
		v = newStream(ls)
		rl.fs = v
	}
	v.ls = ls
	v.perRequest = perRequest{tbl: t, rpc: true, reqDone: true, keepAlive: true}
	v.req = *req
	return v
}

// filtered routes the request whose neutral head is d.req through the
// filters of table t and the products and routes; it returns the cluster,
// or the failure to answer with (failHandled: a filter did).
func (d *rpcDown) filtered(t *table, f *rpcx.Frame) (int, rpcx.Failure) {
	d.orig = append(d.orig[:0], d.req.Headers...)
	d.product, d.rt = nil, nil
	v := d.ls.rpc.view(d.ls, t, &d.req)
	if !d.runPoint(v, f, t.points[BeforeLocation]) {
		return -1, failHandled
	}
	ci := d.r.cluster
	if v.product = t.hosts.lookup(v.req.Host); v.product != nil {
		if !d.runPoint(v, f, t.points[FoundProduct]) || !d.runPoint(v, f, v.product.filters) {
			return -1, failHandled
		}
		ci = v.product.defaultCluster
		if v.route = v.product.match(v.req.Path, &v.req); v.route != nil {
			ci = v.route.cluster
		}
	}
	if ci >= 0 && ci < len(d.ls.clusters) {
		v.cs = d.ls.clusters[ci]
	}
	d.product, d.rt = v.product, v.route
	if !d.runPoint(v, f, t.points[AfterLocation]) || (v.route != nil && !d.runPoint(v, f, v.route.filters)) {
		return -1, failHandled
	}
	if !sameCall(&d.req, &v.req) {
		d.ls.srv.log.request(d.r.proto.Name(), d.ip, v.req.Path, 0, "a filter changed the service or method of an RPC request, refused", v.Cluster(), "")
		return -1, rpcx.FailBadRequest
	}
	if !d.applyChanges(f, v) {
		return -1, rpcx.FailBadRequest
	}
	d.req = v.req // as the filters left it, for read_response and request_finish
	if v.cs == nil {
		return -1, rpcx.FailNoBackend
	}
	return ci, 0
}

// runPoint runs chain ch on view v of request f and carries out its
// verdict; false: the request is answered or the connection closed.
func (d *rpcDown) runPoint(v *Stream, f *rpcx.Frame, ch chain) bool {
	if len(ch) == 0 {
		return true
	}
	switch ch.run(v) {
	case Continue:
		return true
	case Responded:
		d.answerFiltered(f, v)
	case CloseConn:
		d.closeNow()
	}
	return false
}

// answerFiltered writes the answer a filter gave with Respond on view v
// (nothing for a one-way request).
func (d *rpcDown) answerFiltered(f *rpcx.Frame, v *Stream) {
	st := d.ls.stats.rpcOf(d.r)
	st.refused.Add(1)
	if f.Kind != rpcx.KindOneway {
		d.scratch = d.r.proto.AppendError(d.scratch[:0], f, rpcFailureOf(v.status), string(v.out))
		d.write(d.scratch)
	}
	d.finishLocal(v.tbl, v.status, v.product, v.route)
}

// closeNow closes the client connection at a filter's CloseConn.
func (d *rpcDown) closeNow() {
	if !d.closed {
		d.closed = true
		d.ec.Close()
	}
}

// applyChanges writes the fields the filters changed into the frame (a
// copy of it in d.rewrite, which f then is): routing saw the changed head,
// so the backend must get it too. A change the frame cannot carry (a
// field that names the call, rpcx.ErrFieldFixed) refuses the request with
// a log line; false then.
func (d *rpcDown) applyChanges(f *rpcx.Frame, v *Stream) bool {
	d.changes = fieldChanges(d.changes[:0], d.orig, v.req.Headers)
	if len(d.changes) == 0 {
		return true
	}
	out, err := d.r.proto.AppendWithFields(d.rewrite[:0], f, &d.head, d.changes)
	if err == nil {
		d.rewrite = out
		if _, err = d.r.proto.Decode(out, f); err == nil {
			err = d.r.proto.Head(f, &d.head) // what the backend reads agrees with what was routed
		}
	}
	if err != nil {
		d.ls.srv.log.request(d.r.proto.Name(), d.ip, v.req.Path, 0, "a filter's change to the request cannot be written into the frame ("+err.Error()+"), refused", v.Cluster(), "")
		return false
	}
	return true
}

// sameCall reports whether filters left the service and method of the
// head as the frame names them (they cannot be written back).
func sameCall(was, now *h1.Request) bool {
	return bytes.Equal(was.Host, now.Host) && bytes.Equal(was.Method, now.Method) &&
		bytes.Equal(was.Path, now.Path) && bytes.Equal(was.Target, now.Target)
}

// fieldChanges appends to dst what turns the fields orig (the frame's)
// into now (after the filters; deleted ones are zeroed in place, and a
// name set twice keeps its last value).
func fieldChanges(dst []rpcx.Change, orig, now []head.Field) []rpcx.Change {
	for i, o := range orig {
		if v, ok := lastValue(now, o.Name); !ok {
			dst = append(dst, rpcx.Change{Key: o.Name, Remove: true})
		} else if !bytes.Equal(v, o.Value) && firstOf(orig, o.Name) == i {
			dst = append(dst, rpcx.Change{Key: o.Name, Value: v})
		}
	}
	for i, n := range now {
		if n.Name == nil || firstOf(orig, n.Name) >= 0 || firstOf(now, n.Name) != i {
			continue
		}
		v, _ := lastValue(now, n.Name)
		dst = append(dst, rpcx.Change{Key: canonicalKey(n.Name), Value: v})
	}
	return dst
}

// canonicalKey is the key a new field is written under: "version" and
// "group" as the servers spell them whatever case a filter used (routes
// match names without case, the servers read the exact key).
func canonicalKey(k []byte) []byte {
	for _, c := range [...][]byte{fieldVersion, fieldGroup} {
		if codec.EqualFoldBytes(k, c) {
			return c
		}
	}
	return k
}

func lastValue(fs []head.Field, name []byte) ([]byte, bool) {
	for i := len(fs) - 1; i >= 0; i-- {
		if fs[i].Name != nil && codec.EqualFoldBytes(fs[i].Name, name) {
			return fs[i].Value, true
		}
	}
	return nil, false
}

func firstOf(fs []head.Field, name []byte) int {
	for i := range fs {
		if fs[i].Name != nil && codec.EqualFoldBytes(fs[i].Name, name) {
			return i
		}
	}
	return -1
}
