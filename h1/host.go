package h1

import "bytes"

// Host syntax (RFC 9110 section 7.2; RFC 3986 sections 3.2.2 and 3.2.3):
//
//	Host        = uri-host [ ":" port ]
//	uri-host    = IP-literal / IPv4address / reg-name
//	IP-literal  = "[" ( IPv6address / IPvFuture ) "]"
//	IPvFuture   = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
//	reg-name    = *( unreserved / pct-encoded / sub-delims )
//	port        = *DIGIT
//
// IPv4address is a reg-name as far as syntax goes, so it needs no rule of
// its own.
//
// An empty Host field value is valid: RFC 9110 section 7.2 has a client send
// one when the target URI has no authority, and section 7.1 then has the
// server use its default name, which for velox is the default product. A
// port without a host (":80") is not valid, nor is an empty authority in an
// absolute-form target (RFC 9110 section 4.2.1).
//
// velox is stricter than RFC 3986 in two places, each so that the proxy never
// routes by a host that its backend reads differently:
//   - pct-encoded is refused in a reg-name: no DNS name holds one, and a
//     backend that decodes "b%2Eexample" would see b.example where routing
//     saw another name.
//   - IPv6 zone identifiers (RFC 6874, "%25") are refused: RFC 9110 has none.
//
// The Host of an absolute-form target is checked by the same rule, except
// that it must not be empty.

// regNameTable marks unreserved and sub-delims (RFC 3986 section 2).
var regNameTable = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	for _, c := range "-._~!$&'()*+,;=" {
		t[c] = true
	}
	return t
}()

// validHost reports whether b is empty or uri-host [ ":" port ] with a
// non-empty uri-host.
func validHost(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	host, port, ok := splitHostPort(b)
	return ok && validPort(port) && validURIHost(host)
}

// splitHostPort cuts b into uri-host and port (without the colon). ok is
// false when something other than ":" port follows an IP-literal.
func splitHostPort(b []byte) (host, port []byte, ok bool) {
	end := 0
	if len(b) > 0 && b[0] == '[' {
		end = bytes.IndexByte(b, ']') + 1
		if end == 0 {
			return nil, nil, false
		}
	}
	c := bytes.IndexByte(b[end:], ':')
	if c < 0 {
		return b, nil, end == 0 || end == len(b)
	}
	c += end
	return b[:c], b[c+1:], end == 0 || c == end
}

func validPort(p []byte) bool {
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// validURIHost reports whether h is a non-empty IP-literal or reg-name
// (without pct-encoded).
func validURIHost(h []byte) bool {
	if len(h) == 0 {
		return false
	}
	if h[0] == '[' {
		in := h[1 : len(h)-1] // splitHostPort ended h at ']'
		return validIPv6(in) || validIPvFuture(in)
	}
	for _, c := range h {
		if !regNameTable[c] {
			return false
		}
	}
	return true
}

// validIPvFuture: "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ).
func validIPvFuture(s []byte) bool {
	if len(s) < 4 || s[0] != 'v' && s[0] != 'V' {
		return false
	}
	i := 1
	for i < len(s) && isHexDigit(s[i]) {
		i++
	}
	if i == 1 || i+1 >= len(s) || s[i] != '.' {
		return false
	}
	for _, c := range s[i+1:] {
		if !regNameTable[c] && c != ':' {
			return false
		}
	}
	return true
}

// validIPv6 reports whether s is an IPv6address (RFC 3986 section 3.2.2):
// eight groups of one to four hex digits separated by ":", where one "::"
// stands for one or more groups of zeros and the last two groups may be
// written as an IPv4address.
func validIPv6(s []byte) bool {
	groups, elided, i := 0, false, 0
	if bytes.HasPrefix(s, []byte("::")) {
		elided, i = true, 2
	}
	for i < len(s) {
		j := i
		for j < len(s) && isHexDigit(s[j]) {
			j++
		}
		if j < len(s) && s[j] == '.' {
			return validIPv4(s[i:]) && ipv6Count(groups+2, elided)
		}
		if j == i || j-i > 4 {
			return false
		}
		groups++
		if j == len(s) {
			break
		}
		if i = j + 1; s[j] != ':' || i == len(s) {
			return false // a group ends with ':' and something follows it
		}
		if s[i] == ':' {
			if elided {
				return false
			}
			elided, i = true, i+1
		}
	}
	return ipv6Count(groups, elided)
}

// ipv6Count: eight groups, or fewer than eight with "::" for the rest.
func ipv6Count(groups int, elided bool) bool {
	if elided {
		return groups < 8
	}
	return groups == 8
}

// validIPv4 reports whether s is an IPv4address: four dec-octets (0 to 255,
// without leading zeros) separated by ".".
func validIPv4(s []byte) bool {
	for k := range 4 {
		n, v := 0, 0
		for n < len(s) && '0' <= s[n] && s[n] <= '9' && n < 3 {
			v = v*10 + int(s[n]-'0')
			n++
		}
		if n == 0 || v > 255 || n > 1 && s[0] == '0' {
			return false
		}
		s = s[n:]
		if k < 3 {
			if len(s) == 0 || s[0] != '.' {
				return false
			}
			s = s[1:]
		}
	}
	return len(s) == 0
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// ValidHost reports whether b is a Host value velox routes by: empty, or
// uri-host [ ":" port ] by the rules above. Other protocols' authorities
// (HTTP/2 :authority) are checked with it, so every protocol routes by the
// same rule.
func ValidHost(b []byte) bool { return validHost(b) }
