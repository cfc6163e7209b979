package h1

import (
	"encoding/binary"

	"github.com/velox-proxy/velox/codec"
	"github.com/velox-proxy/velox/head"
)

// Header is one header field (head.Field). Name and Value point into the
// parsed input (zero-copy; valid as long as that input is), or into memory
// owned by a filter. A Header with a nil Name is deleted: the writer skips it.
type Header = head.Field

// fieldValueTable marks the bytes allowed in a field value: field-vchar
// (VCHAR and obs-text), SP and HTAB (RFC 9110 section 5.5). CR, LF, NUL and
// the other CTLs are not.
var fieldValueTable = func() (t [256]bool) {
	for c := 0x20; c < 0x100; c++ {
		t[c] = c != 0x7f
	}
	t['\t'] = true
	return t
}()

// parseFields reads field lines from w[i:] up to and including the empty
// line that ends the head (RFC 9112 section 5), appending to hs. It returns
// the offset just past the head, ErrNeedMore, or an *Error.
func parseFields(w []byte, i int, hs []Header, max int) ([]Header, int, error) {
	for {
		if i >= len(w) {
			return hs, 0, ErrNeedMore
		}
		switch w[i] {
		case '\r':
			if i+1 >= len(w) {
				return hs, 0, ErrNeedMore
			}
			if w[i+1] != '\n' {
				return hs, 0, errBareCR
			}
			return hs, i + 2, nil
		case '\n':
			return hs, 0, errBareLF
		case ' ', '\t':
			return hs, 0, errObsFold // RFC 9112 section 5.2: reject
		}
		if len(hs) >= max {
			return hs, 0, errTooManyHeaders
		}
		h, next, err := parseField(w, i)
		if err != nil {
			return hs, 0, err
		}
		hs = append(hs, h)
		i = next
	}
}

// parseField reads one field line "name:" OWS value OWS CRLF at w[i:].
func parseField(w []byte, i int) (Header, int, error) {
	start := i
	for i < len(w) && codec.IsTokenChar(w[i]) {
		i++
	}
	if i >= len(w) {
		return Header{}, 0, ErrNeedMore
	}
	switch {
	case w[i] == ':' && i > start:
	case (w[i] == ' ' || w[i] == '\t') && i > start:
		return Header{}, 0, errSpaceBeforeColn // RFC 9112 section 5.1
	default:
		return Header{}, 0, errBadFieldName
	}
	name := w[start:i]
	i++
	for i < len(w) && codec.IsOWS(w[i]) {
		i++
	}
	vs := i
	i = skipValue(w, i)
	end, err := lineEnd(w, i, errBadFieldValue)
	if err != nil {
		return Header{}, 0, err
	}
	return Header{Name: name, Value: codec.TrimOWS(w[vs:i])}, end, nil
}

// skipValue returns the offset of the first byte at or after w[i] that
// fieldValueTable refuses (or len(w)). It looks at eight bytes at a time
// while none of them is a control byte (below SP, HTAB included, or DEL),
// then byte by byte.
func skipValue(w []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for i+8 <= len(w) {
		x := binary.LittleEndian.Uint64(w[i:])
		// A byte below 0x20 (subtracting 0x20 borrows, and its high bit
		// was clear) or equal to 0x7f (y is zero there) sets its high bit
		// in below or del; a borrow can only flag a byte above a flagged
		// one, so a word with none flagged has no such byte.
		y := x ^ (0x7f * ones)
		below := (x - 0x20*ones) &^ x
		del := (y - ones) &^ y
		if (below|del)&highs != 0 {
			break
		}
		i += 8
	}
	for i < len(w) && fieldValueTable[w[i]] {
		i++
	}
	return i
}

// lineEnd checks that w[i:] starts with CRLF and returns the offset after it.
// Any other byte there is bad (or a bare CR / bare LF error).
func lineEnd(w []byte, i int, bad *Error) (int, error) {
	if i >= len(w) {
		return 0, ErrNeedMore
	}
	switch w[i] {
	case '\r':
	case '\n':
		return 0, errBareLF
	default:
		return 0, bad
	}
	if i+1 >= len(w) {
		return 0, ErrNeedMore
	}
	if w[i+1] != '\n' {
		return 0, errBareCR
	}
	return i + 2, nil
}

// fields is what one pass over the header fields learns for framing,
// persistence and routing (RFC 9112 sections 6 and 9, RFC 9110 section 7).
type fields struct {
	host    []byte
	hosts   int
	cl      int64
	hasCL   bool
	clErr   *Error
	te      teInfo
	close   bool // Connection: close
	keep    bool // Connection: keep-alive
	upgrade bool // Connection: upgrade
	hasUpg  bool // an Upgrade field with a value
	expect  bool // Expect: 100-continue
}

// scanFields fills f from hs. Field names are matched by length first.
func (f *fields) scan(hs []Header) {
	for _, h := range hs {
		switch len(h.Name) {
		case 4:
			if codec.EqualFold(h.Name, "host") {
				f.host = h.Value
				f.hosts++
			}
		case 6:
			if codec.EqualFold(h.Name, "expect") && codec.EqualFold(h.Value, "100-continue") {
				f.expect = true
			}
		case 7:
			if codec.EqualFold(h.Name, "upgrade") && len(h.Value) > 0 {
				f.hasUpg = true
			}
		case 10:
			if codec.EqualFold(h.Name, "connection") {
				f.connection(h.Value)
			}
		case 14:
			if codec.EqualFold(h.Name, "content-length") {
				f.contentLength(h.Value)
			}
		case 17:
			if codec.EqualFold(h.Name, "transfer-encoding") {
				f.te.add(h.Value)
			}
		}
	}
}

// connection reads the connection options (RFC 9110 section 7.6.1).
func (f *fields) connection(v []byte) {
	for rest, more := v, true; more; {
		var opt []byte
		opt, rest, more = codec.CutElement(rest)
		switch {
		case codec.EqualFold(opt, "close"):
			f.close = true
		case codec.EqualFold(opt, "keep-alive"):
			f.keep = true
		case codec.EqualFold(opt, "upgrade"):
			f.upgrade = true
		}
	}
}

// keepAlive applies RFC 9112 section 9.3.
func (f *fields) keepAlive(minor int) bool {
	if f.close {
		return false
	}
	return minor >= 1 || f.keep
}
