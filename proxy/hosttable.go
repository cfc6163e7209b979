package proxy

import (
	"bytes"
	"strings"
)

// hostTable maps lower-case host names to values (products by Host, the
// clusters of a tcp listener by SNI): exact names first, then wildcards
// "*.suffix" from the longest suffix to the shortest, then the default.
type hostTable[V any] struct {
	exact    map[string]V
	wildcard map[string]V // keyed by ".suffix"
	deflt    V
}

func newHostTable[V any](deflt V) hostTable[V] {
	return hostTable[V]{exact: map[string]V{}, wildcard: map[string]V{}, deflt: deflt}
}

// maxHostLen bounds the stack buffer used to lower-case a Host.
const maxHostLen = 255

// lookup finds the value of a host (a Host header value, or a server
// name), normalised by hostKey.
func (t *hostTable[V]) lookup(host []byte) V {
	var buf [maxHostLen]byte
	h := hostKey(buf[:0], host)
	if h == nil {
		return t.deflt
	}
	if v, ok := t.exact[string(h)]; ok {
		return v
	}
	for i := 0; i < len(h); i++ {
		if h[i] != '.' {
			continue
		}
		if v, ok := t.wildcard[string(h[i:])]; ok {
			return v
		}
	}
	return t.deflt
}

// hostKey writes the name a Host is looked up by into dst: without its port,
// without a trailing dot (an absolute domain name is the same host, RFC 1034
// section 3.1), in lower case (RFC 9110 section 4.2.3); nil if too long. h1
// has already checked the syntax (h1/host.go).
func hostKey(dst, host []byte) []byte {
	if i := bytes.LastIndexByte(host, ':'); i >= 0 && !bytes.Contains(host[i:], []byte("]")) {
		host = host[:i]
	}
	if n := len(host); n > 1 && host[n-1] == '.' {
		host = host[:n-1]
	}
	if len(host) > maxHostLen {
		return nil
	}
	for _, c := range host {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// add registers one configured host (exact, or "*.suffix") for v.
func (t *hostTable[V]) add(host string, v V) {
	host = strings.ToLower(host)
	if strings.HasPrefix(host, "*.") {
		t.wildcard[host[1:]] = v
		return
	}
	t.exact[host] = v
}
