package h2

// A minimal stand-in for h2/head.go (written on another branch), with the
// same names and signatures, so that the connection layer builds and its
// tests run before that branch is merged. It validates little: pseudo-header
// placement, lower-case names, :status and content-length syntax. Delete
// this file when head.go lands.

import (
	"errors"
	"strconv"

	"github.com/velox-proxy/velox/h2/hpack"
)

// Field is one header field; Name is lower-case.
type Field struct {
	Name, Value []byte
	Sensitive   bool
}

// Head is a decoded, validated header block (RFC 9113 section 8.3). Its
// byte slices point into the decoder's buffer: valid only during the
// Handler call.
type Head struct {
	Method, Scheme, Authority, Path, Protocol []byte
	Status                                    int
	Fields                                    []Field
	ContentLength                             int64
}

// HeadKind says what a header block is.
type HeadKind uint8

// The kinds of header block.
const (
	HeadRequest HeadKind = iota
	HeadResponse
	HeadTrailers
)

// ErrHeaderListTooLarge: the decoded list is over maxHeaderListSize; the
// HPACK state is in sync (a request gets 431, a response a reset).
var ErrHeaderListTooLarge = errors.New("h2: header list too large")

var (
	errHeadMalformed error = StreamError{Code: ErrCodeProtocol}
	errHeadHPACK     error = ConnectionError(ErrCodeCompression)
)

// HeadDecoder turns one header block into a Head.
type HeadDecoder struct {
	Head   Head
	hp     hpack.Decoder
	buf    []byte
	offs   []int // name start, name end, value end, sensitive; 4 per field
	bad    bool
	kind   HeadKind
	emitFn func(name, value []byte, sensitive bool)
}

// Init sets the limits; it may be called again to reuse d.
func (d *HeadDecoder) Init(maxHeaderListSize, tableSize uint32) {
	d.hp = *hpack.NewDecoder(tableSize)
	d.hp.MaxHeaderListSize = maxHeaderListSize
	d.emitFn = d.emit
}

// SetMaxTableSize applies our acknowledged SETTINGS_HEADER_TABLE_SIZE.
func (d *HeadDecoder) SetMaxTableSize(n uint32) { d.hp.SetMaxTableSize(n) }

// Decode decodes block into d.Head.
func (d *HeadDecoder) Decode(block []byte, kind HeadKind) (*Head, error) {
	d.buf, d.offs, d.bad, d.kind = d.buf[:0], d.offs[:0], false, kind
	err := d.hp.DecodeBlock(block, d.emitFn)
	if err == hpack.ErrHeaderListTooLarge {
		return nil, ErrHeaderListTooLarge
	}
	if err != nil {
		return nil, errHeadHPACK
	}
	h := &d.Head
	*h = Head{Fields: h.Fields[:0], ContentLength: -1}
	for i := 0; i < len(d.offs); i += 4 {
		name, value := d.buf[d.offs[i]:d.offs[i+1]], d.buf[d.offs[i+1]:d.offs[i+2]]
		if !d.set(h, name, value, d.offs[i+3] == 1) {
			d.bad = true
		}
	}
	if d.bad || (kind == HeadResponse && h.Status == 0) {
		return nil, errHeadMalformed
	}
	return h, nil
}

func (d *HeadDecoder) emit(name, value []byte, sensitive bool) {
	s := 0
	if sensitive {
		s = 1
	}
	start := len(d.buf)
	d.buf = append(append(d.buf, name...), value...)
	d.offs = append(d.offs, start, start+len(name), len(d.buf), s)
}

// set stores one field in h and reports whether it is allowed there.
func (d *HeadDecoder) set(h *Head, name, value []byte, sensitive bool) bool {
	for _, b := range name {
		if 'A' <= b && b <= 'Z' {
			return false
		}
	}
	if len(name) > 0 && name[0] == ':' {
		return len(h.Fields) == 0 && d.kind != HeadTrailers && d.pseudo(h, string(name), value)
	}
	if string(name) == "content-length" {
		n, err := strconv.ParseInt(string(value), 10, 64)
		if err != nil || n < 0 {
			return false
		}
		h.ContentLength = n
	}
	h.Fields = append(h.Fields, Field{name, value, sensitive})
	return true
}

func (d *HeadDecoder) pseudo(h *Head, name string, value []byte) bool {
	if d.kind == HeadResponse {
		n, err := strconv.Atoi(string(value))
		h.Status = n
		return name == ":status" && err == nil && n >= 100 && n <= 999
	}
	switch name {
	case ":method":
		h.Method = value
	case ":scheme":
		h.Scheme = value
	case ":authority":
		h.Authority = value
	case ":path":
		h.Path = value
	case ":protocol":
		h.Protocol = value
	default:
		return false
	}
	return true
}

// HeadEncoder turns a Head into a header block.
type HeadEncoder struct {
	hp hpack.Encoder
}

// Init sets the dynamic table size we use for the peer's decoder.
func (e *HeadEncoder) Init(tableSize uint32) { e.hp = *hpack.NewEncoder(tableSize) }

// SetPeerMaxTableSize applies the peer's SETTINGS_HEADER_TABLE_SIZE.
func (e *HeadEncoder) SetPeerMaxTableSize(n uint32) { e.hp.SetMaxTableSize(n) }

// AppendBlock appends the HPACK block for h to dst.
func (e *HeadEncoder) AppendBlock(dst []byte, h *Head) []byte {
	if h.Status != 0 {
		var num [3]byte
		dst = e.hp.AppendField(dst, []byte(":status"), strconv.AppendInt(num[:0], int64(h.Status), 10), false)
	}
	for _, p := range [...]struct {
		name string
		v    []byte
	}{{":method", h.Method}, {":scheme", h.Scheme}, {":authority", h.Authority}, {":path", h.Path}, {":protocol", h.Protocol}} {
		if p.v != nil {
			dst = e.hp.AppendField(dst, []byte(p.name), p.v, false)
		}
	}
	return e.AppendTrailers(dst, h.Fields)
}

// AppendTrailers appends the block for trailer fields.
func (e *HeadEncoder) AppendTrailers(dst []byte, fields []Field) []byte {
	for _, f := range fields {
		dst = e.hp.AppendField(dst, f.Name, f.Value, f.Sensitive)
	}
	return dst
}
