package pathnorm

import (
	"bytes"
	"path"
	"strings"
	"testing"
)

var defaultPolicy = Options{MergeSlashes: true, Slashes: Reject}

// normCase is one path and its normal form ("" = refused with err).
type normCase struct {
	in, want string
	err      error
}

func runNormCases(t *testing.T, pp Options, cases []normCase) {
	t.Helper()
	for _, tc := range cases {
		got, err := pp.Normalize(nil, []byte(tc.in))
		if err != tc.err || string(got) != tc.want {
			t.Errorf("normalizePath(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// TestRFC3986_5_2_4_RemoveDotSegments: the section's own examples, written
// as absolute paths.
func TestRFC3986_5_2_4_RemoveDotSegments(t *testing.T) {
	runNormCases(t, defaultPolicy, []normCase{
		{"/a/b/c/./../../g", "/a/g", nil},
		{"/mid/content=5/../6", "/mid/6", nil},
	})
}

// rfc3986Base is the base path of RFC 3986 section 5.4 (http://a/b/c/d;p?q):
// a relative reference resolves to remove_dot_segments of it merged with the
// base's directory, "/b/c/" (section 5.2.3).
const rfc3986Base = "/b/c/"

// TestRFC3986_5_4_1_NormalExamples: the normal examples whose reference has
// a path, merged with the base path.
func TestRFC3986_5_4_1_NormalExamples(t *testing.T) {
	for _, tc := range []struct{ ref, want string }{
		{"g", "/b/c/g"}, {"./g", "/b/c/g"}, {"g/", "/b/c/g/"}, {";x", "/b/c/;x"},
		{"g;x", "/b/c/g;x"}, {"d;p", "/b/c/d;p"}, {".", "/b/c/"}, {"./", "/b/c/"},
		{"..", "/b/"}, {"../", "/b/"}, {"../g", "/b/g"}, {"../..", "/"}, {"../../", "/"},
		{"../../g", "/g"},
	} {
		runNormCases(t, defaultPolicy, []normCase{{rfc3986Base + tc.ref, tc.want, nil}})
	}
	runNormCases(t, defaultPolicy, []normCase{{"/g", "/g", nil}}) // "/g" replaces the path
}

// TestRFC3986_5_4_2_AbnormalExamples: the abnormal examples. Where the RFC
// stops ".." at the root ("../../../g" is "/g"), velox refuses the request:
// no client climbs above the root by accident.
func TestRFC3986_5_4_2_AbnormalExamples(t *testing.T) {
	for _, tc := range []struct{ ref, want string }{
		{"g.", "/b/c/g."}, {".g", "/b/c/.g"}, {"g..", "/b/c/g.."}, {"..g", "/b/c/..g"},
		{"./../g", "/b/g"}, {"./g/.", "/b/c/g/"}, {"g/./h", "/b/c/g/h"}, {"g/../h", "/b/c/h"},
		{"g;x=1/./y", "/b/c/g;x=1/y"}, {"g;x=1/../y", "/b/c/y"},
	} {
		runNormCases(t, defaultPolicy, []normCase{{rfc3986Base + tc.ref, tc.want, nil}})
	}
	runNormCases(t, defaultPolicy, []normCase{
		{rfc3986Base + "../../../g", "", ErrAboveRoot},
		{rfc3986Base + "../../../../g", "", ErrAboveRoot},
		{"/./g", "/g", nil},
		{"/../g", "", ErrAboveRoot},
	})
}

// TestRFC3986_2_3_Unreserved: percent-encoded unreserved characters are
// decoded (section 6.2.2.2), the hex of the others upper-cased (6.2.2.1).
func TestRFC3986_2_3_Unreserved(t *testing.T) {
	runNormCases(t, defaultPolicy, []normCase{
		{"/%61dmin", "/admin", nil},
		{"/%41%5a%30%39%2D%2e%5F%7e", "/AZ09-._~", nil},
		{"/a%20b", "/a%20b", nil},
		{"/a%c3%a9", "/a%C3%A9", nil},
		{"/a%3f%23b", "/a%3F%23b", nil},
		{"/%25", "/%25", nil},
		{"/%2561", "/%2561", nil}, // decoded once: "%2561" is "%61", not "a"
		{"/a;b=c,d@e:f!$&'()*+", "/a;b=c,d@e:f!$&'()*+", nil},
	})
}

// TestNormalizeDotSegmentsEncoded: dot segments are found after decoding.
func TestNormalizeDotSegmentsEncoded(t *testing.T) {
	runNormCases(t, defaultPolicy, []normCase{
		{"/x/%2e%2e/admin", "/admin", nil},
		{"/x/%2E./admin", "/admin", nil},
		{"/%2e/admin", "/admin", nil},
		{"/%2e%2e/admin", "", ErrAboveRoot},
		{"/admin/%2e", "/admin/", nil},
		{"/admin/.%2e", "/", nil},
	})
}

// TestNormalizeMergeSlashes: "//" is "/" when merging, kept otherwise (and
// then ".." removes an empty segment like any other).
func TestNormalizeMergeSlashes(t *testing.T) {
	runNormCases(t, defaultPolicy, []normCase{
		{"//admin", "/admin", nil},
		{"/a//b///c", "/a/b/c", nil},
		{"/a//", "/a/", nil},
		{"//", "/", nil},
		{"/a//../b", "/b", nil},
	})
	keep := defaultPolicy
	keep.MergeSlashes = false
	runNormCases(t, keep, []normCase{
		{"//admin", "//admin", nil},
		{"/a//b", "/a//b", nil},
		{"/a//../b", "/a/b", nil},
		{"//..", "/", nil},
		{"/a/.//b", "/a//b", nil},
	})
}

// TestNormalizeEscapedSlashes: the three policies for %2F, %5C and "\".
func TestNormalizeEscapedSlashes(t *testing.T) {
	runNormCases(t, defaultPolicy, []normCase{
		{"/a%2Fb", "", ErrSlash},
		{"/a%2fb", "", ErrSlash},
		{"/a%5Cb", "", ErrSlash},
		{"/a\\b", "", ErrSlash},
	})
	keep := defaultPolicy
	keep.Slashes = Keep
	runNormCases(t, keep, []normCase{
		{"/a%2fb", "/a%2Fb", nil},
		{"/a%5cb", "/a%5Cb", nil},
		{"/a\\b", "/a\\b", nil},
		{"/x/..%2Fadmin", "/x/..%2Fadmin", nil}, // one segment: not a dot segment
	})
	decode := defaultPolicy
	decode.Slashes = Decode
	runNormCases(t, decode, []normCase{
		{"/a%2fb", "/a/b", nil},
		{"/a%5Cb", "/a/b", nil},
		{"/a\\b", "/a/b", nil},
		{"/x/..%2Fadmin", "/admin", nil},
		{"/x%2F%2E%2E%2Fadmin", "/admin", nil},
		{"/a%2F%2Fb", "/a/b", nil},
		{"/..%5cadmin", "", ErrAboveRoot},
	})
}

// TestNormalizeRefused: what is a 400.
func TestNormalizeRefused(t *testing.T) {
	runNormCases(t, defaultPolicy, []normCase{
		{"/a%zz", "", ErrPercent},
		{"/a%4", "", ErrPercent},
		{"/a%", "", ErrPercent},
		{"/a%g0", "", ErrPercent},
		{"/a%00b", "", ErrNUL},
		{"/a#f", "", ErrFragment},
		{"/..", "", ErrAboveRoot},
		{"/a/../..", "", ErrAboveRoot},
		{"a", "", ErrNotAbsolute},
		{"", "", ErrNotAbsolute},
	})
}

// TestNormalizeBypasses: every spelling of /admin is /admin (or refused).
func TestNormalizeBypasses(t *testing.T) {
	for _, in := range []string{"/admin", "/%61dmin", "/x/../admin", "/./admin", "//admin",
		"/admin/.", "/x/%2e%2e/admin", "/%2Fadmin", "/%61%64%6d%69%6e", "/x//..//admin", "/admin/x/.."} {
		got, err := defaultPolicy.Normalize(nil, []byte(in))
		if err == nil && !bytes.HasPrefix(got, []byte("/admin")) {
			t.Errorf("normalizePath(%q) = %q: escapes a rule on /admin", in, got)
		}
	}
}

// TestNormalizeNoCopy: an already-normal path (or one that only loses a
// trailing dot segment) is returned as a prefix of the input, not copied.
func TestNormalizeNoCopy(t *testing.T) {
	for _, in := range []string{"/", "/api/v1/users/42", "/a%20b", "/a/b/.", "/a/b/..", "/a/"} {
		p := []byte(in)
		got, err := defaultPolicy.Normalize(nil, p)
		if err != nil || len(got) > 0 && &got[0] != &p[0] {
			t.Errorf("normalizePath(%q) = %q, %v: copied", in, got, err)
		}
	}
}

func TestNormalizeZeroAllocs(t *testing.T) {
	dst := make([]byte, 0, 64)
	for _, in := range []string{"/api/v1/users/42", "/x/../%61dmin//y/./z%2f", "/a%zz"} {
		p := []byte(in)
		keep := Options{MergeSlashes: true, Slashes: Keep}
		if n := testing.AllocsPerRun(100, func() { _, _ = keep.Normalize(dst, p) }); n != 0 {
			t.Errorf("normalizePath(%q): %v allocs, want 0", in, n)
		}
	}
}

// rfcRemoveDotSegments is section 5.2.4's algorithm as the RFC writes it, on
// strings, step by step (A to E); it stops ".." at the root. It is the
// oracle of the differential check.
func rfcRemoveDotSegments(in string) string {
	out := ""
	for in != "" {
		switch {
		case strings.HasPrefix(in, "../"):
			in = in[3:]
		case strings.HasPrefix(in, "./"):
			in = in[2:]
		case strings.HasPrefix(in, "/./"):
			in = in[2:]
		case in == "/.":
			in = "/"
		case strings.HasPrefix(in, "/../"):
			in = in[3:]
			out = out[:max(strings.LastIndexByte(out, '/'), 0)]
		case in == "/..":
			in = "/"
			out = out[:max(strings.LastIndexByte(out, '/'), 0)]
		case in == "." || in == "..":
			in = ""
		default:
			j := strings.IndexByte(in[1:], '/') + 1
			if j == 0 {
				j = len(in)
			}
			out, in = out+in[:j], in[j:]
		}
	}
	return out
}

// climbs reports whether p has a ".." segment with nothing left to remove.
func climbs(p string) bool {
	depth := 0
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		switch {
		case s == "..":
			if depth == 0 {
				return true
			}
			depth--
		case s == "." || s == "" && i == len(segs)-1:
		default:
			depth++
		}
	}
	return false
}

// FuzzNormalizePath checks the invariants of the normal form under every
// policy, and compares with the RFC's own algorithm (merge off) and with
// path.Clean (merge on) on paths without percent-encodings.
func FuzzNormalizePath(f *testing.F) {
	for _, s := range []string{"/", "/a/b/c/./../../g", "//admin", "/%2e%2e/admin", "/x/..%2Fadmin",
		"/a%zz", "/a\\..\\b", "/./.././", "/a//b/../../c/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if in == "" || in[0] != '/' {
			return
		}
		for _, merge := range []bool{false, true} {
			for _, sl := range []Slashes{Reject, Keep, Decode} {
				pp := Options{MergeSlashes: merge, Slashes: sl}
				got, err := pp.Normalize(nil, []byte(in))
				if err != nil {
					continue
				}
				checkNormalForm(t, &pp, in, string(got))
			}
		}
		if strings.ContainsAny(in, "%\\#") {
			return
		}
		var pp Options
		got, err := pp.Normalize(nil, []byte(in))
		if want := rfcRemoveDotSegments(in); err == nil && string(got) != want {
			t.Errorf("%q: %q, RFC 3986 5.2.4 says %q", in, got, want)
		}
		if (err == ErrAboveRoot) != climbs(in) {
			t.Errorf("%q: error %v, but climbs %v", in, err, climbs(in))
		}
		pp.MergeSlashes = true
		if got, err := pp.Normalize(nil, []byte(in)); err == nil {
			if g := strings.TrimSuffix(string(got), "/"); g != strings.TrimSuffix(path.Clean(in), "/") {
				t.Errorf("%q: %q, path.Clean says %q", in, got, path.Clean(in))
			}
		}
	})
}

// checkNormalForm: got starts at the root, has no dot segments, no "//"
// when merging, no encoded unreserved and no lower-case hex, is no longer
// than in, and is its own normal form.
func checkNormalForm(t *testing.T, pp *Options, in, got string) {
	t.Helper()
	segs := strings.Split(got, "/")
	for i, s := range segs {
		if i > 0 && (s == "." || s == "..") || s == "" && pp.MergeSlashes && i > 0 && i < len(segs)-1 {
			t.Fatalf("%q: %q has segment %q", in, got, s)
		}
	}
	for i := 0; i < len(got); i++ {
		if got[i] != '%' {
			continue
		}
		hi, _ := unhex(got[i+1])
		lo, _ := unhex(got[i+2])
		if c := hi<<4 | lo; unreserved(c) || got[i+1:i+3] != strings.ToUpper(got[i+1:i+3]) {
			t.Fatalf("%q: %q has %s", in, got, got[i:i+3])
		}
	}
	again, err := pp.Normalize(nil, []byte(got))
	switch {
	case got == "" || got[0] != '/' || len(got) > len(in):
		t.Fatalf("%q: %q", in, got)
	case err != nil || string(again) != got:
		t.Fatalf("%q: %q normalises again to %q, %v", in, got, again, err)
	}
}

// BenchmarkNormalize: an already-normal path (no copy) and one that is
// rewritten.
func BenchmarkNormalize(b *testing.B) {
	for _, in := range []string{"/api/v1/users/42/profile", "/api//v1/./users/%34%32/x/../profile"} {
		b.Run(in, func(b *testing.B) {
			p, dst := []byte(in), make([]byte, 0, 64)
			b.ReportAllocs()
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				_, _ = defaultPolicy.Normalize(dst, p)
			}
		})
	}
}
