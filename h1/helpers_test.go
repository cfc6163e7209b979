package h1

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// crlf turns "\n" into "\r\n", to write test messages readably. Tests that
// need a bare LF spell the message out without it.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// statusOf is the Status of an *Error, 0 for nil and -1 for any other error.
func statusOf(err error) int {
	var e *Error
	switch {
	case err == nil:
		return 0
	case errors.As(err, &e):
		return e.Status
	}
	return -1
}

type errCase struct {
	name   string
	in     string
	status int
}

// runRequestErrors parses each complete message and expects tc.status.
func runRequestErrors(t *testing.T, cases []errCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r Request
			n, err := ParseRequest([]byte(tc.in), &r, nil)
			if got := statusOf(err); got != tc.status {
				t.Fatalf("ParseRequest(%q) = %d, %v (status %d); want status %d", tc.in, n, err, got, tc.status)
			}
		})
	}
}

func runResponseErrors(t *testing.T, cases []errCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r Response
			n, err := ParseResponse([]byte(tc.in), &r, false, nil)
			if got := statusOf(err); got != tc.status {
				t.Fatalf("ParseResponse(%q) = %d, %v (status %d); want status %d", tc.in, n, err, got, tc.status)
			}
		})
	}
}

// reqSummary is a Request in comparable form.
type reqSummary struct {
	Method, Target, Path, Host string
	Minor                      int
	Headers                    string
	Framing                    Framing
	ContentLength              int64
	KeepAlive, Expect, Upgrade bool
	HeadLen                    int
}

func summarizeRequest(r *Request) reqSummary {
	return reqSummary{
		Method: string(r.Method), Target: string(r.Target), Path: string(r.Path), Host: string(r.Host),
		Minor: r.Minor, Headers: fmtHeaders(r.Headers), Framing: r.Framing, ContentLength: r.ContentLength,
		KeepAlive: r.KeepAlive, Expect: r.Expect100, Upgrade: r.Upgrade, HeadLen: r.HeadLen,
	}
}

type respSummary struct {
	Status        int
	Reason        string
	Minor         int
	Headers       string
	Framing       Framing
	ContentLength int64
	KeepAlive     bool
	HeadLen       int
}

func summarizeResponse(r *Response) respSummary {
	return respSummary{
		Status: r.Status, Reason: string(r.Reason), Minor: r.Minor, Headers: fmtHeaders(r.Headers),
		Framing: r.Framing, ContentLength: r.ContentLength, KeepAlive: r.KeepAlive, HeadLen: r.HeadLen,
	}
}

func fmtHeaders(hs []Header) string {
	var b strings.Builder
	for _, h := range hs {
		fmt.Fprintf(&b, "%q:%q;", h.Name, h.Value)
	}
	return b.String()
}
