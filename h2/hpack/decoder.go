package hpack

// Decoder decodes header blocks (section 3) and keeps the dynamic table
// that one direction of a connection shares across its blocks. The zero
// Decoder is NewDecoder(DefaultTableSize). It is owned by one goroutine (the
// connection's loop); it is not safe for concurrent use.
type Decoder struct {
	// Immutable after the first DecodeBlock:

	// MaxHeaderListSize bounds the sum of name+value+32 over a block's
	// fields (RFC 9113 section 6.5.2, SETTINGS_MAX_HEADER_LIST_SIZE);
	// 0 means no limit. Exceeding it gives ErrHeaderListTooLarge.
	MaxHeaderListSize uint32
	// MaxStringLength bounds each string literal, raw or Huffman-decoded;
	// 0 means no limit beyond the block's own length.
	MaxStringLength int

	// Owned by the loop:
	ready        bool // the zero Decoder is set up on first use
	table        dynamicTable
	maxTableSize uint32 // SETTINGS_HEADER_TABLE_SIZE we advertised
	needUpdate   bool   // maxTableSize fell below table.limit
	scratch      []byte // Huffman output, reused by every field
}

// NewDecoder returns a Decoder whose dynamic table is limited to
// maxTableSize bytes (our SETTINGS_HEADER_TABLE_SIZE; DefaultTableSize
// unless we advertised otherwise).
func NewDecoder(maxTableSize uint32) *Decoder {
	d := &Decoder{}
	d.setup(maxTableSize)
	return d
}

func (d *Decoder) setup(maxTableSize uint32) {
	d.ready, d.maxTableSize = true, maxTableSize
	d.table.setLimit(maxTableSize)
}

// SetMaxTableSize records a new SETTINGS_HEADER_TABLE_SIZE once the peer
// has acknowledged it: size updates above it are refused from then on. If it
// is below the table's current limit, the next block must start with a size
// update (section 4.2), or DecodeBlock returns ErrMissingSizeUpdate.
func (d *Decoder) SetMaxTableSize(n uint32) {
	if !d.ready {
		d.setup(DefaultTableSize)
	}
	d.maxTableSize = n
	d.needUpdate = n < d.table.limit
	d.table.grow(n)
}

// TableSize returns the dynamic table's size (section 4.1) and the limit
// the peer's last size update set.
func (d *Decoder) TableSize() (size, limit uint32) { return d.table.size, d.table.limit }

// TableLen returns the number of entries in the dynamic table.
func (d *Decoder) TableLen() int { return d.table.len() }

// TableEntry returns the dynamic table entry at HPACK index staticLen+1+i
// (0 is the newest). The slices point into the table and stay valid until
// the next DecodeBlock.
func (d *Decoder) TableEntry(i int) (name, value []byte) { return d.table.entry(i) }

// DecodeBlock decodes one complete header block (the HEADERS fragment and
// every CONTINUATION's, joined) and calls emit for each field in order.
// sensitive reports a never-indexed literal (section 6.2.3), which a proxy
// must forward never-indexed too. name and value point into block, into the
// static or dynamic table, or into the Decoder's Huffman scratch, and are
// valid only until emit returns; emit must not call the Decoder.
//
// On any error but ErrHeaderListTooLarge, the dynamic table is no longer
// trustworthy and the connection must be closed with COMPRESSION_ERROR.
func (d *Decoder) DecodeBlock(block []byte, emit func(name, value []byte, sensitive bool)) error {
	if !d.ready {
		d.setup(DefaultTableSize)
	}
	p := block
	var listSize uint64
	first := true
	for len(p) > 0 {
		if p[0]&0xe0 == 0x20 { // 001xxxxx: size update, section 6.3
			var err error
			if p, err = d.sizeUpdate(p, first); err != nil {
				return err
			}
			continue
		}
		if d.needUpdate {
			return ErrMissingSizeUpdate
		}
		first = false
		name, value, sensitive, rest, err := d.field(p)
		if err != nil {
			return err
		}
		p = rest
		if d.MaxHeaderListSize != 0 {
			listSize += uint64(len(name)) + uint64(len(value)) + entryOverhead
			if listSize > uint64(d.MaxHeaderListSize) {
				continue // keep decoding: the table must stay in sync
			}
		}
		emit(name, value, sensitive)
	}
	if d.MaxHeaderListSize != 0 && listSize > uint64(d.MaxHeaderListSize) {
		return ErrHeaderListTooLarge
	}
	return nil
}

// sizeUpdate decodes a dynamic table size update (section 6.3).
func (d *Decoder) sizeUpdate(p []byte, first bool) ([]byte, error) {
	if !first {
		return p, ErrMisplacedSizeUpdate
	}
	n, rest, err := readInt(5, p)
	if err != nil {
		return p, err
	}
	if n > uint64(d.maxTableSize) {
		return p, ErrTableSizeTooLarge
	}
	d.table.setLimit(uint32(n))
	d.needUpdate = false
	return rest, nil
}

// field decodes one field representation (sections 6.1 and 6.2).
func (d *Decoder) field(p []byte) (name, value []byte, sensitive bool, rest []byte, err error) {
	d.scratch = d.scratch[:0]
	b := p[0]
	switch {
	case b&0x80 != 0: // 1xxxxxxx: indexed, section 6.1
		var idx uint64
		if idx, rest, err = readInt(7, p); err != nil {
			return
		}
		name, value, err = d.at(idx)
		return
	case b&0xc0 == 0x40: // 01xxxxxx: incremental indexing, section 6.2.1
		name, value, rest, err = d.literal(p, 6, true)
		if err == nil {
			d.table.add(name, value)
		}
		return
	default: // 0001xxxx never indexed (6.2.3), 0000xxxx without (6.2.2)
		name, value, rest, err = d.literal(p, 4, false)
		return name, value, b&0x10 != 0, rest, err
	}
}

// literal decodes a literal representation whose name index has an n-bit
// prefix. If the entry is to be indexed, a name taken from the dynamic
// table is copied to scratch first, since the insertion may evict it.
func (d *Decoder) literal(p []byte, n uint8, indexing bool) (name, value, rest []byte, err error) {
	idx, p, err := readInt(n, p)
	if err != nil {
		return nil, nil, p, err
	}
	if idx == 0 {
		name, p, err = d.readString(p)
	} else {
		name, _, err = d.at(idx)
		if err == nil && indexing && idx > uint64(staticLen) {
			d.scratch = append(d.scratch, name...)
			name = d.scratch[:len(name):len(name)]
		}
	}
	if err != nil {
		return nil, nil, p, err
	}
	value, p, err = d.readString(p)
	return name, value, p, err
}

// at returns the entry at index idx (section 2.3.3).
func (d *Decoder) at(idx uint64) (name, value []byte, err error) {
	switch {
	case idx == 0:
		return nil, nil, ErrInvalidIndex
	case idx <= uint64(staticLen):
		e := &staticTable[idx-1]
		return stringBytes(e.name), stringBytes(e.value), nil
	case idx-uint64(staticLen) > uint64(d.table.len()):
		return nil, nil, ErrInvalidIndex
	}
	name, value = d.table.entry(int(idx) - staticLen - 1)
	return name, value, nil
}

// readString decodes a string literal (section 5.2).
func (d *Decoder) readString(p []byte) (s, rest []byte, err error) {
	if len(p) == 0 {
		return nil, p, ErrTruncated
	}
	huffman := p[0]&0x80 != 0
	n, p, err := readInt(7, p)
	if err != nil {
		return nil, p, err
	}
	if n > uint64(len(p)) {
		return nil, p, ErrTruncated
	}
	s, rest = p[:n:n], p[n:]
	if !huffman {
		if d.MaxStringLength != 0 && len(s) > d.MaxStringLength {
			return nil, p, ErrStringTooLong
		}
		return s, rest, nil
	}
	start := len(d.scratch)
	if d.scratch, err = appendHuffmanDecode(d.scratch, s, d.MaxStringLength); err != nil {
		return nil, p, err
	}
	return d.scratch[start:len(d.scratch):len(d.scratch)], rest, nil
}
