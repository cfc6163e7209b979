package h2spec

import (
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestRunAgainstGoH2C runs h2spec against Go's own h2c server: all 145
// cases report (none skipped, as the body is long enough), and the few that Go fails (5 or 6 in Go 1.26: 3.5, 4.2, 6.5.3, 8.1.2.2 twice, at times 8.1.2.6) come back with
// names, which proves the report's failures are read.
func TestRunAgainstGoH2C(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs h2spec")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(strings.Repeat("velox h2spec body\n", 8))
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Protocols: &protocols,
		ErrorLog:  log.New(io.Discard, "", 0), // h2spec's connection errors are expected
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(body) // h2spec skips the flow-control cases on bodies under 5 bytes
		}),
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	passed, failed := Run(t, ln.Addr().String(), false)
	if n := len(passed) + len(failed); n != 145 {
		t.Fatalf("%d cases (%d passed, %d failed), want 145", n, len(passed), len(failed))
	}
	if len(failed) == 0 {
		t.Fatal("no failures reported: Go's h2c server is known to fail some cases")
	}
	for _, name := range append(passed, failed...) {
		if !strings.HasPrefix(name, "http2/") && !strings.HasPrefix(name, "generic/") && !strings.HasPrefix(name, "hpack/") ||
			!strings.Contains(name, ": ") || strings.HasSuffix(name, ": ") {
			t.Errorf("case name %q", name)
		}
	}
	t.Logf("%d passed, %d failed: %q", len(passed), len(failed), failed)
}
