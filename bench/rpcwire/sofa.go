package rpcwire

import "encoding/binary"

// sofaReader steps over the values of a SofaRequest in the Hessian 2.0
// draft form SOFA's hessian writes (rpcx/hessian2 reads the final form):
// strings, null, booleans, ints, a class definition 'O' (int length, raw
// name, int field count, field names), an instance 'o' (int ref, then its
// fields), typed lists 'V' and maps 'M' up to 'z'. It reads no more than
// rpcserve needs to find the argument after the object; anything else is
// "not found", never a panic.
type sofaReader struct {
	b     []byte
	depth int
	// fields is the field count of each class defined so far.
	fields []int
}

func (r *sofaReader) take(n int) ([]byte, bool) {
	if n < 0 || n > len(r.b) {
		return nil, false
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s, true
}

// int reads a hessian int: compact (one to three bytes) or 'I'.
func (r *sofaReader) int() (int, bool) {
	if len(r.b) == 0 {
		return 0, false
	}
	t := r.b[0]
	switch {
	case t >= 0x80 && t <= 0xbf:
		r.b = r.b[1:]
		return int(t) - 0x90, true
	case t >= 0xc0 && t <= 0xcf && len(r.b) >= 2:
		v := (int(t)-0xc8)<<8 | int(r.b[1])
		r.b = r.b[2:]
		return v, true
	case t >= 0xd0 && t <= 0xd7 && len(r.b) >= 3:
		v := (int(t)-0xd4)<<16 | int(r.b[1])<<8 | int(r.b[2])
		r.b = r.b[3:]
		return v, true
	case t == 'I' && len(r.b) >= 5:
		v := int(int32(binary.BigEndian.Uint32(r.b[1:])))
		r.b = r.b[5:]
		return v, true
	}
	return 0, false
}

// str reads a string of one chunk and returns its bytes.
func (r *sofaReader) str() ([]byte, bool) {
	if len(r.b) == 0 {
		return nil, false
	}
	t := r.b[0]
	var n int
	switch {
	case t <= 0x1f:
		n, r.b = int(t), r.b[1:]
	case t >= 0x30 && t <= 0x33 && len(r.b) >= 2:
		n, r.b = int(t-0x30)<<8|int(r.b[1]), r.b[2:]
	case t == 'S' && len(r.b) >= 3:
		n, r.b = int(binary.BigEndian.Uint16(r.b[1:])), r.b[3:]
	default:
		return nil, false
	}
	// n counts UTF-16 units: one per 1-, 2- or 3-byte sequence (a
	// character above U+FFFF comes as two 3-byte surrogates).
	size := 0
	for ; n > 0; n-- {
		if size >= len(r.b) {
			return nil, false
		}
		switch c := r.b[size]; {
		case c < 0x80:
			size++
		case c < 0xe0:
			size += 2
		default:
			size += 3
		}
	}
	return r.take(size)
}

// object reads an instance, with the class definition before it.
func (r *sofaReader) object() bool {
	if len(r.b) > 0 && r.b[0] == 'O' {
		r.b = r.b[1:]
		n, ok := r.int()
		if !ok {
			return false
		}
		if _, ok := r.take(n); !ok {
			return false
		}
		k, ok := r.int()
		if !ok || k < 0 || k > 64 || len(r.fields) >= 64 {
			return false
		}
		for range k {
			if _, ok := r.str(); !ok {
				return false
			}
		}
		r.fields = append(r.fields, k)
	}
	if len(r.b) == 0 || r.b[0] != 'o' {
		return false
	}
	r.b = r.b[1:]
	ref, ok := r.int()
	if !ok || ref < 0 || ref >= len(r.fields) {
		return false
	}
	for range r.fields[ref] {
		if !r.value() {
			return false
		}
	}
	return true
}

// value steps over one value.
func (r *sofaReader) value() bool {
	if len(r.b) == 0 || r.depth > 16 {
		return false
	}
	t := r.b[0]
	switch {
	case t <= 0x1f || t >= 0x30 && t <= 0x33 || t == 'S':
		_, ok := r.str()
		return ok
	case t == 'N' || t == 'T' || t == 'F':
		r.b = r.b[1:]
		return true
	case t >= 0x80 && t <= 0xd7 || t == 'I':
		_, ok := r.int()
		return ok
	case t == 'O' || t == 'o':
		r.depth++
		defer func() { r.depth-- }()
		return r.object()
	case t == 'V' || t == 'M':
		r.depth++
		defer func() { r.depth-- }()
		return r.until(t == 'M')
	}
	return false
}

// until reads a typed list or map ('V' or 'M', an optional 't' type, for
// a list an optional 'n'/'l' length) and its values up to 'z'.
func (r *sofaReader) until(isMap bool) bool {
	r.b = r.b[1:]
	if len(r.b) >= 3 && r.b[0] == 't' {
		n := int(binary.BigEndian.Uint16(r.b[1:]))
		if _, ok := r.take(3 + n); !ok {
			return false
		}
	}
	switch {
	case !isMap && len(r.b) >= 2 && r.b[0] == 'n':
		r.b = r.b[2:]
	case !isMap && len(r.b) >= 5 && r.b[0] == 'l':
		r.b = r.b[5:]
	}
	for len(r.b) > 0 && r.b[0] != 'z' {
		if !r.value() {
			return false
		}
	}
	if len(r.b) == 0 {
		return false
	}
	r.b = r.b[1:]
	return true
}
