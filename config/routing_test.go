package config

import "testing"

// TestRoutingDefaults: unset and false differ; the zero section means the
// documented defaults.
func TestRoutingDefaults(t *testing.T) {
	for _, tc := range []struct {
		yaml            string
		normalize, merg bool
	}{
		{"", true, true},
		{"routing: {}", true, true},
		{"routing: {merge_slashes: false}", true, false},
		{"routing: {normalize_path: true, merge_slashes: true}", true, true},
		{"routing: {normalize_path: false}", false, true},
	} {
		c, err := Parse("t.yaml", []byte("listeners: [{address: 127.0.0.1:8080}]\n"+tc.yaml))
		if err != nil {
			t.Fatalf("%s: %v", tc.yaml, err)
		}
		if got, got2 := c.Routing.Normalize(), c.Routing.Merge(); got != tc.normalize || got2 != tc.merg {
			t.Errorf("%q: Normalize %v Merge %v, want %v %v", tc.yaml, got, got2, tc.normalize, tc.merg)
		}
	}
}
