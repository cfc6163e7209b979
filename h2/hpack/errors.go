package hpack

import "errors"

// Errors returned by Decoder.DecodeBlock. All but ErrHeaderListTooLarge are
// COMPRESSION_ERROR class: the decoder's dynamic table may be out of sync
// with the peer's, so the connection must be closed (RFC 9113 section 4.3).
var (
	// ErrTruncated: the block ends inside a representation.
	ErrTruncated = errors.New("hpack: truncated header block")

	// ErrIntegerOverflow: an integer (section 5.1) exceeds 2^32-1, or is
	// encoded with redundant zero continuation bytes or more of them than
	// 32 bits need.
	ErrIntegerOverflow = errors.New("hpack: integer overflow or overlong encoding")

	// ErrInvalidIndex: an index is 0 or beyond the static and dynamic
	// tables (section 2.3.3).
	ErrInvalidIndex = errors.New("hpack: index out of range")

	// ErrStringTooLong: a string literal (raw, or once Huffman-decoded) is
	// longer than Decoder.MaxStringLength.
	ErrStringTooLong = errors.New("hpack: string literal too long")

	// ErrInvalidHuffman: a Huffman string contains EOS, or its padding is
	// longer than 7 bits or not all ones (section 5.2).
	ErrInvalidHuffman = errors.New("hpack: invalid Huffman-coded string")

	// ErrTableSizeTooLarge: a dynamic table size update exceeds the limit
	// set by Decoder.SetMaxTableSize (section 6.3).
	ErrTableSizeTooLarge = errors.New("hpack: dynamic table size update above the limit")

	// ErrMisplacedSizeUpdate: a dynamic table size update follows a field
	// in the block (section 4.2: updates come first).
	ErrMisplacedSizeUpdate = errors.New("hpack: dynamic table size update not at the start of a block")

	// ErrMissingSizeUpdate: SetMaxTableSize lowered the limit below the
	// table's current size, and the next block did not start with a size
	// update (section 4.2).
	ErrMissingSizeUpdate = errors.New("hpack: missing dynamic table size update")
)

// ErrHeaderListTooLarge is returned by Decoder.DecodeBlock when the fields'
// sizes (name + value + 32 each, RFC 9113 section 6.5.2) exceed
// Decoder.MaxHeaderListSize. It is not a compression error: the block was
// decoded to its end, so the dynamic table is in sync, and emit stopped
// being called at the first field over the limit. The caller answers 431 or
// resets the stream.
var ErrHeaderListTooLarge = errors.New("hpack: header list too large")
