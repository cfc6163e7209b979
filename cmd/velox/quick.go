package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/velox-proxy/velox/config"
)

// runQuick is `velox proxy --listen ADDR --to ADDR[,ADDR...]`: every request
// on ADDR goes to the backends, round robin, like `caddy reverse-proxy`.
// Backends written h2c://ADDR make the cluster speak HTTP/2 to them (with
// prior knowledge, cluster protocol h2), https://ADDR over TLS (HTTP/1.1,
// verified against the system's roots or --to-ca); all or none must be. With
// --protocol tcp the listener forwards bytes, nothing parsed; with dubbo or
// bolt it proxies RPC requests, each to a backend (proxy/rpc.go); auto
// takes HTTP, Dubbo and Bolt clients on one port.
func runQuick(args []string) error {
	fs := flag.NewFlagSet("velox proxy", flag.ContinueOnError)
	var c common
	c.register(fs)
	listen := fs.String("listen", "127.0.0.1:8080", "address to accept on (:PORT = every IPv4 address)")
	to := fs.String("to", "", "backends, comma-separated host:port (IP or name, e.g. localhost:3000); h2c://host:port for HTTP/2 backends, https://host:port for TLS backends")
	toCA := fs.String("to-ca", "", "with https:// backends: the CA bundle (PEM) their certificates must chain to (default: the system's roots)")
	balancer := fs.String("balancer", "round_robin", "round_robin or least_request")
	protocol := fs.String("protocol", "http", "what --listen speaks: http (HTTP/1.x and h2c), tcp (bytes to the backends, a backend per connection), dubbo or bolt (RPC frames, a backend per request, multiplexed), auto (any of http, dubbo and bolt, told apart by the first byte)")
	cert := fs.String("cert", "", "terminate TLS on --listen with this certificate chain (PEM; with --key): ALPN h2 and http/1.1 on an http listener")
	key := fs.String("key", "", "the private key of --cert (PEM)")
	if help, err := parseFlags(fs, usageProxy, args); help || err != nil {
		return err
	}
	if *to == "" {
		return errors.New("velox proxy: --to is required")
	}
	if (*cert == "") != (*key == "") {
		return errors.New("velox proxy: --cert and --key go together")
	}
	cfg, err := quickConfig(*listen, strings.Split(*to, ","), *balancer, *protocol)
	if err != nil {
		return err
	}
	if err := quickTLS(cfg, *cert, *key); err != nil {
		return err
	}
	if err := quickUpstreamCA(cfg, *toCA); err != nil {
		return err
	}
	return serve(cfg, &c, nil, nil)
}

// quickTLS makes quick mode's listener terminate TLS with the certificate
// in certFile and keyFile ("" = plain), and validates the result (a file
// that does not load is refused).
func quickTLS(cfg *config.Config, certFile, keyFile string) error {
	if certFile == "" {
		return nil
	}
	cfg.Listeners[0].TLS = &config.ListenerTLS{Certificates: []config.CertFiles{{Cert: certFile, Key: keyFile}}}
	return cfg.Validate()
}

// quickUpstreamCA makes https:// backends verified against caFile ("" =
// the system's roots), and validates the result (a file that is no CA
// bundle is refused).
func quickUpstreamCA(cfg *config.Config, caFile string) error {
	if caFile == "" {
		return nil
	}
	t := cfg.Clusters[0].TLS
	if t == nil {
		return errors.New("velox proxy: --to-ca is for https:// backends")
	}
	t.CA = caFile
	return cfg.Validate()
}

// schemeName is how --to's errors name a backend's scheme.
func schemeName(s string) string {
	if s == "" {
		return "plain"
	}
	return s + "://"
}

// quickConfig builds and validates the config of quick mode.
func quickConfig(listen string, to []string, balancer, protocol string) (*config.Config, error) {
	cl := config.Cluster{Name: "backends", Balancer: balancer}
	var first string // the first backend's scheme: all must have it
	for i, a := range to {
		a = strings.TrimSpace(a)
		scheme, addr, ok := strings.Cut(a, "://")
		if !ok {
			scheme, addr = "", a
		}
		if i == 0 {
			first = scheme
		} else if scheme != first {
			x, y := schemeName(first), schemeName(scheme)
			if first == "" {
				x, y = y, x
			}
			return nil, fmt.Errorf("velox proxy: --to mixes %s and %s backends (%s): a cluster speaks one protocol", x, y, a)
		}
		switch scheme {
		case "":
		case "h2c":
			cl.Protocol = config.ProtocolH2
		case "https":
			cl.TLS = &config.UpstreamTLS{}
		default:
			return nil, fmt.Errorf("velox proxy: --to %s: scheme %s:// is not supported (write host:port, h2c://host:port or https://host:port)", a, scheme)
		}
		cl.Backends = append(cl.Backends, config.Backend{Address: addr})
	}
	cfg := &config.Config{
		Listeners:      []config.Listener{{Address: listen}},
		Products:       []config.Product{{Name: "default", Hosts: []string{"localhost"}, DefaultCluster: "backends"}},
		Clusters:       []config.Cluster{cl},
		DefaultProduct: "default",
	}
	if protocol == config.ListenerAuto {
		cfg.Listeners[0] = config.Listener{Address: listen, Protocol: protocol, Cluster: cl.Name}
	} else if protocol == config.ListenerTCP || config.IsRPC(protocol) {
		cfg.Listeners[0] = config.Listener{Address: listen, Protocol: protocol, Cluster: cl.Name}
		cfg.Products, cfg.DefaultProduct = nil, ""
	} else if protocol != config.ListenerHTTP {
		return nil, fmt.Errorf("velox proxy: --protocol %s: want http, tcp, dubbo, bolt or auto", protocol)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}
