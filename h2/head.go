package h2

import (
	"errors"

	"github.com/velox-proxy/velox/h2/hpack"
)

// Field is one header field. Name is lower-case (RFC 9113 section 8.2.1).
// Sensitive marks a never-indexed field (RFC 7541 section 6.2.3), which a
// proxy forwards never-indexed too.
type Field struct {
	Name, Value []byte
	Sensitive   bool
}

// Head is a decoded, validated header block (RFC 9113 section 8). The byte
// slices point into the HeadDecoder's own buffer and are valid until its
// next Decode; copy what must live longer.
//
// A request may carry both :authority and host; both are kept, and the
// proxy routes by Authority (RFC 9113 section 8.3.1). Cookie fields are kept
// as received, one Field per crumb (section 8.2.3): the HTTP/1.1 side joins
// them with "; ".
type Head struct {
	// Request pseudo-headers; nil when absent.
	Method, Scheme, Authority, Path, Protocol []byte
	// Status is the :status of a response (100-999); 0 in a request and in
	// trailers.
	Status int
	// Fields are the regular fields in order, with lower-case names.
	Fields []Field
	// ContentLength is the parsed content-length, -1 when absent (and in
	// trailers, where it is not parsed).
	ContentLength int64
}

// HeadKind tells Decode which pseudo-headers a block may carry.
type HeadKind uint8

// The kinds of header block (RFC 9113 section 8.1).
const (
	HeadRequest  HeadKind = iota // a request's HEADERS
	HeadResponse                 // a response's HEADERS (1xx included)
	HeadTrailers                 // trailers: no pseudo-headers
)

// ErrHeaderListTooLarge is returned by HeadDecoder.Decode when the decoded
// header list (name+value+32 per field, RFC 9113 section 6.5.2) exceeds the
// maxHeaderListSize given to Init. The whole block was still HPACK-decoded,
// so the dynamic table is in sync and the connection goes on: it is a
// stream-level error. The connection owner answers a request with 431
// (RFC 6585 section 5, as nginx does) and closes the stream; for a response
// or trailers from upstream it resets the stream with PROTOCOL_ERROR (RFC
// 9113 section 8.2.2 lets a larger header section be treated as malformed).
// It is a distinct value, not a StreamError, so that the owner can tell it
// from a malformed block: compare with errors.Is.
var ErrHeaderListTooLarge = errors.New("h2: header list too large")

// Decode's errors, boxed once so that returning them does not allocate.
var (
	// errMalformed: RFC 9113 section 8.1.1, reset the stream.
	errMalformed error = StreamError{Code: ErrCodeProtocol}
	// errCompression: HPACK failed, the table is lost (section 4.3).
	errCompression error = ConnectionError(ErrCodeCompression)
)

// Indexes of the pseudo-headers in HeadDecoder.pseudo.
const (
	pseudoMethod = iota
	pseudoScheme
	pseudoAuthority
	pseudoPath
	pseudoProtocol
	pseudoStatus
	numPseudo
)

// pseudoNames are the pseudo-header names by index.
var pseudoNames = [numPseudo]string{":method", ":scheme", ":authority", ":path", ":protocol", ":status"}

// pseudoBytes are pseudoNames as the encoder passes them.
var pseudoBytes = func() (b [numPseudo][]byte) {
	for i, n := range pseudoNames {
		b[i] = []byte(n)
	}
	return b
}()

// pseudoAllowed[kind][i] reports whether pseudo-header i may appear in a
// block of that kind (RFC 9113 sections 8.3.1, 8.3.2; none in trailers).
var pseudoAllowed = [...][numPseudo]bool{
	HeadRequest:  {true, true, true, true, true, false},
	HeadResponse: {false, false, false, false, false, true},
	HeadTrailers: {},
}

// span locates a string in the decoder's arena.
type span struct {
	off, n uint32
	set    bool
}

// fieldRef is a regular field while the block is being decoded: the arena
// may move as it grows, so offsets are kept until the end.
type fieldRef struct {
	name, value span
	sensitive   bool
}

// HeadDecoder decodes header blocks into a Head and validates them (RFC 9113
// section 8). It holds the HPACK decoder of one direction of a connection.
// Call Init before use. It is owned by one goroutine (the connection's loop)
// and does not allocate in the steady state: names and values are copied
// into one reused arena, and the Head and its Fields are reused.
type HeadDecoder struct {
	// ExtendedConnect accepts an extended CONNECT (RFC 8441 section 4): set
	// it when SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 was advertised. When
	// false, a request with :protocol is malformed. Init keeps it.
	ExtendedConnect bool

	// Owned by the loop:
	dec    hpack.Decoder
	emitFn func(name, value []byte, sensitive bool) // d.emit, bound once
	arena  []byte
	refs   []fieldRef
	head   Head

	// State of the block being decoded:
	kind       HeadKind
	err        error // first malformation seen
	sawRegular bool
	pseudo     [numPseudo]span
	clen       int64
}

// Init sets the decoder up: maxHeaderListSize is the
// SETTINGS_MAX_HEADER_LIST_SIZE we advertised (0: no limit), tableSize our
// SETTINGS_HEADER_TABLE_SIZE (hpack.DefaultTableSize until we advertise
// another).
func (d *HeadDecoder) Init(maxHeaderListSize, tableSize uint32) {
	d.dec = *hpack.NewDecoder(tableSize)
	d.dec.MaxHeaderListSize = maxHeaderListSize
	d.emitFn = d.emit
	d.arena = make([]byte, 0, 1024)
}

// SetMaxTableSize records a new SETTINGS_HEADER_TABLE_SIZE once the peer has
// acknowledged it (hpack.Decoder.SetMaxTableSize); call it between blocks.
func (d *HeadDecoder) SetMaxTableSize(n uint32) { d.dec.SetMaxTableSize(n) }

// Decode HPACK-decodes one complete header block (HEADERS plus its
// CONTINUATIONs, joined) and validates it as kind. The whole block is always
// decoded, so the dynamic table stays in sync whatever the block holds.
//
// Errors, in this order of precedence:
//   - ConnectionError(ErrCodeCompression): HPACK failed; close the connection.
//   - ErrHeaderListTooLarge: see there; the connection goes on.
//   - StreamError{Code: ErrCodeProtocol} with StreamID 0: the block is
//     malformed (section 8.1.1); the caller fills in the stream id and
//     resets the stream.
//
// A :protocol pseudo-header (RFC 8441 extended CONNECT) is accepted only
// with ExtendedConnect, and only on a CONNECT that also has :scheme, :path
// and :authority; a plain CONNECT (RFC 9113 section 8.5) has :authority
// only.
// The Head is the decoder's own and valid until the next Decode.
func (d *HeadDecoder) Decode(block []byte, kind HeadKind) (*Head, error) {
	if d.emitFn == nil {
		d.Init(0, hpack.DefaultTableSize)
	}
	d.start(kind)
	if err := d.dec.DecodeBlock(block, d.emitFn); err != nil {
		if errors.Is(err, hpack.ErrHeaderListTooLarge) {
			return nil, ErrHeaderListTooLarge
		}
		return nil, errCompression
	}
	if d.err == nil {
		d.err = d.checkPseudo()
	}
	if d.err != nil {
		return nil, d.err
	}
	return d.build(), nil
}

// start resets the per-block state.
func (d *HeadDecoder) start(kind HeadKind) {
	d.kind, d.err, d.sawRegular = kind, nil, false
	d.arena, d.refs = d.arena[:0], d.refs[:0]
	d.pseudo = [numPseudo]span{}
	d.clen = -1
}

// emit receives each decoded field. After the first malformation it only
// lets HPACK run to the end of the block.
func (d *HeadDecoder) emit(name, value []byte, sensitive bool) {
	if d.err != nil {
		return
	}
	if !validValue(value) {
		d.err = errMalformed
		return
	}
	if len(name) > 0 && name[0] == ':' {
		d.err = d.pseudoField(name, value)
		return
	}
	d.sawRegular = true
	if d.err = d.regularField(name, value); d.err != nil {
		return
	}
	d.refs = append(d.refs, fieldRef{name: d.store(name), value: d.store(value), sensitive: sensitive})
}

// store copies b into the arena.
func (d *HeadDecoder) store(b []byte) span {
	s := span{off: uint32(len(d.arena)), n: uint32(len(b)), set: true}
	d.arena = append(d.arena, b...)
	return s
}

// bytes returns the arena's bytes at s, or nil if s is unset.
func (d *HeadDecoder) bytes(s span) []byte {
	if !s.set {
		return nil
	}
	end := s.off + s.n
	return d.arena[s.off:end:end]
}

// pseudoField checks and records a pseudo-header (RFC 9113 section 8.3):
// known, allowed in this kind of block, before every regular field, once.
func (d *HeadDecoder) pseudoField(name, value []byte) error {
	i := pseudoIndex(name)
	if i < 0 || d.sawRegular || !pseudoAllowed[d.kind][i] || d.pseudo[i].set {
		return errMalformed
	}
	d.pseudo[i] = d.store(value)
	return nil
}

// pseudoIndex returns the index of a pseudo-header name, or -1.
func pseudoIndex(name []byte) int {
	switch string(name) { // by length, then bytes: cheaper than a loop over pseudoNames
	case ":method":
		return pseudoMethod
	case ":scheme":
		return pseudoScheme
	case ":authority":
		return pseudoAuthority
	case ":path":
		return pseudoPath
	case ":protocol":
		return pseudoProtocol
	case ":status":
		return pseudoStatus
	}
	return -1
}

// regularField checks a regular field: its name (section 8.2.1), that it is
// not connection-specific (section 8.2.2), and content-length (section
// 8.1.1). The value was checked by emit.
func (d *HeadDecoder) regularField(name, value []byte) error {
	if !validName(name) || connectionSpecific(name) {
		return errMalformed
	}
	switch string(name) {
	case "te":
		if !isTrailers(value) {
			return errMalformed
		}
	case "content-length":
		if d.kind != HeadTrailers {
			return d.contentLength(value)
		}
	}
	return nil
}

// contentLength parses one content-length value; several fields must agree.
func (d *HeadDecoder) contentLength(value []byte) error {
	n, ok := parseDecimal(value)
	if !ok || (d.clen >= 0 && d.clen != n) {
		return errMalformed
	}
	d.clen = n
	return nil
}

// build fills the decoder's Head from the arena once the block is done.
func (d *HeadDecoder) build() *Head {
	h := &d.head
	h.Method = d.bytes(d.pseudo[pseudoMethod])
	h.Scheme = d.bytes(d.pseudo[pseudoScheme])
	h.Authority = d.bytes(d.pseudo[pseudoAuthority])
	h.Path = d.bytes(d.pseudo[pseudoPath])
	h.Protocol = d.bytes(d.pseudo[pseudoProtocol])
	h.Status = 0
	if s := d.pseudo[pseudoStatus]; s.set {
		h.Status, _ = parseStatus(d.bytes(s))
	}
	h.ContentLength = d.clen
	h.Fields = h.Fields[:0]
	for _, r := range d.refs {
		h.Fields = append(h.Fields, Field{Name: d.bytes(r.name), Value: d.bytes(r.value), Sensitive: r.sensitive})
	}
	return h
}

// checkPseudo checks, once the block is done, that the pseudo-headers its
// kind requires are there and well-formed.
func (d *HeadDecoder) checkPseudo() error {
	switch d.kind {
	case HeadRequest:
		return d.checkRequest()
	case HeadResponse:
		if _, ok := parseStatus(d.bytes(d.pseudo[pseudoStatus])); !ok {
			return errMalformed
		}
	}
	return nil
}

// checkRequest applies RFC 9113 section 8.3.1 and, for CONNECT, section
// 8.5 and RFC 8441 section 4.
func (d *HeadDecoder) checkRequest() error {
	p := &d.pseudo
	method := d.bytes(p[pseudoMethod])
	if len(method) == 0 || !validMethod(method) {
		return errMalformed
	}
	connect := string(method) == "CONNECT"
	switch {
	case p[pseudoProtocol].set: // extended CONNECT
		if !d.ExtendedConnect || !connect || len(d.bytes(p[pseudoProtocol])) == 0 || !p[pseudoScheme].set || !p[pseudoPath].set || !p[pseudoAuthority].set {
			return errMalformed
		}
	case connect:
		if !p[pseudoAuthority].set || p[pseudoScheme].set || p[pseudoPath].set {
			return errMalformed
		}
		return nil
	case !p[pseudoScheme].set || !p[pseudoPath].set:
		return errMalformed
	}
	return checkPath(method, d.bytes(p[pseudoScheme]), d.bytes(p[pseudoPath]))
}

// checkPath: for http and https, :path is "/..." or, for OPTIONS only, "*".
func checkPath(method, scheme, path []byte) error {
	if string(scheme) != "http" && string(scheme) != "https" {
		return nil
	}
	switch {
	case len(path) > 0 && path[0] == '/':
		return nil
	case string(path) == "*" && string(method) == "OPTIONS":
		return nil
	}
	return errMalformed
}

// HeadEncoder appends header blocks from a Head. It holds the HPACK encoder
// of one direction of a connection, so every block it appends must be sent,
// in order. Call Init before use. It is owned by one goroutine (the
// connection's loop) and does not allocate when dst has room.
//
// Names may come in any case (an HTTP/1.1 head's usually are mixed): they are
// lower-cased while encoding. Connection-specific fields (connection,
// proxy-connection, keep-alive, transfer-encoding, upgrade), te other than
// "trailers", and any field whose name starts with ':' are skipped, since
// HTTP/2 forbids them (RFC 9113 section 8.2.2); removing the fields that a
// Connection header names is the caller's job. Head.ContentLength is not
// encoded: a content-length in Fields is. Sensitive fields are sent
// never-indexed; the others may enter the peer's dynamic table.
type HeadEncoder struct {
	// Owned by the loop:
	enc    hpack.Encoder
	lower  []byte  // a lower-cased name
	status [3]byte // :status digits
	// memo[i] remembers how the i-th field of the last block was encoded
	// (hpack.Encoder.AppendFieldMemo): the heads a proxy relays from one
	// backend repeat their fields in the same order.
	memo [memoFields]hpack.Memo
	slot int // position of the next field in the block being appended
}

// memoFields is how many fields of a block HeadEncoder remembers.
const memoFields = 16

// Init sets the encoder up to use at most tableSize bytes of the peer's
// dynamic table (capped at hpack.DefaultTableSize, which the peer allows
// until its SETTINGS say otherwise); 0 uses none.
func (e *HeadEncoder) Init(tableSize uint32) {
	e.enc = *hpack.NewEncoder(min(tableSize, hpack.DefaultTableSize))
	e.lower = make([]byte, 0, 64)
	e.memo, e.slot = [memoFields]hpack.Memo{}, 0
}

// SetPeerMaxTableSize applies the peer's SETTINGS_HEADER_TABLE_SIZE
// (hpack.Encoder.SetMaxTableSize); call it between blocks.
func (e *HeadEncoder) SetPeerMaxTableSize(n uint32) { e.enc.SetMaxTableSize(n) }

// AppendBlock appends h's header block to dst: the pseudo-headers first
// (:method, :scheme, :authority, :path, :protocol, each when non-nil, for a
// request; :status when Status is not 0, for a response), then h.Fields.
func (e *HeadEncoder) AppendBlock(dst []byte, h *Head) []byte {
	e.slot = 0
	pseudo := [...][]byte{h.Method, h.Scheme, h.Authority, h.Path, h.Protocol}
	for i, v := range pseudo {
		if v != nil {
			dst = e.appendMemo(dst, pseudoBytes[i], v, false)
		}
	}
	if h.Status != 0 {
		s := h.Status
		e.status = [3]byte{byte('0' + s/100%10), byte('0' + s/10%10), byte('0' + s%10)}
		dst = e.appendMemo(dst, pseudoBytes[pseudoStatus], e.status[:], false)
	}
	return e.appendFields(dst, h.Fields)
}

// AppendTrailers appends a trailers block (regular fields only) to dst.
func (e *HeadEncoder) AppendTrailers(dst []byte, fields []Field) []byte {
	e.slot = 0
	return e.appendFields(dst, fields)
}

func (e *HeadEncoder) appendFields(dst []byte, fields []Field) []byte {
	for i := range fields {
		dst = e.appendField(dst, &fields[i])
	}
	return dst
}

// appendMemo appends the block's next field with the memo of its
// position.
func (e *HeadEncoder) appendMemo(dst, name, value []byte, sensitive bool) []byte {
	var m *hpack.Memo
	if e.slot < memoFields {
		m = &e.memo[e.slot]
	}
	e.slot++
	return e.enc.AppendFieldMemo(dst, name, value, sensitive, m)
}

// appendField appends one regular field, lower-cased, unless HTTP/2
// forbids it.
func (e *HeadEncoder) appendField(dst []byte, f *Field) []byte {
	if e.slot < memoFields && !f.Sensitive && len(f.Name) > 0 && f.Name[0] != ':' {
		// The field this position had last time, whatever the case of
		// its name: it passed the checks below then.
		if out, ok := e.enc.Recall(dst, &e.memo[e.slot], f.Name, f.Value); ok {
			e.slot++
			return out
		}
	}
	name := f.Name
	if hasUpper(name) {
		e.lower = appendLower(e.lower[:0], name)
		name = e.lower
	}
	if len(name) == 0 || name[0] == ':' || connectionSpecific(name) ||
		string(name) == "te" && !isTrailers(f.Value) {
		return dst
	}
	return e.appendMemo(dst, name, f.Value, f.Sensitive)
}
