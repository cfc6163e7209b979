package proxy_test

// A Go filter written against package head alone (this file does not import
// h1) sees the same protocol-neutral head for the same request whether the
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
	"github.com/velox-proxy/velox/proxy"
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
	nameFilter = []byte("X-Filter")
	valueSeen  = []byte("seen")
	nameStatus = []byte("X-Upstream-Status")
)

func (f *headFilter) request(s *proxy.Stream) proxy.Verdict {
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
	r.Set(nameFilter, valueSeen)
	return proxy.Continue
}

func (f *headFilter) response(s *proxy.Stream) proxy.Verdict {
	resp := s.Response()
	if resp == nil {
		return proxy.Continue
	}
	f.mu.Lock()
	f.status = resp.Status
	f.mu.Unlock()
	resp.Set(nameStatus, strconv.AppendInt(nil, int64(resp.Status), 10))
	return proxy.Continue
}

func (f *headFilter) seen() (headSeen, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	seen, status := f.req, f.status
	f.req, f.status = headSeen{}, 0
	return seen, status
}

// e2HeadModes are the client protocols a filter must not be able to tell
// apart: each makes a client of its own, closed when the test ends.
var e2HeadModes = []struct {
	name   string
	major  int
	client func(t *testing.T) *http.Client
}{
	{"h1", 1, func(t *testing.T) *http.Client { return e2Client(t) }},
	{"h2c", 2, func(t *testing.T) *http.Client {
		var p http.Protocols
		p.SetUnencryptedHTTP2(true)
		tr := &http.Transport{Protocols: &p}
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr, Timeout: e2Wait}
	}},
}

func TestFilterSeesNeutralHead(t *testing.T) {
	o := e2StartOrigin(t, "o", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Got-Filter", r.Header.Get("X-Filter"))
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, r.Method+" "+r.URL.RequestURI()+" "+string(body))
	})
	f := &headFilter{}
	srv, addr := e2StartProxy(t, e2OneCluster(t, "", o.Addr()), 1, func(s *proxy.Server) {
		s.Register(proxy.AfterLocation, proxy.RequestFilterFunc(f.request))
		s.Register(proxy.ReadResponse, proxy.RequestFilterFunc(f.response))
	})
	want := headSeen{Method: "PATCH", Path: "/a/b", Query: "x=1&y=%20", Host: addr, Client: "c1",
		Framing: head.FramingLength, ContentLength: 3}
	for _, m := range e2HeadModes {
		t.Run(m.name, func(t *testing.T) {
			c := m.client(t)
			req, _ := http.NewRequest("PATCH", "http://"+addr+"/a/b?x=1&y=%20", strings.NewReader("abc"))
			req.Header.Set("X-Client", "c1")
			resp, body := e2HeadDo(t, c, req, m.major)
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

			hits := o.hits.Load()
			req, _ = http.NewRequest("GET", "http://"+addr+"/deny", nil)
			resp, body = e2HeadDo(t, c, req, m.major)
			if resp.StatusCode != http.StatusForbidden || body != "denied\n" ||
				resp.Header.Get("X-Denied") != "by filter" || resp.Header.Get("Content-Type") != "text/plain" {
				t.Errorf("Respond: %d %q %q", resp.StatusCode, resp.Header, body)
			}
			if seen, _ := f.seen(); seen.Method != "GET" || seen.Path != "/deny" || seen.Host != addr {
				t.Errorf("filter saw %+v for GET /deny", seen)
			}
			if n := o.hits.Load() - hits; n != 0 {
				t.Errorf("the origin got %d requests that the filter answered", n)
			}
			c.CloseIdleConnections()
			if !e2Eventually(func() bool { return e2ActiveConns(srv) == 0 }) {
				t.Errorf("%d client connections left open", e2ActiveConns(srv))
			}
		})
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
