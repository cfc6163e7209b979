package tlsloop

import (
	"crypto/tls"
	"crypto/x509"

	"github.com/velox-proxy/velox/eventloop"
)

// Session is one established TLS connection on its loop: the record layer
// of a tls.Conn whose handshake is done, driven by the eventloop through
// the eventloop.Transform methods. Nothing here blocks and no goroutine
// waits for it. Loop only.
type Session struct {
	// Immutable after the handshake:
	tc   *tls.Conn
	t    *transport
	info *Info
}

// Info is what the handshake settled, for the Handshake callback, the
// choice of protocol (ALPN) and headers toward backends (the client's
// certificate). It does not change after the handshake.
type Info struct {
	ServerName  string // SNI from the ClientHello; "" if none
	ALPN        string // negotiated application protocol; "" if none
	Version     uint16 // tls.VersionTLS12 or tls.VersionTLS13
	CipherSuite uint16
	Resumed     bool // a session ticket was accepted
	// PeerCertificates are the client's certificates as sent, leaf first;
	// VerifiedChains are set only when they were verified against
	// Config.ClientCAs.
	PeerCertificates []*x509.Certificate
	VerifiedChains   [][]*x509.Certificate
	// ClientSubject is the verified client certificate's subject
	// (RFC 2253 form, as x509.Name.String), "" when none was verified: the
	// value for an x-forwarded-client-cert style header.
	ClientSubject string
}

func newInfo(st tls.ConnectionState) *Info {
	in := &Info{
		ServerName:       st.ServerName,
		ALPN:             st.NegotiatedProtocol,
		Version:          st.Version,
		CipherSuite:      st.CipherSuite,
		Resumed:          st.DidResume,
		PeerCertificates: st.PeerCertificates,
		VerifiedChains:   st.VerifiedChains,
	}
	if len(st.VerifiedChains) > 0 && len(st.PeerCertificates) > 0 {
		in.ClientSubject = st.PeerCertificates[0].Subject.String()
	}
	return in
}

// State returns the handshake's Info of a TLS connection, nil for a plain
// one. Loop only.
func State(c *eventloop.Conn) *Info {
	if s, ok := c.Transform().(*Session); ok {
		return s.info
	}
	return nil
}

// Info returns what the handshake settled.
func (s *Session) Info() *Info { return s.info }

// Feed implements eventloop.Transform: raw is held, not copied, until Read
// runs dry.
func (s *Session) Feed(raw []byte) {
	t := s.t
	if len(t.in) == 0 {
		t.in = raw
		return
	}
	t.in = append(t.in[:len(t.in):len(t.in)], raw...)
}

// Read implements eventloop.Transform: one record's plaintext, or what is
// left of it, per call. Post-handshake messages (TLS 1.3 KeyUpdate) are
// handled inside tls.Conn.Read; their answers land in Output.
func (s *Session) Read(p []byte) (int, error) {
	n, err := s.tc.Read(p)
	if err == nil || n > 0 {
		// tls.Conn returns (n, err) when an alert follows the data; the
		// error comes again on the next call, tls.Conn keeps it.
		return n, nil
	}
	if ne, ok := err.(interface{ Temporary() bool }); ok && ne.Temporary() {
		return 0, nil
	}
	return 0, err
}

// Seal implements eventloop.Transform: up to 16 KiB of b per record (the
// eventloop joins a Writev's slices, so a head and a small body are one).
func (s *Session) Seal(b []byte) error {
	_, err := s.tc.Write(b)
	return err
}

// CloseNotify implements eventloop.Transform: a close_notify alert.
func (s *Session) CloseNotify() { s.tc.CloseWrite() }

// Output implements eventloop.Transform. The bytes live in the loop's
// shared output buffer: valid until the next Seal, Read or CloseNotify of
// any Session on the same loop (the eventloop writes or queues them at once).
func (s *Session) Output() []byte {
	lb := s.t.shared
	out := lb.out
	lb.out = out[:0]
	return out
}

var _ eventloop.Transform = (*Session)(nil)
