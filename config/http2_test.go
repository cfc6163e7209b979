package config

import (
	"strings"
	"testing"
)

func TestHTTP2LimitsParsedAndChecked(t *testing.T) {
	base := "listeners: [{address: \"127.0.0.1:0\"}]\nclusters: [{name: c, backends: [{address: \"127.0.0.1:1\"}]}]\nproducts: [{name: p, default_cluster: c}]\ndefault_product: p\n"
	cfg, err := Parse("v.yaml", []byte(base+"http2:\n  max_concurrent_streams: 7\n  max_rapid_resets: 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP2.MaxConcurrentStreams != 7 || cfg.HTTP2.MaxRapidResets != 3 {
		t.Fatalf("http2 not read: %+v", cfg.HTTP2)
	}
	for _, c := range []struct{ yaml, want string }{
		{"http2:\n  max_frame_size: 100\n", "v.yaml:6: http2.max_frame_size: must be 0 (16384) or from 16384 to 16777215, got 100"},
		{"http2:\n  initial_window_size: 4294967295\n", "v.yaml:6: http2.initial_window_size: must be <= 2147483647"},
		{"http2:\n  max_empty_frames: -1\n", "v.yaml:6: http2.max_empty_frames: must be >= 0, got -1"},
		{"http2:\n  max_streams: 5\n", "max_streams"},
	} {
		_, err := Parse("v.yaml", []byte(base+c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.yaml, err, c.want)
		}
	}
}
