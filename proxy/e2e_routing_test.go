package proxy

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// namedOrigin answers "<name> <method> <uri>" and, one per line, the
// request headers the routing tests look at; it sets X-Origin and a header
// X-Secret that a filter is meant to remove.
func namedOrigin(t *testing.T, name string) *origin {
	return newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Origin", name)
		w.Header().Set("X-Secret", "s3cret")
		fmt.Fprintf(w, "%s %s %s\n", name, r.Method, r.URL.RequestURI())
		for _, h := range []string{"X-Global", "X-After", "X-Product", "X-Route", "X-Remove-Me", "X-Go"} {
			fmt.Fprintf(w, "%s=%s\n", h, strings.Join(r.Header.Values(h), ","))
		}
	})
}

// routeResp is one response as the routing tests see it.
type routeResp struct {
	status int
	header http.Header
	body   string
}

// Origin is the name of the origin that answered ("" for velox's own replies).
func (r routeResp) Origin() string { return r.header.Get("X-Origin") }

// Saw is the value the origin reported for request header h.
func (r routeResp) Saw(h string) string {
	for _, line := range strings.Split(r.body, "\n") {
		if v, ok := strings.CutPrefix(line, h+"="); ok {
			return v
		}
	}
	return "<not reported>"
}

// routeDo sends method path to the proxy in mode m with Host host (in h2c,
// the :authority) and extra headers ("Name: value"); redirects are not
// followed.
func routeDo(t *testing.T, tp *testProxy, m mode, method, host, path string, headers ...string) routeResp {
	t.Helper()
	req, err := http.NewRequest(method, tp.url(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Add(k, v)
	}
	resp, err := tp.do(m, req)
	if err != nil {
		t.Fatalf("%s %s%s: %v", method, host, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s%s: reading body: %v", method, host, path, err)
	}
	return routeResp{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

// routingYAML is the config of TestE2ERouting; %s are the origins' addresses.
const routingYAML = `
listeners:
  - address: 127.0.0.1:0
default_product: fallback
filters:
  - type: set_request_header
    name: X-Global
    value: g
  - type: set_request_header
    point: after_location
    name: X-After
    value: after
  - type: add_response_header
    name: X-Global-Resp
    value: gr
products:
  - name: a
    hosts: [a.example.com]
    routes:
      - path: /exact
        cluster: exact
      - prefix: /api/
        methods: [POST, PUT]
        cluster: write
      - prefix: /api/
        headers:
          - name: X-Canary
            value: "1"
        cluster: canary
      - prefix: /api/
        headers:
          - name: X-Present
        cluster: present
      - regexp: ^/[0-9]{4}/[0-9]{2}/
        cluster: archive
      - prefix: /static/
        filters:
          - type: static
            status: 202
            content_type: application/json
            body: '{"static":true}'
            headers:
              X-Static: "yes"
      - prefix: /deny
        filters:
          - type: deny
            body: "denied here\n"
      - prefix: /go/
        filters:
          - type: redirect
            status: 308
            location: https://new.example.com$request_uri
      - prefix: /hdr/
        cluster: main
        filters:
          - type: set_request_header
            name: X-Route
            value: r1
          - type: remove_request_header
            name: X-Remove-Me
          - type: set_response_header
            name: X-Route-Resp
            value: rr
    default_cluster: main
    filters:
      - type: add_request_header
        name: X-Product
        value: a
      - type: remove_response_header
        name: X-Secret
  - name: wild
    hosts: ["*.wild.example.com"]
    default_cluster: wild
  - name: fallback
    hosts: [fallback.example.com]
    default_cluster: fallback
  - name: noroute
    hosts: [noroute.example.com]
    routes:
      - path: /only
        cluster: main
clusters:
  - name: main
    backends: [{address: %s}]
  - name: exact
    backends: [{address: %s}]
  - name: write
    backends: [{address: %s}]
  - name: canary
    backends: [{address: %s}]
  - name: present
    backends: [{address: %s}]
  - name: archive
    backends: [{address: %s}]
  - name: wild
    backends: [{address: %s}]
  - name: fallback
    backends: [{address: %s}]
`

var routingOrigins = []string{"main", "exact", "write", "canary", "present", "archive", "wild", "fallback"}

// TestE2ERouting checks tenant routing by Host, cluster routing by path,
// method and header, default product and cluster, and the built-in filters,
// each with a real origin per cluster.
func TestE2ERouting(t *testing.T) { run(t, testE2ERouting) }

func testE2ERouting(t *testing.T, m mode) {
	var addrs []any
	origins := map[string]*origin{}
	for _, n := range routingOrigins {
		origins[n] = namedOrigin(t, n)
		addrs = append(addrs, origins[n].addr())
	}
	tp := startProxySetup(t, parseConfig(t, fmt.Sprintf(routingYAML, addrs...)), Options{Loops: 2}, nil)

	routes := []struct {
		name, method, host, path string
		headers                  []string
		want                     string // origin name
	}{
		{"exact host, default cluster", "GET", "a.example.com", "/", nil, "main"},
		{"host case and port ignored", "GET", "A.Example.COM:8080", "/", nil, "main"},
		{"exact path", "GET", "a.example.com", "/exact", nil, "exact"},
		{"exact path is not a prefix", "GET", "a.example.com", "/exact/more", nil, "main"},
		{"exact path ignores query", "GET", "a.example.com", "/exact?q=1", nil, "exact"},
		{"prefix and method", "POST", "a.example.com", "/api/x", nil, "write"},
		{"prefix, other method", "GET", "a.example.com", "/api/x", nil, "main"},
		{"header value", "GET", "a.example.com", "/api/x", []string{"X-Canary: 1"}, "canary"},
		{"header other value", "GET", "a.example.com", "/api/x", []string{"X-Canary: 2"}, "main"},
		{"header present", "GET", "a.example.com", "/api/x", []string{"X-Present: anything"}, "present"},
		{"first match wins", "PUT", "a.example.com", "/api/x", []string{"X-Canary: 1"}, "write"},
		{"regexp", "GET", "a.example.com", "/2024/05/post", nil, "archive"},
		{"regexp miss", "GET", "a.example.com", "/2024/5/post", nil, "main"},
		{"wildcard", "GET", "x.wild.example.com", "/", nil, "wild"},
		{"wildcard, deeper name", "GET", "y.x.wild.example.com", "/", nil, "wild"},
		{"wildcard does not match its suffix", "GET", "wild.example.com", "/", nil, "fallback"},
		{"unknown host to default product", "GET", "unknown.test", "/", nil, "fallback"},
		{"product route without default cluster", "GET", "noroute.example.com", "/only", nil, "main"},
	}
	for _, tc := range routes {
		t.Run(tc.name, func(t *testing.T) {
			r := routeDo(t, tp, m, tc.method, tc.host, tc.path, tc.headers...)
			if r.status != 200 || r.Origin() != tc.want {
				t.Fatalf("%s %s%s went to %q (status %d), want %q\n%s", tc.method, tc.host, tc.path,
					r.Origin(), r.status, tc.want, r.body)
			}
			if !strings.HasPrefix(r.body, tc.want+" "+tc.method+" ") {
				t.Errorf("body %q", r.body)
			}
		})
	}

	t.Run("no cluster is 404", func(t *testing.T) {
		r := routeDo(t, tp, m, "GET", "noroute.example.com", "/other")
		if r.status != 404 || !strings.Contains(r.body, "no route") {
			t.Errorf("status %d body %q, want 404 saying no route", r.status, r.body)
		}
	})
	t.Run("global and product filters", func(t *testing.T) {
		r := routeDo(t, tp, m, "GET", "a.example.com", "/", "X-Product: client", "X-Global: client")
		if got := r.Saw("X-Global"); got != "g" {
			t.Errorf("origin saw X-Global %q, want g (set replaces)", got)
		}
		if got := r.Saw("X-After"); got != "after" {
			t.Errorf("origin saw X-After %q, want after (global filter at after_location)", got)
		}
		if got := r.Saw("X-Product"); got != "client,a" {
			t.Errorf("origin saw X-Product %q, want client,a (add keeps the client's)", got)
		}
		if got := r.header.Get("X-Global-Resp"); got != "gr" {
			t.Errorf("response X-Global-Resp %q, want gr", got)
		}
		if got := r.header.Get("X-Secret"); got != "" {
			t.Errorf("response X-Secret %q, want it removed by the product filter", got)
		}
		// Another product: its filters do not apply.
		w := routeDo(t, tp, m, "GET", "x.wild.example.com", "/")
		if w.Saw("X-Product") != "" || w.header.Get("X-Secret") != "s3cret" || w.header.Get("X-Global-Resp") != "gr" {
			t.Errorf("product a's filters leaked to product wild: X-Product=%q X-Secret=%q X-Global-Resp=%q",
				w.Saw("X-Product"), w.header.Get("X-Secret"), w.header.Get("X-Global-Resp"))
		}
	})
	t.Run("route filters", func(t *testing.T) {
		r := routeDo(t, tp, m, "GET", "a.example.com", "/hdr/x", "X-Remove-Me: 1", "X-Route: client")
		if r.Origin() != "main" {
			t.Fatalf("went to %q", r.Origin())
		}
		if got := r.Saw("X-Route"); got != "r1" {
			t.Errorf("origin saw X-Route %q, want r1", got)
		}
		if got := r.Saw("X-Remove-Me"); got != "" {
			t.Errorf("origin saw X-Remove-Me %q, want it removed", got)
		}
		if got := r.header.Get("X-Route-Resp"); got != "rr" {
			t.Errorf("response X-Route-Resp %q, want rr", got)
		}
		other := routeDo(t, tp, m, "GET", "a.example.com", "/", "X-Remove-Me: 1")
		if other.Saw("X-Remove-Me") != "1" || other.header.Get("X-Route-Resp") != "" {
			t.Errorf("route filters ran for another route: X-Remove-Me=%q X-Route-Resp=%q",
				other.Saw("X-Remove-Me"), other.header.Get("X-Route-Resp"))
		}
	})
	t.Run("static", func(t *testing.T) {
		hits := origins["main"].reqs.Load()
		r := routeDo(t, tp, m, "GET", "a.example.com", "/static/x")
		if r.status != 202 || r.body != `{"static":true}` || r.header.Get("Content-Type") != "application/json" ||
			r.header.Get("X-Static") != "yes" {
			t.Errorf("static: %d %q %v", r.status, r.body, r.header)
		}
		if origins["main"].reqs.Load() != hits {
			t.Error("a static reply reached the origin")
		}
	})
	t.Run("deny", func(t *testing.T) {
		r := routeDo(t, tp, m, "GET", "a.example.com", "/deny/x")
		if r.status != 403 || r.body != "denied here\n" {
			t.Errorf("deny: %d %q", r.status, r.body)
		}
	})
	t.Run("redirect with $request_uri", func(t *testing.T) {
		r := routeDo(t, tp, m, "GET", "a.example.com", "/go/x?y=1&z=2")
		if r.status != 308 || r.header.Get("Location") != "https://new.example.com/go/x?y=1&z=2" {
			t.Errorf("redirect: %d Location %q", r.status, r.header.Get("Location"))
		}
	})
}

// TestE2ERoutingNoDefaultProduct: without default_product an unknown Host is 404.
func TestE2ERoutingNoDefaultProduct(t *testing.T) { run(t, testE2ERoutingNoDefaultProduct) }

func testE2ERoutingNoDefaultProduct(t *testing.T, m mode) {
	origin := namedOrigin(t, "main")
	cfg := parseConfig(t, fmt.Sprintf(`
listeners: [{address: 127.0.0.1:0}]
products:
  - name: a
    hosts: [a.example.com]
    default_cluster: main
clusters:
  - name: main
    backends: [{address: %s}]
`, origin.addr()))
	tp := startProxySetup(t, cfg, Options{Loops: 1}, nil)
	if r := routeDo(t, tp, m, "GET", "a.example.com", "/"); r.status != 200 || r.Origin() != "main" {
		t.Fatalf("known host: %d %q", r.status, r.Origin())
	}
	r := routeDo(t, tp, m, "GET", "b.example.com", "/")
	if r.status != 404 || !strings.Contains(r.body, "no route") {
		t.Errorf("unknown host: %d %q, want 404", r.status, r.body)
	}
	if origin.reqs.Load() != 1 {
		t.Errorf("origin hits %d, want 1", origin.reqs.Load())
	}
}

// TestE2EWeightedRoundRobin: weights 3:1 over 400 requests on one loop give
// exactly 300 and 100 (smooth weighted round robin is deterministic per loop).
func TestE2EWeightedRoundRobin(t *testing.T) { run(t, testE2EWeightedRoundRobin) }

func testE2EWeightedRoundRobin(t *testing.T, m mode) {
	heavy, light := namedOrigin(t, "heavy"), namedOrigin(t, "light")
	cfg := parseConfig(t, fmt.Sprintf(`
listeners: [{address: 127.0.0.1:0}]
default_product: p
products:
  - name: p
    hosts: [localhost]
    default_cluster: c
clusters:
  - name: c
    backends:
      - address: %s
        weight: 3
      - address: %s
        weight: 1
`, heavy.addr(), light.addr()))
	tp := startProxySetup(t, cfg, Options{Loops: 1}, nil)
	var seq strings.Builder
	for i := range 400 {
		r := routeDo(t, tp, m, "GET", "localhost", "/")
		if r.status != 200 {
			t.Fatalf("request %d: status %d", i, r.status)
		}
		if i < 8 {
			seq.WriteString(r.Origin()[:1])
		}
	}
	if h, l := heavy.reqs.Load(), light.reqs.Load(); h != 300 || l != 100 {
		t.Errorf("heavy %d, light %d; want 300 and 100", h, l)
	}
	// Smooth: the light backend is spread out, not bunched: hhlh hhlh.
	if got := seq.String(); got != "hhlhhhlh" {
		t.Errorf("first 8 picks %q, want hhlhhhlh", got)
	}
	per := map[string]uint64{}
	for _, b := range tp.Stats().Clusters["c"] {
		per[b.Addr] = b.Requests
	}
	if per[heavy.addr()] != 300 || per[light.addr()] != 100 {
		t.Errorf("/stats per-backend requests %v, want 300 and 100", per)
	}
}

// TestE2ELeastRequest: while one backend holds a request, the least-request
// balancer sends every new request to the other.
func TestE2ELeastRequest(t *testing.T) { run(t, testE2ELeastRequest) }

func testE2ELeastRequest(t *testing.T, m mode) {
	release := make(chan struct{})
	var releaseOnce sync.Once
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
	held := make(chan string, 1)
	mk := func(name string) *origin {
		return newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Origin", name)
			if r.URL.Path == "/hold" {
				held <- name
				select {
				case <-release:
				case <-time.After(testWait):
				}
			}
			io.WriteString(w, name)
		})
	}
	o1, o2 := mk("one"), mk("two")
	cfg := parseConfig(t, fmt.Sprintf(`
listeners: [{address: 127.0.0.1:0}]
default_product: p
products:
  - name: p
    hosts: [localhost]
    default_cluster: c
clusters:
  - name: c
    balancer: least_request
    backends: [{address: %s}, {address: %s}]
`, o1.addr(), o2.addr()))
	tp := startProxySetup(t, cfg, Options{Loops: 1}, nil)

	holdDone := make(chan heldResult, 1)
	go func() { holdDone <- holdRequest(tp, m) }()
	var busy string
	select {
	case busy = <-held:
	case <-time.After(testWait):
		t.Fatal("the held request never reached an origin")
	}
	free := map[string]string{"one": "two", "two": "one"}[busy]
	for i := range 20 {
		if r := routeDo(t, tp, m, "GET", "localhost", "/quick"); r.Origin() != free {
			t.Fatalf("request %d went to %q while %q held a request; want %q", i, r.Origin(), busy, free)
		}
	}
	releaseOnce.Do(func() { close(release) })
	select {
	case res := <-holdDone:
		if res.status != res.wantStatus || res.body != busy {
			t.Errorf("held request got %q %q", res.status, res.body)
		}
	case <-time.After(testWait):
		t.Fatal("held request never finished")
	}
}

// heldResult is what the held request of TestE2ELeastRequest got.
type heldResult struct{ status, wantStatus, body string }

// holdRequest sends GET /hold from another goroutine: in h1 on a raw
// connection (its status line), in h2c on a connection of its own (an
// HTTP/2 status has no reason phrase).
func holdRequest(tp *testProxy, m mode) heldResult {
	if !m.h2() {
		res := rawRoundTripNoT(tp.addr, "GET /hold HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
		return heldResult{res.StatusLine(), "HTTP/1.1 200 OK", res.Body()}
	}
	code, body, err := tp.fetch(m, "/hold")
	if err != nil {
		body = err.Error()
	}
	return heldResult{strconv.Itoa(code), "200", body}
}

// rawRoundTripNoT is rawRoundTrip for goroutines other than the test's.
func rawRoundTripNoT(addr, req string) rawResult {
	c, err := net.DialTimeout("tcp", addr, testWait)
	if err != nil {
		return rawResult{data: []byte(err.Error())}
	}
	defer c.Close()
	io.WriteString(c, req)
	return readAllRaw(c, testWait)
}

// pointTrace records the callback points a request and its connection pass.
type pointTrace struct {
	mu     sync.Mutex
	points []string
}

func (tr *pointTrace) add(s string) {
	tr.mu.Lock()
	tr.points = append(tr.points, s)
	tr.mu.Unlock()
}

func (tr *pointTrace) get() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.points...)
}

// TestE2ERegisteredFilters registers Go filters at every point and checks
// the order they run in and what each sees, and that a Go filter can end a
// request or close the connection.
func TestE2ERegisteredFilters(t *testing.T) {
	// h1 only: the trace counts conn points per raw HTTP/1.1 Connection: close exchange.
	origin := namedOrigin(t, "main")
	cfg := parseConfig(t, fmt.Sprintf(`
listeners: [{address: 127.0.0.1:0}]
products:
  - name: a
    hosts: [a.example.com]
    default_cluster: main
    filters:
      - type: set_request_header
        name: X-Product
        value: a
clusters:
  - name: main
    backends: [{address: %s}]
filters:
  - type: set_request_header
    name: X-Global
    value: g
`, origin.addr()))
	tr := &pointTrace{}
	req := func(p Point, f func(s *Stream) Verdict) RequestFilter {
		return RequestFilterFunc(func(s *Stream) Verdict {
			status := 0
			if r := s.Response(); r != nil {
				status = r.Status
			}
			tr.add(fmt.Sprintf("%v product=%s cluster=%s status=%d", p, s.Product(), s.Cluster(), status))
			if f != nil {
				return f(s)
			}
			return Continue
		})
	}
	conn := func(p Point) ConnFilter {
		return ConnFilterFunc(func(c *Session) Verdict {
			tr.add(fmt.Sprintf("%v ip=%s requests=%d", p, c.RemoteIP(), c.Requests()))
			return Continue
		})
	}
	addr := startProxySetup(t, cfg, Options{Loops: 1}, func(srv *Server) {
		srv.RegisterConn(Accept, conn(Accept))
		srv.RegisterConn(Handshake, conn(Handshake))
		srv.RegisterConn(Finish, conn(Finish))
		srv.Register(BeforeLocation, req(BeforeLocation, func(s *Stream) Verdict {
			if s.Request().Has("X-Global") {
				tr.add("config filter ran before the Go filter")
			}
			if s.Request().Has("X-Close") {
				return CloseConn
			}
			return Continue
		}))
		srv.Register(FoundProduct, req(FoundProduct, func(s *Stream) Verdict {
			if s.Request().Has("X-Teapot") {
				return s.Respond(418, "text/plain", nil, []byte("short and stout\n"))
			}
			return Continue
		}))
		srv.Register(AfterLocation, req(AfterLocation, func(s *Stream) Verdict {
			s.Request().Set([]byte("X-Go"), []byte("after:"+string(s.Request().Get("X-Global"))))
			return Continue
		}))
		srv.Register(ReadResponse, req(ReadResponse, func(s *Stream) Verdict {
			s.Response().Set([]byte("X-Go-Resp"), []byte("seen"))
			return Continue
		}))
		srv.Register(RequestFinish, req(RequestFinish, nil))
	}).addr

	res := rawRoundTrip(t, addr, "GET /x HTTP/1.1\r\nHost: a.example.com\r\nConnection: close\r\n\r\n", testWait)
	if res.StatusLine() != "HTTP/1.1 200 OK" {
		t.Fatalf("response:\n%s", res.data)
	}
	if !strings.Contains(string(res.data), "\r\nX-Go-Resp: seen\r\n") {
		t.Errorf("ReadResponse filter's header missing:\n%s", res.data)
	}
	if !strings.Contains(res.Body(), "X-Go=after:g\n") {
		t.Errorf("AfterLocation filter's header did not reach the origin (or did not see X-Global):\n%s", res.Body())
	}
	want := []string{
		"accept ip=127.0.0.1 requests=0",
		"handshake ip=127.0.0.1 requests=0",
		"before_location product= cluster= status=0",
		"found_product product=a cluster= status=0",
		"after_location product=a cluster=main status=0",
		"read_response product=a cluster=main status=200",
		"request_finish product=a cluster=main status=0",
		"finish ip=127.0.0.1 requests=1",
	}
	wantTrace(t, tr, want)

	t.Run("Respond at found_product", func(t *testing.T) {
		hits := origin.reqs.Load()
		res := rawRoundTrip(t, addr, "GET /x HTTP/1.1\r\nHost: a.example.com\r\nX-Teapot: 1\r\nConnection: close\r\n\r\n", testWait)
		if res.StatusLine() != "HTTP/1.1 418 I'm a teapot" || res.Body() != "short and stout\n" {
			t.Errorf("response:\n%s", res.data)
		}
		if origin.reqs.Load() != hits {
			t.Error("a request a filter answered reached the origin")
		}
		wantTrace(t, tr, []string{
			"accept ip=127.0.0.1 requests=0",
			"handshake ip=127.0.0.1 requests=0",
			"before_location product= cluster= status=0",
			"found_product product=a cluster= status=0",
			"request_finish product=a cluster= status=0",
			"finish ip=127.0.0.1 requests=1",
		})
	})
	t.Run("CloseConn at before_location", func(t *testing.T) {
		res := rawRoundTrip(t, addr, "GET /x HTTP/1.1\r\nHost: a.example.com\r\nX-Close: 1\r\n\r\n", testWait)
		if len(res.data) != 0 || !res.closed {
			t.Errorf("want the connection closed without a response; got closed=%v\n%s", res.closed, res.data)
		}
	})
}

// wantTrace waits for the trace to reach len(want) entries (Finish runs
// after the client saw the response) and compares it, then clears it.
func wantTrace(t *testing.T, tr *pointTrace, want []string) {
	t.Helper()
	holds(func() bool { return len(tr.get()) >= len(want) })
	got := tr.get()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("callback points:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	tr.mu.Lock()
	tr.points = nil
	tr.mu.Unlock()
}
