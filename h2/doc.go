// Package h2 implements the HTTP/2 frame layer of RFC 9113 (sections 4 and
// 6): the 9-byte frame header, one parser per frame type behind a dispatch
// table, the error codes of section 7, and encoders that append frames to a
// caller's buffer. It is the first brick of velox's HTTP/2 codec; the HPACK,
// stream-state and flow-control layers will import it, and nothing else in
// velox does yet.
//
// Decoding is incremental and zero-copy, in the codec contract's shape:
// ReadFrame (or a Decoder, which also checks that a header block's
// CONTINUATION frames follow it without interruption) returns ErrNeedMore
// until a whole frame is in the buffer, and then a Frame whose byte slices
// (Data, the SETTINGS payload) point into that buffer. They stay valid until
// the caller consumes or releases those bytes or overwrites them; copy what
// must live longer. A frame longer than the negotiated SETTINGS_MAX_FRAME_SIZE
// is refused as soon as its header is in, without waiting for its payload.
// Neither decoding nor encoding allocates (encoding needs room in dst); only a
// StreamError allocates, when it is boxed into an error.
//
// Errors: ConnectionError(code) means the connection must be closed with
// GOAWAY(code); StreamError{StreamID, Code} means that stream must be reset
// with RST_STREAM(code) and the connection goes on, the frame consumed.
// Unknown frame types and flags are ignored (RFC 9113 sections 4.1, 5.5).
//
// Header blocks: HeadDecoder turns a complete block into a validated Head
// (RFC 9113 section 8: pseudo-headers, field characters, connection-specific
// fields, content-length) over h2/hpack, and HeadEncoder turns a Head back
// into a block; both reuse their buffers and do not allocate in the steady
// state.
//
// Read next: frame.go (header, types, flags, ReadFrame), parse.go (one
// parser per type), settings.go, decoder.go (CONTINUATION ordering),
// write.go (the Append* encoders), head.go (Head, HeadDecoder, HeadEncoder),
// headchars.go (field character rules), errors.go.
package h2
