package tlshello

import (
	"testing"
	"time"
)

// splitRecords re-frames a single-record ClientHello into records of
// size bytes of fragment each.
func splitRecords(hello []byte, size int) []byte {
	frag := hello[5:]
	var out []byte
	for len(frag) > 0 {
		n := min(size, len(frag))
		out = append(out, 22, 3, 1, byte(n>>8), byte(n))
		out = append(out, frag[:n]...)
		frag = frag[n:]
	}
	return out
}

// bigHello is a ClientHello (one record) for example.com padded to
// about 16 KiB by a padding extension (RFC 7685).
func bigHello(t testing.TB) []byte {
	name := "example.com"
	sni := []byte{0, 0, 0, byte(len(name) + 5), 0, byte(len(name) + 3), 0, 0, byte(len(name))}
	sni = append(sni, name...)
	pad := 16000
	ext := append(sni, 0, 21, byte(pad>>8), byte(pad))
	ext = append(ext, make([]byte, pad)...)
	body := []byte{3, 3}
	body = append(body, make([]byte, 32)...)
	body = append(body, 0, 0, 2, 0x13, 0x01, 1, 0)
	body = append(body, byte(len(ext)>>8), byte(len(ext)))
	body = append(body, ext...)
	msg := append([]byte{1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{22, 3, 1, byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

// TestReviewManyRecordsCost: one ServerName call on a ClientHello of
// about 16 KiB sent in 1-byte records.
func TestReviewManyRecordsCost(t *testing.T) {
	h := bigHello(t)
	t.Logf("hello %d bytes in one record", len(h))
	data := splitRecords(h, 1)
	t.Logf("as 1-byte records: %d bytes", len(data))
	start := time.Now()
	name, err := ServerName(data)
	el := time.Since(start)
	allocs := testing.AllocsPerRun(3, func() { ServerName(data) })
	t.Logf("one call: %v, %.0f allocations, name %q err %v", el, allocs, name, err)
	// the same input arriving 100 bytes per read, each read re-parsed
	start = time.Now()
	for i := 100; i < len(data); i += 100 {
		ServerName(data[:i])
	}
	t.Logf("re-parsed at each 100-byte read: %v", time.Since(start))
	if allocs > 100 {
		t.Errorf("%.0f allocations for one ClientHello: each record's append copies all before it (quadratic)", allocs)
	}
}
