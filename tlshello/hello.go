// Package tlshello reads the server name (SNI, RFC 6066 section 3) from
// the first bytes a TLS client sends, its ClientHello, without taking part
// in TLS: what a tcp listener routes by when it passes TLS through without
// terminating it (as nginx's ssl_preread and HAProxy's req.ssl_sni do).
//
// It follows the package conventions of h1 and h2 (codec's package
// comment): ServerName reads from the bytes the loop holds, says
// ErrNeedMore until the whole ClientHello is in, never copies when the
// ClientHello is in one record (as every client sends it; a ClientHello
// spread over several records is reassembled into a buffer), and bounds
// what it waits for by MaxHello.
//
// The layout read (RFC 8446 section 4.1.2, RFC 5246 section 7.4.1.2):
//
//	record:      type 22 (handshake) | version 3.x | length (2) | fragment
//	handshake:   type 1 (ClientHello) | length (3) | body
//	body:        version (2) | random (32) | session id (1+n) |
//	             cipher suites (2+n) | compression methods (1+n) |
//	             extensions (2+n): type (2) | length (2) | data
//	server_name: list length (2) | name type 0 (host_name) | length (2) | name
//
// Imported by proxy (tcp.go). Read next: the tests, which build real
// ClientHellos with crypto/tls.
package tlshello

import (
	"errors"

	"github.com/velox-proxy/velox/codec"
)

// MaxHello bounds the ClientHello ServerName waits for: a hello longer
// than this is refused with ErrTooLarge (a real one is a few hundred bytes,
// under 2 KiB with post-quantum key shares).
const MaxHello = 16 << 10

// Errors of ServerName. ErrNeedMore is codec.ErrNeedMore, as for the
// other incremental decoders. ErrNotTLS and ErrMalformed say the bytes are no
// (valid) ClientHello: a router may send such a connection to its default.
var (
	ErrNeedMore  = codec.ErrNeedMore
	ErrNotTLS    = errors.New("tlshello: not a TLS handshake")
	ErrMalformed = errors.New("tlshello: malformed ClientHello")
	ErrTooLarge  = errors.New("tlshello: ClientHello longer than MaxHello")
)

const (
	recordHeader     = 5
	recordHandshake  = 22
	maxRecord        = 1<<14 + 2048 // a TLSCiphertext's bound (RFC 8446 section 5.2); a plaintext is smaller
	maxRecords       = 4            // records a ClientHello may span (one, from every client seen)
	typeClientHello  = 1
	extServerName    = 0
	nameTypeHostName = 0
)

// ServerName returns the server name of the ClientHello at the start of
// data: nil (and no error) when it has none. The name points into data, or
// into a buffer of its own when the hello spans records; it is as sent, not
// lower-cased, and checked to be a plausible host name (letters, digits,
// '-', '_' and '.', at most 255 bytes).
func ServerName(data []byte) ([]byte, error) {
	msg, err := handshakeMessage(data)
	if err != nil {
		return nil, err
	}
	return serverNameOf(msg)
}

// handshakeMessage returns the first handshake message (a ClientHello,
// with its 4-byte header), reassembled when it spans records.
func handshakeMessage(data []byte) ([]byte, error) {
	frag, rest, err := record(data)
	if err != nil {
		return nil, err
	}
	if frag[0] != typeClientHello {
		return nil, ErrNotTLS
	}
	msg, copied := frag, false
	for records := 1; ; records++ {
		if records > maxRecords {
			return nil, ErrMalformed // no client splits its hello so; parsing such input again on every read would cost
		}
		if len(msg) >= 4 {
			need := 4 + bodyLen(msg)
			if need > MaxHello {
				return nil, ErrTooLarge
			}
			if len(msg) >= need {
				return msg[:need], nil
			}
		}
		next, r, err := record(rest)
		if err != nil {
			return nil, err
		}
		if !copied { // data is never written: the first record moves to a buffer of our own, once
			msg, copied = append(make([]byte, 0, 2*(len(msg)+len(next))), msg...), true
		}
		msg, rest = append(msg, next...), r
	}
}

// bodyLen is the 3-byte length of a handshake message.
func bodyLen(msg []byte) int { return int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3]) }

// record returns the fragment of the handshake record at the start of
// data and what follows it.
func record(data []byte) (frag, rest []byte, err error) {
	if len(data) >= 1 && data[0] != recordHandshake {
		return nil, nil, ErrNotTLS
	}
	if len(data) >= 2 && data[1] != 3 {
		return nil, nil, ErrNotTLS
	}
	if len(data) < recordHeader {
		return nil, nil, ErrNeedMore
	}
	n := int(data[3])<<8 | int(data[4])
	switch {
	case n == 0:
		return nil, nil, ErrMalformed
	case n > maxRecord:
		return nil, nil, ErrMalformed
	case len(data) < recordHeader+n:
		return nil, nil, ErrNeedMore
	}
	return data[recordHeader : recordHeader+n], data[recordHeader+n:], nil
}

// serverNameOf reads the server_name extension of a complete ClientHello.
func serverNameOf(msg []byte) ([]byte, error) {
	r := reader(msg[4:])
	if !r.skip(2+32) || !r.skipVector(1) || !r.skipVector(2) || !r.skipVector(1) {
		return nil, ErrMalformed
	}
	if len(r) == 0 {
		return nil, nil // no extensions (TLS 1.2 allows it)
	}
	exts, ok := r.vector(2)
	if !ok || len(r) != 0 {
		return nil, ErrMalformed
	}
	for len(exts) > 0 {
		typ, ok1 := exts.uint16()
		data, ok2 := exts.vector(2)
		if !ok1 || !ok2 {
			return nil, ErrMalformed
		}
		if typ == extServerName {
			return hostName(data)
		}
	}
	return nil, nil
}

// hostName reads the host_name of a server_name extension's data.
func hostName(data reader) ([]byte, error) {
	list, ok := data.vector(2)
	if !ok || len(data) != 0 {
		return nil, ErrMalformed
	}
	for len(list) > 0 {
		typ, ok1 := list.uint8()
		name, ok2 := list.vector(2)
		if !ok1 || !ok2 {
			return nil, ErrMalformed
		}
		if typ == nameTypeHostName {
			if !plausibleHost(name) {
				return nil, ErrMalformed
			}
			return name, nil
		}
	}
	return nil, nil
}

// plausibleHost: 1 to 255 bytes of letters, digits, '-', '_' and '.'.
func plausibleHost(name []byte) bool {
	if len(name) == 0 || len(name) > 255 {
		return false
	}
	for _, c := range name {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// reader reads big-endian fields and length-prefixed vectors, reporting
// false on a short input instead of panicking.
type reader []byte

func (r *reader) skip(n int) bool {
	if len(*r) < n {
		return false
	}
	*r = (*r)[n:]
	return true
}

func (r *reader) uint8() (int, bool) {
	if len(*r) < 1 {
		return 0, false
	}
	v := int((*r)[0])
	*r = (*r)[1:]
	return v, true
}

func (r *reader) uint16() (int, bool) {
	if len(*r) < 2 {
		return 0, false
	}
	v := int((*r)[0])<<8 | int((*r)[1])
	*r = (*r)[2:]
	return v, true
}

// vector reads a vector whose length is a lenBytes-byte prefix.
func (r *reader) vector(lenBytes int) (reader, bool) {
	var n int
	var ok bool
	if lenBytes == 1 {
		n, ok = r.uint8()
	} else {
		n, ok = r.uint16()
	}
	if !ok || len(*r) < n {
		return nil, false
	}
	v := (*r)[:n]
	*r = (*r)[n:]
	return v, true
}

func (r *reader) skipVector(lenBytes int) bool {
	_, ok := r.vector(lenBytes)
	return ok
}
