// Package pathnorm puts the path of a request-target in the normal form that
// velox's routes match and its backends receive, so that "/%61dmin",
// "/x/../admin", "/./admin", "//admin" and "/%2e%2e/admin" cannot slip past
// a rule on "/admin" (as Envoy's normalize_path, merge_slashes and
// path_with_escaped_slashes_action, and nginx's location matching do).
//
// Imported by proxy (target.go: every request) and config (route paths and
// prefixes must be in normal form to ever match). It knows no protocol: an
// HTTP/2 :path is normalised the same way.
//
// Options.Normalize makes, in one pass over the path:
//   - percent-encoded unreserved characters (RFC 3986 section 2.3: ALPHA,
//     DIGIT, "-", ".", "_", "~") decoded, and the hex digits of every other
//     percent-encoding upper-cased (section 6.2.2.1);
//   - dot segments removed (section 5.2.4), after that decoding, so "%2e%2E"
//     is "..";
//   - empty segments merged ("//" is "/"), when MergeSlashes;
//   - "%2F" and "%5C" (and a raw "\", which some servers read as "/") kept,
//     refused or decoded into a "/" that then separates segments, by
//     Options.Slashes.
//
// It refuses a path whose ".." would climb above the root (section 5.2.4
// would silently stop at the root; a client that sends one is probing),
// "%00" and other malformed percent-encodings ("%zz", "%4"), and "#" (a
// fragment is not part of a request-target, RFC 9112 section 3.2).
//
// The query is not part of the path and is not touched. A path that is
// already normal is not copied: the result is the input, or a prefix of it.
package pathnorm

import "errors"

// Slashes is what Normalize does with "%2F", "%5C" and a raw "\".
type Slashes uint8

const (
	Reject Slashes = iota // refuse the path (ErrSlash)
	Keep                  // keep it as data inside a segment ("%2f" becomes "%2F")
	Decode                // make it a "/" that separates segments
)

// Options say how to normalise. The zero value removes dot segments,
// decodes unreserved characters, keeps "//" and refuses escaped slashes.
type Options struct {
	MergeSlashes bool // "//" becomes "/"
	Slashes      Slashes
}

// Errors of Normalize. A proxy answers each with 400.
var (
	ErrAboveRoot   = errors.New("pathnorm: path climbs above the root")
	ErrPercent     = errors.New("pathnorm: malformed percent-encoding in path")
	ErrNUL         = errors.New("pathnorm: NUL in path")
	ErrSlash       = errors.New("pathnorm: encoded slash or backslash in path")
	ErrFragment    = errors.New("pathnorm: fragment in request-target")
	ErrNotAbsolute = errors.New("pathnorm: path does not start with /")
)

// Normalize returns the normal form of p, which must start with "/", or
// one of the errors above. The result is p or a prefix of it when nothing
// else changes (no copy), else it is built in dst, whose capacity is used
// and grown to len(p) if short: the normal form is never longer than p. It
// does not allocate when dst has that capacity. The result is valid as
// long as p and dst are.
func (o *Options) Normalize(dst, p []byte) ([]byte, error) {
	if len(p) == 0 || p[0] != '/' {
		return nil, ErrNotAbsolute
	}
	w := pathWriter{src: p, dst: dst, n: 1}
	seg := 1 // where the current segment starts in the output
	for i := 1; i < len(p); {
		if j, s := w.skipUnchanged(p, i, seg); j > i {
			i, seg = j, s
			continue
		}
		c, n, kind, err := o.next(p, i)
		if err != nil {
			return nil, err
		}
		i += n
		if seg, err = w.write(c, kind, seg, o.MergeSlashes); err != nil {
			return nil, err
		}
	}
	if err := w.endSegment(seg, true, o.MergeSlashes); err != nil {
		return nil, err
	}
	return w.bytes(), nil
}

// skipUnchanged moves over what the output keeps as it is while the output
// is still the input: a run of plain bytes, and the "/" after an ordinary
// segment. It returns the new position and segment start; the position is
// i when there is nothing to skip.
func (w *pathWriter) skipUnchanged(p []byte, i, seg int) (int, int) {
	if w.n != i || w.copied {
		return i, seg
	}
	j := skipPlain(p, i)
	if j < len(p) && p[j] == '/' && ordinary(p[seg:j]) {
		j++
		seg = j
	}
	w.n = j
	return j, seg
}

// write writes what next read, and returns where the current segment starts.
func (w *pathWriter) write(c byte, kind int, seg int, merge bool) (int, error) {
	switch kind {
	case pathSep:
		if err := w.endSegment(seg, false, merge); err != nil {
			return 0, err
		}
		return w.len(), nil
	case pathEscape:
		w.put('%')
		w.put(hexUpper[c>>4])
		w.put(hexUpper[c&15])
	default:
		w.put(c)
	}
	return seg, nil
}

// plain marks the bytes that stand for themselves in any segment: all but
// the ones next looks at, and "." (dot segments are found by endSegment).
var plain = func() (t [256]bool) {
	for c := range t {
		t[c] = true
	}
	for _, c := range "/\\#%" {
		t[c] = false
	}
	return t
}()

func skipPlain(p []byte, i int) int {
	for i < len(p) && plain[p[i]] {
		i++
	}
	return i
}

// ordinary reports whether a segment is neither empty nor a dot segment.
func ordinary(s []byte) bool {
	switch len(s) {
	case 0:
		return false
	case 1:
		return s[0] != '.'
	case 2:
		return s[0] != '.' || s[1] != '.'
	}
	return true
}

// What next found at a position of the path.
const (
	pathByte   = iota // a byte of a segment
	pathEscape        // a percent-encoding kept (c is the byte it encodes)
	pathSep           // a segment separator
)

// next reads the character at p[i]: the byte to write, how many bytes of p
// it took, and what it is.
func (o *Options) next(p []byte, i int) (c byte, n, kind int, err error) {
	switch c = p[i]; c {
	case '/':
		return c, 1, pathSep, nil
	case '\\':
		return o.slash(c, 1, pathByte)
	case '#':
		return 0, 0, 0, ErrFragment
	case '%':
	default:
		return c, 1, pathByte, nil
	}
	if i+2 >= len(p) {
		return 0, 0, 0, ErrPercent
	}
	hi, ok1 := unhex(p[i+1])
	lo, ok2 := unhex(p[i+2])
	switch c = hi<<4 | lo; {
	case !ok1 || !ok2:
		return 0, 0, 0, ErrPercent
	case unreserved(c):
		return c, 3, pathByte, nil
	case c == 0:
		return 0, 0, 0, ErrNUL
	case c == '/' || c == '\\':
		return o.slash(c, 3, pathEscape)
	}
	return c, 3, pathEscape, nil
}

// slash applies the policy to an encoded slash or backslash, or a raw
// backslash (kept as it came: kind).
func (o *Options) slash(c byte, n, kind int) (byte, int, int, error) {
	switch o.Slashes {
	case Keep:
		return c, n, kind, nil
	case Decode:
		return '/', n, pathSep, nil
	}
	return 0, 0, 0, ErrSlash
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

const hexUpper = "0123456789ABCDEF"

// unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986 section 2.3).
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// pathWriter builds the output lazily: while it is a prefix of src it is
// src[:n], and only the first byte that differs copies it into dst.
type pathWriter struct {
	src, dst []byte
	n        int
	copied   bool
}

func (w *pathWriter) put(c byte) {
	if !w.copied {
		if w.n < len(w.src) && w.src[w.n] == c {
			w.n++
			return
		}
		if cap(w.dst) < len(w.src) {
			w.dst = make([]byte, 0, len(w.src))
		}
		w.dst = append(w.dst[:0], w.src[:w.n]...)
		w.copied = true
	}
	w.dst = append(w.dst, c)
}

func (w *pathWriter) bytes() []byte {
	if w.copied {
		return w.dst
	}
	return w.src[:w.n]
}

func (w *pathWriter) len() int {
	if w.copied {
		return len(w.dst)
	}
	return w.n
}

func (w *pathWriter) truncate(k int) {
	if w.copied {
		w.dst = w.dst[:k]
	} else {
		w.n = k
	}
}

// endSegment ends the segment that starts at seg in the output (just after
// its "/"), at a separator or, when last, at the end of the path: a "."
// segment goes, a ".." segment goes with the one before it (RFC 3986
// section 5.2.4, steps B and C), an empty one goes when merging unless it
// is the last (a trailing slash). Otherwise a separator writes its "/".
func (w *pathWriter) endSegment(seg int, last, merge bool) error {
	out := w.bytes()
	switch s := out[seg:]; {
	case len(s) == 1 && s[0] == '.':
		w.truncate(seg)
	case len(s) == 2 && s[0] == '.' && s[1] == '.':
		if seg == 1 {
			return ErrAboveRoot
		}
		w.truncate(lastSlash(out[:seg-1]) + 1)
	case len(s) == 0 && merge, last:
	default:
		w.put('/')
	}
	return nil
}

func lastSlash(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '/' {
			return i
		}
	}
	return -1
}
