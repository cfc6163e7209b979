package main

import (
	"errors"
	"flag"
	"strings"

	"github.com/velox-proxy/velox/config"
)

// runQuick is `velox proxy --listen ADDR --to ADDR[,ADDR...]`: every request
// on ADDR goes to the backends, round robin, like `caddy reverse-proxy`.
func runQuick(args []string) error {
	fs := flag.NewFlagSet("velox proxy", flag.ContinueOnError)
	var c common
	c.register(fs)
	listen := fs.String("listen", "127.0.0.1:8080", "address to accept on (:PORT = every IPv4 address)")
	to := fs.String("to", "", "backends, comma-separated host:port (IP or name, e.g. localhost:3000)")
	balancer := fs.String("balancer", "round_robin", "round_robin or least_request")
	if help, err := parseFlags(fs, usageProxy, args); help || err != nil {
		return err
	}
	if *to == "" {
		return errors.New("velox proxy: --to is required")
	}
	cfg, err := quickConfig(*listen, strings.Split(*to, ","), *balancer)
	if err != nil {
		return err
	}
	return serve(cfg, &c, nil, nil)
}

// quickConfig builds and validates the config of quick mode.
func quickConfig(listen string, to []string, balancer string) (*config.Config, error) {
	cl := config.Cluster{Name: "backends", Balancer: balancer}
	for _, a := range to {
		cl.Backends = append(cl.Backends, config.Backend{Address: strings.TrimSpace(a)})
	}
	cfg := &config.Config{
		Listeners:      []config.Listener{{Address: listen}},
		Products:       []config.Product{{Name: "default", Hosts: []string{"localhost"}, DefaultCluster: "backends"}},
		Clusters:       []config.Cluster{cl},
		DefaultProduct: "default",
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}
