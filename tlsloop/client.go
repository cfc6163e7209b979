package tlsloop

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/velox-proxy/velox/eventloop"
)

// ClientConfig is the settings of TLS to upstreams, shared by the
// connections of every loop to one cluster. Zero values mean the
// documented defaults.
type ClientConfig struct {
	// ServerName is sent as SNI and verified against the server's
	// certificate when Handler is given none. An IP address is verified
	// against the certificate's IP SANs and not sent as SNI.
	ServerName string
	// RootCAs verify the server's certificate; nil = the system's roots.
	RootCAs *x509.CertPool
	// Certificates are offered when the server asks for a client
	// certificate (the first that suits it).
	Certificates []tls.Certificate
	// NextProtos are the ALPN protocols offered, in order of preference.
	// With RequireALPN the server must choose one of them (a server without
	// ALPN fails the handshake); without it, Info.ALPN may be "".
	NextProtos  []string
	RequireALPN bool
	// InsecureSkipVerify accepts any certificate: no verification at all.
	// Off by default; for tests and trusted networks only.
	InsecureSkipVerify bool
	// MinVersion is tls.VersionTLS12 (the default) or tls.VersionTLS13.
	MinVersion uint16
	// SessionCache is how many sessions (one per server name) are kept for
	// resumption; 0 = 256; DisableResumption keeps none.
	SessionCache      int
	DisableResumption bool
	// HandshakeTimeout, MaxHandshakes and HandshakeQueue are as in Config
	// (0 = 10 s, 256 and 4096); the timeout runs from the connect.
	HandshakeTimeout time.Duration
	MaxHandshakes    int
	HandshakeQueue   int
	// HandshakeError, if set, runs on the loop with why a handshake failed
	// (a *HandshakeError), just before its connection is closed and the
	// Handler's OnClose runs; not for a connect that failed.
	HandshakeError func(c *eventloop.Conn, err error)
}

// Client originates TLS on dialled connections, for any number of loops:
// one tls.Config (per server name) and one session cache shared by all of
// them, so a session made on one loop resumes on another; one handshake
// pool; one set of counters.
type Client struct {
	// Immutable:
	cfg  ClientConfig
	base *tls.Config

	// Shared, synchronised:
	core
	mu     sync.Mutex
	byName map[string]*tls.Config // base with ServerName set
}

// Defaults of ClientConfig.
const defaultSessionCache = 256

// errNoALPN is the cause of the ErrHandshake of a server that chose none of
// the protocols offered under RequireALPN.
var errNoALPN = errors.New("tlsloop: the server chose no ALPN protocol offered")

// NewClient checks cfg and makes a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	switch cfg.MinVersion {
	case 0:
		cfg.MinVersion = defaultMinVer
	case tls.VersionTLS12, tls.VersionTLS13:
	default:
		return nil, fmt.Errorf(errPrefix+"MinVersion %#x: TLS 1.2 or 1.3 only", cfg.MinVersion)
	}
	if cfg.RequireALPN && len(cfg.NextProtos) == 0 {
		return nil, errors.New(errPrefix + "RequireALPN without NextProtos")
	}
	cfg.HandshakeTimeout = orDefault(cfg.HandshakeTimeout, defaultTimeout)
	c := &Client{cfg: cfg, byName: map[string]*tls.Config{}}
	c.core = newCore(ErrServerCert, cfg.HandshakeTimeout, orDefault(cfg.MaxHandshakes, defaultMaxHS),
		orDefault(cfg.HandshakeQueue, defaultQueue))
	c.base = &tls.Config{
		RootCAs:            cfg.RootCAs,
		Certificates:       slices.Clone(cfg.Certificates),
		NextProtos:         slices.Clone(cfg.NextProtos),
		InsecureSkipVerify: cfg.InsecureSkipVerify,
		MinVersion:         cfg.MinVersion,
	}
	if !cfg.DisableResumption {
		c.base.ClientSessionCache = tls.NewLRUClientSessionCache(orDefault(cfg.SessionCache, defaultSessionCache))
	}
	return c, nil
}

// config returns the tls.Config for serverName (made once per name).
func (c *Client) config(serverName string) *tls.Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	tc := c.byName[serverName]
	if tc == nil {
		tc = c.base.Clone() // shares the session cache
		tc.ServerName = serverName
		c.byName[serverName] = tc
	}
	return tc
}

// Handler wraps h, the Handler of a connection being dialled: when the
// connect succeeds, the handshake starts (the client speaks first, after
// whatever was written before the connect, such as a PROXY protocol
// header, which stays plaintext); when it is done, the Session is the
// connection's Transform, h its Handler, and h.OnOpen runs, so h sees
// plaintext only and State(c) gives the handshake's Info. If the
// handshake fails, the connection is closed and h.OnClose runs with a
// *HandshakeError; if the connect fails, with the eventloop's error, as
// without TLS. serverName "" means ClientConfig.ServerName.
func (c *Client) Handler(h eventloop.Handler, serverName string) eventloop.Handler {
	if serverName == "" {
		serverName = c.cfg.ServerName
	}
	t := newTransport(nil, nil, nil)
	return newHandshaker(&c.core, &clientSide{c: c, next: h}, nil, t, tls.Client(t, c.config(serverName)))
}

// clientSide is the dialling end.
type clientSide struct {
	c    *Client
	next eventloop.Handler
}

func (s *clientSide) opened(h *handshaker) {
	h.t.remote = net.TCPAddrFromAddrPort(h.c.RemoteAddr()) // before the handshake reads it
	h.start()
}

func (s *clientSide) done(c *eventloop.Conn, sess *Session) (eventloop.Handler, *HandshakeError) {
	sess.info.ClientSubject = "" // the peer is the server
	if s.c.cfg.RequireALPN && sess.info.ALPN == "" {
		return nil, &HandshakeError{Kind: ErrHandshake, Err: errNoALPN}
	}
	return s.next, nil
}

func (s *clientSide) failed(c *eventloop.Conn, err error) {
	if f := s.c.cfg.HandshakeError; f != nil {
		if _, ok := err.(*HandshakeError); ok {
			f(c, err)
		}
	}
	c.Close()
	s.next.OnClose(c, err)
}
