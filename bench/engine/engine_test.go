package engine

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestCountRequests(t *testing.T) {
	tests := []struct {
		in          string
		n, consumed int
	}{
		{"", 0, 0},
		{"GET / HTTP/1.1\r\nHost: a\r\n", 0, 0},
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1, 27},
		{"GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\nGET /", 2, 36},
	}
	for _, tt := range tests {
		n, c := CountRequests([]byte(tt.in))
		if n != tt.n || c != tt.consumed {
			t.Errorf("CountRequests(%q) = %d, %d; want %d, %d", tt.in, n, c, tt.n, tt.consumed)
		}
	}
}

func TestAppendResponses(t *testing.T) {
	got := AppendResponses(nil, 3)
	if want := bytes.Repeat(Response, 3); !bytes.Equal(got, want) {
		t.Fatalf("AppendResponses(nil, 3) = %q", got)
	}
}

func TestServeUnknown(t *testing.T) {
	if err := Serve(context.Background(), "nope", ModeEcho, "127.0.0.1:0", nil); err == nil {
		t.Fatal("unknown engine accepted")
	}
	if err := Serve(context.Background(), "gnet", "nope", "127.0.0.1:0", nil); err == nil {
		t.Fatal("unknown mode accepted")
	}
}

// TestEngines runs each engine's server in process for a few round trips in
// both modes: a functional check, not a load test.
func TestEngines(t *testing.T) {
	for _, name := range Names() {
		for _, mode := range []Mode{ModeEcho, ModeHTTP} {
			t.Run(name+"/"+string(mode), func(t *testing.T) {
				addr := startServer(t, name, mode)
				conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(5 * time.Second))
				if mode == ModeEcho {
					checkEcho(t, conn)
				} else {
					checkHTTP(t, conn)
				}
			})
		}
	}
}

func startServer(t *testing.T, name string, mode Mode) string {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	bound := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, name, mode, addr, func(b string) { bound <- b }) }()
	select {
	case b := <-bound:
		t.Cleanup(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Errorf("%s did not stop", name)
			}
		})
		return b
	case err := <-done:
		cancel()
		if name == "velox" && err != nil && strings.Contains(err.Error(), "velox eventloop") {
			t.Skipf("velox eventloop not implemented yet: %v", err)
		}
		t.Fatalf("%s: %v", name, err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatalf("%s did not start", name)
	}
	return ""
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func checkEcho(t *testing.T, conn net.Conn) {
	msg := bytes.Repeat([]byte("0123456789abcdef"), 4)
	got := make([]byte, len(msg))
	for i := range 10 {
		msg[0] = byte('a' + i)
		if _, err := conn.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(conn, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("echo %q, want %q", got, msg)
		}
	}
}

func checkHTTP(t *testing.T, conn net.Conn) {
	// Two pipelined requests and one split across two writes.
	req := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	if _, err := io.WriteString(conn, req+req+req[:10]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if _, err := io.WriteString(conn, req[10:]); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	got := make([]byte, 3*len(Response))
	if _, err := io.ReadFull(br, got); err != nil {
		t.Fatal(err)
	}
	if want := bytes.Repeat(Response, 3); !bytes.Equal(got, want) {
		t.Fatalf("got %q", got)
	}
}
