package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// ghz-unary-c16.txt is a captured ghz v0.121.0 run against grpcserve:
// UnaryCall, -c 16, one connection, -z 2s.
func TestParseGhzUnary(t *testing.T) {
	g, err := ParseGhz(readTestdata(t, "ghz-unary-c16.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := GhzResult{
		Count: 28542, Seconds: 2, RPS: 14267.07,
		Average: 1100 * time.Microsecond, Fastest: 180 * time.Microsecond, Slowest: 13500 * time.Microsecond,
		P50: 910 * time.Microsecond, P90: 1750 * time.Microsecond, P99: 4220 * time.Microsecond,
	}
	status := g.Status
	g.Status = nil
	if g.Count != want.Count || g.Seconds != want.Seconds || g.RPS != want.RPS || g.Average != want.Average ||
		g.Fastest != want.Fastest || g.Slowest != want.Slowest || g.P50 != want.P50 || g.P90 != want.P90 || g.P99 != want.P99 ||
		len(g.ErrorLines) != 0 {
		t.Errorf("ParseGhz =\n%+v\nwant\n%+v", g, want)
	}
	if len(status) != 1 || status["OK"] != 28542 {
		t.Errorf("Status = %v, want OK: 28542", status)
	}
	g.Status = status
	if g.Errors() != 0 {
		t.Errorf("Errors() = %d", g.Errors())
	}
}

// ghz-stream-c16.txt: FullDuplexCall, -c 16, --stream-call-count 10; a
// call is a whole stream.
func TestParseGhzStream(t *testing.T) {
	g, err := ParseGhz(readTestdata(t, "ghz-stream-c16.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if g.Count != 6025 || g.RPS != 3006.56 || g.P50 != 3710*time.Microsecond || g.P99 != 11920*time.Microsecond || g.Errors() != 0 {
		t.Errorf("ParseGhz = %+v", g)
	}
}

// ghz-unavailable.txt: the server was killed a second into the run; the
// calls after it failed Unavailable, which ghz lists by error message.
func TestParseGhzUnavailable(t *testing.T) {
	g, err := ParseGhz(readTestdata(t, "ghz-unavailable.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if g.Status["OK"] != 6102 || g.Status["Unavailable"] != 107323 || g.Errors() != 107323 {
		t.Errorf("Status = %v, Errors() = %d; want 6102 OK, 107323 Unavailable", g.Status, g.Errors())
	}
	if len(g.ErrorLines) != 2 || !slices.ContainsFunc(g.ErrorLines, func(l string) bool {
		return strings.HasPrefix(l, "4 rpc error: code = Unavailable desc = error reading from server")
	}) {
		t.Errorf("ErrorLines = %q", g.ErrorLines)
	}
}

func TestParseGhzTruncated(t *testing.T) {
	out := "\nSummary:\n  Count:\t3\n  Total:\t1.00 s\n  Average:\t1.00 ms\n  Requests/sec:\t3.00\n"
	if _, err := ParseGhz(out); !errors.Is(err, ErrGhzOutput) {
		t.Errorf("ParseGhz(no latency distribution) err = %v, want ErrGhzOutput", err)
	}
	if _, err := ParseGhz("\nSummary:\n  Count:\t3\n  Total:\t1.00 parsecs\n"); err == nil || errors.Is(err, ErrGhzOutput) {
		t.Errorf("ParseGhz(bad unit) err = %v, want a parse error", err)
	}
	if g, _ := ParseGhz(""); g.Errors() != 1 {
		t.Errorf("Errors() of nothing = %d, want 1", g.Errors())
	}
}

func TestGhzDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"9876 ns": 9876 * time.Nanosecond, "0.18 ms": 180 * time.Microsecond, "13.50 ms": 13500 * time.Microsecond, "2.00 s": 2 * time.Second,
	} {
		if got, err := ghzDuration(in); err != nil || got != want {
			t.Errorf("ghzDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestGhzArgs(t *testing.T) {
	got := strings.Join(grpcScenarios[2].ghzArgs("127.0.0.1:9", 5*time.Second), " ")
	want := "--insecure --cpus 1 --call grpc.testing.TestService/FullDuplexCall -d " + grpcScenarios[2].Data +
		" -c 16 --connections 1 -z 5s --duration-stop wait --disable-template-functions --disable-template-data --stream-call-count 10 127.0.0.1:9"
	if got != want {
		t.Errorf("ghzArgs =\n%s\nwant\n%s", got, want)
	}
}

func TestModuleVersion(t *testing.T) {
	out := "bench/work/bin/ghz: go1.26.8\n\tpath\tgithub.com/bojand/ghz/cmd/ghz\n\tmod\tgithub.com/bojand/ghz\tv0.121.0\th1:CmXN=\n" +
		"\tdep\tgithub.com/alecthomas/kingpin/v2\tv2.4.0\th1:f48=\n"
	if v := moduleVersion(out, "mod", "github.com/bojand/ghz"); v != "v0.121.0" {
		t.Errorf("moduleVersion = %q", v)
	}
	if v := moduleVersion(out, "dep", "github.com/bojand/ghz"); v != "" {
		t.Errorf("moduleVersion(dep) = %q, want none", v)
	}
}
