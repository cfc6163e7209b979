package hpack

// maxIntContinuation is the most continuation bytes an integer may have
// (section 5.1): five carry 35 bits, enough for any value up to 2^32-1.
const maxIntContinuation = 5

// readInt decodes an integer with an n-bit prefix (section 5.1) from the
// start of p and returns it with the bytes after it. It refuses values above
// 2^32-1 and overlong encodings (a final continuation byte of zero).
func readInt(n uint8, p []byte) (uint64, []byte, error) {
	if len(p) == 0 {
		return 0, p, ErrTruncated
	}
	mask := byte(1)<<n - 1
	v := uint64(p[0] & mask)
	if v < uint64(mask) {
		return v, p[1:], nil
	}
	for i := 1; i < len(p); i++ {
		if i > maxIntContinuation {
			return 0, p, ErrIntegerOverflow
		}
		b := p[i]
		v += uint64(b&0x7f) << (7 * (i - 1))
		if b&0x80 != 0 {
			continue
		}
		if (b == 0 && i > 1) || v > 1<<32-1 {
			return 0, p, ErrIntegerOverflow
		}
		return v, p[i+1:], nil
	}
	return 0, p, ErrTruncated
}

// appendInt appends v with an n-bit prefix; first holds the bits above the
// prefix in the first byte (the representation's pattern).
func appendInt(dst []byte, first byte, n uint8, v uint64) []byte {
	mask := uint64(1)<<n - 1
	if v < mask {
		return append(dst, first|byte(v))
	}
	dst = append(dst, first|byte(mask))
	for v -= mask; v >= 0x80; v >>= 7 {
		dst = append(dst, byte(v)|0x80)
	}
	return append(dst, byte(v))
}
