package proxy

import "sync/atomic"

// Point is a callback point of the pipeline (see the package comment).
type Point uint8

const (
	Accept Point = iota
	Handshake
	BeforeLocation
	FoundProduct
	AfterLocation
	ReadResponse
	RequestFinish
	Finish
	numPoints
)

var pointNames = [numPoints]string{"accept", "handshake", "before_location", "found_product",
	"after_location", "read_response", "request_finish", "finish"}

func (p Point) String() string {
	if p < numPoints {
		return pointNames[p]
	}
	return "point?"
}

// PointByName returns the point named in config ("before_location"...).
func PointByName(name string) (Point, bool) {
	for i, n := range pointNames {
		if n == name {
			return Point(i), true
		}
	}
	return 0, false
}

// Verdict is what a filter decides.
type Verdict uint8

const (
	// Continue runs the next filter, then goes on with the request.
	Continue Verdict = iota
	// Responded means the filter called Stream.Respond: the pipeline stops
	// and the filter's response is sent.
	Responded
	// CloseConn closes the client connection at once.
	CloseConn
)

// RequestFilter runs at BeforeLocation, FoundProduct, AfterLocation,
// ReadResponse and RequestFinish, on the loop that owns the stream. It must
// not block and must not keep s after returning.
type RequestFilter interface {
	FilterRequest(s *Stream) Verdict
}

// ConnFilter runs at Accept, Handshake and Finish. Responded is treated as
// Continue there.
type ConnFilter interface {
	FilterConn(c *Session) Verdict
}

// RequestFilterFunc adapts a function to RequestFilter.
type RequestFilterFunc func(s *Stream) Verdict

func (f RequestFilterFunc) FilterRequest(s *Stream) Verdict { return f(s) }

// ConnFilterFunc adapts a function to ConnFilter.
type ConnFilterFunc func(c *Session) Verdict

func (f ConnFilterFunc) FilterConn(c *Session) Verdict { return f(c) }

// chain is the filters of one point, run in order.
type chain []RequestFilter

// run returns the first verdict that is not Continue.
func (ch chain) run(s *Stream) Verdict {
	for _, f := range ch {
		if v := f.FilterRequest(s); v != Continue {
			return v
		}
	}
	return Continue
}

type connChain []ConnFilter

// connPoint is the published chain of one conn point: RegisterConn replaces
// it with a longer copy, the loops load it once per connection event.
type connPoint struct{ ch atomic.Pointer[connChain] }

func (p *connPoint) run(c *Session) Verdict {
	ch := p.ch.Load()
	if ch == nil {
		return Continue
	}
	return ch.run(c)
}

// add publishes a copy of the chain with f appended; callers serialise.
func (p *connPoint) add(f ConnFilter) {
	var ch connChain
	if old := p.ch.Load(); old != nil {
		ch = append(ch, *old...)
	}
	ch = append(ch, f)
	p.ch.Store(&ch)
}

func (ch connChain) run(c *Session) Verdict {
	for _, f := range ch {
		if v := f.FilterConn(c); v == CloseConn {
			return v
		}
	}
	return Continue
}

// hasConnFilters reports whether any ConnFilter is registered: a
// connection that keeps no Session otherwise (RPC) keeps one then.
func (s *Server) hasConnFilters() bool {
	for p := range s.connF {
		if s.connF[p].ch.Load() != nil {
			return true
		}
	}
	return false
}
