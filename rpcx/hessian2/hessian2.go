// Package hessian2 is a minimal reader of the Hessian 2.0 serialization
// (http://hessian.caucho.com/doc/hessian-serialization.html): enough for
// a proxy to read the strings and maps that route a call and to step over
// every other value without building it. It does not allocate: strings
// come back as slices of the input, and values are skipped, not decoded.
//
// Every read is bounded by the input (a length is never trusted beyond the
// bytes that are there), nesting is limited to MaxDepth and class
// definitions to MaxClasses, so no input makes it panic, loop for long or
// grow memory.
//
// It also writes the one value a proxy sends of its own, a string
// (AppendString, write.go).
//
// Imported by rpcx (dubbo.go, bolt.go, rewrite.go) and bench/rpcwire.
// Read next: skip.go (the grammar, by tag).
package hessian2

import (
	"encoding/binary"
	"errors"
	"unicode/utf8"
)

// Limits of the reader.
const (
	MaxDepth   = 64 // nesting of lists, maps and objects
	MaxClasses = 64 // class definitions in one stream
)

var (
	// ErrShort is returned when the input ends inside a value.
	ErrShort = errors.New("hessian2: value truncated")
	// ErrSyntax is returned for a tag or length the grammar does not allow.
	ErrSyntax = errors.New("hessian2: malformed value")
	// ErrTooDeep is returned past MaxDepth nested values.
	ErrTooDeep = errors.New("hessian2: values nested too deep")
	// ErrTooManyClasses is returned past MaxClasses class definitions.
	ErrTooManyClasses = errors.New("hessian2: too many class definitions")
	// ErrNotString is returned by ReadString for a value of another type.
	ErrNotString = errors.New("hessian2: value is not a string")
	// ErrChunked is returned by ReadString for a string sent in chunks
	// (longer than 65535 characters), which is not one slice of the input.
	ErrChunked = errors.New("hessian2: chunked string")
	// ErrNotMap is returned by MapStart for a value that is not a map.
	ErrNotMap = errors.New("hessian2: value is not a map")
)

// Reader reads Hessian 2.0 values from one byte slice, in order. The zero
// Reader reads nothing; Reset gives it its input. Class definitions seen
// are remembered for the objects that follow, as the grammar requires.
type Reader struct {
	buf     []byte
	off     int
	depth   int
	nclass  int
	classes [MaxClasses]int32 // field count of each class definition
}

// Reset makes r read b from its start, forgetting class definitions.
func (r *Reader) Reset(b []byte) {
	r.buf, r.off, r.depth, r.nclass = b, 0, 0, 0
}

// Offset is how many bytes of the input have been read.
func (r *Reader) Offset() int { return r.off }

// Rest is the unread input.
func (r *Reader) Rest() []byte { return r.buf[r.off:] }

// Peek returns the next tag byte without reading it.
func (r *Reader) Peek() (byte, error) {
	if r.off >= len(r.buf) {
		return 0, ErrShort
	}
	return r.buf[r.off], nil
}

func (r *Reader) byte() (byte, error) {
	if r.off >= len(r.buf) {
		return 0, ErrShort
	}
	c := r.buf[r.off]
	r.off++
	return c, nil
}

// take reads n raw bytes.
func (r *Reader) take(n int) ([]byte, error) {
	if n < 0 || n > len(r.buf)-r.off {
		return nil, ErrShort
	}
	b := r.buf[r.off : r.off+n]
	r.off += n
	return b, nil
}

func (r *Reader) u16() (int, error) {
	b, err := r.take(2)
	if err != nil {
		return 0, err
	}
	return int(b[0])<<8 | int(b[1]), nil
}

// ReadString reads a string value and returns its UTF-8 bytes (a slice
// of the input). null reads as an empty string with isNull set. A chunked
// string gives ErrChunked and is not consumed.
func (r *Reader) ReadString() (s []byte, isNull bool, err error) {
	start := r.off
	tag, err := r.byte()
	if err != nil {
		return nil, false, err
	}
	var chars int
	switch {
	case tag == 'N':
		return nil, true, nil
	case tag <= 0x1f:
		chars = int(tag)
	case 0x30 <= tag && tag <= 0x33:
		b, err := r.byte()
		if err != nil {
			return nil, false, r.fail(start, err)
		}
		chars = int(tag-0x30)<<8 | int(b)
	case tag == 'S':
		if chars, err = r.u16(); err != nil {
			return nil, false, r.fail(start, err)
		}
	case tag == 'R':
		return nil, false, r.fail(start, ErrChunked)
	default:
		return nil, false, r.fail(start, ErrNotString)
	}
	s, err = r.chars(chars)
	if err != nil {
		return nil, false, r.fail(start, err)
	}
	return s, false, nil
}

// fail puts the reader back at start and returns err.
func (r *Reader) fail(start int, err error) error {
	r.off = start
	return err
}

// chars reads n characters of UTF-8 (Hessian counts UTF-16 code units:
// a 4-byte sequence is two of them, as is a surrogate pair sent as two
// 3-byte sequences). On error the reader has not moved.
func (r *Reader) chars(n int) ([]byte, error) {
	b, i := r.buf, r.off
	if k := asciiPrefix(b[i:min(len(b), i+n)]); k > 0 {
		i += k // names and keys are mostly ASCII: one unit a byte
		n -= k
	}
	for n > 0 {
		if i >= len(b) {
			return nil, ErrShort
		}
		c := b[i]
		if c < 0x80 {
			i++
			n--
			continue
		}
		extra := int(utf8Extra[c>>3])
		units := 1 + extra/3 // a 4-byte sequence is two units
		if extra < 0 || units > n {
			return nil, ErrSyntax
		}
		if extra >= len(b)-i {
			return nil, ErrShort
		}
		if !shortestForm(b[i : i+1+extra]) {
			return nil, ErrSyntax
		}
		i += 1 + extra
		n -= units
	}
	s := b[r.off:i]
	r.off = i
	return s, nil
}

// shortestForm reports whether seq (a lead byte and its continuation
// bytes) is well-formed UTF-8 in its shortest form. An overlong form (C1
// B0 for 'p') is refused: Java's Hessian2Input decodes it, so a key
// written so would be "path" to a Java provider and something else to
// velox. Surrogates (ED A0-BF ..) stay allowed: Java and dubbo-go send a
// character above U+FFFF as a pair of them.
func shortestForm(seq []byte) bool {
	for _, c := range seq[1:] {
		if c&0xc0 != 0x80 {
			return false
		}
	}
	c, c1 := seq[0], seq[1]
	switch {
	case c < 0xc2:
		return false
	case c == 0xe0:
		return c1 >= 0xa0
	case c == 0xf0:
		return c1 >= 0x90
	case c == 0xf4:
		return c1 < 0x90
	case c > 0xf4:
		return false
	}
	return true
}

// asciiPrefix is the length of b's leading run of ASCII bytes, read a
// word at a time.
func asciiPrefix(b []byte) int {
	k := 0
	for ; k+8 <= len(b); k += 8 {
		if binary.LittleEndian.Uint64(b[k:])&0x8080808080808080 != 0 {
			break
		}
	}
	for k < len(b) && b[k] < 0x80 {
		k++
	}
	return k
}

// utf8Extra is the number of continuation bytes after a lead byte, by its
// top five bits; -1 for a byte that cannot lead.
var utf8Extra = [32]int8{
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 0x00-0x7f
	-1, -1, -1, -1, -1, -1, -1, -1, // 0x80-0xbf: continuation
	1, 1, 1, 1, // 0xc0-0xdf
	2, 2, // 0xe0-0xef
	3,  // 0xf0-0xf7
	-1, // 0xf8-0xff
}

// MapStart reads the start of a map ('H', or 'M' and its type). Read its
// entries while MapNext reports more, each a key and a value.
func (r *Reader) MapStart() error {
	start := r.off
	tag, err := r.byte()
	if err != nil {
		return err
	}
	switch tag {
	case 'H':
		return nil
	case 'M':
		if err := r.skipType(); err != nil {
			return r.fail(start, err)
		}
		return nil
	}
	return r.fail(start, ErrNotMap)
}

// MapNext reports whether another entry follows in the map being read; at
// the map's end it reads the terminator and returns false.
func (r *Reader) MapNext() (more bool, err error) {
	tag, err := r.Peek()
	if err != nil {
		return false, err
	}
	if tag == 'Z' {
		r.off++
		return false, nil
	}
	return true, nil
}

// Strings come back as the bytes on the wire: UTF-8, except that Java and
// dubbo-go send a character above U+FFFF as a surrogate pair, two 3-byte
// sequences (CESU-8). EqualString compares such bytes with a UTF-8 string
// and AppendUTF8 turns them into UTF-8, for a copy that outlives the input.

// EqualString reports whether wire, as ReadString returns it, is s.
func EqualString(wire []byte, s string) bool {
	if string(wire) == s {
		return true
	}
	for len(wire) > 0 {
		r, n := surrogatePair(wire)
		if n == 0 {
			if len(s) == 0 || wire[0] != s[0] {
				return false
			}
			wire, s = wire[1:], s[1:]
			continue
		}
		var b [4]byte
		m := utf8.EncodeRune(b[:], r)
		if len(s) < m || string(b[:m]) != s[:m] {
			return false
		}
		wire, s = wire[n:], s[m:]
	}
	return len(s) == 0
}

// AppendUTF8 appends wire to dst with every surrogate pair made one UTF-8
// character.
func AppendUTF8(dst, wire []byte) []byte {
	for len(wire) > 0 {
		r, n := surrogatePair(wire)
		if n == 0 {
			dst = append(dst, wire[0])
			wire = wire[1:]
			continue
		}
		dst = utf8.AppendRune(dst, r)
		wire = wire[n:]
	}
	return dst
}

// surrogatePair decodes a high and a low surrogate, each as a 3-byte
// sequence, at the start of b; n is 0 when b does not start with one.
func surrogatePair(b []byte) (r rune, n int) {
	if len(b) < 6 || b[0] != 0xed || b[1]&0xf0 != 0xa0 || b[3] != 0xed || b[4]&0xf0 != 0xb0 {
		return 0, 0
	}
	hi := rune(b[1]&0x0f)<<6 | rune(b[2]&0x3f)
	lo := rune(b[4]&0x0f)<<6 | rune(b[5]&0x3f)
	return 0x10000 + hi<<10 | lo, 6
}
