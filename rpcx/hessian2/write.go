package hessian2

import "unicode/utf8"

// AppendString appends s to dst as a hessian2 string, in one final chunk:
// its length counts UTF-16 code units, a character above U+FFFF is written
// as a surrogate pair of two 3-byte sequences (as Java writes it), invalid
// UTF-8 as U+FFFD. s is cut to 65535 units, the most one chunk holds. It
// allocates only when dst lacks the room.
func AppendString(dst []byte, s string) []byte {
	units := 0
	for _, c := range s {
		if units+utf16Len(c) > 0xffff {
			break
		}
		units += utf16Len(c)
	}
	switch {
	case units <= 0x1f:
		dst = append(dst, byte(units))
	case units <= 0x3ff:
		dst = append(dst, byte(0x30+units>>8), byte(units))
	default:
		dst = append(dst, 'S', byte(units>>8), byte(units))
	}
	for _, c := range s {
		if units -= utf16Len(c); units < 0 {
			break
		}
		if c < 0x10000 {
			dst = utf8.AppendRune(dst, c)
			continue
		}
		c -= 0x10000
		dst = appendUnit3(dst, 0xd800+c>>10)
		dst = appendUnit3(dst, 0xdc00+c&0x3ff)
	}
	return dst
}

func utf16Len(c rune) int {
	if c >= 0x10000 {
		return 2
	}
	return 1
}

// appendUnit3 appends a UTF-16 surrogate as a 3-byte sequence.
func appendUnit3(dst []byte, u rune) []byte {
	return append(dst, byte(0xe0|u>>12), byte(0x80|u>>6&0x3f), byte(0x80|u&0x3f))
}
