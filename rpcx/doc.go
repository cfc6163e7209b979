// Package rpcx implements the wire codecs of the multiplexed RPC protocols
// velox proxies: Dubbo (dubbo.go, over hessian2 bodies) and SOFA Bolt v1 and
// v2 (bolt.go). Each one is a Protocol (rpcx.go), a small interface in the
// spirit of MOSN's XProtocol/XFrame: it decodes one frame at a time from the
// start of a buffer the loop owns, rewrites the request id in place, tells
// requests, one-way requests, responses and heartbeats apart, answers
// heartbeats, and builds the protocol's own error responses for failures
// that velox decides (no backend, timeout, overload, bad request, upstream
// gone).
//
// A frame is forwarded as the bytes it arrived as; only what routing needs
// is decoded, on demand (Protocol.Head): for Dubbo the service path,
// version, method and the attachments, read from the hessian2 body with the
// small reader of package rpcx/hessian2 and without decoding the call's
// arguments; for Bolt the class name and the header map.
//
// Buffer lifetimes: a Frame and a Head point into the buffer that was
// decoded (zero-copy). They are valid until those bytes are released or
// rewritten; the only rewrite this package does is SetID, which touches
// the id bytes and, for Bolt v2 frames with a CRC, the CRC. Decode, SetID
// and Head do not allocate (rpcx_alloc_test.go).
//
// Tested against the real libraries (differential tests, fuzzers with
// their frames as seeds): dubbo-go-hessian2 (dubbo-go's) and apache-dubbo-js
// for Dubbo, sofa-bolt-node for Bolt, hessian.js for hessian2; the node
// ones run through internal/rpcpeer.
//
// Imported by the proxy (the RPC downstream and upstream sessions, to come).
// Read next: rpcx.go (the interface, Frame, Head, Failure, errors), then
// dubbo.go, dubbo_head.go and bolt.go.
package rpcx
