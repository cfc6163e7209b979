// Package rpcwire encodes the frames of the benchmark's RPC phase: the
// Dubbo (hessian2) and SOFA Bolt v1 requests bench/cmd/rpcload sends, and
// the OK answers bench/cmd/rpcserve gives (answer.go). Frames are built by
// hand from the wire layouts, in the forms the real libraries write them
// (dubbo-go and apache-dubbo-js for Dubbo; sofa-bolt-node, SOFA's hessian
// draft form, for Bolt): the tests of both commands check them against
// those libraries.
package rpcwire

import (
	"encoding/binary"
	"fmt"

	"github.com/velox-proxy/velox/rpcx"
	"github.com/velox-proxy/velox/rpcx/hessian2"
)

// Call is what every request asks: a method of a service at a version,
// with one string argument.
type Call struct {
	Service, Version, Method, Arg string
	// App is the caller's application name (Bolt's targetAppName).
	App string
	// TimeoutMs is the request timeout the frame carries (Bolt's header
	// field, Dubbo's "timeout" attachment).
	TimeoutMs uint32
}

// ProtocolOf is the rpcx codec of name ("dubbo", "bolt").
func ProtocolOf(name string) (rpcx.Protocol, error) {
	switch name {
	case "dubbo":
		return &rpcx.Dubbo{}, nil
	case "bolt":
		return &rpcx.Bolt{}, nil
	}
	return nil, fmt.Errorf("unknown protocol %q (dubbo, bolt)", name)
}

// RequestFrame is the request frame of c in protocol name, with id 0.
func RequestFrame(name string, c Call) ([]byte, error) {
	switch name {
	case "dubbo":
		return DubboRequest(c), nil
	case "bolt":
		return BoltRequest(c), nil
	}
	return nil, fmt.Errorf("unknown protocol %q (dubbo, bolt)", name)
}

// DubboRequest is a two-way hessian2 Dubbo request, laid out as
// DubboCodec.encodeRequestData writes it: dubbo version, path, version,
// method, parameter types, the argument, then the attachments map.
func DubboRequest(c Call) []byte {
	body := hessian2.AppendString(nil, "2.0.2")
	body = hessian2.AppendString(body, c.Service)
	body = hessian2.AppendString(body, c.Version)
	body = hessian2.AppendString(body, c.Method)
	body = hessian2.AppendString(body, "Ljava/lang/String;")
	body = hessian2.AppendString(body, c.Arg)
	body = append(body, 'H')
	for _, kv := range [][2]string{{"path", c.Service}, {"interface", c.Service}, {"version", c.Version},
		{"timeout", fmt.Sprint(c.TimeoutMs)}} {
		body = hessian2.AppendString(hessian2.AppendString(body, kv[0]), kv[1])
	}
	body = append(body, 'Z')
	f := []byte{0xda, 0xbb, 0x80 | 0x40 | rpcx.DubboHessian2, 0}
	f = binary.BigEndian.AppendUint64(f, 0)
	f = binary.BigEndian.AppendUint32(f, uint32(len(body)))
	return append(f, body...)
}

// BoltRequestClass is the class name of a SOFA RPC request's content.
const BoltRequestClass = "com.alipay.sofa.rpc.core.request.SofaRequest"

// BoltRequest is a Bolt v1 request with hessian2 content: the class name,
// the header map ("service" and the method), and a SofaRequest object
// followed by the argument, in the Hessian 2.0 draft form SOFA's hessian
// (and sofa-bolt-node) writes: a class definition 'O', the instance 'o',
// the argument types as a typed list 'V'.
func BoltRequest(c Call) []byte {
	svc := c.Service + ":" + c.Version
	var meta []byte
	for _, kv := range [][2]string{{rpcx.BoltHeaderService, svc}, {rpcx.BoltHeaderMethod, c.Method}} {
		meta = appendBoltField(appendBoltField(meta, kv[0]), kv[1])
	}
	content := append([]byte{'O'}, compactInt(len(BoltRequestClass))...)
	content = append(content, BoltRequestClass...)
	fields := []string{"methodName", "methodArgSigs", "targetServiceUniqueName", "targetAppName", "requestProps"}
	content = append(content, compactInt(len(fields))...)
	for _, f := range fields {
		content = hessian2.AppendString(content, f)
	}
	content = append(content, 'o')
	content = append(content, compactInt(0)...)
	content = hessian2.AppendString(content, c.Method)
	const argType = "[java.lang.String"
	content = append(content, 'V', 't', 0, byte(len(argType)))
	content = append(content, argType...)
	content = append(content, 'n', 1)
	content = hessian2.AppendString(content, "java.lang.String")
	content = append(content, 'z')
	content = hessian2.AppendString(content, svc)
	content = hessian2.AppendString(content, c.App)
	content = append(content, 'N')
	content = hessian2.AppendString(content, c.Arg)

	f := []byte{rpcx.BoltV1, 1 /* request */, 0, 1 /* cmd request */, 1 /* ver2 */, 0, 0, 0, 0, rpcx.BoltHessian2}
	f = binary.BigEndian.AppendUint32(f, c.TimeoutMs)
	f = binary.BigEndian.AppendUint16(f, uint16(len(BoltRequestClass)))
	f = binary.BigEndian.AppendUint16(f, uint16(len(meta)))
	f = binary.BigEndian.AppendUint32(f, uint32(len(content)))
	f = append(f, BoltRequestClass...)
	f = append(f, meta...)
	return append(f, content...)
}

// appendBoltField appends s as SimpleMapSerializer writes a key or value.
func appendBoltField(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}

// compactInt is a hessian int between -16 and 47, in one byte.
func compactInt(n int) []byte {
	if n < -16 || n > 47 {
		panic("compactInt out of range")
	}
	return []byte{byte(0x90 + n)}
}
