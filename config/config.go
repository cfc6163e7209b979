// Package config is velox's configuration: one YAML file holding listeners,
// products (tenants, found by Host) with their routes, clusters of backends,
// and filters. Zero values mean the documented defaults. Load decodes and
// validates the whole file; every error names the field path and the line.
//
// Imported by cmd/velox (loading, reload) and proxy (building routers and
// clusters). Read next: load.go (decoding; lines.go keeps the line of every
// field path), validate.go (the rules), filter.go (filter types and points),
// defaults.go (what zero values stand for).
package config

// Duration is a time.Duration written in YAML as "5s", "250ms".
// (Implemented in duration.go with yaml.Unmarshaler.)

// Config is the whole file.
type Config struct {
	Listeners []Listener `yaml:"listeners"`
	Products  []Product  `yaml:"products"`
	Clusters  []Cluster  `yaml:"clusters"`
	// Filters run for every request at the point they name.
	Filters  []Filter       `yaml:"filters"`
	Limits   Limits         `yaml:"limits"`
	Timeouts ServerTimeouts `yaml:"timeouts"`
	// DefaultProduct serves requests whose Host matches no product; "" = 404.
	DefaultProduct string `yaml:"default_product"`
	// Upgrades are the protocols a client may switch to with Upgrade (RFC
	// 9110 section 7.8), case-insensitive. Unset = [websocket]; [] = none.
	// A request offering any other token is forwarded without its Upgrade.
	Upgrades []string `yaml:"upgrades"`
	// Routing says how the request path is normalised for products and
	// routes, and which path goes upstream (routing.go).
	Routing Routing `yaml:"routing"`
	// HTTP2 are the limits of HTTP/2 connections, both sides (http2.go).
	HTTP2 HTTP2 `yaml:"http2"`

	// src is where each field was written, when the Config came from Parse.
	src *source
}

// Listener is one address to accept on (one SO_REUSEPORT socket per loop).
type Listener struct {
	// Address is "host:port", required: host is an IP address, localhost,
	// or empty, which means every IPv4 address (":8080" is 0.0.0.0:8080, as
	// in nginx and HAProxy; "[::]:8080" is every IPv6 address). See
	// ListenAddress. Listeners cannot change on reload.
	Address string `yaml:"address"`
	// Protocol is what the listener speaks: ListenerHTTP ("http", the
	// default: HTTP/1.x, and HTTP/2 with prior knowledge found by its
	// preface) or ListenerTCP ("tcp": bytes both ways to a backend of
	// Cluster, nothing parsed). It cannot change on reload.
	Protocol string `yaml:"protocol"`
	// Cluster is where a tcp listener sends each connection (an http1
	// cluster); http listeners route by products and take none. With
	// SNIRoutes it is the default (a client with no server name, or one
	// no route names, or bytes that are no TLS ClientHello); without it,
	// such a connection is closed. Required for a tcp listener without
	// SNIRoutes. It may change on reload: new connections use the new one.
	Cluster string `yaml:"cluster"`
	// SNIRoutes route a tcp listener's connections by the server name of
	// the TLS ClientHello they begin with, read without terminating TLS
	// (TLS passthrough, as nginx ssl_preread and HAProxy req.ssl_sni):
	// the bytes go to the backend untouched. The ClientHello must arrive
	// within timeouts.header_read.
	SNIRoutes []SNIRoute `yaml:"sni_routes"`
	// RPC are the options of a dubbo or bolt listener (rpc.go): protocol
	// ListenerDubbo or ListenerBolt decodes frames and routes each request
	// by its service through products, Cluster being the default.
	RPC RPC `yaml:"rpc"`
	// ProxyProtocol: connections from its trusted sources begin with a
	// PROXY protocol header (v1 or v2, as HAProxy's accept-proxy and
	// nginx's "listen ... proxy_protocol" take them) naming the real
	// client, which velox then uses everywhere (logs, X-Forwarded-For,
	// filters, a PROXY header it sends on). It cannot change on reload.
	ProxyProtocol *ProxyProtocol `yaml:"proxy_protocol"`
	// TLS terminates TLS on the listener (tls.go has the fields): on an
	// http listener HTTP/1.1 and HTTP/2 share the port by ALPN; on a tcp
	// listener the bytes inside TLS go to the cluster. Its certificate
	// files are read again on every reload; its other settings cannot
	// change on reload.
	TLS *ListenerTLS `yaml:"tls"`
}

// ProxyProtocol says whom a listener takes PROXY protocol headers from.
type ProxyProtocol struct {
	// Trusted are the sources ("10.0.0.0/8", "127.0.0.1"), required:
	// a connection from one must begin with a header (within
	// timeouts.header_read) or is closed; a connection from any other
	// source is taken as it is, a header it sends being only bytes.
	Trusted []string `yaml:"trusted"`
}

// SNIRoute sends the TLS connections for ServerNames to Cluster.
type SNIRoute struct {
	// ServerNames are exact ("db.example.com") or wildcard
	// ("*.example.com": any name below it; the most specific match wins),
	// matched case-insensitively; unique across a listener's routes.
	ServerNames []string `yaml:"server_names"`
	Cluster     string   `yaml:"cluster"` // an http1 cluster
}

// Listener protocols (Listener.Protocol); "" means ListenerHTTP.
const (
	ListenerHTTP = "http"
	ListenerTCP  = "tcp"
)

// Product is a tenant: the hosts it owns and its ordered routes.
type Product struct {
	Name  string   `yaml:"name"`  // required, unique
	Hosts []string `yaml:"hosts"` // exact "a.example.com" or wildcard "*.example.com"; port ignored
	// Routes are tried in order; the first match picks the cluster.
	Routes []Route `yaml:"routes"`
	// DefaultCluster serves requests no route matches; "" = 404.
	DefaultCluster string `yaml:"default_cluster"`
	// Filters run at found_product for this product's requests.
	Filters []Filter `yaml:"filters"`
}

// Route matches requests and sends them to a cluster. All set conditions must hold.
type Route struct {
	Path    string        `yaml:"path"`    // exact path
	Prefix  string        `yaml:"prefix"`  // path prefix
	Regexp  string        `yaml:"regexp"`  // RE2 on the path
	Methods []string      `yaml:"methods"` // any of; empty = all
	Headers []HeaderMatch `yaml:"headers"` // all of
	Cluster string        `yaml:"cluster"` // required unless Filters end the request
	// Filters run at after_location for requests this route matched.
	Filters []Filter `yaml:"filters"`
}

// HeaderMatch holds when the header is present with exactly Value ("" = present).
type HeaderMatch struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

// Cluster is a set of backends with a balancer, timeouts and pool sizes.
type Cluster struct {
	Name     string    `yaml:"name"` // required, unique
	Backends []Backend `yaml:"backends"`
	// Balancer: "round_robin" (smooth weighted, default) or "least_request" (P2C).
	Balancer string `yaml:"balancer"`
	// Protocol spoken to the backends: "http1" (default) or "h2" (HTTP/2
	// with prior knowledge, h2c: many requests share each connection, up to
	// the backend's SETTINGS_MAX_CONCURRENT_STREAMS; a new connection opens
	// when those are full, up to MaxConns).
	Protocol string `yaml:"protocol"`
	// ConnectTimeout: 0 = 2s. ResponseTimeout (until the response head, then
	// the longest wait between two reads of the body): 0 = 30s.
	// IdleTimeout of pooled connections: 0 = 60s.
	ConnectTimeout  Duration `yaml:"connect_timeout"`
	ResponseTimeout Duration `yaml:"response_timeout"`
	IdleTimeout     Duration `yaml:"idle_timeout"`
	// MaxIdle keep-alive connections per backend per loop: unset = 1024
	// (keep every connection until IdleTimeout, as HAProxy and Envoy do;
	// nginx's "keepalive N" is the same knob); 0 = no pooling, every upstream
	// connection is closed after its response.
	MaxIdle *int `yaml:"max_idle"`
	// MaxConns open connections per backend per loop: 0 = 1024; over it: 503.
	MaxConns int `yaml:"max_conns"`
	// MaxRequestsPerConn: 0 = unlimited.
	MaxRequestsPerConn int `yaml:"max_requests_per_conn"`
	// Retries on another backend for idempotent requests that failed before
	// any byte was sent: 0 = 1; -1 = none.
	Retries int `yaml:"retries"`
	// ConsecutiveFailures ejects a backend (passive health, as Envoy's
	// consecutive_5xx): after this many failures in a row with no success
	// between them, it gets no new requests for EjectBase. 0 = 5; -1 = never
	// eject (failures are still counted).
	ConsecutiveFailures int `yaml:"consecutive_failures"`
	// EjectBase is the first ejection; each further consecutive failure
	// after it doubles the ejection, up to EjectMax. 0 = 1s and 30s.
	EjectBase Duration `yaml:"eject_base"`
	EjectMax  Duration `yaml:"eject_max"`
	// ResolveInterval: how often backend host names are looked up again
	// (IP addresses never are): 0 = 30s.
	ResolveInterval Duration `yaml:"resolve_interval"`
	// SendProxyProtocol: "v1" or "v2" sends a PROXY protocol header naming
	// the client first on every connection to a backend (HAProxy's
	// send-proxy, send-proxy-v2); "" = none. As a header names one client,
	// such a connection serves that client alone: for HTTP it is not
	// pooled (one request per connection). Not with protocol h2.
	SendProxyProtocol string `yaml:"send_proxy_protocol"`
	// TLS, if set, speaks TLS to the backends (verified by default). ALPN
	// follows Protocol: h2 offers and requires "h2", http1 offers
	// "http/1.1"; a tcp listener's connections offer none. A PROXY protocol
	// header still goes first, in plaintext.
	TLS *UpstreamTLS `yaml:"tls"`
}

// Backend is one origin server, or every address of a host name.
type Backend struct {
	// Address is "IP:port" or "name:port" ("127.0.0.1:9000",
	// "api.internal:8080"), required. A name is resolved when the config is
	// loaded or reloaded and every ResolveInterval after, off the loops;
	// every address it resolves to is a backend with this Weight.
	Address string `yaml:"address"`
	// Weight: unset = 1; 0 = drained (no new requests; requests in flight
	// finish).
	Weight *int `yaml:"weight"`
}

// Filter is a built-in filter. Type picks which fields matter:
//
//	set_request_header, add_request_header   name, value
//	remove_request_header                    name
//	set_response_header, add_response_header name, value
//	remove_response_header                   name
//	static   status (0 = 200), body, content_type (0 = text/plain), headers
//	deny     status (0 = 403), body
//	redirect status (0 = 302; 301, 302, 303, 307, 308), location
//
// Point is where a global filter runs: "before_location" (default),
// "found_product", "after_location", "read_response". Response header
// filters always run at read_response. Product and route filters take their
// point from where they are written.
type Filter struct {
	Type        string            `yaml:"type"`
	Point       string            `yaml:"point"`
	Name        string            `yaml:"name"`
	Value       string            `yaml:"value"`
	Status      int               `yaml:"status"`
	Body        string            `yaml:"body"`
	ContentType string            `yaml:"content_type"`
	Location    string            `yaml:"location"`
	Headers     map[string]string `yaml:"headers"`
}

// Limits on what clients may send. Zero values mean the defaults.
type Limits struct {
	MaxURI         int   `yaml:"max_uri"`          // 0 = 8192; 414
	MaxHeaderBytes int   `yaml:"max_header_bytes"` // 0 = 32768; 431
	MaxHeaders     int   `yaml:"max_headers"`      // 0 = 100; 431
	MaxBodyBytes   int64 `yaml:"max_body_bytes"`   // 0 = unlimited; 413 (by Content-Length or while streaming)
	MaxConns       int   `yaml:"max_conns"`        // downstream conns per loop, 0 = 65536; over it new conns are closed
	// StreamBuffer is how many bytes may queue toward a slow peer before the
	// other side is paused: 0 = 256 KiB.
	StreamBuffer int `yaml:"stream_buffer"`
	// MaxInput is how many bytes a connection (client or backend) may have
	// read but not yet consumed: a request head in progress, pipelined
	// requests waiting behind the one in flight. Over it the connection is
	// closed. 0 = 1 MiB; if set, at least the max_header_bytes in force, so
	// that every head the parser accepts can arrive. Read once at start: a
	// reload keeps the value the process started with.
	MaxInput int `yaml:"max_input"`
}

// ServerTimeouts for downstream connections. Each says when its clock runs.
type ServerTimeouts struct {
	HeaderRead Duration `yaml:"header_read"` // from the first byte of a head to its end: 0 = 30s; 408
	Idle       Duration `yaml:"idle"`        // keep-alive between requests: 0 = 75s
	Drain      Duration `yaml:"drain"`       // graceful shutdown: 0 = 10s
	// ClientBody is the longest wait between two reads of a request body
	// while velox wants more of it (not while the backend is the one not
	// taking it): 0 = 60s; 408 (or the connection is closed once the
	// response has begun).
	ClientBody Duration `yaml:"client_body"`
	// Send is the longest a client may take no bytes while velox has some
	// queued for it, as nginx's send_timeout: 0 = 60s; the connection is
	// closed. It also bounds the last flush before a close.
	Send Duration `yaml:"send"`
	// TunnelIdle is the longest an upgraded connection (after 101) may carry
	// no byte either way: 0 = 1h; both connections are closed.
	TunnelIdle Duration `yaml:"tunnel_idle"`
}
