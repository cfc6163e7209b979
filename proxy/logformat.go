package proxy

import (
	"strconv"
	"time"
)

// appendRecord formats r as one line, on the writer goroutine. It does not
// allocate once dst has room.
func appendRecord(dst []byte, r *record) []byte {
	dst = appendStamp(dst, r.at, r.component)
	switch r.kind {
	case kindText:
		dst = append(dst, r.msg...)
	case kindAccess:
		dst = append(dst, r.ip[:r.ipLen]...)
		dst = appendInfoField(append(dst, ' '), r)
		dst = strconv.AppendUint(append(dst, ' '), uint64(r.status), 10)
	case kindRequest:
		dst = append(dst, r.ip[:r.ipLen]...)
		dst = appendInfoField(append(dst, ' '), r)
		dst = appendWhat(append(dst, ": "...), r)
	case kindConn:
		dst = append(dst, r.ip[:r.ipLen]...)
		dst = appendWhat(append(dst, ": "...), r)
	}
	return append(dst, '\n')
}

// appendStamp writes the line's start: "2026-12-01T09:00:00.123Z component: ".
func appendStamp(dst []byte, at int64, component string) []byte {
	dst = time.Unix(0, at).UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(append(dst, ' '), component...)
	return append(dst, ": "...)
}

// appendWhat writes "status reason (cluster backend)", leaving out what is unset.
func appendWhat(dst []byte, r *record) []byte {
	if r.status != 0 {
		dst = append(strconv.AppendUint(dst, uint64(r.status), 10), ' ')
	}
	dst = append(dst, r.reason...)
	if r.cluster != "" {
		dst = append(append(dst, " ("...), r.cluster...)
		dst = append(append(append(dst, ' '), r.backend...), ')')
	}
	return dst
}

// appendInfoField writes the request info quoted, "..." marking a cut.
func appendInfoField(dst []byte, r *record) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, r.info[:r.infoLen])
	if r.infoCut {
		dst = append(dst, "..."...)
	}
	return append(dst, '"')
}

// appendEscaped writes b with '"', '\' and every byte outside printable
// ASCII escaped as in a Go string, so a request cannot forge log lines.
func appendEscaped(dst, b []byte) []byte {
	const hex = "0123456789abcdef"
	for _, c := range b {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20 || c > 0x7e:
			dst = append(dst, '\\', 'x', hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
