package proxy

// End-to-end tests of issue 10 section 1, "routing must see what the backend
// will see": path normalisation (target.go, proxy/pathnorm), absolute-form
// targets and Host normalisation, through real sockets to real net/http
// origins that report the request-target and Host they received. Helpers
// start with n2.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// n2Origin reports the raw request-target and the Host it received.
func n2Origin(t *testing.T, name string) *origin {
	return newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Origin", name)
		fmt.Fprintf(w, "uri=%s\nhost=%s\n", r.RequestURI, r.Host)
	})
}

// n2Resp is a response read off a raw connection.
type n2Resp struct {
	status   int
	origin   string // X-Origin: the origin that answered, "" for velox
	uri      string // what the origin received
	host     string
	location string
}

// n2Send sends one raw request (it should ask for Connection: close) and
// parses the response.
func n2Send(t *testing.T, addr, req string) n2Resp {
	t.Helper()
	res := rawRoundTrip(t, addr, req, testWait)
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(res.data)), nil)
	if err != nil {
		t.Fatalf("%q: no response (%v): %q", req, err, res.data)
	}
	return n2Read(resp)
}

// n2Read reads what the origin reported, or velox's answer.
func n2Read(resp *http.Response) n2Resp {
	body, _ := io.ReadAll(resp.Body)
	r := n2Resp{status: resp.StatusCode, origin: resp.Header.Get("X-Origin"), location: resp.Header.Get("Location")}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "uri="); ok {
			r.uri = v
		}
		if v, ok := strings.CutPrefix(line, "host="); ok {
			r.host = v
		}
	}
	return r
}

// n2Do is a GET of target with Host host in mode m: in h1 on a raw
// connection (n2Send), in h2c through net/http with target as the :path as
// given (URL.Opaque), so only targets net/http can send: origin-form, not
// starting with "//".
func n2Do(t *testing.T, tp *testProxy, m mode, target, host string) n2Resp {
	t.Helper()
	if !m.h2() {
		return n2Send(t, tp.addr, n2Get(target, host))
	}
	req, err := http.NewRequest("GET", tp.url("/"), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Opaque, req.URL.RawQuery, _ = strings.Cut(target, "?")
	req.Host = host
	resp, err := tp.do(m, req)
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	defer resp.Body.Close()
	return n2Read(resp)
}

// n2Sendable reports whether n2Do can send target in mode m.
func n2Sendable(m mode, target string) bool {
	return !m.h2() || strings.HasPrefix(target, "/") && !strings.HasPrefix(target, "//")
}

// n2Get is a GET of target with Host host that closes the connection.
func n2Get(target, host string) string {
	return "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n"
}

// n2YAML: product b denies /admin at its route; product c routes /admin and
// ^/re/[0-9]+$ to cluster admin; a is a plain product; other is the default product; r
// redirects /old with $request_uri. %[1]s is the routing section.
const n2YAML = `
listeners:
  - address: 127.0.0.1:0
default_product: other
%[1]s
products:
  - name: a
    hosts: [a.example]
    default_cluster: a
  - name: b
    hosts: [b.example]
    default_cluster: b
    routes:
      - prefix: /admin
        cluster: b
        filters:
          - type: deny
  - name: c
    hosts: [c.example]
    default_cluster: c
    routes:
      - prefix: /admin
        cluster: admin
      - regexp: ^/re/[0-9]+$
        cluster: admin
  - name: r
    hosts: [r.example]
    routes:
      - prefix: /old/
        filters:
          - type: redirect
            location: https://r.example$request_uri
  - name: other
    default_cluster: other
clusters:
  - {name: a, backends: [{address: %[2]s}]}
  - {name: b, backends: [{address: %[3]s}]}
  - {name: c, backends: [{address: %[4]s}]}
  - {name: admin, backends: [{address: %[5]s}]}
  - {name: other, backends: [{address: %[6]s}]}
`

// n2Proxy starts the origins and a proxy with the routing section given;
// setup, if set, registers Go filters.
func n2Proxy(t *testing.T, routing string, setup func(*Server)) (tp *testProxy, origins map[string]*origin) {
	t.Helper()
	origins = map[string]*origin{}
	var addrs []any
	addrs = append(addrs, routing)
	for _, n := range []string{"a", "b", "c", "admin", "other"} {
		origins[n] = n2Origin(t, n)
		addrs = append(addrs, origins[n].addr())
	}
	tp = startProxySetup(t, parseConfig(t, fmt.Sprintf(n2YAML, addrs...)), Options{Loops: 1}, setup)
	return tp, origins
}

// n2Bypasses are the spellings of /admin that must not escape a rule on
// /admin: the normal form that routing and the backend see, or "" for a
// 400.
var n2Bypasses = []struct{ target, normal string }{
	{"/admin", "/admin"},
	{"/%61dmin", "/admin"},
	{"/%61%64%6D%69%6E/x", "/admin/x"},
	{"/x/../admin", "/admin"},
	{"/./admin", "/admin"},
	{"//admin", "/admin"},
	{"/admin/.", "/admin/"},
	{"/x/%2e%2e/admin", "/admin"},
	{"/x/%2E./admin/%2e", "/admin/"},
	{"/x//..//admin", "/admin"},
	{"/admin/x/..", "/admin/"},
	{"/x/../admin?q=/../%2e%2E", "/admin?q=/../%2e%2E"}, // the query goes as received
	{"/%2e%2e/admin", ""},                               // climbs above the root
	{"/../admin", ""},
	{"/x/..%2Fadmin", ""}, // escaped slash: rejected by default
	{"/x/..%5cadmin", ""},
	{"/x\\..\\admin", ""},
	{"/admin%zz", ""},
	{"/admin%4", ""},
	{"/admin%00", ""},
}

// TestE2ENormalizeDenyNotEscaped: a route-level deny on /admin holds for
// every spelling; the origin behind it sees none of them.
func TestE2ENormalizeDenyNotEscaped(t *testing.T) { run(t, testE2ENormalizeDenyNotEscaped) }

func testE2ENormalizeDenyNotEscaped(t *testing.T, m mode) {
	tp, origins := n2Proxy(t, "", nil)
	for _, tc := range n2Bypasses {
		if !n2Sendable(m, tc.target) {
			continue // h2c: net/http cannot send it as the :path
		}
		r := n2Do(t, tp, m, tc.target, "b.example")
		want := 403
		if tc.normal == "" {
			want = 400
		}
		if r.status != want || r.origin != "" {
			t.Errorf("%s: %d from %q, want %d from velox", tc.target, r.status, r.origin, want)
		}
	}
	if n := origins["b"].reqs.Load(); n != 0 {
		t.Errorf("origin b got %d requests, want 0", n)
	}
}

// TestE2ENormalizeRouteAndForward: a route on /admin to cluster admin gets
// every spelling, and its origin receives the normal form with Host c.example.
func TestE2ENormalizeRouteAndForward(t *testing.T) { run(t, testE2ENormalizeRouteAndForward) }

func testE2ENormalizeRouteAndForward(t *testing.T, m mode) {
	tp, origins := n2Proxy(t, "", nil)
	for _, tc := range n2Bypasses {
		if !n2Sendable(m, tc.target) {
			continue // h2c: net/http cannot send it as the :path
		}
		r := n2Do(t, tp, m, tc.target, "c.example")
		if tc.normal == "" {
			if r.status != 400 || r.origin != "" {
				t.Errorf("%s: %d from %q, want 400 from velox", tc.target, r.status, r.origin)
			}
			continue
		}
		if r.status != 200 || r.origin != "admin" || r.uri != tc.normal || r.host != "c.example" {
			t.Errorf("%s: %d from %q, origin saw %q Host %q; want 200 from admin, %q Host c.example",
				tc.target, r.status, r.origin, r.uri, r.host, tc.normal)
		}
	}
	if n := origins["c"].reqs.Load(); n != 0 {
		t.Errorf("origin c got %d requests, want 0 (all were /admin)", n)
	}
}

// TestE2ENormalizePolicies: each routing switch changes what routes and
// the backend see, as README's table says.
func TestE2ENormalizePolicies(t *testing.T) { run(t, testE2ENormalizePolicies) }

func testE2ENormalizePolicies(t *testing.T, m mode) {
	for _, tc := range []struct {
		name, routing, target string
		origin, uri           string // "" origin: velox answered status
		status                int
	}{
		{"decode: %2F separates", "routing: {escaped_slashes: decode}", "/x/..%2Fadmin", "admin", "/admin", 200},
		{"decode: backslash separates", "routing: {escaped_slashes: decode}", "/x\\..\\admin", "admin", "/admin", 200},
		{"keep: %2F is data", "routing: {escaped_slashes: keep}", "/x/..%2fadmin", "c", "/x/..%2Fadmin", 200},
		{"no merge: // is a segment", "routing: {merge_slashes: false}", "//admin", "c", "//admin", 200},
		{"no merge: dot segments still go", "routing: {merge_slashes: false}", "/x/../admin", "admin", "/admin", 200},
		{"forward original", "routing: {forward_path: original}", "/x/../%61dmin?q", "admin", "/x/../%61dmin?q", 200},
		{"forward original still refuses", "routing: {forward_path: original}", "/../admin", "", "", 400},
		{"normalisation off", "routing: {normalize_path: false}", "/%61dmin", "c", "/%61dmin", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !n2Sendable(m, tc.target) {
				t.Skip("h2c: net/http cannot send this target as the :path")
			}
			tp, _ := n2Proxy(t, tc.routing, nil)
			r := n2Do(t, tp, m, tc.target, "c.example")
			if r.status != tc.status || r.origin != tc.origin || r.uri != tc.uri {
				t.Errorf("%s: %d from %q, origin saw %q; want %d from %q, %q",
					tc.target, r.status, r.origin, r.uri, tc.status, tc.origin, tc.uri)
			}
		})
	}
}

// TestE2EAbsoluteForm: RFC 9112 section 3.2.2. The target's authority picks
// the product and is the Host the backend receives; the target goes
// upstream in origin-form, normalised.
func TestE2EAbsoluteForm(t *testing.T) {
	// h1 only: absolute-form request-targets are HTTP/1.1 (RFC 9112 3.2.2).
	tp, _ := n2Proxy(t, "", nil)
	for _, tc := range []struct {
		target, host string
		origin, uri  string
		wantHost     string
	}{
		{"http://a.example/x?y=1", "b.example", "a", "/x?y=1", "a.example"},
		{"http://a.example", "b.example", "a", "/", "a.example"},
		{"http://a.example?q", "a.example", "a", "/?q", "a.example"},
		{"http://A.Example:8080/p", "b.example", "a", "/p", "A.Example:8080"},
		{"http://c.example/x/../%61dmin", "a.example", "admin", "/admin", "c.example"},
	} {
		r := n2Send(t, tp.addr, n2Get(tc.target, tc.host))
		if r.status != 200 || r.origin != tc.origin || r.uri != tc.uri || r.host != tc.wantHost {
			t.Errorf("%s (Host %s): %d from %q, origin saw %q Host %q; want 200 from %q, %q Host %q",
				tc.target, tc.host, r.status, r.origin, r.uri, r.host, tc.origin, tc.uri, tc.wantHost)
		}
	}
	r := n2Send(t, tp.addr, n2Get("http://b.example/admin", "c.example")) // b's deny, not c's route
	if r.status != 403 {
		t.Errorf("absolute-form to b.example/admin: %d, want 403", r.status)
	}
}

// TestE2EHostNormalized: case, port and a trailing dot do not change the
// product; a Host that is not RFC 3986 uri-host [":" port] is a 400.
func TestE2EHostNormalized(t *testing.T) {
	// h1 only: Host values net/http would refuse to send, on a raw socket.
	tp, _ := n2Proxy(t, "", nil)
	for _, tc := range []struct {
		host, origin string
		status       int
	}{
		{"b.example", "b", 200},
		{"B.Example.", "b", 200},
		{"b.example:8080", "b", 200},
		{"b.example.:80", "b", 200},
		{"B.EXAMPLE.:", "b", 200},
		{"b.example..", "other", 200}, // not b.example: the default product
		{"", "other", 200},            // RFC 9110 7.1: the server's default name
		{"b example", "", 400},
		{"b%2Eexample", "", 400},
		{":80", "", 400},
		{"u@b.example", "", 400},
		{"b.example:8o", "", 400},
		{"[::1", "", 400},
		{"b.example/x", "", 400},
	} {
		r := n2Send(t, tp.addr, n2Get("/p", tc.host))
		if r.status != tc.status || r.origin != tc.origin {
			t.Errorf("Host %q: %d from %q, want %d from %q", tc.host, r.status, r.origin, tc.status, tc.origin)
		}
		if tc.origin != "" && r.host != tc.host {
			t.Errorf("Host %q: origin saw Host %q, want it as received", tc.host, r.host)
		}
	}
}

// TestE2ERedirectRequestURI: $request_uri is the target as forwarded.
func TestE2ERedirectRequestURI(t *testing.T) { run(t, testE2ERedirectRequestURI) }

func testE2ERedirectRequestURI(t *testing.T, m mode) {
	tp, _ := n2Proxy(t, "", nil)
	r := n2Do(t, tp, m, "/x/../old/%61?q=%2e", "r.example")
	if want := "https://r.example/old/a?q=%2e"; r.status != 302 || r.location != want {
		t.Errorf("%d Location %q, want 302 %q", r.status, r.location, want)
	}
	if m.h2() {
		return // absolute-form is HTTP/1.1 (TestE2EAbsoluteForm)
	}
	r = n2Send(t, tp.addr, n2Get("http://r.example/old//x", "a.example"))
	if want := "https://r.example/old/x"; r.status != 302 || r.location != want {
		t.Errorf("absolute-form: %d Location %q, want 302 %q", r.status, r.location, want)
	}
}

// TestE2ECurlPathAsIs: curl --path-as-is sends dot segments unchanged; the
// deny holds and the route's origin sees the normal form.
func TestE2ECurlPathAsIs(t *testing.T) { run(t, testE2ECurlPathAsIs) }

func testE2ECurlPathAsIs(t *testing.T, m mode) {
	tp, _ := n2Proxy(t, "", nil)
	out, _ := runCurl(t, curlFlag(m), "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}",
		"-H", "Host: b.example", "http://"+tp.addr+"/x/../%61dmin/./")
	if out != "403" {
		t.Errorf("deny through curl: status %s, want 403", out)
	}
	out, _ = runCurl(t, curlFlag(m), "--path-as-is", "-H", "Host: c.example", "http://"+tp.addr+"/x/../%61dmin/./")
	if want := "uri=/admin/\nhost=c.example\n"; out != want {
		t.Errorf("route through curl: origin answered %q, want %q", out, want)
	}
}

// TestE2ENormalizeRegexpAndGoFilter: regexp routes match the normal form,
// and a Go filter at before_location sees it as Request().Path.
func TestE2ENormalizeRegexpAndGoFilter(t *testing.T) { run(t, testE2ENormalizeRegexpAndGoFilter) }

func testE2ENormalizeRegexpAndGoFilter(t *testing.T, m mode) {
	var mu sync.Mutex
	var seen []string
	tp, _ := n2Proxy(t, "", func(srv *Server) {
		srv.Register(BeforeLocation, RequestFilterFunc(func(s *Stream) Verdict {
			mu.Lock()
			seen = append(seen, string(s.Request().Path))
			mu.Unlock()
			return Continue
		}))
	})
	for _, tc := range []struct{ target, origin, uri string }{
		{"/re/./%31%32", "admin", "/re/12"},
		{"/x/../re/7", "admin", "/re/7"},
		{"/re/1/../x", "c", "/re/x"},
	} {
		r := n2Do(t, tp, m, tc.target, "c.example")
		if r.status != 200 || r.origin != tc.origin || r.uri != tc.uri {
			t.Errorf("%s: %d from %q, origin saw %q; want 200 from %q, %q", tc.target, r.status, r.origin, r.uri, tc.origin, tc.uri)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"/re/12", "/re/7", "/re/x"}; strings.Join(seen, " ") != strings.Join(want, " ") {
		t.Errorf("the Go filter saw %q, want %q", seen, want)
	}
}
