package h1

import (
	"bytes"
	"strings"
	"testing"
)

// scanAll feeds in to a fresh scanner in pieces cut at the given offsets and
// returns the body bytes consumed, the decoded data and the first error.
func scanAll(f Framing, length int64, in []byte, cuts ...int) (n int, done bool, data []byte, err error) {
	var s BodyScanner
	s.Reset(f, length)
	collect := func(d []byte) { data = append(data, d...) }
	prev := 0
	for _, c := range append(cuts, len(in)) {
		if c < prev {
			continue
		}
		var m int
		m, done, err = s.ScanData(in[n:c], collect)
		n += m
		prev = c
		if done || err != nil {
			return n, done, data, err
		}
		if n != c {
			return n, done, data, errShortScan
		}
	}
	return n, done, data, nil
}

var errShortScan = &Error{0, "scanner stopped early without done or error"}

// TestRFC9112_7_1_Chunked: valid chunked bodies, cut at every point.
func TestRFC9112_7_1_Chunked(t *testing.T) {
	for _, tc := range []struct {
		name, body, data string
	}{
		{"one chunk", "5\r\nhello\r\n0\r\n\r\n", "hello"},
		{"several", "1\r\na\r\n2\r\nbc\r\n3\r\ndef\r\n0\r\n\r\n", "abcdef"},
		{"empty", "0\r\n\r\n", ""},
		{"hex upper and lower", "A\r\n0123456789\r\nb\r\n0123456789a\r\n0\r\n\r\n", "01234567890123456789a"},
		{"leading zeros", "0005\r\nhello\r\n000\r\n\r\n", "hello"},
		{"chunk-ext", "5;name=value;x\r\nhello\r\n0;last\r\n\r\n", "hello"},
		{"chunk-ext with BWS and quotes", "5 \t; a = \"b;c\\\"\"\r\nhello\r\n0\r\n\r\n", "hello"},
		{"data holds CRLF", "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n"},
		{"trailers", "3\r\nabc\r\n0\r\nChecksum: x\r\nX-Empty:\r\n\r\n", "abc"},
		{"trailer with OWS and obs-text", "0\r\nT:  a \xff\t\r\n\r\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.body + "NEXT")
			for k := 0; k <= len(in); k++ {
				n, done, data, err := scanAll(FramingChunked, 0, in, k)
				if err != nil || !done || n != len(tc.body) || string(data) != tc.data {
					t.Fatalf("cut at %d: n=%d done=%v data=%q err=%v", k, n, done, data, err)
				}
			}
			// one byte at a time
			cuts := make([]int, len(in))
			for i := range cuts {
				cuts[i] = i
			}
			if n, done, data, err := scanAll(FramingChunked, 0, in, cuts...); err != nil || !done ||
				n != len(tc.body) || string(data) != tc.data {
				t.Fatalf("bytewise: n=%d done=%v data=%q err=%v", n, done, data, err)
			}
		})
	}
}

// TestRFC9112_7_1_ChunkedMalformed: every framing fault is a 400, whatever
// the cut.
func TestRFC9112_7_1_ChunkedMalformed(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"no size", "\r\nhello\r\n0\r\n\r\n"},
		{"not hex", "g\r\n"},
		{"sign", "+5\r\nhello\r\n0\r\n\r\n"},
		{"0x prefix", "0x5\r\nhello\r\n0\r\n\r\n"},
		{"space before size", " 5\r\nhello\r\n0\r\n\r\n"},
		{"BWS without ext", "5 \r\nhello\r\n0\r\n\r\n"},
		{"space inside size", "5 5\r\n"},
		{"bare LF after size", "5\nhello\r\n0\r\n\r\n"},
		{"bare CR after size", "5\rhello\r\n0\r\n\r\n"},
		{"bare LF in ext", "5;a\nhello\r\n0\r\n\r\n"},
		{"CTL in ext", "5;a\x01\r\nhello\r\n0\r\n\r\n"},
		{"data too long", "5\r\nhello!\r\n0\r\n\r\n"},
		{"missing CRLF after data", "5\r\nhello0\r\n\r\n"},
		{"bare LF after data", "5\r\nhello\n0\r\n\r\n"},
		{"overflow", "8000000000000000\r\n"},
		{"overflow long", "100000000000000000\r\n"},
		{"bare LF end", "0\r\n\n"},
		{"bare CR end", "0\r\n\rX"},
		{"trailer obs-fold", "0\r\nA: b\r\n c\r\n\r\n"},
		{"trailer no colon", "0\r\nAb\r\n\r\n"},
		{"trailer empty name", "0\r\n: b\r\n\r\n"},
		{"trailer space before colon", "0\r\nA : b\r\n\r\n"},
		{"trailer NUL", "0\r\nA: \x00\r\n\r\n"},
		{"trailer bare LF", "0\r\nA: b\n\r\n"},
		{"line too long", "5;" + strings.Repeat("x", maxChunkLine) + "\r\nhello\r\n0\r\n\r\n"},
		{"too many zeros", strings.Repeat("0", maxChunkLine+1) + "\r\n\r\n"},
		{"trailer too large", "0\r\n" + strings.Repeat("X: 0123456789\r\n", maxTrailerBytes/15+1) + "\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.body)
			for _, k := range []int{0, 1, len(in) / 2, len(in) - 1} {
				_, done, _, err := scanAll(FramingChunked, 0, in, k)
				if statusOf(err) != 400 || done {
					t.Fatalf("cut at %d: done=%v err=%v; want a 400", k, done, err)
				}
			}
		})
	}
}

func TestChunkedLimitsExact(t *testing.T) {
	line := "5;" + strings.Repeat("x", maxChunkLine-2) + "\r\nhello\r\n0\r\n\r\n"
	if _, done, _, err := scanAll(FramingChunked, 0, []byte(line)); err != nil || !done {
		t.Errorf("chunk line at limit: %v", err)
	}
	pad := maxTrailerBytes - len("X: \r\n\r\n")
	tr := "0\r\nX: " + strings.Repeat("t", pad) + "\r\n\r\n"
	if _, done, _, err := scanAll(FramingChunked, 0, []byte(tr)); err != nil || !done {
		t.Errorf("trailer at limit: %v", err)
	}
	tr = "0\r\nX: " + strings.Repeat("t", pad+1) + "\r\n\r\n"
	if _, _, _, err := scanAll(FramingChunked, 0, []byte(tr)); statusOf(err) != 400 {
		t.Errorf("trailer over limit: %v", err)
	}
	big := "7fffffffffffffff\r\n"
	if n, done, _, err := scanAll(FramingChunked, 0, []byte(big+"abc")); err != nil || done || n != len(big)+3 {
		t.Errorf("max chunk size: %d %v %v", n, done, err)
	}
}

// TestRFC9112_6_3_BodyLength covers the other framings.
func TestRFC9112_6_3_BodyLength(t *testing.T) {
	in := []byte("0123456789")
	for k := 0; k <= len(in); k++ {
		n, done, data, err := scanAll(FramingLength, 7, in, k)
		if err != nil || !done || n != 7 || string(data) != "0123456" {
			t.Fatalf("length, cut at %d: %d %v %q %v", k, n, done, data, err)
		}
	}
	var s BodyScanner
	s.Reset(FramingLength, 0)
	if n, done, err := s.Scan(in); n != 0 || !done || err != nil || !s.Done() {
		t.Errorf("length 0: %d %v %v", n, done, err)
	}
	s.Reset(FramingNone, 0)
	if n, done, err := s.Scan(in); n != 0 || !done || err != nil {
		t.Errorf("none: %d %v %v", n, done, err)
	}
	var zero BodyScanner
	if n, done, err := zero.Scan(in); n != 0 || !done || err != nil {
		t.Errorf("zero scanner: %d %v %v", n, done, err)
	}
	s.Reset(FramingClose, 0)
	for range 3 {
		if n, done, err := s.Scan(in); n != len(in) || done || err != nil {
			t.Errorf("close: %d %v %v", n, done, err)
		}
	}
	s.Reset(FramingChunked, 0)
	if n, done, err := s.Scan([]byte("0\r\n\r\n")); n != 5 || !done || err != nil {
		t.Errorf("chunked: %d %v %v", n, done, err)
	}
	if n, done, err := s.Scan([]byte("0\r\n\r\n")); n != 0 || !done || err != nil {
		t.Errorf("after done: %d %v %v", n, done, err)
	}
	if FramingChunked.String() != "chunked" || Framing(9).String() != "invalid" {
		t.Error("Framing.String")
	}
}

// TestChunkedPipelined scans a chunked request and the request after it.
func TestChunkedPipelined(t *testing.T) {
	in := []byte(crlf("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\nGET / HTTP/1.1\nHost: a\n\n"))
	var r Request
	n, err := ParseRequest(in, &r, nil)
	if err != nil {
		t.Fatal(err)
	}
	var s BodyScanner
	s.Reset(r.Framing, r.ContentLength)
	m, done, err := s.Scan(in[n:])
	if err != nil || !done {
		t.Fatal(done, err)
	}
	if !bytes.HasPrefix(in[n+m:], []byte("GET ")) {
		t.Fatalf("rest %q", in[n+m:])
	}
	if _, err := ParseRequest(in[n+m:], &r, nil); err != nil || string(r.Method) != "GET" {
		t.Fatal(err)
	}
}

func TestKeepTrailers(t *testing.T) {
	body := "5\r\nhello\r\n0\r\nX-Sum: abc\r\ngrpc-status:  0 \r\n\r\n"
	for _, cut := range []int{1, 7, 16, 20, 30, len(body) - 1} {
		var s BodyScanner
		s.Reset(FramingChunked, 0)
		s.KeepTrailers(nil)
		var data []byte
		_, done1, err1 := s.ScanData([]byte(body[:cut]), func(p []byte) { data = append(data, p...) })
		n, done, err := s.ScanData([]byte(body[cut:]), func(p []byte) { data = append(data, p...) })
		if err1 != nil || err != nil || done1 || !done || n != len(body)-cut {
			t.Fatalf("cut %d: %v %v %v %v %d", cut, err1, err, done1, done, n)
		}
		if string(data) != "hello" || string(s.Trailers()) != "X-Sum: abc\r\ngrpc-status:  0 \r\n" {
			t.Fatalf("cut %d: data %q trailers %q", cut, data, s.Trailers())
		}
		var got []string
		EachTrailer(s.Trailers(), func(n, v []byte) { got = append(got, string(n)+"="+string(v)) })
		if len(got) != 2 || got[0] != "X-Sum=abc" || got[1] != "grpc-status=0" {
			t.Fatalf("cut %d: fields %q", cut, got)
		}
	}
	var s BodyScanner // without KeepTrailers nothing is kept
	s.Reset(FramingChunked, 0)
	s.Scan([]byte(body))
	if s.Trailers() != nil {
		t.Fatalf("kept %q without KeepTrailers", s.Trailers())
	}
}
