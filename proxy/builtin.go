package proxy

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/h1"
)

// Built-in filters made from config.Filter. Their byte slices are immutable
// after construction and shared by all loops.

type setRequestHeader struct{ name, value []byte }

func (f *setRequestHeader) FilterRequest(s *Stream) Verdict {
	s.Request().Set(f.name, f.value)
	return Continue
}

type addRequestHeader struct{ name, value []byte }

func (f *addRequestHeader) FilterRequest(s *Stream) Verdict {
	s.Request().Add(f.name, f.value)
	return Continue
}

type removeRequestHeader struct{ name string }

func (f *removeRequestHeader) FilterRequest(s *Stream) Verdict {
	s.Request().Del(f.name)
	return Continue
}

type setResponseHeader struct{ name, value []byte }

func (f *setResponseHeader) FilterRequest(s *Stream) Verdict {
	if r := s.Response(); r != nil {
		r.Set(f.name, f.value)
	}
	return Continue
}

type addResponseHeader struct{ name, value []byte }

func (f *addResponseHeader) FilterRequest(s *Stream) Verdict {
	if r := s.Response(); r != nil {
		r.Add(f.name, f.value)
	}
	return Continue
}

type removeResponseHeader struct{ name string }

func (f *removeResponseHeader) FilterRequest(s *Stream) Verdict {
	if r := s.Response(); r != nil {
		r.Del(f.name)
	}
	return Continue
}

// staticResponse answers every request it sees (static and deny filters).
type staticResponse struct {
	status      int
	contentType string
	headers     []h1.Header
	body        []byte
}

func (f *staticResponse) FilterRequest(s *Stream) Verdict {
	return s.Respond(f.status, f.contentType, f.headers, f.body)
}

// redirect answers with a Location; "$request_uri" in it is replaced by the
// request-target as it is forwarded (normalised path and query, target.go).
type redirect struct {
	status         int
	before, after  []byte // location split around $request_uri
	withRequestURI bool
}

const requestURIVar = "$request_uri"

func (f *redirect) FilterRequest(s *Stream) Verdict {
	loc := append(s.scratch[:0], f.before...)
	if f.withRequestURI {
		loc = s.Request().AppendURI(loc)
		loc = append(loc, f.after...)
	}
	s.scratch = loc
	s.hdrTmp[0] = h1.Header{Name: locationName, Value: loc}
	return s.Respond(f.status, "text/plain", s.hdrTmp[:1], nil)
}

var locationName = []byte("Location")

// newFilter builds the built-in filter a config entry names, and the point
// it runs at when def is the point its place in the config implies.
func newFilter(fc *config.Filter, def Point) (RequestFilter, Point, error) {
	p := def
	if fc.Point != "" {
		var ok bool
		if p, ok = PointByName(fc.Point); !ok {
			return nil, 0, fmt.Errorf("filter %q: unknown point %q", fc.Type, fc.Point)
		}
	}
	name, value := []byte(fc.Name), []byte(fc.Value)
	switch fc.Type {
	case "set_request_header":
		return &setRequestHeader{name, value}, p, nil
	case "add_request_header":
		return &addRequestHeader{name, value}, p, nil
	case "remove_request_header":
		return &removeRequestHeader{fc.Name}, p, nil
	case "set_response_header":
		return &setResponseHeader{name, value}, ReadResponse, nil
	case "add_response_header":
		return &addResponseHeader{name, value}, ReadResponse, nil
	case "remove_response_header":
		return &removeResponseHeader{fc.Name}, ReadResponse, nil
	case "static":
		return newStatic(fc, config.DefaultStaticStatus), p, nil
	case "deny":
		return newStatic(fc, config.DefaultDenyStatus), p, nil
	case "redirect":
		return newRedirect(fc), p, nil
	}
	return nil, 0, fmt.Errorf("unknown filter type %q", fc.Type)
}

func newStatic(fc *config.Filter, defStatus int) *staticResponse {
	f := &staticResponse{status: fc.Status, contentType: fc.ContentType, body: []byte(fc.Body)}
	if f.status == 0 {
		f.status = defStatus
	}
	if f.contentType == "" {
		f.contentType = config.DefaultContentType
	}
	names := make([]string, 0, len(fc.Headers))
	for k := range fc.Headers {
		names = append(names, k)
	}
	sort.Strings(names) // deterministic header order
	for _, k := range names {
		f.headers = append(f.headers, h1.Header{Name: []byte(k), Value: []byte(fc.Headers[k])})
	}
	return f
}

func newRedirect(fc *config.Filter) *redirect {
	f := &redirect{status: fc.Status}
	if f.status == 0 {
		f.status = config.DefaultRedirectStatus
	}
	loc := []byte(fc.Location)
	if i := bytes.Index(loc, []byte(requestURIVar)); i >= 0 {
		f.before, f.after, f.withRequestURI = loc[:i], loc[i+len(requestURIVar):], true
	} else {
		f.before = loc
	}
	return f
}
