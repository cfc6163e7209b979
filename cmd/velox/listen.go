package main

import "github.com/velox-proxy/velox/config"

// canonical writes bound listener addresses with the IP they stand for
// (":8080" as 0.0.0.0:8080), so the log says which interfaces listen.
func canonical(bound []string) []string {
	out := make([]string, len(bound))
	for i, b := range bound {
		out[i] = b
		if ap, err := config.ListenAddress(b); err == nil {
			out[i] = ap.String()
		}
	}
	return out
}
