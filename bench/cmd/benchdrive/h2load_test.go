package main

import (
	"errors"
	"testing"
	"time"
)

// h2load-c16-m32.txt is a captured run against velox (h2c, 16 connections
// of 32 streams, -D 3).
func TestParseH2loadStreams(t *testing.T) {
	h, err := ParseH2load(readTestdata(t, "h2load-c16-m32.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := H2loadResult{
		Seconds: 3, RPS: 55114.67,
		Total: 165344, Started: 165856, Done: 165344, Succeeded: 165344,
		Status2xx: 165344,
		ReqMin:    703 * time.Microsecond, ReqMax: 52660 * time.Microsecond,
		ReqMean: 9140 * time.Microsecond, ReqSD: 4680 * time.Microsecond,
	}
	if h != want {
		t.Errorf("ParseH2load =\n%+v\nwant\n%+v", h, want)
	}
	if h.Errors() != 0 {
		t.Errorf("Errors() = %d", h.Errors())
	}
}

// h2load-c1-m100.txt: one connection of 100 streams against velox.
func TestParseH2loadOneConn(t *testing.T) {
	h, err := ParseH2load(readTestdata(t, "h2load-c1-m100.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if h.RPS != 54855.67 || h.Succeeded != 164567 || h.Started != 164667 || h.ReqMean != 1790*time.Microsecond || h.ReqMax != 96250*time.Microsecond {
		t.Errorf("ParseH2load = %+v", h)
	}
}

// h2load-404.txt: every request answered 404, which h2load counts as failed.
func TestParseH2loadFailed(t *testing.T) {
	h, err := ParseH2load(readTestdata(t, "h2load-404.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if h.Failed != 40 || h.Succeeded != 0 || h.Status4xx != 40 || h.Errors() != 40 {
		t.Errorf("ParseH2load = %+v, Errors() = %d; want 40 failed 4xx", h, h.Errors())
	}
	if h.Seconds != 0.00152 {
		t.Errorf("Seconds = %v, want 0.00152 (\"finished in 1.52ms\")", h.Seconds)
	}
}

// h2load-h1-origin.txt: h2load against an HTTP/1.1-only nginx, which closes
// the connection on the preface: no request done, and that is an error.
func TestParseH2loadNothingDone(t *testing.T) {
	h, err := ParseH2load(readTestdata(t, "h2load-h1-origin.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if h.Done != 0 || h.Started != 8 || h.Errors() != 1 {
		t.Errorf("ParseH2load = %+v, Errors() = %d; want nothing done, 1 error", h, h.Errors())
	}
}

func TestParseH2loadTruncated(t *testing.T) {
	out := "finished in 3.00s, 1.00 req/s, 2B/s\nrequests: 3 total, 3 started, 3 done, 3 succeeded, 0 failed, 0 errored, 0 timeout\n"
	if _, err := ParseH2load(out); !errors.Is(err, ErrH2loadOutput) {
		t.Errorf("ParseH2load(no status line) err = %v, want ErrH2loadOutput", err)
	}
	if _, err := ParseH2load("finished in 3.00s, fast req/s, 2B/s\n"); err == nil || errors.Is(err, ErrH2loadOutput) {
		t.Errorf("ParseH2load(bad rate) err = %v, want a parse error", err)
	}
}
