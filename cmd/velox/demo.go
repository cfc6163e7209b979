package main

import (
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/proxy"
)

// demoListen is where the demo accepts.
const demoListen = "127.0.0.1:8080"

// runDemo starts two demo origins on loopback and velox in front of them.
func runDemo(c *common) error {
	var origins []string
	for i := 1; i <= 2; i++ {
		addr, err := startOrigin(fmt.Sprintf("origin-%d", i))
		if err != nil {
			return err
		}
		origins = append(origins, addr)
	}
	cfg := demoConfig(origins)
	if err := cfg.Validate(); err != nil {
		return err
	}
	return serve(cfg, c, nil, func(*proxy.Server) { printDemo(origins) })
}

// startOrigin runs a demo origin server that says who it is. The demo
// origins are ordinary net/http servers: they stand for your backends.
func startOrigin(name string) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Origin", name)
		fmt.Fprintf(w, "hello from %s: %s %s (X-Forwarded-For: %s, X-Demo: %s)\n",
			name, r.Method, r.URL.RequestURI(), r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Demo"))
	})
	go http.Serve(ln, mux)
	return ln.Addr().String(), nil
}

// demoConfig routes /api/ round robin over both origins, /web/ to the first,
// denies /admin, redirects /old to /new, and tags every request.
func demoConfig(origins []string) *config.Config {
	both := config.Cluster{Name: "api", Backends: []config.Backend{{Address: origins[0]}, {Address: origins[1]}}}
	one := config.Cluster{Name: "web", Backends: []config.Backend{{Address: origins[0]}}}
	return &config.Config{
		Listeners: []config.Listener{{Address: demoListen}},
		Products: []config.Product{{
			Name:  "demo",
			Hosts: []string{"localhost", "127.0.0.1"},
			Routes: []config.Route{
				{Prefix: "/api/", Cluster: "api"},
				{Prefix: "/admin", Filters: []config.Filter{{Type: "deny", Body: "admin is closed\n"}}},
				{Path: "/old", Filters: []config.Filter{{Type: "redirect", Status: 301, Location: "/new"}}},
			},
			DefaultCluster: "web",
		}},
		Clusters:       []config.Cluster{both, one},
		Filters:        []config.Filter{{Type: "set_request_header", Name: "X-Demo", Value: "velox"}},
		DefaultProduct: "demo",
	}
}

func printDemo(origins []string) {
	fmt.Fprintf(os.Stdout, `velox demo: listening on http://%[1]s in front of two origins on %[2]s and %[3]s
try:
  curl -i http://%[1]s/api/hello     # round robin over both origins
  curl -i http://%[1]s/web/page      # the first origin only
  curl -i http://%[1]s/admin         # denied by a filter (403)
  curl -i http://%[1]s/old           # redirected by a filter (301)
  curl -i --http2-prior-knowledge http://%[1]s/api/hello   # the same over HTTP/2 (h2c, same port)
Ctrl-C drains and exits.
`, demoListen, origins[0], origins[1])
}
