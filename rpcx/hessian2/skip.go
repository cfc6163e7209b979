package hessian2

// Skipping values: one function per kind of tag, found through a table
// indexed by the tag byte (the grammar of Hessian 2.0 section 3).

type skipFunc func(r *Reader, tag byte) error

var skippers [256]skipFunc

func init() {
	fill := func(lo, hi int, f skipFunc) {
		for t := lo; t <= hi; t++ {
			skippers[t] = f
		}
	}
	fill(0x00, 0x1f, skipShortString) // string, 0-31 chars
	fill(0x20, 0x2f, skipShortBinary) // binary, 0-15 bytes
	fill(0x30, 0x33, skipMediumString)
	fill(0x34, 0x37, skipMediumBinary)
	fill(0x38, 0x3f, fixed(2)) // long, 3 bytes
	skippers['A'] = skipBinaryChunks
	skippers['B'] = skipBinaryChunks
	skippers['C'] = skipClassDef
	skippers['D'] = fixed(8)
	skippers['F'] = fixed(0)
	skippers['H'] = skipMap
	skippers['I'] = fixed(4)
	skippers['J'] = fixed(8) // date, milliseconds
	skippers['K'] = fixed(4) // date, minutes
	skippers['L'] = fixed(8)
	skippers['M'] = skipTypedMap
	skippers['N'] = fixed(0)
	skippers['O'] = skipObject
	skippers['Q'] = skipRef
	skippers['R'] = skipStringChunks
	skippers['S'] = skipStringChunks
	skippers['T'] = fixed(0)
	skippers['U'] = skipTypedList
	skippers['V'] = skipTypedFixedList
	skippers['W'] = skipList
	skippers['X'] = skipFixedList
	skippers['Y'] = fixed(4)  // long as 32 bits
	skippers[0x5b] = fixed(0) // double 0.0
	skippers[0x5c] = fixed(0) // double 1.0
	skippers[0x5d] = fixed(1) // double as a byte
	skippers[0x5e] = fixed(2) // double as a short
	skippers[0x5f] = fixed(4) // double as a float (mills)
	fill(0x60, 0x6f, skipShortObject)
	fill(0x70, 0x77, skipShortTypedList)
	fill(0x78, 0x7f, skipShortList)
	fill(0x80, 0xbf, fixed(0)) // int, 1 byte
	fill(0xc0, 0xcf, fixed(1)) // int, 2 bytes
	fill(0xd0, 0xd7, fixed(2)) // int, 3 bytes
	fill(0xd8, 0xef, fixed(0)) // long, 1 byte
	fill(0xf0, 0xff, fixed(1)) // long, 2 bytes
}

// Skip reads one value and throws it away (a class definition before an
// object is read with it).
func (r *Reader) Skip() error {
	start := r.off
	if err := r.skip(); err != nil {
		return r.fail(start, err)
	}
	return nil
}

func (r *Reader) skip() error {
	tag, err := r.byte()
	if err != nil {
		return err
	}
	f := skippers[tag]
	if f == nil {
		return ErrSyntax
	}
	return f(r, tag)
}

// nested skips n values one level deeper.
func (r *Reader) nested(n int) error {
	if r.depth >= MaxDepth {
		return ErrTooDeep
	}
	r.depth++
	defer func() { r.depth-- }()
	for ; n > 0; n-- {
		if err := r.skip(); err != nil {
			return err
		}
	}
	return nil
}

// untilEnd skips values up to and including the 'Z' that ends a list or
// map, one level deeper.
func (r *Reader) untilEnd() error {
	if r.depth >= MaxDepth {
		return ErrTooDeep
	}
	r.depth++
	defer func() { r.depth-- }()
	for {
		tag, err := r.Peek()
		if err != nil {
			return err
		}
		if tag == 'Z' {
			r.off++
			return nil
		}
		if err := r.skip(); err != nil {
			return err
		}
	}
}

func fixed(n int) skipFunc {
	return func(r *Reader, _ byte) error {
		_, err := r.take(n)
		return err
	}
}

func skipShortString(r *Reader, tag byte) error {
	_, err := r.chars(int(tag))
	return err
}

func skipMediumString(r *Reader, tag byte) error {
	b, err := r.byte()
	if err != nil {
		return err
	}
	_, err = r.chars(int(tag-0x30)<<8 | int(b))
	return err
}

// skipStringChunks skips 'R' chunks up to the final piece, which may be
// any string form ('S' or a short one).
func skipStringChunks(r *Reader, tag byte) error {
	for {
		n, err := r.u16()
		if err != nil {
			return err
		}
		if _, err := r.chars(n); err != nil {
			return err
		}
		if tag == 'S' {
			return nil
		}
		if tag, err = r.byte(); err != nil {
			return err
		}
		switch {
		case tag == 'R' || tag == 'S':
		case tag <= 0x1f:
			return skipShortString(r, tag)
		case 0x30 <= tag && tag <= 0x33:
			return skipMediumString(r, tag)
		default:
			return ErrSyntax
		}
	}
}

func skipShortBinary(r *Reader, tag byte) error {
	_, err := r.take(int(tag - 0x20))
	return err
}

func skipMediumBinary(r *Reader, tag byte) error {
	b, err := r.byte()
	if err != nil {
		return err
	}
	_, err = r.take(int(tag-0x34)<<8 | int(b))
	return err
}

// skipBinaryChunks skips 'A' chunks up to the final piece ('B' or short).
func skipBinaryChunks(r *Reader, tag byte) error {
	for {
		n, err := r.u16()
		if err != nil {
			return err
		}
		if _, err := r.take(n); err != nil {
			return err
		}
		if tag == 'B' {
			return nil
		}
		if tag, err = r.byte(); err != nil {
			return err
		}
		switch {
		case tag == 'A' || tag == 'B':
		case 0x20 <= tag && tag <= 0x2f:
			return skipShortBinary(r, tag)
		case 0x34 <= tag && tag <= 0x37:
			return skipMediumBinary(r, tag)
		default:
			return ErrSyntax
		}
	}
}

// ReadInt reads an int value (any of its four forms).
func (r *Reader) ReadInt() (int32, error) {
	start := r.off
	v, err := r.int()
	if err != nil {
		return 0, r.fail(start, err)
	}
	return v, nil
}

func (r *Reader) int() (int32, error) {
	tag, err := r.byte()
	if err != nil {
		return 0, err
	}
	switch {
	case 0x80 <= tag && tag <= 0xbf:
		return int32(tag) - 0x90, nil
	case 0xc0 <= tag && tag <= 0xcf:
		b, err := r.take(1)
		if err != nil {
			return 0, err
		}
		return (int32(tag)-0xc8)<<8 | int32(b[0]), nil
	case 0xd0 <= tag && tag <= 0xd7:
		b, err := r.take(2)
		if err != nil {
			return 0, err
		}
		return (int32(tag)-0xd4)<<16 | int32(b[0])<<8 | int32(b[1]), nil
	case tag == 'I':
		b, err := r.take(4)
		if err != nil {
			return 0, err
		}
		return int32(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])), nil
	}
	return 0, ErrSyntax
}

// length reads a list or field count: an int that no more values could
// fill than there are bytes left.
func (r *Reader) length() (int, error) {
	n, err := r.int()
	if err != nil {
		return 0, err
	}
	if n < 0 || int(n) > len(r.buf)-r.off {
		return 0, ErrSyntax
	}
	return int(n), nil
}

// skipType skips a type: a string naming it, or an int referring to one
// named before.
func (r *Reader) skipType() error {
	tag, err := r.Peek()
	if err != nil {
		return err
	}
	if tag <= 0x1f || (0x30 <= tag && tag <= 0x33) || tag == 'R' || tag == 'S' {
		return r.skip()
	}
	_, err = r.int()
	return err
}

func skipMap(r *Reader, _ byte) error { return r.untilEnd() }

func skipTypedMap(r *Reader, _ byte) error {
	if err := r.skipType(); err != nil {
		return err
	}
	return r.untilEnd()
}

func skipList(r *Reader, _ byte) error { return r.untilEnd() }

func skipTypedList(r *Reader, _ byte) error {
	if err := r.skipType(); err != nil {
		return err
	}
	return r.untilEnd()
}

func skipFixedList(r *Reader, _ byte) error {
	n, err := r.length()
	if err != nil {
		return err
	}
	return r.nested(n)
}

func skipTypedFixedList(r *Reader, _ byte) error {
	if err := r.skipType(); err != nil {
		return err
	}
	return skipFixedList(r, 'X')
}

func skipShortList(r *Reader, tag byte) error { return r.nested(int(tag - 0x78)) }

func skipShortTypedList(r *Reader, tag byte) error {
	if err := r.skipType(); err != nil {
		return err
	}
	return r.nested(int(tag - 0x70))
}

func skipRef(r *Reader, _ byte) error {
	_, err := r.int()
	return err
}

// skipClassDef reads a class definition ('C', name, field count, field
// names), remembers its field count, then skips the value after it.
func skipClassDef(r *Reader, _ byte) error {
	if r.nclass >= MaxClasses {
		return ErrTooManyClasses
	}
	if err := r.skip(); err != nil { // the class name
		return err
	}
	n, err := r.length()
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if _, _, err := r.ReadString(); err != nil {
			if err == ErrChunked {
				err = r.skip()
			}
			if err != nil {
				return err
			}
		}
	}
	r.classes[r.nclass] = int32(n)
	r.nclass++
	if r.off == len(r.buf) {
		return nil // a definition at the very end: nothing uses it
	}
	return r.skip()
}

// skipObject skips an instance ('O', definition number, fields).
func skipObject(r *Reader, _ byte) error {
	ref, err := r.int()
	if err != nil {
		return err
	}
	return r.fields(int(ref))
}

// skipShortObject skips an instance of definitions 0 to 15.
func skipShortObject(r *Reader, tag byte) error { return r.fields(int(tag - 0x60)) }

func (r *Reader) fields(def int) error {
	if def < 0 || def >= r.nclass {
		return ErrSyntax
	}
	return r.nested(int(r.classes[def]))
}
