package proxy

import (
	"net/http"
	"testing"

	"github.com/velox-proxy/velox/internal/h2spec"
)

// TestH2Spec runs every h2spec case (RFC 7540/9113 and RFC 7541
// conformance, 146 with --strict) against velox's h2c listener in front of
// an HTTP/1.1 origin.
func TestH2Spec(t *testing.T) {
	if testing.Short() {
		t.Skip("h2spec takes a while")
	}
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("hello from the origin\n"))
	})
	tp := startProxy(t, clusterConfig(o.addr()), 1)
	for _, strict := range []bool{false, true} {
		passed, failed := h2spec.Run(t, tp.addr, strict)
		for _, f := range failed {
			t.Errorf("strict=%v: failed: %s", strict, f)
		}
		want := 145
		if strict {
			want = 146
		}
		if len(passed) != want {
			t.Errorf("strict=%v: %d cases passed, want %d", strict, len(passed), want)
		}
	}
}
