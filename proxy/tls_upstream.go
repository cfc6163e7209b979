package proxy

import (
	"crypto/tls"
	"net"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/tlsloop"
	"github.com/velox-proxy/velox/upstream"
)

// TLS to backends (config clusters[].tls): every connection a cluster
// dials goes through its tlsloop.Client (clusterState.dial), whose
// handshake runs off the loops like a listener's. The connection's Handler
// (upstreamHandler, h2Up, tcpUp) hears OnOpen once the handshake is done,
// and sees plaintext only; a failed handshake reaches its OnClose like a
// failed connect, so the request is retried on another backend or answered
// 502 (504 for a handshake timeout) with why (connectFailure), and logged
// with the cause. ALPN follows the cluster's protocol: h2 offers and
// requires "h2", http1 offers "http/1.1"; a tcp or RPC listener's
// connections offer none (an RPC connection holds the requests written
// before its handshake is done: rpcUp.write). The server name is tls.server_name, else each backend's host
// name as configured, else its IP address (checked against the
// certificate's IP SANs, no SNI sent). One Client per cluster serves every
// loop, so sessions resume across connections and loops; a reload keeps it
// while the cluster's tls settings and files are the same.

// upstreamTLS is one cluster's TLS to its backends, shared by all loops.
type upstreamTLS struct {
	// Immutable:
	identity   string          // config.UpstreamTLS.Identity and the protocol
	serverName string          // tls.server_name; "" = the backend's host
	http       *tlsloop.Client // ALPN by the cluster's protocol
	raw        *tlsloop.Client // no ALPN: for tcp listeners
}

// buildUpstreamTLS makes c's TLS, or keeps prev's when nothing of it
// changed (or its files cannot be read now: what was loaded still works);
// nil when c has no tls.
func buildUpstreamTLS(c *config.Cluster, prev *upstreamTLS, logf func(*eventloop.Conn, error)) (*upstreamTLS, error) {
	if c.TLS == nil {
		return nil, nil
	}
	id := c.Protocol + " " + c.TLS.Identity()
	if prev != nil && prev.identity == id {
		return prev, nil
	}
	u, err := newUpstreamTLS(c, logf)
	if err != nil && prev != nil {
		return prev, nil
	}
	if u != nil {
		u.identity = id
	}
	return u, err
}

func newUpstreamTLS(c *config.Cluster, logf func(*eventloop.Conn, error)) (*upstreamTLS, error) {
	t := c.TLS
	roots, certs, err := t.Load()
	if err != nil {
		return nil, err
	}
	cfg := tlsloop.ClientConfig{
		RootCAs:            roots,
		Certificates:       certs,
		InsecureSkipVerify: t.InsecureSkipVerify,
		HandshakeTimeout:   c.ConnectTimeout.Or(config.DefaultConnectTimeout),
		HandshakeError:     logf,
	}
	if t.MinVersion == config.TLSVersion13 {
		cfg.MinVersion = tls.VersionTLS13
	}
	raw, err := tlsloop.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	cfg.NextProtos = []string{"http/1.1"}
	if c.Protocol == config.ProtocolH2 {
		cfg.NextProtos, cfg.RequireALPN = []string{"h2"}, true
	}
	http, err := tlsloop.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	return &upstreamTLS{serverName: t.ServerName, http: http, raw: raw}, nil
}

// backendName is the server name for b: its host name, or its IP address.
func (u *upstreamTLS) backendName(b *upstream.Backend) string {
	if u.serverName != "" {
		return u.serverName
	}
	if host, _, err := net.SplitHostPort(b.Name); err == nil {
		return host
	}
	return b.Name
}

// dial opens a connection to b for h (counted against max_conns), through
// the cluster's TLS when it has one; raw is a tcp listener's (no ALPN).
// Bytes written before h's OnOpen (a PROXY protocol header) go first, in
// plaintext.
func (cs *clusterState) dial(b *upstream.Backend, h eventloop.Handler, raw bool) (*upstream.Conn, error) {
	if u := cs.tls; u != nil {
		cl := u.http
		if raw {
			cl = u.raw
		}
		h = cl.Handler(h, u.backendName(b))
	}
	return cs.pool.Dial(b, h)
}

// logUpstreamTLSError runs on the loop of a backend connection whose
// handshake failed (tlsloop counts it).
func (s *Server) logUpstreamTLSError(c *eventloop.Conn, err error) {
	s.log.conn("upstream", c.RemoteIP(nil), 0, "TLS handshake with backend failed: "+err.Error())
}

func (t *table) upstreamTLSStats() []TLSStats {
	var out []TLSStats
	for i, u := range t.upTLS {
		if u == nil {
			continue
		}
		st := tlsStatsOf(u.http.Stats(), u.raw.Stats())
		st.Cluster = t.clusters[i].Name
		out = append(out, st)
	}
	return out
}
