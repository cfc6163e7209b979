package hpack

import "unsafe"

// stringBytes views a static-table string as bytes without copying. The
// result must never be written to; emit's contract (read-only, valid during
// the call) already forbids it.
func stringBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
