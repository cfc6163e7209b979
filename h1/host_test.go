package h1

import (
	"net/netip"
	"testing"
)

// TestRFC3986_3_2_2_Host: uri-host [":" port], with velox's tightenings
// (host.go): no pct-encoded, no zone ids, no port without a host.
func TestRFC3986_3_2_2_Host(t *testing.T) {
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"", true}, // RFC 9110 section 7.2: the target URI has no authority
		{"b.example", true},
		{"B.Example.", true},
		{"b.example:8080", true},
		{"b.example.:80", true},
		{"b.example:", true}, // port = *DIGIT
		{"b_x-1.example", true},
		{"a!$&'()*+,;=b", true}, // sub-delims
		{"127.0.0.1:80", true},
		{"999.1.1.1", true}, // not an IPv4address, but a reg-name
		{"[::1]", true},
		{"[::1]:8080", true},
		{"[2001:db8::1]:443", true},
		{"[::ffff:192.0.2.1]", true},
		{"[v1.fe80::a+en1]", true}, // IPvFuture
		{":80", false},
		{"b.example:8o", false},
		{"b.example:80:80", false},
		{"b%2Eexample", false},
		{"a b", false},
		{"a/b", false},
		{"u@a", false},
		{"a\\b", false},
		{"[::1", false},
		{"[::1]x", false},
		{"[::1]:x", false},
		{"::1", false},
		{"[]", false},
		{"[fe80::1%25en0]", false},
		{"[1.2.3.4]", false},
		{"[v.x]", false},
		{"caf\xc3\xa9", false},
	} {
		if got := validHost([]byte(tc.host)); got != tc.ok {
			t.Errorf("validHost(%q) = %v, want %v", tc.host, got, tc.ok)
		}
	}
}

// TestRFC9112_3_2_2_AbsoluteFormHost: the Host field of an absolute-form
// request says the target's authority; the target goes out in origin-form.
func TestRFC9112_3_2_2_AbsoluteFormHost(t *testing.T) {
	var r Request
	in := crlf("GET http://a.example/x?q=1 HTTP/1.1\nHost: b.example\nHost-X: b\n\n")
	if _, err := ParseRequest([]byte(in), &r, nil); err != nil {
		t.Fatal(err)
	}
	if got := string(r.Get("Host")); got != "a.example" {
		t.Errorf("Host field = %q, want a.example", got)
	}
	if got := string(r.Get("Host-X")); got != "b" {
		t.Errorf("Host-X = %q, want b (only Host is rewritten)", got)
	}
	if got := string(r.AppendURI(nil)); got != "/x?q=1" {
		t.Errorf("AppendURI = %q, want /x?q=1", got)
	}
}

// TestSplitQuery: Query is what follows the first '?', nil without one.
func TestSplitQuery(t *testing.T) {
	for _, tc := range []struct {
		target, path, query string
		hasQuery            bool
	}{
		{"/a", "/a", "", false},
		{"/a?", "/a", "", true},
		{"/a?b?c", "/a", "b?c", true},
		{"http://h", "/", "", false},
		{"http://h?x", "/", "x", true},
		{"http://h/p?x", "/p", "x", true},
	} {
		var r Request
		in := crlf("GET " + tc.target + " HTTP/1.1\nHost: h\n\n")
		if _, err := ParseRequest([]byte(in), &r, nil); err != nil {
			t.Fatalf("%s: %v", tc.target, err)
		}
		if string(r.Path) != tc.path || string(r.Query) != tc.query || (r.Query != nil) != tc.hasQuery {
			t.Errorf("%s: Path %q Query %q (nil %v), want %q %q (present %v)",
				tc.target, r.Path, r.Query, r.Query == nil, tc.path, tc.query, tc.hasQuery)
		}
	}
}

// TestValidIPv6Differential holds validIPv6 against net/netip on IPv6
// literals without zones.
func TestValidIPv6Differential(t *testing.T) {
	for _, s := range []string{
		"::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
		"1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:",
		"1::2::3", "12345::", "::ffff:1.2.3.4", "::1.2.3.4", "1:2:3:4:5:6:1.2.3.4",
		"1:2:3:4:5:6:7:1.2.3.4", "::1.2.3", "::1.2.3.256", "::01.2.3.4", "::1.2.3.4.5",
		"abcd:EF01::", "g::", "1:::2", ":::", ":", "", "1.2.3.4", "::ffff:1.2.3.4:1",
		"1::1.2.3.4", "::0.0.0.0", "fe80::", "0:0:0:0:0:0:0:0",
	} {
		a, err := netip.ParseAddr(s)
		want := err == nil && a.Is6() && a.Zone() == ""
		if got := validIPv6([]byte(s)); got != want {
			t.Errorf("validIPv6(%q) = %v, netip says %v", s, got, want)
		}
	}
}
