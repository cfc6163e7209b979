package codec

import (
	"math"
	"unsafe"
)

// Byte-slice helpers shared by the text protocols (h1 first). None of them
// allocates; none keeps a reference to its arguments.

// tokenTable marks tchar (RFC 9110 section 5.6.2):
// "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.
var tokenTable = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// IsTokenChar reports whether c is a tchar (RFC 9110 section 5.6.2).
func IsTokenChar(c byte) bool { return tokenTable[c] }

// IsToken reports whether b is a non-empty token (1*tchar).
func IsToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tokenTable[c] {
			return false
		}
	}
	return true
}

// ToLower returns the ASCII lower case of c; other bytes are returned as is.
func ToLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// EqualFold reports whether b and s are equal under ASCII case folding
// (no Unicode folding: header names and tokens are ASCII).
func EqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if ToLower(b[i]) != ToLower(s[i]) {
			return false
		}
	}
	return true
}

// EqualFoldBytes is EqualFold for two byte slices.
func EqualFoldBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if ToLower(a[i]) != ToLower(b[i]) {
			return false
		}
	}
	return true
}

// IsOWS reports whether c is optional whitespace: SP or HTAB.
func IsOWS(c byte) bool { return c == ' ' || c == '\t' }

// TrimOWS returns b without leading and trailing SP and HTAB.
func TrimOWS(b []byte) []byte {
	for len(b) > 0 && IsOWS(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && IsOWS(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// CutElement splits a comma-separated list (RFC 9110 section 5.6.1) at its
// first comma: elem is the part before it with OWS trimmed, rest what follows,
// found whether there was a comma. Iterate with
//
//	for rest, more := list, true; more; {
//		var elem []byte
//		elem, rest, more = codec.CutElement(rest)
//		// elem may be empty: callers decide whether that is an error
//	}
//
// Quoted strings are not understood: a comma inside quotes splits too.
func CutElement(list []byte) (elem, rest []byte, found bool) {
	for i, c := range list {
		if c == ',' {
			return TrimOWS(list[:i]), list[i+1:], true
		}
	}
	return TrimOWS(list), nil, false
}

// ParseDecimal parses 1*DIGIT (no sign, no spaces) as a non-negative int64.
// ok is false for an empty input, any other byte, or a value above MaxInt64.
func ParseDecimal(b []byte) (v int64, ok bool) {
	if len(b) == 0 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// HexValue returns the value of the hex digit c, or -1.
func HexValue(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// ParseHex parses 1*HEXDIG as a non-negative int64. ok is false for an empty
// input, any other byte, or a value above MaxInt64.
func ParseHex(b []byte) (v int64, ok bool) {
	if len(b) == 0 {
		return 0, false
	}
	for _, c := range b {
		d := HexValue(c)
		if d < 0 || v > math.MaxInt64>>4 {
			return 0, false
		}
		v = v<<4 | int64(d)
	}
	return v, true
}

// Rebase returns the slice of to that stands where b stands in from, when b
// lies within from and to is a copy of from at least as long; otherwise b
// itself. Parsers' zero-copy results (slices of an input buffer) move with
// it into a buffer of the caller's. An empty b inside from becomes an empty
// slice without capacity, so that appending to it cannot write into to.
func Rebase(b, from, to []byte) []byte {
	if len(from) == 0 || b == nil {
		return b
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	f := uintptr(unsafe.Pointer(unsafe.SliceData(from)))
	if p < f || p+uintptr(len(b)) > f+uintptr(len(from)) {
		return b
	}
	off := int(p - f)
	return to[off : off+len(b) : off+len(b)]
}
