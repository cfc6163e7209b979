package h2

// Character rules for header fields (RFC 9113 section 8.2, RFC 9110
// section 5.1), shared by HeadDecoder and HeadEncoder.

// tokenChar[c] reports a tchar of RFC 9110 section 5.6.2, upper-case letters
// excluded: HTTP/2 field names are lower-case (RFC 9113 section 8.2.1).
var tokenChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// validName reports a non-empty, lower-case token.
func validName(name []byte) bool {
	if len(name) == 0 {
		return false
	}
	for _, c := range name {
		if !tokenChar[c] {
			return false
		}
	}
	return true
}

// validMethod reports a token (upper-case allowed, as methods are).
func validMethod(m []byte) bool {
	for _, c := range m {
		if !tokenChar[c] && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// validValue applies RFC 9113 section 8.2.1 to a value: no NUL, CR or LF,
// and no leading or trailing SP or HTAB.
func validValue(v []byte) bool {
	for _, c := range v {
		if c == 0 || c == '\r' || c == '\n' {
			return false
		}
	}
	return len(v) == 0 || !isSpace(v[0]) && !isSpace(v[len(v)-1])
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// connectionSpecific reports a lower-case name that HTTP/2 forbids (RFC 9113
// section 8.2.2). te is handled apart: it may carry "trailers".
func connectionSpecific(name []byte) bool {
	switch string(name) {
	case "connection", "proxy-connection", "keep-alive", "transfer-encoding", "upgrade":
		return true
	}
	return false
}

// isTrailers reports the one te value HTTP/2 allows, case-insensitively.
func isTrailers(v []byte) bool {
	const want = "trailers"
	if len(v) != len(want) {
		return false
	}
	for i, c := range v {
		if c|0x20 != want[i] {
			return false
		}
	}
	return true
}

// parseDecimal parses a content-length: 1 to 18 digits, nothing else.
func parseDecimal(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseStatus parses :status: three digits, 100 to 999.
func parseStatus(v []byte) (int, bool) {
	if len(v) != 3 || v[0] < '1' || v[0] > '9' {
		return 0, false
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// appendLower appends name lower-cased to dst.
func appendLower(dst, name []byte) []byte {
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// hasUpper reports an upper-case ASCII letter in name.
func hasUpper(name []byte) bool {
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			return true
		}
	}
	return false
}
