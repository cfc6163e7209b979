// Package codec is the contract every velox protocol codec follows, and the
// byte-slice helpers they share. A codec decodes incrementally from a byte
// slice it does not own: Decode returns what it parsed and how many bytes it
// consumed, or ErrNeedMore when the slice holds no complete unit yet; the
// caller then reads more and calls again with all unconsumed bytes. Decoded
// values point into the input (zero-copy) and live as long as it does.
//
// Imported by h1, h2 and rpcx. Read next: bytes.go (ASCII case folding, OWS,
// list elements, decimal and hex numbers with overflow checks, token chars).
package codec

import "errors"

// ErrNeedMore is returned by incremental decoders when the input holds no
// complete frame yet. It is not a failure.
var ErrNeedMore = errors.New("codec: need more input")

// Decoder is the shape of every incremental decoder: it decodes one unit
// from the start of buf into its own reused state and returns how many bytes
// that took.
type Decoder interface {
	Decode(buf []byte) (consumed int, err error)
}
