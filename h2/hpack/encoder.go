package hpack

// AppendField appends one field representation to dst without any
// dynamic-table state: the static index if (name, value) is in the static
// table, otherwise a literal without indexing (section 6.2.2) naming the
// static entry when one has the name. A sensitive field is always a
// never-indexed literal (section 6.2.3). Strings are Huffman-coded unless that
// is longer. Names must already be lowercase (RFC 9113 section 8.2.1). It
// does not allocate when dst has room.
func AppendField(dst, name, value []byte, sensitive bool) []byte {
	idx, exact := staticFind(name, value)
	if exact && !sensitive {
		return appendInt(dst, 0x80, 7, uint64(idx))
	}
	return appendLiteral(dst, literalFirst(sensitive), 4, idx, name, value)
}

// literalFirst is the pattern of a literal without indexing, or never
// indexed if sensitive.
func literalFirst(sensitive bool) byte {
	if sensitive {
		return 0x10
	}
	return 0x00
}

// appendLiteral appends a literal representation: pattern first with an
// n-bit name index idx, the name itself if idx is 0, then the value.
func appendLiteral(dst []byte, first byte, n uint8, idx int, name, value []byte) []byte {
	dst = appendInt(dst, first, n, uint64(idx))
	if idx == 0 {
		dst = appendString(dst, name)
	}
	return appendString(dst, value)
}

// appendString appends a string literal (section 5.2), Huffman-coded unless
// that is longer (at equal length too, as Appendix C.6.2 does).
func appendString(dst, s []byte) []byte {
	if n := huffmanLen(s); n <= len(s) && len(s) > 0 {
		dst = appendInt(dst, 0x80, 7, uint64(n))
		return appendHuffman(dst, s)
	}
	dst = appendInt(dst, 0, 7, uint64(len(s)))
	return append(dst, s...)
}

// Encoder appends header blocks that may use a dynamic table: fields
// matching an entry become indexed, others literals with incremental
// indexing (section 6.2.1). It is owned by one goroutine (the connection's
// loop) and mirrors the peer decoder's table, so every block it produces
// must be sent, in order. The zero Encoder is NewEncoder(0).
type Encoder struct {
	// Immutable:
	maxUse uint32 // the most of the peer's table we want to use

	// Owned by the loop:
	ready    bool // the zero Encoder is set up on first use
	table    dynamicTable
	decLimit uint32 // the table limit the peer's decoder holds
	pending  bool   // a size update must start the next block
	minLimit uint32 // smallest limit asked for since the last block
}

// NewEncoder returns an Encoder indexing into a dynamic table of tableSize
// bytes, which must not exceed DefaultTableSize, the peer's
// SETTINGS_HEADER_TABLE_SIZE until its SETTINGS arrive (using less than the
// peer allows needs no size update). tableSize 0 gives AppendField's
// stateless output, plus the size updates SetMaxTableSize requires.
func NewEncoder(tableSize uint32) *Encoder {
	e := &Encoder{}
	e.setup(tableSize)
	return e
}

func (e *Encoder) setup(tableSize uint32) {
	e.ready, e.maxUse, e.decLimit = true, tableSize, DefaultTableSize
	e.table.hashed = true // the encoder searches its table (find)
	e.table.setLimit(tableSize)
}

// SetMaxTableSize applies the peer's new SETTINGS_HEADER_TABLE_SIZE n. The
// table limit becomes the smaller of n and NewEncoder's tableSize; if the
// peer's decoder must learn of it (n is below its limit, or we now use more
// than it holds), the next AppendField starts with a size update (section
// 4.2) — so call it between blocks only.
func (e *Encoder) SetMaxTableSize(n uint32) {
	if !e.ready {
		e.setup(0)
	}
	limit := min(n, e.maxUse)
	if n >= e.decLimit && limit <= e.decLimit && !e.pending {
		e.table.setLimit(limit)
		return
	}
	if !e.pending {
		e.minLimit = limit
	}
	e.minLimit = min(e.minLimit, limit)
	e.pending = true
	e.decLimit = limit
	e.table.setLimit(limit)
}

// AppendField appends one field representation to dst; it does not
// allocate when dst has room (the table allocates only in NewEncoder and
// when SetMaxTableSize raises its limit).
func (e *Encoder) AppendField(dst, name, value []byte, sensitive bool) []byte {
	return e.AppendFieldMemo(dst, name, value, sensitive, nil)
}

// AppendFieldMemo is AppendField with a memo (nil: none): m remembers how
// the field was encoded (the static or dynamic entry it matched or
// entered), and the next call with the same m and the same name and value
// checks that entry first, skipping the searches of both tables. A proxy
// keeps one Memo per position in a block: a backend sends the same fields
// in the same order, response after response. The output is a valid
// encoding either way, not always the same bytes: the remembered entry
// may be an older duplicate of the one a search finds.
func (e *Encoder) AppendFieldMemo(dst, name, value []byte, sensitive bool, m *Memo) []byte {
	if e.pending {
		dst = e.appendSizeUpdates(dst)
	}
	if e.maxUse == 0 {
		return AppendField(dst, name, value, sensitive)
	}
	if m == nil {
		m = &Memo{}
	} else if !sensitive {
		if idx, ok := e.recall(m, name, value, false); ok {
			return appendInt(dst, 0x80, 7, uint64(idx))
		}
	}
	idx, exact := staticFind(name, value)
	pos, dexact := e.table.find(name, value)
	switch {
	case sensitive:
		m.kind = memoNone
	case exact:
		m.kind, m.v = memoStatic, uint32(idx)
		return appendInt(dst, 0x80, 7, uint64(idx))
	case dexact:
		m.kind, m.v = memoDynamic, e.table.seqOf(pos)
		return appendInt(dst, 0x80, 7, uint64(staticLen+1+pos))
	}
	if idx == 0 && pos >= 0 {
		idx = staticLen + 1 + pos
	}
	if sensitive || uint64(len(name))+uint64(len(value))+entryOverhead > uint64(e.table.limit) {
		m.kind = memoNone
		return appendLiteral(dst, literalFirst(sensitive), 4, idx, name, value)
	}
	dst = appendLiteral(dst, 0x40, 6, idx, name, value)
	e.table.add(name, value)
	m.kind, m.v = memoDynamic, e.table.seqOf(0)
	return dst
}

// Memo is AppendFieldMemo's memory of one field: the static index it
// matched, or the insertion number of the dynamic entry it matched or
// entered. The zero Memo remembers nothing. A Memo belongs to one Encoder.
type Memo struct {
	v    uint32
	kind uint8
}

const (
	memoNone uint8 = iota
	memoStatic
	memoDynamic
)

// Recall appends the indexed field m remembers if its entry is still
// (name, value), with name compared ASCII case-insensitively (the entry's
// is lower-case): a caller that would lower-case the name first may try
// it before. ok false: nothing was appended; encode the field with
// AppendFieldMemo.
func (e *Encoder) Recall(dst []byte, m *Memo, name, value []byte) (_ []byte, ok bool) {
	if e.pending || e.maxUse == 0 {
		return dst, false
	}
	idx, ok := e.recall(m, name, value, true)
	if !ok {
		return dst, false
	}
	return appendInt(dst, 0x80, 7, uint64(idx)), true
}

// recall returns the index m remembers if that entry is still (name,
// value): a dynamic entry may have been evicted since. fold compares the
// name ASCII case-insensitively.
func (e *Encoder) recall(m *Memo, name, value []byte, fold bool) (int, bool) {
	var idx int
	var n, v []byte
	switch m.kind {
	case memoStatic:
		s := &staticTable[m.v-1]
		idx, n, v = int(m.v), stringBytes(s.name), stringBytes(s.value)
	case memoDynamic:
		pos, ok := e.table.posOf(m.v)
		if !ok {
			return 0, false
		}
		n, v = e.table.entry(pos)
		idx = staticLen + 1 + pos
	default:
		return 0, false
	}
	if string(v) != string(value) {
		return 0, false
	}
	if fold {
		return idx, equalLower(name, n)
	}
	return idx, string(n) == string(name)
}

// equalLower reports whether b, lower-cased (ASCII), is the lower-case
// lower.
func equalLower(b, lower []byte) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range lower {
		if d := b[i]; d != c && (c < 'a' || c > 'z' || d|0x20 != c) {
			return false
		}
	}
	return true
}

// appendSizeUpdates appends the pending dynamic table size update. If the
// limit went lower in between, section 4.2 wants that smallest one first;
// we send 0 instead, emptying the table, because x/net's decoder refuses a
// second update at the start of a block unless the table is empty.
func (e *Encoder) appendSizeUpdates(dst []byte) []byte {
	e.pending = false
	if e.minLimit < e.table.limit {
		dst = appendInt(dst, 0x20, 5, 0)
		e.table.setLimit(0)
		e.table.setLimit(e.decLimit)
	}
	return appendInt(dst, 0x20, 5, uint64(e.table.limit))
}
