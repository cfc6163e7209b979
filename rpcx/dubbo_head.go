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
	if (len(svc) > 0 && svc[0] == '/') || (len(h.Service) > 0 && h.Service[0] == '/') {
		return ErrBadBody // dubbo-go drops one leading '/' of the service it calls: refused, not guessed
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
// has[i] whether the map has that key (a key sent twice: its last value).
// A value of one of keys that is not a string gives ErrValueType.
func dubboAttachments(m []byte, keys []string, vals [][]byte, has []bool) error {
	var it attachments
	it.reset(m)
	for {
		k, ok, err := it.next()
		if err != nil || !ok {
			return err
		}
		i := -1
		for j, key := range keys {
			if hessian2.EqualString(k, key) {
				i = j
			}
		}
		if i < 0 {
			if it.r.Skip() != nil {
				return ErrBadBody
			}
			continue
		}
		v, _, err := it.r.ReadString()
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
// as older callers send, has no keys). A key sent twice has its last
// value, as every decoder keeps.
func dubboLookup(m []byte, key string) (v []byte, found bool, err error) {
	var it attachments
	it.reset(m)
	var verr error
	for {
		k, ok, err := it.next()
		if err != nil {
			return nil, false, err
		}
		if !ok {
			break
		}
		if !hessian2.EqualString(k, key) {
			if it.r.Skip() != nil {
				return nil, false, ErrBadBody
			}
			continue
		}
		found = true
		var e error
		if v, _, e = it.r.ReadString(); e == nil {
			verr = nil
			continue
		}
		verr = ErrValueType
		if e != hessian2.ErrNotString {
			verr = bodyError(e)
		}
		if it.r.Skip() != nil {
			return nil, false, ErrBadBody
		}
	}
	if verr != nil {
		return nil, false, verr
	}
	return v, found, nil
}

// attachments steps through the entries of a hessian2 attachments map
// whose keys are strings (entries with other keys are skipped). A chunked
// key gives ErrBadBody: every decoder joins its chunks, so it could be
// "path" to the provider while velox, which reads keys in place, would
// not see it.
type attachments struct {
	r    hessian2.Reader
	none bool
}

func (a *attachments) reset(m []byte) {
	a.r.Reset(m)
	a.none = len(m) == 0
	if !a.none && a.r.MapStart() != nil {
		a.r.Reset(nil) // next reports ErrBadBody
	}
}

// next returns the next string key, the reader then at its value, which
// the caller must read or skip; ok is false at the end of the map.
func (a *attachments) next() (k []byte, ok bool, err error) {
	if a.none {
		return nil, false, nil
	}
	for {
		more, err := a.r.MapNext()
		if err != nil {
			return nil, false, ErrBadBody
		}
		if !more {
			return nil, false, nil
		}
		k, _, err := a.r.ReadString()
		switch {
		case err == hessian2.ErrChunked:
			return nil, false, ErrBadBody
		case err != nil: // a key of another type, and its value
			if a.r.Skip() != nil || a.r.Skip() != nil {
				return nil, false, ErrBadBody
			}
			continue
		}
		return k, true, nil
	}
}

func bodyError(err error) error {
	if err == hessian2.ErrChunked {
		return ErrChunkedString
	}
	return ErrBadBody
}

// countDescriptors counts the JVM field descriptors in a Dubbo parameter
// types string: a primitive letter, or L, class name parts of Java
// identifier characters joined by '/', then ';', each after any '['. ok is
// false for anything else: dubbo-go counts the arguments with a regular
// expression (dubbo-go-hessian2's DescRegex) that skips what it does not
// match, so a string only partly made of descriptors would make it count
// differently from velox and read another value as the attachments.
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
			i++
			for {
				k := identEnd(d, i)
				if k == i {
					return 0, false
				}
				if i = k; i < len(d) && d[i] == '/' {
					i++
					continue
				}
				break
			}
			if i == len(d) || d[i] != ';' {
				return 0, false
			}
			i++
		default:
			return 0, false
		}
	}
	return n, true
}

// identEnd is the end of the Java identifier ([_$a-zA-Z][_$a-zA-Z0-9]*)
// at d[i:]; i when there is none.
func identEnd(d []byte, i int) int {
	k := i
	for ; k < len(d); k++ {
		c := d[k]
		letter := c == '_' || c == '$' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		if !letter && (k == i || c < '0' || c > '9') {
			break
		}
	}
	return k
}
