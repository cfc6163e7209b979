package h1

// Default limits, used where a Limits field is zero (or negative), or when
// the parsers get a nil *Limits.
const (
	DefaultMaxURI         = 8 << 10
	DefaultMaxHeaderBytes = 32 << 10
	DefaultMaxHeaders     = 100
)

// Limits bound what a parser accepts. Zero values mean the defaults above.
type Limits struct {
	MaxURI         int // request-target bytes; 0 = 8 KiB; over it: 414
	MaxHeaderBytes int // whole head incl. request/status line; 0 = 32 KiB; over it: 431 (502 for responses)
	MaxHeaders     int // header fields; 0 = 100; over it: 431 (502 for responses)
}

func (l *Limits) maxURI() int {
	if l == nil || l.MaxURI <= 0 {
		return DefaultMaxURI
	}
	return l.MaxURI
}

func (l *Limits) maxHeaderBytes() int {
	if l == nil || l.MaxHeaderBytes <= 0 {
		return DefaultMaxHeaderBytes
	}
	return l.MaxHeaderBytes
}

func (l *Limits) maxHeaders() int {
	if l == nil || l.MaxHeaders <= 0 {
		return DefaultMaxHeaders
	}
	return l.MaxHeaders
}
