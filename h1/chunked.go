package h1

import (
	"bytes"
	"math"

	"github.com/velox-proxy/velox/codec"
)

// Bounds of the chunked framing that is not data.
const (
	maxChunkLine    = 4 << 10  // chunk-size line: size and chunk-ext, without CRLF
	maxTrailerBytes = 32 << 10 // trailer section, with its CRLFs
)

// States of the chunked decoder (RFC 9112 section 7.1):
//
//	chunked-body = *chunk last-chunk trailer-section CRLF
//	chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//	last-chunk   = 1*("0") [ chunk-ext ] CRLF
const (
	csSize         uint8 = iota // in chunk-size (HEXDIG)
	csBWS                       // after chunk-size, whitespace before ";"
	csExt                       // in chunk-ext, skipped up to CR
	csSizeLF                    // CR seen after the size line
	csData                      // in chunk-data
	csDataCR                    // after chunk-data, expecting CR
	csDataLF                    // after chunk-data, expecting LF
	csTrailerStart              // at the start of a trailer line or the final CRLF
	csTrailerName               // in a trailer field name
	csTrailerValue              // in a trailer field value
	csTrailerLF                 // CR seen after a trailer field
	csEndLF                     // CR seen of the final CRLF
	csDone
)

// chunkState is the position of a BodyScanner inside a chunked body; it
// survives any split of the input.
type chunkState struct {
	st      uint8
	digits  int   // HEXDIGs of the current chunk-size
	line    int   // bytes of the current chunk-size line
	trailer int   // bytes of the trailer section so far
	size    int64 // chunk-size being read
}

// scanChunked consumes the chunked body in buf, data in bulk, framing byte by
// byte.
func (s *BodyScanner) scanChunked(buf []byte, fn func([]byte)) (int, bool, error) {
	c := &s.chunk
	i := 0
	for i < len(buf) {
		if c.st == csData {
			k := len(buf) - i
			if int64(k) > s.left {
				k = int(s.left)
			}
			if fn != nil {
				fn(buf[i : i+k])
			}
			i += k
			s.left -= int64(k)
			if s.left == 0 {
				c.st = csDataCR
			}
			continue
		}
		inTrailer := c.st >= csTrailerStart && c.st <= csTrailerLF
		if err := c.step(buf[i], &s.left); err != nil {
			return i, false, err
		}
		if s.keep && inTrailer && c.st != csEndLF { // field lines, not the final CRLF
			s.trailers = append(s.trailers, buf[i])
		}
		i++
		if c.st == csDone {
			s.done = true
			return i, true, nil
		}
	}
	return i, false, nil
}

// step advances the framing state by one byte. When a chunk-size line ends it
// sets *left to the chunk's data length.
func (c *chunkState) step(b byte, left *int64) error {
	switch c.st {
	case csSize:
		if d := codec.HexValue(b); d >= 0 {
			if c.size > math.MaxInt64>>4 {
				return errChunkTooLarge
			}
			c.size = c.size<<4 | int64(d)
			c.digits++
			return c.lineByte()
		}
		if c.digits == 0 {
			return errBadChunk
		}
		return c.afterSize(b)
	case csBWS:
		if codec.IsOWS(b) {
			return c.lineByte()
		}
		if b != ';' {
			return errBadChunk
		}
		c.st = csExt
		return c.lineByte()
	case csExt:
		if b == '\r' {
			c.st = csSizeLF
			return nil
		}
		if !fieldValueTable[b] {
			return errBadChunk
		}
		return c.lineByte()
	case csSizeLF:
		return c.endSizeLine(b, left)
	case csDataCR:
		return c.expect(b, '\r', csDataLF)
	case csDataLF:
		if b != '\n' {
			return errBadChunk
		}
		*c = chunkState{st: csSize}
		return nil
	}
	return c.stepTrailer(b)
}

// afterSize handles the byte that ends the HEXDIGs of a chunk-size.
func (c *chunkState) afterSize(b byte) error {
	switch b {
	case '\r':
		c.st = csSizeLF
		return nil
	case ';':
		c.st = csExt
	case ' ', '\t':
		c.st = csBWS
	default:
		return errBadChunk
	}
	return c.lineByte()
}

// endSizeLine checks the LF of a chunk-size line and starts the data, or the
// trailer section after the last chunk.
func (c *chunkState) endSizeLine(b byte, left *int64) error {
	if b != '\n' {
		return errBadChunk
	}
	if c.size == 0 {
		c.st = csTrailerStart
		return nil
	}
	*left = c.size
	c.st = csData
	return nil
}

func (c *chunkState) lineByte() error {
	c.line++
	if c.line > maxChunkLine {
		return errChunkLine
	}
	return nil
}

func (c *chunkState) expect(b, want byte, next uint8) error {
	if b != want {
		return errBadChunk
	}
	c.st = next
	return nil
}

// stepTrailer reads the trailer section: field lines as in a head (no
// obs-fold, no bare CR or LF), then the final CRLF.
func (c *chunkState) stepTrailer(b byte) error {
	c.trailer++
	if c.trailer > maxTrailerBytes {
		return errTrailerLarge
	}
	switch c.st {
	case csTrailerStart:
		if b == '\r' {
			c.st = csEndLF
			return nil
		}
		return c.expectClass(codec.IsTokenChar(b), csTrailerName)
	case csTrailerName:
		if b == ':' {
			c.st = csTrailerValue
			return nil
		}
		return c.expectClass(codec.IsTokenChar(b), csTrailerName)
	case csTrailerValue:
		if b == '\r' {
			c.st = csTrailerLF
			return nil
		}
		return c.expectClass(fieldValueTable[b], csTrailerValue)
	case csTrailerLF:
		return c.expect(b, '\n', csTrailerStart)
	case csEndLF:
		return c.expect(b, '\n', csDone)
	}
	return errBadChunk
}

func (c *chunkState) expectClass(ok bool, next uint8) error {
	if !ok {
		return errBadChunk
	}
	c.st = next
	return nil
}

// EachTrailer calls fn for each field line of b, trailer lines as
// BodyScanner.Trailers keeps them: the name, and the value without the
// whitespace around it.
func EachTrailer(b []byte, fn func(name, value []byte)) {
	for len(b) > 0 {
		end := bytes.Index(b, crlfBytes)
		if end < 0 {
			end = len(b)
		}
		line := b[:end]
		if colon := bytes.IndexByte(line, ':'); colon > 0 {
			fn(line[:colon], codec.TrimOWS(line[colon+1:]))
		}
		b = b[min(end+2, len(b)):]
	}
}

var crlfBytes = []byte("\r\n")
