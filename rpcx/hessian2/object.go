package hessian2

import "encoding/binary"

// ReadObjectStrings reads an object whose class definition comes just
// before it ('C', then the instance: SOFA's SofaRequest is written so, as
// the first value of a Bolt request's content). The definition may also
// be in the form of the Hessian 2.0 draft that hessian.js writes (and so
// sofa-bolt-node): 'O', the name's length and characters, the field count
// and names, then 'o' and the definition's index; its lists and maps end
// with 'z' ('V' and 'M', with an optional 't' type and 'n'/'l' length). For each field of the
// definition named in names, the field's string value goes into vals at
// that name's index (left nil when the field is absent or null); every
// other field is skipped. It returns the class name. A field named in
// names whose value is not a string gives ErrNotString, a chunked one
// ErrChunked. It does not allocate: vals point into the input. It stops
// after the last field it was asked for: what follows in the object is
// not read; with no names it reads the whole object.
//
// In the draft grammar the definition must name exactly the fields of
// draftLayout, in order (when it is not nil), and the fields before the
// last one asked for may only be null, strings, ints or a typed list of
// strings ('V', a type, 'n' or 'l' and the count, that many strings,
// 'z'): hessian.js keeps class definitions across the messages of a
// connection and reads its other values by rules of its own, so anything
// else could be read differently by the server (ErrSyntax).
func (r *Reader) ReadObjectStrings(names []string, vals [][]byte, draftLayout []string) (class []byte, err error) {
	start := r.off
	if class, err = r.objectStrings(names, vals, draftLayout); err != nil {
		return nil, r.fail(start, err)
	}
	return class, nil
}

// maxMatched bounds the fields of a definition that ReadObjectStrings
// matches against names; later fields are skipped.
const maxMatched = 64

func (r *Reader) objectStrings(names []string, vals [][]byte, draftLayout []string) ([]byte, error) {
	tag, err := r.byte()
	if err != nil {
		return nil, err
	}
	draft := tag == 'O'
	if (tag != 'C' && !draft) || r.nclass >= MaxClasses {
		return nil, ErrSyntax
	}
	var class []byte
	if draft {
		var n int
		if n, err = r.length(); err == nil {
			class, err = r.chars(n)
		}
	} else {
		class, _, err = r.ReadString()
	}
	if err != nil {
		return nil, err
	}
	n, err := r.length()
	if err != nil {
		return nil, err
	}
	if len(names) > 127 {
		return nil, ErrSyntax // which holds int8 indexes
	}
	if draft && draftLayout != nil && n != len(draftLayout) {
		return nil, ErrSyntax
	}
	var which [maxMatched]int8 // index in names of each field, -1 for none
	last := -1                 // the last field asked for
	if len(names) == 0 {
		last = n - 1 // none asked for: step over the whole object
	}
	for i := 0; i < n; i++ {
		name, _, err := r.ReadString()
		if err != nil {
			return nil, err
		}
		if draft && draftLayout != nil && !EqualString(name, draftLayout[i]) {
			return nil, ErrSyntax
		}
		if i < maxMatched {
			which[i] = -1
			for k, want := range names {
				if EqualString(name, want) {
					which[i], last = int8(k), i
				}
			}
		}
	}
	def := r.nclass
	r.classes[def] = int32(n)
	r.nclass++
	if tag, err = r.byte(); err != nil {
		return nil, err
	}
	switch {
	case tag == 'O' && !draft, tag == 'o' && draft:
		d, err := r.int()
		if err != nil {
			return nil, err
		}
		if int(d) != def {
			return nil, ErrSyntax
		}
	case tag == byte(0x60+def) && def < 16:
	default:
		return nil, ErrSyntax
	}
	for i := 0; i <= last; i++ {
		if i >= maxMatched || which[i] < 0 {
			skip := r.skip
			if draft {
				skip = r.skipDraft
			}
			if err := skip(); err != nil {
				return nil, err
			}
			continue
		}
		s, null, err := r.ReadString()
		if err != nil {
			return nil, err
		}
		if !null {
			vals[which[i]] = s
		}
	}
	return class, nil
}

// skipDraft skips one value of the Hessian 2.0 draft, of the kinds that
// hessian.js writes in a SofaRequest: null, a string (not chunked), an
// int, a typed list of strings ('V', an optional 't' type, 'n' and a byte
// or 'l' and four bytes of count, that many strings, then 'z'), or a map
// of such values ('M', an optional 't' type, keys and values, then 'z'). Anything else is ErrSyntax: hessian.js reads
// other tags ('H'/'M' up to 'z', 'R' as a reference, dates, chunks) by
// rules that differ from the final grammar's.
func (r *Reader) skipDraft() error {
	tag, err := r.Peek()
	if err != nil {
		return err
	}
	switch {
	case tag == 'N':
		r.off++
		return nil
	case tag <= 0x1f || tag == 'S':
		_, _, err := r.ReadString()
		return err
	case 0x80 <= tag && tag <= 0xd7 || tag == 'I':
		_, err := r.ReadInt()
		return err
	case tag == 'M':
		return r.draftMap()
	case tag != 'V':
		return ErrSyntax
	}
	r.off++
	if err := r.draftType(); err != nil {
		return err
	}
	t, err := r.byte()
	if err != nil {
		return err
	}
	var count int
	switch t {
	case 'n':
		b, err := r.take(1)
		if err != nil {
			return err
		}
		count = int(b[0])
	case 'l':
		b, err := r.take(4)
		if err != nil {
			return err
		}
		count = int(binary.BigEndian.Uint32(b))
	default:
		return ErrSyntax
	}
	if count > len(r.buf)-r.off {
		return ErrSyntax
	}
	for ; count > 0; count-- {
		if _, _, err := r.ReadString(); err != nil {
			return ErrSyntax
		}
	}
	if z, err := r.byte(); err != nil || z != 'z' {
		return ErrSyntax
	}
	return nil
}

// draftMap skips a draft map ('M' [t type] (key value)* 'z') of the values
// skipDraft takes, one level deeper.
func (r *Reader) draftMap() error {
	if err := r.descend(); err != nil {
		return err
	}
	defer r.ascend()
	r.off++ // 'M'
	if err := r.draftType(); err != nil {
		return err
	}
	for {
		t, err := r.Peek()
		if err != nil {
			return err
		}
		if t == 'z' {
			r.off++
			return nil
		}
		if err := r.skipDraft(); err != nil { // the key
			return err
		}
		if err := r.skipDraft(); err != nil { // the value
			return err
		}
	}
}

// draftType skips the optional type of a draft list or map: 't', a
// 16-bit length and the name.
func (r *Reader) draftType() error {
	if t, err := r.Peek(); err != nil || t != 't' {
		return nil
	}
	r.off++
	n, err := r.u16()
	if err != nil {
		return err
	}
	_, err = r.take(n)
	return err
}
