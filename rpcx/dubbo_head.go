package rpcx

import (
	"github.com/velox-proxy/velox/rpcx/hessian2"
)

// The body of a hessian2 Dubbo request, in order (DubboCodec.encodeRequestData):
//
//	string  dubbo version ("2.0.2")
//	string  service path
//	string  service version
//	string  method name
//	int     -1, only from dubbox callers (apache-dubbo-js isSupportedDubbox)
//	string  parameter types, JVM descriptors ("Ljava/lang/String;I[J")
//	value * one argument per descriptor
//	map     attachments (path, interface, version, group, timeout, ...)
//
// Head reads the four strings, counts the descriptors, steps over the
// arguments without building them and keeps the attachments' bytes.

// Head implements Protocol for requests with a hessian2 body.
func (*Dubbo) Head(f *Frame, h *Head) error {
	if (f.Kind != KindRequest && f.Kind != KindOneway) || f.Codec != DubboHessian2 {
		return ErrNoHead
	}
	var r hessian2.Reader
	r.Reset(f.Body())
	*h = Head{}
	fields := [...]*[]byte{&h.DubboVersion, &h.Service, &h.Version, &h.Method}
	for _, p := range fields {
		s, _, err := r.ReadString()
		if err != nil {
			return bodyError(err)
		}
		*p = s
	}
	desc, _, err := r.ReadString()
	if err == hessian2.ErrNotString { // dubbox: an int before the types
		if _, err = r.ReadInt(); err == nil {
			desc, _, err = r.ReadString()
		}
	}
	if err != nil {
		return bodyError(err)
	}
	args, ok := countDescriptors(desc)
	if !ok {
		return ErrBadBody
	}
	for ; args > 0; args-- {
		if r.Skip() != nil {
			return ErrBadBody
		}
	}
	h.meta = r.Rest()
	group, _, err := dubboLookup(h.meta, "group")
	if err != nil {
		return err
	}
	h.Group = group
	return nil
}

// dubboLookup finds key in a hessian2 map of attachments (a missing map,
// as older callers send, has no keys).
func dubboLookup(m []byte, key string) ([]byte, bool, error) {
	if len(m) == 0 {
		return nil, false, nil
	}
	var r hessian2.Reader
	r.Reset(m)
	if r.MapStart() != nil {
		return nil, false, ErrBadBody
	}
	for {
		more, err := r.MapNext()
		if err != nil {
			return nil, false, ErrBadBody
		}
		if !more {
			return nil, false, nil
		}
		k, _, err := r.ReadString()
		if err != nil && r.Skip() != nil { // a key of another type, or chunked
			return nil, false, ErrBadBody
		}
		if err != nil || !hessian2.EqualString(k, key) {
			if r.Skip() != nil {
				return nil, false, ErrBadBody
			}
			continue
		}
		v, _, err := r.ReadString()
		if err == hessian2.ErrNotString {
			return nil, false, ErrValueType
		}
		if err != nil {
			return nil, false, bodyError(err)
		}
		return v, true, nil
	}
}

func bodyError(err error) error {
	if err == hessian2.ErrChunked {
		return ErrChunkedString
	}
	return ErrBadBody
}

// countDescriptors counts the JVM field descriptors in a Dubbo parameter
// types string: a primitive letter, Lclass/name;, or [ before either. ok
// is false for anything else.
func countDescriptors(d []byte) (n int, ok bool) {
	for i := 0; i < len(d); n++ {
		for i < len(d) && d[i] == '[' {
			i++
		}
		if i == len(d) {
			return 0, false
		}
		switch d[i] {
		case 'V', 'Z', 'B', 'C', 'D', 'F', 'I', 'J', 'S':
			i++
		case 'L':
			end := i + 1
			for end < len(d) && d[end] != ';' {
				end++
			}
			if end == len(d) || end == i+1 {
				return 0, false
			}
			i = end + 1
		default:
			return 0, false
		}
	}
	return n, true
}
