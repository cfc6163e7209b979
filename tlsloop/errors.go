package tlsloop

import (
	"crypto/tls"
	"errors"
	"strings"
)

// Why a handshake failed: the Kind of every HandshakeError, passed to
// Config.HandshakeError and counted in Stats. Test with errors.Is.
var (
	// ErrNotTLS: the first bytes are not a TLS ClientHello (garbage,
	// plain HTTP on a TLS port, SSLv2).
	ErrNotTLS = errors.New("tlsloop: not a TLS handshake")
	// ErrHandshakeTimeout: the handshake did not finish within
	// Config.HandshakeTimeout (a stalled or slow client).
	ErrHandshakeTimeout = errors.New("tlsloop: handshake timeout")
	// ErrUnknownSNI: Config.StrictSNI is set and no certificate matches
	// the ClientHello's server name; the client got an unrecognized_name
	// alert.
	ErrUnknownSNI = errors.New("tlsloop: unknown server name")
	// ErrClientCert: a client certificate was required and missing, or did
	// not verify against Config.ClientCAs.
	ErrClientCert = errors.New("tlsloop: client certificate refused")
	// ErrServerCert: (a Client) the server's certificate did not verify
	// against ClientConfig.RootCAs, or not for the server name.
	ErrServerCert = errors.New("tlsloop: server certificate refused")
	// ErrQueueFull: Config.MaxHandshakes are in progress and
	// Config.HandshakeQueue more wait; the connection is closed at once.
	ErrQueueFull = errors.New("tlsloop: handshake queue full")
	// ErrRefused: the Config.Handshake callback returned an error, or the
	// next Acceptor returned no Handler.
	ErrRefused = errors.New("tlsloop: refused after the handshake")
	// ErrAborted: the peer closed, or the loop stopped, mid-handshake.
	ErrAborted = errors.New("tlsloop: closed during the handshake")
	// ErrHandshake: any other handshake failure (no shared version, cipher
	// or ALPN protocol, a bad Finished...); the cause is in Err.
	ErrHandshake = errors.New("tlsloop: handshake failed")
)

// HandshakeError is why one connection's handshake failed: Kind is one of
// the Err values above, Err the underlying error (from crypto/tls, the
// callback, or the socket), nil when Kind says it all.
type HandshakeError struct {
	Kind error
	Err  error
}

func (e *HandshakeError) Error() string {
	if e.Err == nil {
		return e.Kind.Error()
	}
	return e.Kind.Error() + ": " + e.Err.Error()
}

// Unwrap makes errors.Is match both Kind and the cause.
func (e *HandshakeError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// classify names the cause of a failed tls.Conn.Handshake; certKind is
// what a certificate that did not verify means on this side (ErrClientCert
// on a Server, ErrServerCert on a Client).
func classify(err error, t *transport, certKind error) *HandshakeError {
	var rh tls.RecordHeaderError
	var cv *tls.CertificateVerificationError
	kind := ErrHandshake
	switch {
	case t.unknownSNI:
		kind = ErrUnknownSNI
	case errors.As(err, &rh):
		kind = ErrNotTLS
	case errors.As(err, &cv):
		kind = certKind
	// crypto/tls has no typed error for a missing certificate; the
	// message is checked by TestMTLSMissing.
	case strings.Contains(err.Error(), "client didn't provide a certificate"):
		kind = ErrClientCert
	}
	return &HandshakeError{Kind: kind, Err: err}
}
