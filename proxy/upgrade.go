package proxy

import "github.com/velox-proxy/velox/codec"

// Upgrade (RFC 9110 section 7.8): a client may ask to switch protocols only
// to those on the config's upgrades list (websocket by default); a request
// offering anything else is forwarded without its Upgrade, as a plain
// request. A backend's 101 must name a protocol the request offered.

// upgradeAllowed reports whether every protocol the request's Upgrade
// offers is on the allow-list.
func (s *Stream) upgradeAllowed() bool {
	v := s.req.Get("Upgrade")
	some := false
	for rest, more := v, true; more; {
		var tok []byte
		tok, rest, more = codec.CutElement(rest)
		if len(tok) == 0 {
			continue
		}
		if !allowedUpgrade(protocolName(tok), s.tbl.limits.upgrades) {
			return false
		}
		some = true
	}
	return some
}

func allowedUpgrade(name []byte, allowed []string) bool {
	for _, a := range allowed {
		if codec.EqualFold(name, a) {
			return true
		}
	}
	return false
}

// protocolName is the name of protocol = protocol-name ["/" protocol-version].
func protocolName(tok []byte) []byte {
	for i, c := range tok {
		if c == '/' {
			return tok[:i]
		}
	}
	return tok
}

// offered reports whether the protocol a 101 switches to (the first of its
// Upgrade) is one the request offered, by name, case-insensitively.
func offered(requested, switched []byte) bool {
	to, _, _ := codec.CutElement(switched)
	if len(to) == 0 {
		return false
	}
	to = protocolName(to)
	for rest, more := requested, true; more; {
		var tok []byte
		tok, rest, more = codec.CutElement(rest)
		if codec.EqualFoldBytes(protocolName(tok), to) {
			return true
		}
	}
	return false
}
