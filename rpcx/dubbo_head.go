package rpcx

import (
	"bytes"

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
//
// A provider finds the service by the attachments, not by the leading
// strings: Java's DecodeableRpcInvocation puts the leading path and
// version into the attachments and lets the map that follows replace
// them, and dubbo-go reads "path" (else "interface"), "version" and
// "group" from that map alone. So Head's Service and Version are what the
// attachments say when they carry them, and a request whose attachments
// name another service or version than its leading strings is refused
// (ErrHeadMismatch): routing must see the service the provider will call.

// Head implements Protocol for requests with a hessian2 body.
func (*Dubbo) Head(f *Frame, h *Head) error {
	if (f.Kind != KindRequest && f.Kind != KindOneway) || f.Codec != DubboHessian2 {
		return ErrNoHead
	}
	var r hessian2.Reader
	r.Reset(f.Body())
	*h = Head{}
	fields := [...]*[]byte{&h.DubboVersion, &h.Service, &h.Version, &h.Method}
	for i, p := range fields {
		if i == 2 {
			h.verAt = r.Offset()
		}
		s, _, err := r.ReadString()
		if err != nil {
			return bodyError(err)
		}
		*p = s
		if i == 2 {
			h.verEnd = r.Offset()
		}
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
	return h.agreeWithAttachments()
}

// The attachments that name the call, by index in dubboCallKeys.
const (
	attPath = iota
	attInterface
	attVersion
	attGroup
)

var dubboCallKeys = []string{attPath: "path", attInterface: "interface", attVersion: "version", attGroup: "group"}

// agreeWithAttachments sets Service, Version and Group to what the
// provider will read, or returns ErrHeadMismatch when the leading strings
// say otherwise.
func (h *Head) agreeWithAttachments() error {
	var vals [4][]byte
	var has [4]bool
	if err := dubboAttachments(h.meta, dubboCallKeys, vals[:], has[:]); err != nil {
		return err
	}
	svc, has1 := vals[attPath], has[attPath]
	if !has1 {
		svc, has1 = vals[attInterface], has[attInterface]
	}
	if has1 {
		if len(h.Service) > 0 && !bytes.Equal(svc, h.Service) {
			return ErrHeadMismatch
		}
		h.Service = svc
	}
	if has[attVersion] {
		if len(h.Version) > 0 && !bytes.Equal(vals[attVersion], h.Version) {
			return ErrHeadMismatch
		}
		h.Version = vals[attVersion]
	}
	h.Group = vals[attGroup]
	return nil
}

// dubboAttachments reads the attachments named keys from the hessian2 map
// m in one pass: vals[i] is the string value of keys[i] (empty for null),
// has[i] whether the map has that key. A value of one of keys that is not
// a string gives ErrValueType.
func dubboAttachments(m []byte, keys []string, vals [][]byte, has []bool) error {
	if len(m) == 0 {
		return nil
	}
	var r hessian2.Reader
	r.Reset(m)
	if r.MapStart() != nil {
		return ErrBadBody
	}
	for {
		more, err := r.MapNext()
		if err != nil {
			return ErrBadBody
		}
		if !more {
			return nil
		}
		k, _, err := r.ReadString()
		if err != nil && r.Skip() != nil { // a key of another type, or chunked
			return ErrBadBody
		}
		i := -1
		for j, key := range keys {
			if err == nil && hessian2.EqualString(k, key) {
				i = j
			}
		}
		if i < 0 {
			if r.Skip() != nil {
				return ErrBadBody
			}
			continue
		}
		v, _, err := r.ReadString()
		if err == hessian2.ErrNotString {
			return ErrValueType
		}
		if err != nil {
			return bodyError(err)
		}
		vals[i], has[i] = v, true
	}
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
