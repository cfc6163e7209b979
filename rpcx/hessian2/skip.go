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
	actChunks              // 'R', 'S', 'A', 'B'
	actShortBinary         // 0x20-0x2f
	actMediumBinary        // 0x34-0x37
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
	one('A', actChunks, 0)
	one('B', actChunks, 0)
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
	one('R', actChunks, 0)
	one('S', actChunks, 0)
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
		err = r.medium(tag, true)
	case actChunks:
		err = r.chunks(tag)
	case actShortBinary:
		_, err = r.take(int(tag - 0x20))
	case actMediumBinary:
		err = r.medium(tag, false)
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

// descend enters one more level of nesting, or gives ErrTooDeep at
// MaxDepth; ascend leaves it.
func (r *Reader) descend() error {
	if r.depth >= MaxDepth {
		return ErrTooDeep
	}
	r.depth++
	return nil
}

func (r *Reader) ascend() { r.depth-- }

// nested skips n values one level deeper.
func (r *Reader) nested(n int) error {
	if err := r.descend(); err != nil {
		return err
	}
	defer r.ascend()
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
	if err := r.descend(); err != nil {
		return err
	}
	defer r.ascend()
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

// medium skips a string of 0-1023 characters (tags 0x30-0x33) or a
// binary of 0-1023 bytes (0x34-0x37): the tag's low bits and one byte.
func (r *Reader) medium(tag byte, str bool) error {
	b, err := r.byte()
	if err != nil {
		return err
	}
	n := int(tag&3)<<8 | int(b)
	if str {
		_, err = r.chars(n)
	} else {
		_, err = r.take(n)
	}
	return err
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

// chunks skips a string ('R' and 'S' chunks, counted in characters) or a
// binary ('A' and 'B' chunks, counted in bytes) up to its final piece,
// which may also be one of the type's short forms.
func (r *Reader) chunks(tag byte) error {
	str := tag == 'R' || tag == 'S'
	more, final, shortAct, mediumAct := byte('A'), byte('B'), actShortBinary, actMediumBinary
	if str {
		more, final, shortAct, mediumAct = 'R', 'S', actShortString, actMediumString
	}
	for {
		n, err := r.u16()
		if err != nil {
			return err
		}
		if str {
			_, err = r.chars(n)
		} else {
			_, err = r.take(n)
		}
		if err != nil || tag == final {
			return err
		}
		if tag, err = r.byte(); err != nil {
			return err
		}
		if tag != more && tag != final {
			if act := steps[tag].act; act != shortAct && act != mediumAct {
				return ErrSyntax
			}
			r.off--
			return r.skip() // a short final piece: no nesting
		}
	}
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
