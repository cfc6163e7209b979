// Package hpack implements HPACK, the header compression of HTTP/2
// (RFC 7541): integer and string-literal representations (section 5) with
// the Huffman code of Appendix B, the static table (Appendix A), a bounded
// dynamic table (sections 2.3 and 4), and the field representations of
// section 6. It is standalone: the h2 codec will import it to decode the
// header blocks that h2.Decoder reassembles from HEADERS and CONTINUATION
// frames, and nothing else in velox does yet.
//
// Decoding is zero-copy and allocation-free in steady state. Decoder.DecodeBlock
// walks one complete header block and calls emit for each field, in block
// order, with name and value slices that point into the block, into the
// static or dynamic table, or into a Huffman scratch buffer owned by the
// Decoder. They are valid only during that emit call: copy what must live
// longer. The dynamic table keeps its entries in one backing buffer and one
// ring of entry offsets, allocated only when its size limit grows.
//
// Encoding appends a header block to a caller's buffer and does not
// allocate when dst has room: AppendField is stateless (static-table
// matches, otherwise a literal without indexing); an Encoder adds an
// optional dynamic table for literals with incremental indexing. Strings are
// Huffman-coded unless that is longer.
//
// Every decoding error is an exported ErrXxx; all but ErrHeaderListTooLarge
// are COMPRESSION_ERROR class (RFC 9113 section 4.3: the connection must be
// closed), while ErrHeaderListTooLarge leaves the decoder in sync and maps to
// 431 or a stream error (RFC 9113 section 6.5.2).
//
// Read next: decoder.go (DecodeBlock), table.go (static and dynamic tables),
// integer.go and huffman.go (section 5), encoder.go, errors.go.
package hpack
