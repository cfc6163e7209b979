package rpcwire

import (
	"encoding/binary"

	"github.com/velox-proxy/velox/rpcx"
	"github.com/velox-proxy/velox/rpcx/hessian2"
)

// DubboAnswer appends to dst the OK response to the hessian2 Dubbo request
// f: a RESPONSE_VALUE (hessian int 1) whose value is the string
// name:ARG, ARG the request's first argument when it is a string.
func DubboAnswer(dst []byte, f *rpcx.Frame, name string) []byte {
	start := len(dst)
	dst = append(dst, 0xda, 0xbb, rpcx.DubboHessian2, byte(rpcx.DubboOK))
	dst = binary.BigEndian.AppendUint64(dst, f.ID)
	dst = append(dst, 0, 0, 0, 0)
	dst = append(dst, 0x91) // RESPONSE_VALUE
	dst = appendAnswer(dst, name, dubboArg(f))
	binary.BigEndian.PutUint32(dst[start+12:], uint32(len(dst)-start-rpcx.DubboHeaderLen))
	return dst
}

// dubboArg is the first argument of request f when it is a string: after
// the dubbo version, path, version, method and parameter types.
func dubboArg(f *rpcx.Frame) []byte {
	if f.Codec != rpcx.DubboHessian2 {
		return nil
	}
	var r hessian2.Reader
	r.Reset(f.Body())
	for range 5 {
		if _, _, err := r.ReadString(); err != nil {
			return nil
		}
	}
	arg, _, err := r.ReadString()
	if err != nil {
		return nil
	}
	return hessian2.AppendUTF8(nil, arg)
}

// appendAnswer appends the hessian2 string name:arg.
func appendAnswer(dst []byte, name string, arg []byte) []byte {
	return hessian2.AppendString(dst, name+":"+string(arg))
}

// BoltResponseClass is the class name of a SOFA RPC response's content.
const BoltResponseClass = "com.alipay.sofa.rpc.core.response.SofaResponse"

// boltResponseHead is the content of every answer up to its value: the
// SofaResponse class definition and instance in SOFA's hessian form, with
// isError false and no errorMsg.
var boltResponseHead = func() []byte {
	b := append([]byte{'O'}, compactInt(len(BoltResponseClass))...)
	b = append(b, BoltResponseClass...)
	fields := []string{"isError", "errorMsg", "appResponse", "responseProps"}
	b = append(b, compactInt(len(fields))...)
	for _, f := range fields {
		b = hessian2.AppendString(b, f)
	}
	return append(b, 'o', 0x90, 'F', 'N')
}()

// BoltAnswer appends to dst the OK (ResponseStatus SUCCESS) response to
// the Bolt request f: a SofaResponse whose appResponse is the string
// name:ARG, ARG the request's first argument when it is a string.
func BoltAnswer(dst []byte, f *rpcx.Frame, name string) []byte {
	var content []byte
	if f.Version == rpcx.BoltV1 {
		content = append(content, boltResponseHead...)
		content = appendAnswer(content, name, sofaArg(f))
		content = append(content, 'N') // responseProps
	}
	dst = append(dst, rpcx.BoltV1, 0 /* response */, 0, 2 /* cmd response */, 1 /* ver2 */)
	dst = binary.BigEndian.AppendUint32(dst, uint32(f.ID))
	dst = append(dst, f.Codec)
	dst = binary.BigEndian.AppendUint16(dst, uint16(rpcx.BoltSuccess))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(BoltResponseClass)))
	dst = binary.BigEndian.AppendUint16(dst, 0) // no header map
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(content)))
	dst = append(dst, BoltResponseClass...)
	return append(dst, content...)
}

// sofaArg is the first argument of the Bolt v1 request f, when it is a
// string after a SofaRequest object (as sofa-bolt-node and rpcload send
// it, in the Hessian 2.0 draft form hessian2.Reader.ReadObjectStrings
// reads).
func sofaArg(f *rpcx.Frame) []byte {
	const hdr = 22
	raw := f.Raw
	if len(raw) < hdr {
		return nil
	}
	class := int(binary.BigEndian.Uint16(raw[14:]))
	meta := int(binary.BigEndian.Uint16(raw[16:]))
	if hdr+class+meta > len(raw) {
		return nil
	}
	var r hessian2.Reader
	r.Reset(raw[hdr+class+meta:])
	if _, err := r.ReadObjectStrings(nil, nil, nil); err != nil {
		return nil
	}
	s, _, err := r.ReadString()
	if err != nil {
		return nil
	}
	return hessian2.AppendUTF8(nil, s) // a surrogate pair becomes one UTF-8 character
}
