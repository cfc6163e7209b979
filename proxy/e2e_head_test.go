package proxy

// A Go filter written against package head and proxy's exported API alone
// (this file does not import h1) sees the same protocol-neutral head for the same request whether the
// client spoke HTTP/1.1 or h2c, changes the request and response heads, and
// answers with Respond in the client's protocol.

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/velox-proxy/velox/head"
)

// headSeen is what the filter read of a request head, copied out of it
// (the head is valid only during the filter call).
type headSeen struct {
	Method, Path, Query, Host, Client string
	Framing                           head.Framing
	ContentLength                     int64
}

// headFilter records the request head at after_location and the response
// status at read_response, marks both heads, and answers /deny itself.
type headFilter struct {
	mu     sync.Mutex
	req    headSeen
	status int
}

var (
	hfNameFilter = []byte("X-Filter")
	hfValueSeen  = []byte("seen")
	hfNameStatus = []byte("X-Upstream-Status")
)

func (f *headFilter) request(s *Stream) Verdict {
	r := s.Request()
	f.mu.Lock()
	f.req = headSeen{Method: string(r.Method), Path: string(r.Path), Query: string(r.Query),
		Host: string(r.Host), Client: string(r.Get("x-client")),
		Framing: r.Framing, ContentLength: r.ContentLength}
	f.mu.Unlock()
	if string(r.Path) == "/deny" {
		return s.Respond(http.StatusForbidden, "text/plain",
			[]head.Field{{Name: []byte("X-Denied"), Value: []byte("by filter")}}, []byte("denied\n"))
	}
	r.Set(hfNameFilter, hfValueSeen)
	return Continue
}

func (f *headFilter) response(s *Stream) Verdict {
	resp := s.Response()
	if resp == nil {
		return Continue
	}
	f.mu.Lock()
	f.status = resp.Status
	f.mu.Unlock()
	resp.Set(hfNameStatus, strconv.AppendInt(nil, int64(resp.Status), 10))
	return Continue
}

func (f *headFilter) seen() (headSeen, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	seen, status := f.req, f.status
	f.req, f.status = headSeen{}, 0
	return seen, status
}

func TestFilterSeesNeutralHead(t *testing.T) { run(t, testFilterSeesNeutralHead) }

func testFilterSeesNeutralHead(t *testing.T, m mode) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Got-Filter", r.Header.Get("X-Filter"))
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, r.Method+" "+r.URL.RequestURI()+" "+string(body))
	})
	f := &headFilter{}
	tp := startProxySetup(t, clusterConfig(o.addr()), Options{Loops: 1}, func(s *Server) {
		s.Register(AfterLocation, RequestFilterFunc(f.request))
		s.Register(ReadResponse, RequestFilterFunc(f.response))
	})
	addr := tp.addr
	want := headSeen{Method: "PATCH", Path: "/a/b", Query: "x=1&y=%20", Host: addr, Client: "c1",
		Framing: head.FramingLength, ContentLength: 3}
	c := tp.clientFor(m)
	req, _ := http.NewRequest("PATCH", "http://"+addr+"/a/b?x=1&y=%20", strings.NewReader("abc"))
	req.Header.Set("X-Client", "c1")
	resp, body := e2HeadDo(t, c, req, m.protoMajor())
	seen, status := f.seen()
	if seen != want {
		t.Errorf("filter saw %+v\nwant          %+v", seen, want)
	}
	if status != http.StatusAccepted || resp.StatusCode != http.StatusAccepted {
		t.Errorf("status: filter saw %d, client got %d; want 202", status, resp.StatusCode)
	}
	if got := resp.Header.Get("X-Got-Filter"); got != "seen" {
		t.Errorf("origin saw X-Filter %q, want the filter's \"seen\"", got)
	}
	if got := resp.Header.Get("X-Upstream-Status"); got != "202" {
		t.Errorf("X-Upstream-Status %q, want 202 (set at read_response)", got)
	}
	if body != "PATCH /a/b?x=1&y=%20 abc" {
		t.Errorf("body %q", body)
	}

	hits := o.reqs.Load()
	req, _ = http.NewRequest("GET", "http://"+addr+"/deny", nil)
	resp, body = e2HeadDo(t, c, req, m.protoMajor())
	if resp.StatusCode != http.StatusForbidden || body != "denied\n" ||
		resp.Header.Get("X-Denied") != "by filter" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("Respond: %d %q %q", resp.StatusCode, resp.Header, body)
	}
	if seen, _ := f.seen(); seen.Method != "GET" || seen.Path != "/deny" || seen.Host != addr {
		t.Errorf("filter saw %+v for GET /deny", seen)
	}
	if n := o.reqs.Load() - hits; n != 0 {
		t.Errorf("the origin got %d requests that the filter answered", n)
	}
}

// e2HeadDo sends req and returns the response with its body read, checking
// that the client spoke HTTP/major.
func e2HeadDo(t *testing.T, c *http.Client, req *http.Request, major int) (*http.Response, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.ProtoMajor != major {
		t.Fatalf("client spoke %s, want HTTP/%d", resp.Proto, major)
	}
	return resp, string(body)
}
