package h1

import (
	"bytes"
	"testing"

	"github.com/velox-proxy/velox/codec/codectest"
)

// The fuzz tests check invariants that hold for any input, and run the
// differential checks of diff_test.go on whatever both parsers accept. Their
// seeds are the message tables of the other tests plus testdata/fuzz.

func FuzzParseRequest(f *testing.F) {
	for _, s := range append(append([]string{}, splitRequests...), diffRequests...) {
		f.Add([]byte(crlf(s)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Request
		n, err := ParseRequest(data, &r, nil)
		checkResult(t, data, n, err)
		var again Request
		n2, err2 := ParseRequest(data, &again, nil)
		if n2 != n || err2 != err || summarizeRequest(&again) != summarizeRequest(&r) {
			t.Fatalf("not deterministic: %d, %v then %d, %v", n, err, n2, err2)
		}
		if err != nil {
			for _, k := range codectest.PrefixCuts(len(data)) {
				if _, err := ParseRequest(data[:k], &again, nil); err == nil {
					t.Fatalf("prefix %d of a failing input parsed", k)
				}
			}
			return
		}
		want := summarizeRequest(&r)
		for _, k := range codectest.PrefixCuts(n) {
			if _, err := ParseRequest(data[:k], &again, nil); err != ErrNeedMore {
				t.Fatalf("prefix %d of a %d-byte head: %v", k, n, err)
			}
		}
		if _, err := ParseRequest(data[:n:n], &again, nil); err != nil || summarizeRequest(&again) != want {
			t.Fatalf("the head alone parses differently: %v", err)
		}
		checkRequestRoundTrip(t, &r)
		diffRequest(t, data)
	})
}

// checkResult: n is within data, and n > 0 exactly on success; an error is
// ErrNeedMore or an *Error with a status.
func checkResult(t *testing.T, data []byte, n int, err error) {
	t.Helper()
	switch {
	case n < 0 || n > len(data):
		t.Fatalf("n = %d of %d", n, len(data))
	case err == nil && n == 0, err != nil && n != 0:
		t.Fatalf("n = %d with %v", n, err)
	case err != nil && err != ErrNeedMore && statusOf(err) < 400:
		t.Fatalf("unexpected error %v", err)
	}
}

// checkRequestRoundTrip: what velox writes upstream is a valid request that
// velox reads back with the same method, target, host and body framing (a proxy
// must not change where a message ends).
func checkRequestRoundTrip(t *testing.T, r *Request) {
	t.Helper()
	big := &Limits{MaxURI: 1 << 20, MaxHeaderBytes: 1 << 20, MaxHeaders: 1 << 10}
	for _, o := range []*WriteOptions{nil, benchOptions, {Close: true}} {
		out := AppendRequestHead(nil, r, o)
		var back Request
		n, err := ParseRequest(out, &back, big)
		if err != nil || n != len(out) {
			t.Fatalf("written head %q: %d, %v", out, n, err)
		}
		// An absolute-form target goes out in origin-form, with its authority as Host.
		if !bytes.Equal(back.Method, r.Method) || !bytes.Equal(back.Target, r.AppendURI(nil)) || !bytes.Equal(back.Host, r.Host) ||
			back.Framing != r.Framing || back.ContentLength != r.ContentLength || back.Upgrade != r.Upgrade {
			t.Fatalf("written head %q reads back as %+v, was %+v", out, summarizeRequest(&back), summarizeRequest(r))
		}
	}
}

func FuzzParseResponse(f *testing.F) {
	for _, s := range append(append([]string{}, splitResponses...), diffResponses...) {
		f.Add([]byte(crlf(s)), false)
	}
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, head bool) {
		var r Response
		n, err := ParseResponse(data, &r, head, nil)
		checkResult(t, data, n, err)
		if err != nil && err != ErrNeedMore && statusOf(err) != 502 {
			t.Fatalf("response error with status %d", statusOf(err))
		}
		var again Response
		if n2, err2 := ParseResponse(data, &again, head, nil); n2 != n || err2 != err ||
			summarizeResponse(&again) != summarizeResponse(&r) {
			t.Fatalf("not deterministic")
		}
		if err != nil {
			for _, k := range codectest.PrefixCuts(len(data)) {
				if _, err := ParseResponse(data[:k], &again, head, nil); err == nil {
					t.Fatalf("prefix %d of a failing input parsed", k)
				}
			}
			return
		}
		for _, k := range codectest.PrefixCuts(n) {
			if _, err := ParseResponse(data[:k], &again, head, nil); err != ErrNeedMore {
				t.Fatalf("prefix %d of a %d-byte head: %v", k, n, err)
			}
		}
		out := AppendResponseHead(nil, &r, benchOptions)
		big := &Limits{MaxHeaderBytes: 1 << 20, MaxHeaders: 1 << 10}
		if _, err := ParseResponse(out, &again, head, big); err != nil || again.Status != r.Status ||
			again.Framing != r.Framing || again.ContentLength != r.ContentLength && r.Framing == FramingLength {
			t.Fatalf("written head %q: %v, %+v", out, err, summarizeResponse(&again))
		}
		diffResponse(t, data, head)
	})
}

func FuzzChunked(f *testing.F) {
	for _, s := range []string{
		"5\r\nhello\r\n0\r\n\r\n",
		"1;a=b\r\nx\r\n0\r\nT: v\r\n\r\nNEXT",
		"A\r\n0123456789\r\n0\r\n\r\n",
		"0\r\n\r\n",
		"5\nhello\n0\n\n",
		"ffffffffffffffff\r\n",
	} {
		f.Add([]byte(s), uint16(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		k := int(cut) % (len(data) + 1)
		n, done, decoded, err := scanAll(FramingChunked, 0, data)
		if n < 0 || n > len(data) || (done && err != nil) || (!done && err == nil && n != len(data)) {
			t.Fatalf("n=%d done=%v err=%v of %d", n, done, err, len(data))
		}
		if err != nil && statusOf(err) != 400 {
			t.Fatalf("error %v", err)
		}
		n2, done2, decoded2, err2 := scanAll(FramingChunked, 0, data, k)
		if n2 != n || done2 != done || err2 != err || !bytes.Equal(decoded, decoded2) {
			t.Fatalf("cut at %d: %d %v %v, whole: %d %v %v", k, n2, done2, err2, n, done, err)
		}
		if done {
			if len(decoded) >= n {
				t.Fatalf("decoded %d bytes of a %d-byte body", len(decoded), n)
			}
			diffChunked(t, data[:n], decoded)
		}
	})
}
