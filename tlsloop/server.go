package tlsloop

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/velox-proxy/velox/eventloop"
)

// Config is a TLS listener's settings. Zero values mean the documented
// defaults.
type Config struct {
	// Certificates are indexed by the DNS names of their leaf (SANs, or
	// the subject CN when there are none): exact names and wildcards
	// ("*.example.com", one label). The first is the default for a
	// ClientHello without SNI, or with an unknown name unless StrictSNI.
	// At least one is required.
	Certificates []tls.Certificate
	// StrictSNI refuses an unknown server name with an unrecognized_name
	// alert (ErrUnknownSNI) instead of answering with the default.
	StrictSNI bool
	// NextProtos are the ALPN protocols offered, in order of preference,
	// e.g. {"h2", "http/1.1"}. Info.ALPN is the one chosen.
	NextProtos []string
	// MinVersion is tls.VersionTLS12 (the default) or tls.VersionTLS13.
	MinVersion uint16
	// CipherSuites are the TLS 1.2 suites allowed (TLS 1.3's are not
	// configurable in crypto/tls); nil = crypto/tls's defaults.
	CipherSuites []uint16
	// ClientAuth asks for client certificates (tls.RequestClientCert,
	// tls.RequireAndVerifyClientCert, ...), verified against ClientCAs.
	ClientAuth tls.ClientAuthType
	ClientCAs  *x509.CertPool
	// TicketRotation is how often a new session ticket key is made; the
	// previous one still decrypts, so a ticket lives up to twice this.
	// 0 = 1 hour. DisableTickets turns resumption off.
	TicketRotation time.Duration
	DisableTickets bool
	// HandshakeTimeout bounds a handshake from accept to its end, queue
	// time included; 0 = 10 s.
	HandshakeTimeout time.Duration
	// MaxHandshakes is how many handshakes run at once, one goroutine
	// each; HandshakeQueue how many more wait for one of them (beyond
	// that, ErrQueueFull). 0 = 256 and 4096.
	MaxHandshakes  int
	HandshakeQueue int
	// Handshake, if set, runs on the loop after a successful handshake and
	// before the next Acceptor (State(c) already works, and a Write would
	// be sealed); an error refuses the connection (ErrRefused).
	Handshake func(c *eventloop.Conn, info *Info) error
	// HandshakeError, if set, runs on the loop with why a handshake failed
	// (a *HandshakeError), just before its connection is closed.
	HandshakeError func(c *eventloop.Conn, err error)
}

// Server terminates TLS for the listeners of any number of loops: one
// tls.Config shared by all of them (so session ticket keys are too), one
// handshake pool, one set of counters. A new client CA bundle
// (SetClientCAs) is a new tls.Config for the handshakes that begin after
// it; a connection keeps the one it began with.
type Server struct {
	// Immutable:
	cfg  Config
	stop chan struct{}
	done sync.WaitGroup

	// Shared, synchronised:
	core
	certs    atomic.Pointer[certIndex]
	tls      atomic.Pointer[tls.Config] // replaced whole under keysMu, never changed once published
	keysMu   sync.Mutex
	keys     [][32]byte // newest first
	stopOnce sync.Once
}

// Defaults of Config.
const (
	defaultRotation  = time.Hour
	defaultTimeout   = 10 * time.Second
	defaultMaxHS     = 256
	defaultQueue     = 4096
	ticketKeysKept   = 2
	defaultMinVer    = tls.VersionTLS12
	errPrefix        = "tlsloop: "
	wildcardLabelSep = "."
)

// NewServer checks cfg and makes a Server; Close stops its ticket key
// rotation.
func NewServer(cfg Config) (*Server, error) {
	if err := cfg.withDefaults(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, stop: make(chan struct{})}
	s.core = newCore(ErrClientCert, cfg.HandshakeTimeout, cfg.MaxHandshakes, cfg.HandshakeQueue)
	if err := s.SetCertificates(cfg.Certificates...); err != nil {
		return nil, err
	}
	s.tls.Store(&tls.Config{
		GetCertificate:         s.getCertificate,
		NextProtos:             cfg.NextProtos,
		MinVersion:             cfg.MinVersion,
		CipherSuites:           cfg.CipherSuites,
		ClientAuth:             cfg.ClientAuth,
		ClientCAs:              cfg.ClientCAs,
		SessionTicketsDisabled: cfg.DisableTickets,
	})
	if !cfg.DisableTickets {
		s.RotateTicketKeys()
		s.done.Add(1)
		go s.rotate(cfg.TicketRotation)
	}
	return s, nil
}

func (cfg *Config) withDefaults() error {
	if len(cfg.Certificates) == 0 {
		return errors.New(errPrefix + "no certificate")
	}
	switch cfg.MinVersion {
	case 0:
		cfg.MinVersion = defaultMinVer
	case tls.VersionTLS12, tls.VersionTLS13:
	default:
		return fmt.Errorf(errPrefix+"MinVersion %#x: TLS 1.2 or 1.3 only", cfg.MinVersion)
	}
	if cfg.ClientAuth >= tls.VerifyClientCertIfGiven && cfg.ClientCAs == nil {
		return errors.New(errPrefix + "ClientAuth verifies but ClientCAs is nil")
	}
	cfg.TicketRotation = orDefault(cfg.TicketRotation, defaultRotation)
	cfg.HandshakeTimeout = orDefault(cfg.HandshakeTimeout, defaultTimeout)
	cfg.MaxHandshakes = orDefault(cfg.MaxHandshakes, defaultMaxHS)
	cfg.HandshakeQueue = orDefault(cfg.HandshakeQueue, defaultQueue)
	return nil
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Close stops the ticket key rotation. Connections are not touched.
func (s *Server) Close() {
	s.stopOnce.Do(func() { close(s.stop) })
	s.done.Wait()
}

// rotate makes a new ticket key every d until Close.
func (s *Server) rotate(d time.Duration) {
	defer s.done.Done()
	tick := time.NewTicker(d)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			s.RotateTicketKeys()
		}
	}
}

// RotateTicketKeys makes a new session ticket key: new tickets are
// encrypted with it, tickets of the previous key still resume, older ones
// no longer do. Every loop sees the change at once (one shared tls.Config).
func (s *Server) RotateTicketKeys() {
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	s.keys = append([][32]byte{newTicketKey()}, s.keys...)
	if len(s.keys) > ticketKeysKept {
		s.keys = s.keys[:ticketKeysKept]
	}
	s.tls.Load().SetSessionTicketKeys(s.keys)
}

func newTicketKey() (k [32]byte) {
	rand.Read(k[:])
	return k
}

// SetClientCAs replaces the authorities client certificates are verified
// against (Config.ClientCAs), at once for new handshakes; connections up
// keep going. The ticket keys are replaced too: a session made under the
// old authorities does not resume (its certificate was verified against
// them), so every client shows its certificate once more. Safe from any
// goroutine (a reload on SIGHUP).
func (s *Server) SetClientCAs(pool *x509.CertPool) error {
	if s.cfg.ClientAuth >= tls.VerifyClientCertIfGiven && pool == nil {
		return errors.New(errPrefix + "ClientAuth verifies but the client CA pool is nil")
	}
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	c := s.tls.Load().Clone()
	c.ClientCAs = pool
	if !s.cfg.DisableTickets {
		s.keys = [][32]byte{newTicketKey()}
		c.SetSessionTicketKeys(s.keys)
	}
	s.tls.Store(c)
	return nil
}

// certIndex finds a certificate by server name.
type certIndex struct {
	exact    map[string][]*tls.Certificate
	wildcard map[string][]*tls.Certificate // by the parent name: "example.com" for *.example.com
	def      *tls.Certificate
}

// SetCertificates replaces the certificates (see Config.Certificates) at
// once for new handshakes; connections already up keep theirs. Safe from
// any goroutine (a reload on SIGHUP).
func (s *Server) SetCertificates(certs ...tls.Certificate) error {
	if len(certs) == 0 {
		return errors.New(errPrefix + "no certificate")
	}
	certs = slices.Clone(certs) // Leaf is filled in; the caller's slice is not touched
	idx := &certIndex{exact: map[string][]*tls.Certificate{}, wildcard: map[string][]*tls.Certificate{}}
	for i := range certs {
		c := &certs[i]
		if c.Leaf == nil {
			if len(c.Certificate) == 0 {
				return fmt.Errorf(errPrefix+"certificate %d is empty", i)
			}
			leaf, err := x509.ParseCertificate(c.Certificate[0])
			if err != nil {
				return fmt.Errorf(errPrefix+"certificate %d: %w", i, err)
			}
			c.Leaf = leaf
		}
		idx.add(c)
	}
	idx.def = &certs[0]
	s.certs.Store(idx)
	return nil
}

func (idx *certIndex) add(c *tls.Certificate) {
	names := c.Leaf.DNSNames
	if len(names) == 0 && c.Leaf.Subject.CommonName != "" {
		names = []string{c.Leaf.Subject.CommonName}
	}
	for _, n := range names {
		n = strings.ToLower(n)
		if parent, ok := strings.CutPrefix(n, "*"+wildcardLabelSep); ok {
			idx.wildcard[parent] = append(idx.wildcard[parent], c)
			continue
		}
		idx.exact[n] = append(idx.exact[n], c)
	}
}

// lookup returns the certificates for name: the exact ones, else the
// wildcard of its parent (a wildcard covers one label, RFC 6125 6.4.3).
func (idx *certIndex) lookup(name string) []*tls.Certificate {
	if cs := idx.exact[name]; cs != nil {
		return cs
	}
	if _, parent, ok := strings.Cut(name, wildcardLabelSep); ok {
		return idx.wildcard[parent]
	}
	return nil
}

// getCertificate is tls.Config.GetCertificate: the most specific
// certificate for the SNI that the client supports (an ECDSA and an RSA
// certificate may share a name), else the default, else (StrictSNI) none,
// which crypto/tls answers with unrecognized_name.
func (s *Server) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	idx := s.certs.Load()
	name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
	cs := idx.lookup(name)
	for _, c := range cs {
		if hello.SupportsCertificate(c) == nil {
			return c, nil
		}
	}
	if len(cs) > 0 {
		return cs[0], nil
	}
	if name == "" || !s.cfg.StrictSNI {
		return idx.def, nil
	}
	if t, ok := hello.Conn.(*transport); ok {
		t.mu.Lock()
		t.unknownSNI = true
		t.mu.Unlock()
	}
	return nil, nil
}
