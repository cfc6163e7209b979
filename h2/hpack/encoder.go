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
// must be sent, in order.
type Encoder struct {
	// Owned by the loop:
	table     dynamicTable
	maxUse    uint32 // the most of the peer's table we want to use
	pending   bool   // a size update must start the next block
	minLimit  uint32 // smallest limit since the last block, for pending
	haveTable bool
}

// NewEncoder returns an Encoder indexing into a dynamic table of tableSize
// bytes, which must not exceed the peer's SETTINGS_HEADER_TABLE_SIZE
// (DefaultTableSize until its SETTINGS arrive); using less than the peer
// allows needs no size update. tableSize 0 gives AppendField's stateless
// output.
func NewEncoder(tableSize uint32) *Encoder {
	e := &Encoder{maxUse: tableSize, haveTable: tableSize > 0}
	e.table.setLimit(tableSize)
	return e
}

// SetMaxTableSize applies the peer's new SETTINGS_HEADER_TABLE_SIZE. The
// table limit becomes the smaller of n and NewEncoder's tableSize, and if it
// changed, the next AppendField starts with size updates (section 4.2) — so
// call it between blocks only.
func (e *Encoder) SetMaxTableSize(n uint32) {
	limit := min(n, e.maxUse)
	if limit == e.table.limit && !e.pending {
		return
	}
	if !e.pending || limit < e.minLimit {
		e.minLimit = min(limit, e.table.limit)
	}
	e.pending = true
	e.table.setLimit(limit)
}

// AppendField appends one field representation to dst; it does not
// allocate when dst has room (the table allocates only in NewEncoder).
func (e *Encoder) AppendField(dst, name, value []byte, sensitive bool) []byte {
	if e.pending {
		dst = e.appendSizeUpdates(dst)
	}
	if !e.haveTable {
		return AppendField(dst, name, value, sensitive)
	}
	idx, exact := staticFind(name, value)
	pos, dexact := e.table.find(name, value)
	switch {
	case sensitive:
	case exact:
		return appendInt(dst, 0x80, 7, uint64(idx))
	case dexact:
		return appendInt(dst, 0x80, 7, uint64(staticLen+1+pos))
	}
	if idx == 0 && pos >= 0 {
		idx = staticLen + 1 + pos
	}
	if sensitive || uint64(len(name))+uint64(len(value))+entryOverhead > uint64(e.table.limit) {
		return appendLiteral(dst, literalFirst(sensitive), 4, idx, name, value)
	}
	dst = appendLiteral(dst, 0x40, 6, idx, name, value)
	e.table.add(name, value)
	return dst
}

// appendSizeUpdates appends the pending dynamic table size updates: the
// smallest limit since the last block if it was lower, then the current one.
func (e *Encoder) appendSizeUpdates(dst []byte) []byte {
	if e.minLimit < e.table.limit {
		dst = appendInt(dst, 0x20, 5, uint64(e.minLimit))
	}
	e.pending = false
	return appendInt(dst, 0x20, 5, uint64(e.table.limit))
}
