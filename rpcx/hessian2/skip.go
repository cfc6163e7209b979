package hessian2

// Skipping values: the tag byte picks an action from a table (the grammar
// of Hessian 2.0 section 3), and one switch runs it. The table holds codes,
// not functions: an indirect call would make the Reader escape to the heap.

type action uint8

const (
	actBad          action = iota
	actFixed               // arg: bytes after the tag
	actShortString         // 0x00-0x1f
	actMediumString        // 0x30-0x33
	actStringChunks        // 'R', 'S'
	actShortBinary         // 0x20-0x2f
	actMediumBinary        // 0x34-0x37
	actBinaryChunks        // 'A', 'B'
	actClassDef            // 'C'
	actMap                 // 'H'
	actTypedMap            // 'M'
	actObject              // 'O'
	actShortObject         // 0x60-0x6f
	actRef                 // 'Q'
	actList                // 'W'
	actTypedList           // 'U'
	actFixedList           // 'X'
	actTypedFixed          // 'V'
	actShortList           // 0x78-0x7f
	actShortTyped          // 0x70-0x77
)

type step struct {
	act action
	arg uint8
}

var steps [256]step

func init() {
	fill := func(lo, hi int, act action, arg uint8) {
		for t := lo; t <= hi; t++ {
			steps[t] = step{act, arg}
		}
	}
	fill(0x00, 0x1f, actShortString, 0)
	fill(0x20, 0x2f, actShortBinary, 0)
	fill(0x30, 0x33, actMediumString, 0)
	fill(0x34, 0x37, actMediumBinary, 0)
	fill(0x38, 0x3f, actFixed, 2) // long, 3 bytes
	one := func(tag byte, act action, arg uint8) { steps[tag] = step{act, arg} }
	one('A', actBinaryChunks, 0)
	one('B', actBinaryChunks, 0)
	one('C', actClassDef, 0)
	one('D', actFixed, 8)
	one('F', actFixed, 0)
	one('H', actMap, 0)
	one('I', actFixed, 4)
	one('J', actFixed, 8) // date, milliseconds
	one('K', actFixed, 4) // date, minutes
	one('L', actFixed, 8)
	one('M', actTypedMap, 0)
	one('N', actFixed, 0)
	one('O', actObject, 0)
	one('Q', actRef, 0)
	one('R', actStringChunks, 0)
	one('S', actStringChunks, 0)
	one('T', actFixed, 0)
	one('U', actTypedList, 0)
	one('V', actTypedFixed, 0)
	one('W', actList, 0)
	one('X', actFixedList, 0)
	one('Y', actFixed, 4)  // long as 32 bits
	one(0x5b, actFixed, 0) // double 0.0
	one(0x5c, actFixed, 0) // double 1.0
	one(0x5d, actFixed, 1) // double as a byte
	one(0x5e, actFixed, 2) // double as a short
	one(0x5f, actFixed, 4) // double as a float (mills)
	fill(0x60, 0x6f, actShortObject, 0)
	fill(0x70, 0x77, actShortTyped, 0)
	fill(0x78, 0x7f, actShortList, 0)
	fill(0x80, 0xbf, actFixed, 0) // int, 1 byte
	fill(0xc0, 0xcf, actFixed, 1) // int, 2 bytes
	fill(0xd0, 0xd7, actFixed, 2) // int, 3 bytes
	fill(0xd8, 0xef, actFixed, 0) // long, 1 byte
	fill(0xf0, 0xff, actFixed, 1) // long, 2 bytes
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
	st := steps[tag]
	switch st.act {
	case actFixed:
		_, err = r.take(int(st.arg))
	case actShortString:
		_, err = r.chars(int(tag))
	case actMediumString:
		err = r.mediumString(tag)
	case actStringChunks:
		err = r.stringChunks(tag)
	case actShortBinary:
		_, err = r.take(int(tag - 0x20))
	case actMediumBinary:
		err = r.mediumBinary(tag)
	case actBinaryChunks:
		err = r.binaryChunks(tag)
	case actClassDef:
		err = r.classDef()
	case actMap, actList:
		err = r.untilEnd()
	case actTypedMap, actTypedList:
		if err = r.skipType(); err == nil {
			err = r.untilEnd()
		}
	case actObject:
		var def int32
		if def, err = r.int(); err == nil {
			err = r.fields(int(def))
		}
	case actShortObject:
		err = r.fields(int(tag - 0x60))
	case actRef:
		_, err = r.int()
	case actTypedFixed:
		if err = r.skipType(); err == nil {
			err = r.fixedList()
		}
	case actFixedList:
		err = r.fixedList()
	case actShortTyped:
		if err = r.skipType(); err == nil {
			err = r.nested(int(tag - 0x70))
		}
	case actShortList:
		err = r.nested(int(tag - 0x78))
	default:
		err = ErrSyntax
	}
	return err
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

func (r *Reader) mediumString(tag byte) error {
	b, err := r.byte()
	if err != nil {
		return err
	}
	_, err = r.chars(int(tag-0x30)<<8 | int(b))
	return err
}

// stringChunks skips 'R' chunks up to the final piece, which may be any
// string form ('S' or a short one).
func (r *Reader) stringChunks(tag byte) error {
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
			_, err = r.chars(int(tag))
			return err
		case 0x30 <= tag && tag <= 0x33:
			return r.mediumString(tag)
		default:
			return ErrSyntax
		}
	}
}

func (r *Reader) mediumBinary(tag byte) error {
	b, err := r.byte()
	if err != nil {
		return err
	}
	_, err = r.take(int(tag-0x34)<<8 | int(b))
	return err
}

// binaryChunks skips 'A' chunks up to the final piece ('B' or short).
func (r *Reader) binaryChunks(tag byte) error {
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
			_, err = r.take(int(tag - 0x20))
			return err
		case 0x34 <= tag && tag <= 0x37:
			return r.mediumBinary(tag)
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

func (r *Reader) fixedList() error {
	n, err := r.length()
	if err != nil {
		return err
	}
	return r.nested(n)
}

// classDef reads a class definition ('C', name, field count, field
// names), remembers its field count, then skips the value after it.
func (r *Reader) classDef() error {
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

// fields skips the fields of an instance of definition def.
func (r *Reader) fields(def int) error {
	if def < 0 || def >= r.nclass {
		return ErrSyntax
	}
	return r.nested(int(r.classes[def]))
}
