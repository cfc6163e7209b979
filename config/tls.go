package config

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/netip"
	"os"
)

// ListenerTLS is a listener's TLS termination (package tlsloop does it).
type ListenerTLS struct {
	// Certificates are PEM files, at least one. Each serves the names of
	// its leaf (exact, and wildcards of one label; the most specific
	// wins); the first also serves a ClientHello without a server name,
	// or with a name none has, unless UnknownSNI is "reject".
	Certificates []CertFiles `yaml:"certificates"`
	// UnknownSNI: "default" (the first certificate, the default) or
	// "reject" (an unrecognized_name alert, and the connection closes).
	UnknownSNI string `yaml:"unknown_sni"`
	// ALPN are the protocols offered, in order of preference: unset =
	// [h2, http/1.1] on an http listener (HTTP/2 over TLS needs nothing
	// more), none on a tcp listener; [] = none.
	ALPN []string `yaml:"alpn"`
	// MinVersion: "1.2" (default) or "1.3".
	MinVersion string `yaml:"min_version"`
	// CipherSuites are the TLS 1.2 suites allowed, by name
	// (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, ...); unset = Go's
	// defaults. TLS 1.3's suites are not configurable.
	CipherSuites []string `yaml:"cipher_suites"`
	// ClientAuth asks clients for certificates (mutual TLS).
	ClientAuth *ClientAuth `yaml:"client_auth"`
	// TicketRotation: how often the session ticket key changes (the
	// previous one still resumes): 0 = 1h. DisableTickets: no resumption.
	TicketRotation Duration `yaml:"ticket_rotation"`
	DisableTickets bool     `yaml:"disable_tickets"`
	// HandshakeTimeout bounds a handshake, its queue time included:
	// 0 = 10s. MaxHandshakes run at once (a goroutine each, off the
	// loops), HandshakeQueue more wait: 0 = 256 and 4096; beyond, a new
	// connection is closed at once.
	HandshakeTimeout Duration `yaml:"handshake_timeout"`
	MaxHandshakes    int      `yaml:"max_handshakes"`
	HandshakeQueue   int      `yaml:"handshake_queue"`
}

// CertFiles are a certificate chain and its key, PEM.
type CertFiles struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// ClientAuth is mutual TLS on a listener.
type ClientAuth struct {
	// Mode: "require" (a certificate that verifies against CA, or the
	// handshake fails) or "request" (verified if sent; a client without
	// one goes on).
	Mode string `yaml:"mode"`
	// CA is a PEM bundle of the authorities client certificates must
	// chain to, required. Read again on every reload, for the handshakes
	// that follow it.
	CA string `yaml:"ca"`
	// Header carries the verified client certificate to the backends, as
	// Envoy's x-forwarded-client-cert ("Hash=<sha256 hex>;Subject=\"...\"");
	// unset = x-forwarded-client-cert. A header of that name from the
	// client is always removed. "-" = none is sent.
	Header string `yaml:"header"`
}

// UpstreamTLS is TLS to a cluster's backends (package tlsloop's Client):
// every connection is verified, sessions are resumed across connections
// and loops.
type UpstreamTLS struct {
	// ServerName is sent as SNI and verified against the backends'
	// certificates; unset = each backend's host name as configured, or for
	// a backend given by IP address that address, verified against the
	// certificate's IP SANs (and no SNI sent).
	ServerName string `yaml:"server_name"`
	// CA is a PEM bundle the backends' certificates must chain to; unset =
	// the system's roots.
	CA string `yaml:"ca"`
	// Cert and Key are a client certificate (PEM), both or neither, for
	// backends that ask for one.
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	// InsecureSkipVerify accepts any certificate (no verification at all):
	// for tests only; not with ca.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
	// MinVersion: "1.2" (default) or "1.3"; a backend that offers no
	// version from it on fails the handshake.
	MinVersion string `yaml:"min_version"`
}

// LoadCA reads the CA bundle; nil (the system's roots) when there is none.
func (t *UpstreamTLS) LoadCA() (*x509.CertPool, error) { return loadPool(t.CA) }

// Load reads the CA bundle and the client certificate (see LoadCA and
// LoadCertificates).
func (t *UpstreamTLS) Load() (*x509.CertPool, []tls.Certificate, error) {
	roots, err := t.LoadCA()
	if err != nil {
		return nil, nil, err
	}
	certs, err := t.LoadCertificates()
	return roots, certs, err
}

// LoadCertificates reads the client certificate; none when there is none.
func (t *UpstreamTLS) LoadCertificates() ([]tls.Certificate, error) {
	if t.Cert == "" {
		return nil, nil
	}
	c, err := tls.LoadX509KeyPair(t.Cert, t.Key)
	if err != nil {
		return nil, err
	}
	return []tls.Certificate{c}, nil
}

// Identity is the settings and the files' contents: a reload keeps a
// cluster's TLS sessions only when it is the same.
func (t *UpstreamTLS) Identity() string {
	if t == nil {
		return ""
	}
	return fmt.Sprintf("%+v %x %x %x", *t, fileSum(t.CA), fileSum(t.Cert), fileSum(t.Key))
}

func fileSum(path string) [32]byte {
	if path == "" {
		return [32]byte{}
	}
	b, _ := os.ReadFile(path)
	return sha256.Sum256(b)
}

// loadPool reads a PEM bundle of certificates; nil for no file.
func loadPool(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate in it", file)
	}
	return pool, nil
}

// upstreamTLS checks a cluster's TLS section, reading its files so that a
// bad one is refused with its field and line.
func (v *checker) upstreamTLS(path string, t *UpstreamTLS) {
	if t.ServerName != "" && !validServerName(t.ServerName) {
		v.add(fieldPath(path, "server_name"), "must be a host name or an IP address, got %q", t.ServerName)
	}
	v.minVersion(fieldPath(path, "min_version"), t.MinVersion)
	if t.CA != "" {
		if t.InsecureSkipVerify {
			v.add(fieldPath(path, "ca"), "not with insecure_skip_verify: nothing is verified")
		} else if _, err := t.LoadCA(); err != nil {
			v.add(fieldPath(path, "ca"), "%v", err)
		}
	}
	switch {
	case (t.Cert == "") != (t.Key == ""):
		v.add(path, "cert and key go together: both files or neither")
	case t.Cert != "":
		if _, err := t.LoadCertificates(); err != nil {
			v.add(fieldPath(path, "cert"), "%v", err)
		}
	}
}

// validServerName: an IP address or a host name (no port, no scheme).
func validServerName(n string) bool {
	_, err := netip.ParseAddr(n)
	return err == nil || isHostname(n)
}

// minVersion checks a min_version field (a listener's or a cluster's).
func (v *checker) minVersion(path, ver string) {
	switch ver {
	case "", TLSVersion12, TLSVersion13:
	default:
		v.add(path, "must be 1.2 or 1.3, got %q", ver)
	}
}

// TLS versions (ListenerTLS.MinVersion, UpstreamTLS.MinVersion).
const (
	TLSVersion12 = "1.2"
	TLSVersion13 = "1.3"
)

// LoadCertificates reads the certificate files.
func (t *ListenerTLS) LoadCertificates() ([]tls.Certificate, error) {
	var certs []tls.Certificate
	for i, f := range t.Certificates {
		c, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("certificates[%d]: %v", i, err)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// LoadCA reads the client CA bundle; nil when there is no client_auth.
func (t *ListenerTLS) LoadCA() (*x509.CertPool, error) {
	if t.ClientAuth == nil {
		return nil, nil
	}
	return loadPool(t.ClientAuth.CA)
}

// CipherSuiteIDs maps the configured suite names to their ids.
func (t *ListenerTLS) CipherSuiteIDs() ([]uint16, error) {
	var ids []uint16
	for _, name := range t.CipherSuites {
		id, ok := cipherSuite(name)
		if !ok {
			return nil, fmt.Errorf("unknown TLS 1.2 cipher suite %q", name)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func cipherSuite(name string) (uint16, bool) {
	for _, cs := range tls.CipherSuites() {
		if cs.Name == name && !tlsOnly13(cs) {
			return cs.ID, true
		}
	}
	return 0, false
}

func tlsOnly13(cs *tls.CipherSuite) bool {
	return len(cs.SupportedVersions) == 1 && cs.SupportedVersions[0] == tls.VersionTLS13
}

// tls checks a listener's TLS section, reading its files so that a bad
// one is refused with its field and line.
func (v *checker) tls(path string, t *ListenerTLS) {
	if len(t.Certificates) == 0 {
		v.add(fieldPath(path, "certificates"), "at least one certificate required")
	}
	for i, f := range t.Certificates {
		at := indexPath(fieldPath(path, "certificates"), i)
		if f.Cert == "" || f.Key == "" {
			v.add(at, "cert and key files required")
			continue
		}
		if _, err := tls.LoadX509KeyPair(f.Cert, f.Key); err != nil {
			v.add(at, "%v", err)
		}
	}
	switch t.UnknownSNI {
	case "", "default", "reject":
	default:
		v.add(fieldPath(path, "unknown_sni"), "must be default or reject, got %q", t.UnknownSNI)
	}
	v.minVersion(fieldPath(path, "min_version"), t.MinVersion)
	for i, name := range t.CipherSuites {
		if _, ok := cipherSuite(name); !ok {
			v.add(indexPath(fieldPath(path, "cipher_suites"), i), "unknown TLS 1.2 cipher suite %q (Go's names, as crypto/tls.CipherSuites lists them)", name)
		}
	}
	for i, p := range t.ALPN {
		if p == "" || len(p) > 255 {
			v.add(indexPath(fieldPath(path, "alpn"), i), "must be 1 to 255 bytes, got %q", p)
		}
	}
	v.durations(path, []namedDuration{{"ticket_rotation", t.TicketRotation}, {"handshake_timeout", t.HandshakeTimeout}})
	if t.MaxHandshakes < 0 || t.HandshakeQueue < 0 {
		v.add(path, "max_handshakes and handshake_queue must be >= 0")
	}
	if ca := t.ClientAuth; ca != nil {
		at := fieldPath(path, "client_auth")
		if ca.Mode != "require" && ca.Mode != "request" {
			v.add(fieldPath(at, "mode"), "must be require or request, got %q", ca.Mode)
		}
		if ca.CA == "" {
			v.add(fieldPath(at, "ca"), "required: the PEM bundle client certificates must chain to")
		} else if _, err := t.LoadCA(); err != nil {
			v.add(fieldPath(at, "ca"), "%v", err)
		}
		if ca.Header != "" && ca.Header != "-" && !isToken(ca.Header) {
			v.add(fieldPath(at, "header"), "must be a header name, got %q", ca.Header)
		}
	}
}

// Identity is what of a listener's TLS cannot change on reload: all but
// the certificate files and the client CA bundle (client_auth.ca, its
// name and its contents), which a reload reads again.
func (t *ListenerTLS) Identity() string {
	if t == nil {
		return ""
	}
	ca := ClientAuth{}
	if t.ClientAuth != nil {
		ca = *t.ClientAuth
		ca.CA = ""
	}
	return fmt.Sprintf("tls %s %q %s %q %t %+v %v %t %v %d %d", t.UnknownSNI, t.ALPN, t.MinVersion, t.CipherSuites, t.ClientAuth != nil, ca,
		t.TicketRotation, t.DisableTickets, t.HandshakeTimeout, t.MaxHandshakes, t.HandshakeQueue)
}
