package rpcx

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/velox-proxy/velox/rpcx/hessian2"
)

// Change is one field of a request changed by a proxy (a filter that
// sets, adds or removes a header): Key gets Value, or is removed.
type Change struct {
	Key, Value []byte
	Remove     bool
}

func changeOf(changes []Change, key []byte) int {
	for i := range changes {
		if string(changes[i].Key) == string(key) {
			return i
		}
	}
	return -1
}

// AppendWithFields implements Protocol for Dubbo: the changes go into the
// attachments map, written anew at the end of the body ('H', the entries
// not changed as they were, then the changed ones, 'Z'). "version" is
// also the leading version string, rewritten with it, since the provider
// reads the attachment and velox checks the two agree. "path" and
// "interface" name the service, which routing took from the head, so they
// cannot be changed (ErrFieldFixed); an entry to change whose value is no
// string gives ErrValueType (hessian2 numbers the maps and objects of a
// body, and dropping one would shift the references after it).
func (*Dubbo) AppendWithFields(dst []byte, f *Frame, h *Head, changes []Change) ([]byte, error) {
	for _, c := range changes {
		if k := string(c.Key); k == "path" || k == "interface" {
			return dst, ErrFieldFixed
		}
	}
	body := f.Body()
	metaAt := len(body) - len(h.meta)
	start := len(dst)
	dst = append(dst, f.Raw[:DubboHeaderLen]...)
	if i := changeOf(changes, []byte("version")); i >= 0 {
		var v []byte
		if !changes[i].Remove {
			v = changes[i].Value
		}
		dst = append(dst, body[:h.verAt]...)
		dst = hessian2.AppendString(dst, string(v))
		dst = append(dst, body[h.verEnd:metaAt]...)
	} else {
		dst = append(dst, body[:metaAt]...)
	}
	dst = append(dst, 'H')
	var err error
	if dst, err = appendKeptAttachments(dst, h.meta, changes); err != nil {
		return dst[:start], err
	}
	for _, c := range changes {
		if !c.Remove {
			dst = hessian2.AppendString(dst, string(c.Key))
			dst = hessian2.AppendString(dst, string(c.Value))
		}
	}
	dst = append(dst, 'Z')
	binary.BigEndian.PutUint32(dst[start+12:], uint32(len(dst)-start-DubboHeaderLen))
	return dst, nil
}

// appendKeptAttachments copies the entries of the attachments map m whose
// keys no change names, as they are on the wire (a chunked key is
// refused, as the attachments iterator does).
func appendKeptAttachments(dst, m []byte, changes []Change) ([]byte, error) {
	if len(m) == 0 || m[0] == 'N' {
		return dst, nil
	}
	var r hessian2.Reader
	r.Reset(m)
	if r.MapStart() != nil {
		return dst, ErrBadBody
	}
	for {
		more, err := r.MapNext()
		if err != nil {
			return dst, ErrBadBody
		}
		if !more {
			return dst, nil
		}
		at := r.Offset()
		k, _, kerr := r.ReadString()
		if kerr == hessian2.ErrChunked || (kerr != nil && r.Skip() != nil) {
			return dst, ErrBadBody
		}
		if kerr == nil && changeOfWire(changes, k) {
			if _, _, err := r.ReadString(); err != nil {
				return dst, ErrValueType
			}
			continue
		}
		if r.Skip() != nil {
			return dst, ErrBadBody
		}
		dst = append(dst, m[at:r.Offset()]...)
	}
}

func changeOfWire(changes []Change, wire []byte) bool {
	for _, c := range changes {
		if hessian2.EqualString(wire, string(c.Key)) {
			return true
		}
	}
	return false
}

// AppendWithFields implements Protocol for Bolt: the changes go into the
// header map (entries not changed as they were, then the changed ones),
// the header length and a v2 CRC are set anew. "service",
// "sofa_head_target_service" and "sofa_head_method_name" name the call,
// as the content does for a SofaRequest, so they cannot be changed
// (ErrFieldFixed); nor "version", the service's version in velox's head.
// A header map over 64 KiB gives ErrFieldFixed too.
func (*Bolt) AppendWithFields(dst []byte, f *Frame, h *Head, changes []Change) ([]byte, error) {
	for _, c := range changes {
		switch string(c.Key) {
		case BoltHeaderService, BoltHeaderTargetService, BoltHeaderMethod, "version":
			return dst, ErrFieldFixed
		}
	}
	l := &boltLayouts[f.Version-1][0]
	start := len(dst)
	dst = append(dst, f.Raw[:f.hdrLen+f.class]...)
	metaStart := len(dst)
	m := h.meta
	for len(m) > 0 {
		k, rest, ok := boltField(m)
		if !ok {
			return dst[:start], ErrBadBody
		}
		_, rest, ok = boltField(rest)
		if !ok {
			return dst[:start], ErrBadBody
		}
		if changeOf(changes, k) < 0 {
			dst = append(dst, m[:len(m)-len(rest)]...)
		}
		m = rest
	}
	for _, c := range changes {
		if !c.Remove {
			dst = binary.BigEndian.AppendUint32(dst, uint32(len(c.Key)))
			dst = append(dst, c.Key...)
			dst = binary.BigEndian.AppendUint32(dst, uint32(len(c.Value)))
			dst = append(dst, c.Value...)
		}
	}
	n := len(dst) - metaStart
	if n > 0xffff {
		return dst[:start], ErrFieldFixed
	}
	binary.BigEndian.PutUint16(dst[start+l.metaLen:], uint16(n))
	contentAt := f.hdrLen + f.class + f.meta
	crc := f.Version == BoltV2 && f.Raw[l.sw]&boltCRCBit != 0
	end := len(f.Raw)
	if crc {
		end -= 4
	}
	dst = append(dst, f.Raw[contentAt:end]...)
	if crc {
		dst = binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:]))
	}
	return dst, nil
}
