// Package codec holds what every velox protocol codec shares: the
// convention of incremental decoding and the byte-slice helpers.
//
// The convention, followed by h1 (ParseRequest, ParseResponse, BodyScanner),
// h2 (ReadFrame, Decoder, ReadPreface, Conn.Feed), rpcx (Protocol.Decode),
// proxyproto (Parse) and tlshello (ServerName): a decoder reads from the
// start of a byte slice it does not own and returns what it parsed and how
// many bytes it consumed, or ErrNeedMore when the slice holds no complete
// unit yet; the caller then reads more and calls again with every unconsumed
// byte. Decoded values point into the input (zero-copy) and live as long as
// it does. There is no Go interface for it: each codec's unit (a head, a
// frame, a chunk) has its own type, and an interface call would cost the hot
// path for nothing.
//
// The contract between codecs and the proxy core is not here but in the
// proxy package, which owns the stream table: downside.go (what a stream
// needs of its client side: HTTP/1.1 in down_h1.go, HTTP/2 in
// h2stream.go) and upside.go (what it needs of its backend side: HTTP/1.1
// in up_h1.go, HTTP/2 in stream_h2up.go and up_h2.go).
//
// Imported by h1, h2, head, rpcx, proxyproto, tlshello and proxy. Read
// next: bytes.go (ASCII case folding, OWS, list elements, decimal and hex
// numbers with overflow checks, token chars).
package codec

import "errors"

// ErrNeedMore is returned by incremental decoders when the input holds no
// complete unit yet. It is not a failure.
var ErrNeedMore = errors.New("codec: need more input")
