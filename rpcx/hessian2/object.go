package hessian2

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
// ErrChunked. It does not allocate: vals point into the input.
func (r *Reader) ReadObjectStrings(names []string, vals [][]byte) (class []byte, err error) {
	start := r.off
	if class, err = r.objectStrings(names, vals); err != nil {
		return nil, r.fail(start, err)
	}
	return class, nil
}

// maxMatched bounds the fields of a definition that ReadObjectStrings
// matches against names; later fields are skipped.
const maxMatched = 64

func (r *Reader) objectStrings(names []string, vals [][]byte) ([]byte, error) {
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
	var which [maxMatched]int8 // index in names of each field, -1 for none
	for i := 0; i < n; i++ {
		name, _, err := r.ReadString()
		if err != nil {
			return nil, err
		}
		if i < maxMatched {
			which[i] = -1
			for k, want := range names {
				if EqualString(name, want) {
					which[i] = int8(k)
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
	for i := 0; i < n; i++ {
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

// skipDraft skips one value of the Hessian 2.0 draft: its lists and maps
// ('V', 'M': an optional 't' type, for a list an optional 'n' or 'l'
// length, then values up to 'z'); every other value is read as in the
// final grammar.
func (r *Reader) skipDraft() error {
	tag, err := r.Peek()
	if err != nil {
		return err
	}
	if tag != 'V' && tag != 'M' {
		return r.skip()
	}
	if r.depth >= MaxDepth {
		return ErrTooDeep
	}
	r.depth++
	defer func() { r.depth-- }()
	r.off++
	if t, err := r.Peek(); err == nil && t == 't' {
		r.off++
		n, err := r.u16()
		if err != nil {
			return err
		}
		if _, err := r.take(n); err != nil {
			return err
		}
	}
	if t, err := r.Peek(); err == nil && tag == 'V' && (t == 'n' || t == 'l') {
		r.off++
		k := 1
		if t == 'l' {
			k = 4
		}
		if _, err := r.take(k); err != nil {
			return err
		}
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
		if err := r.skipDraft(); err != nil {
			return err
		}
	}
}
