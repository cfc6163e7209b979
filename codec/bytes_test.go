package codec

import (
	"strings"
	"testing"
)

func TestEqualFold(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"Content-Length", "content-length", true},
		{"HOST", "host", true},
		{"host", "hosts", false},
		{"", "", true},
		{"\xc4", "\xe4", false}, // no folding outside ASCII
		{"[", "{", false},
		{"@", "`", false},
	} {
		if got := EqualFold([]byte(tc.a), tc.b); got != tc.want {
			t.Errorf("EqualFold(%q, %q) = %v", tc.a, tc.b, got)
		}
		if got := EqualFoldBytes([]byte(tc.a), []byte(tc.b)); got != tc.want {
			t.Errorf("EqualFoldBytes(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

func TestTrimOWS(t *testing.T) {
	for in, want := range map[string]string{
		"":           "",
		" \t a b \t": "a b",
		"x":          "x",
		" \t ":       "",
		"\va\v":      "\va\v", // only SP and HTAB
	} {
		if got := string(TrimOWS([]byte(in))); got != want {
			t.Errorf("TrimOWS(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCutElement(t *testing.T) {
	for in, want := range map[string]string{
		"a":             "a",
		"a, b ,c":       "a|b|c",
		"a,,b":          "a||b",
		"chunked, ":     "chunked|",
		"":              "",
		" gzip\t,chunk": "gzip|chunk",
	} {
		var got []string
		for rest, more := []byte(in), true; more; {
			var e []byte
			e, rest, more = CutElement(rest)
			got = append(got, string(e))
		}
		if s := strings.Join(got, "|"); s != want {
			t.Errorf("CutElement(%q) gives %q, want %q", in, s, want)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"007", 7, true},
		{"9223372036854775807", 1<<63 - 1, true},
		{"9223372036854775808", 0, false},
		{"99999999999999999999", 0, false},
		{"", 0, false},
		{"+1", 0, false},
		{"-1", 0, false},
		{"1 ", 0, false},
		{"1e3", 0, false},
		{"0x10", 0, false},
	} {
		got, ok := ParseDecimal([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseDecimal(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseHex(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"fF", 255, true},
		{"7fffffffffffffff", 1<<63 - 1, true},
		{"8000000000000000", 0, false},
		{"00000000000000000001", 1, true},
		{"", 0, false},
		{"g", 0, false},
		{"-1", 0, false},
	} {
		got, ok := ParseHex([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseHex(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestRFC9110_5_6_2_Token checks the tchar table against the ABNF.
func TestRFC9110_5_6_2_Token(t *testing.T) {
	const tchar = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for c := 0; c < 256; c++ {
		want := strings.IndexByte(tchar, byte(c)) >= 0
		if IsTokenChar(byte(c)) != want {
			t.Errorf("IsTokenChar(%q) = %v", byte(c), !want)
		}
	}
	if IsToken(nil) || !IsToken([]byte("chunked")) || IsToken([]byte("a b")) {
		t.Error("IsToken")
	}
}

func TestToLowerHexValue(t *testing.T) {
	for c := 0; c < 256; c++ {
		want := byte(c)
		if c >= 'A' && c <= 'Z' {
			want = byte(c) + 32
		}
		if ToLower(byte(c)) != want {
			t.Errorf("ToLower(%q)", byte(c))
		}
		hv := strings.IndexByte("0123456789abcdef", ToLower(byte(c)))
		if HexValue(byte(c)) != hv {
			t.Errorf("HexValue(%q) = %d, want %d", byte(c), HexValue(byte(c)), hv)
		}
	}
}
