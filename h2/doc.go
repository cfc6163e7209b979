// Package h2 implements the HTTP/2 frame layer of RFC 9113 (sections 4 and
// 6): the 9-byte frame header, one parser per frame type behind a dispatch
// table, the error codes of section 7, and encoders that append frames to a
// caller's buffer; and on top of them Conn, the connection and stream state
// machine with flow control (sections 5 and 6), described below. It uses
// h2/hpack for header compression; velox's h2 sessions import it.
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
// # The connection: Conn
//
// Conn is the HTTP/2 connection and stream state machine of RFC 9113, for
// both roles, sans I/O: its owner (velox's per-loop session) feeds it the
// bytes read from the socket (Feed), takes the frames to write (Output,
// ClearOutput), and drives streams (OpenStream, WriteHeaders, WriteData,
// WriteTrailers, Reset, Consume, GoAway, Ping). Conn never does I/O, starts
// no goroutine, reads no clock (timeouts are the owner's), and is owned by
// one goroutine. Events come back through a Handler during Feed: OnHeaders,
// OnData, OnReset, OnSendWindow, OnGoAway, OnCapacity. Their byte slices
// (a Head, a DATA payload, GOAWAY debug data) are valid only during the
// call; the Handler may call the Conn back (not Feed).
//
// Stream states (section 5.1): a stream is idle until its HEADERS, open,
// half-closed (local) once we sent END_STREAM, half-closed (remote) once
// the peer did, and closed when both did or either reset it. Only open and
// half-closed streams are kept (stream.go, stream_table.go); a stream id at
// or below the highest one used is closed unless active, and a ring of the
// last 32 closed ids tells a late frame on a stream we reset (ignored) from
// a frame on a stream that ended (STREAM_CLOSED). A frame in the wrong
// state gets the error the RFC names: PROTOCOL_ERROR for DATA, RST_STREAM or
// WINDOW_UPDATE on an idle stream, an even (server role) or decreasing
// stream id, PUSH_PROMISE (we send ENABLE_PUSH=0); STREAM_CLOSED for DATA or
// HEADERS after the peer's END_STREAM (stream error) and HEADERS on a closed
// stream (connection error). Every header block is HPACK-decoded, even one
// on a stream that is refused or reset, to keep the dynamic table in sync.
//
// Flow control (section 5.2, flow.go): we advertise InitialWindowSize per
// stream and ConnWindowSize for the connection. Received DATA (padding
// included) closes both windows; the owner reopens them with Consume once it
// has passed the bytes on, and a WINDOW_UPDATE goes out per half window, not
// per byte. Padding, and DATA of streams already gone, are credited back by
// Conn. A peer sending beyond a window is FLOW_CONTROL_ERROR. So the memory a
// connection makes its owner hold is bounded: at most ConnWindowSize bytes of
// DATA delivered and not yet consumed (InitialWindowSize per stream), plus
// the input the owner keeps between Feed calls (one frame: MaxFrameSize + 9
// bytes), plus one header block being assembled (MaxHeaderBlock), plus the
// control answers queued in Output (MaxControlQueue). The send side obeys the
// peer's windows: WriteData takes what they allow and OnSendWindow says when
// more may go.
//
// SETTINGS (section 6.5, conn_settings.go): ours go out once, at Start,
// with ENABLE_PUSH=0 always. The peer's are applied in order and
// acknowledged; a change of its INITIAL_WINDOW_SIZE moves every stream's
// send window (section 6.9.2). What of ours binds our own side waits for
// the peer's ack when it is a decrease (a smaller HPACK table, a smaller
// stream window); an increase applies at once, since the peer may use it as
// soon as it has read our SETTINGS, before its ack reaches us.
//
// GOAWAY (section 6.8, conn_goaway.go): GoAway(ErrCodeNo) shuts down
// gracefully in two steps (GOAWAY with 2^31-1 and a PING, then the real
// last stream id when the PING's ack comes); other codes close at once. A
// peer's GOAWAY stops OpenStream, and our streams above its last stream id
// are reported refused. Done says when the owner may close.
//
// Errors: a connection error makes Conn queue GOAWAY(code) and Feed return
// ConnectionError(code), for good. A stream error makes Conn queue
// RST_STREAM(code), forget the stream and call OnReset(id, code, false);
// the connection goes on.
//
// Limits (limits.go, Config): MaxConcurrentStreams (excess streams refused
// with REFUSED_STREAM), MaxHeaderListSize (the HPACK bomb: RST_STREAM),
// MaxHeaderBlock (the CONTINUATION flood: checked on each frame header, a
// connection error before the block is complete), MaxControlQueue and the
// control budget MaxControlFrames (SETTINGS, PING, PRIORITY, RST_STREAM and
// WINDOW_UPDATE floods), MaxEmptyFrames (empty DATA and CONTINUATION floods)
// and MaxRapidResets (CVE-2023-44487). A flood limit hit is
// GOAWAY(ENHANCE_YOUR_CALM); Feed then returns the ConnectionError and
// consumes nothing more.
//
// Read next: frame.go (header, types, flags, ReadFrame), parse.go (one
// parser per type), settings.go, decoder.go (CONTINUATION ordering),
// write.go (the Append* encoders), head.go (Head, HeadDecoder, HeadEncoder),
// headchars.go, errors.go; then conn.go (Conn, Handler),
// conn_read.go (Feed, one handler per frame type), conn_headers.go,
// conn_settings.go, conn_goaway.go, conn_write.go, flow.go, limits.go.
package h2
