package proxy

import (
	"cmp"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/velox-proxy/velox/config"
	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/tlsloop"
)

// TLS termination on a listener (config listeners[].tls): package tlsloop
// runs the handshake off the loops in a bounded pool, then opens and seals
// records on the loop, so every handler here sees plaintext: an http
// listener's downConn finds HTTP/2 by its preface after ALPN h2 exactly as
// over h2c, and a tcp listener forwards the plaintext. What velox adds:
//
//   - the Accept and Handshake filters of a TLS connection run once the
//     handshake is done (Session.ServerName, ALPN, TLSVersion,
//     ClientSubject tell them what it settled);
//   - requests from it go upstream with X-Forwarded-Proto: https, and,
//     with client_auth, the verified client certificate in
//     x-forwarded-client-cert (client_auth.header), a header of that name
//     from the client being dropped first (tlsHeader);
//   - a failed handshake is a log line and a counter (/stats tls);
//   - the certificate files and the client CA bundle are read again on
//     every reload (Server.Reload); connections up keep their
//     certificate, and the verdict on their client's.

// newTLSServer builds the TLS terminator of listener l (validated).
func (s *Server) newTLSServer(l *config.Listener) (*tlsloop.Server, error) {
	t := l.TLS
	certs, err := t.LoadCertificates()
	if err != nil {
		return nil, err
	}
	cas, err := t.LoadCA()
	if err != nil {
		return nil, err
	}
	suites, err := t.CipherSuiteIDs()
	if err != nil {
		return nil, err
	}
	c := tlsloop.Config{
		Certificates:     certs,
		StrictSNI:        t.UnknownSNI == "reject",
		NextProtos:       t.ALPN,
		CipherSuites:     suites,
		ClientCAs:        cas,
		TicketRotation:   time.Duration(t.TicketRotation),
		DisableTickets:   t.DisableTickets,
		HandshakeTimeout: time.Duration(t.HandshakeTimeout),
		MaxHandshakes:    t.MaxHandshakes,
		HandshakeQueue:   t.HandshakeQueue,
		HandshakeError:   s.logHandshakeError,
	}
	if t.ALPN == nil && l.Protocol != config.ListenerTCP {
		c.NextProtos = []string{"h2", "http/1.1"}
	}
	if t.MinVersion == config.TLSVersion13 {
		c.MinVersion = tls.VersionTLS13
	}
	if ca := t.ClientAuth; ca != nil {
		c.ClientAuth = tls.VerifyClientCertIfGiven
		if ca.Mode == "require" {
			c.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	return tlsloop.NewServer(c)
}

// logHandshakeError runs on the loop of a connection whose handshake
// failed (tlsloop counts it).
func (s *Server) logHandshakeError(c *eventloop.Conn, err error) {
	s.log.conn("tls", c.RemoteIP(nil), 0, "TLS handshake failed: "+err.Error())
}

// reloadCertificates reads every TLS listener's certificate files and
// client CA bundle of cfg; swap installs them once the reload is sure to
// go ahead (new handshakes get them; connections up keep theirs).
func (s *Server) reloadCertificates(cfg *config.Config) (swap func(), err error) {
	certs := make([][]tls.Certificate, len(cfg.Listeners))
	cas := make([]*x509.CertPool, len(cfg.Listeners))
	for i, l := range cfg.Listeners {
		if l.TLS == nil {
			continue
		}
		if certs[i], err = l.TLS.LoadCertificates(); err != nil {
			return nil, fmt.Errorf("listeners[%d].tls.%w", i, err)
		}
		if cas[i], err = l.TLS.LoadCA(); err != nil {
			return nil, fmt.Errorf("listeners[%d].tls.client_auth.ca: %w", i, err)
		}
	}
	return func() {
		for i, ts := range s.tls {
			if ts == nil {
				continue
			}
			ts.SetCertificates(certs[i]...)
			if cas[i] != nil {
				ts.SetClientCAs(cas[i])
			}
		}
	}, nil
}

// tlsHeader is the name of the header that carries a verified client
// certificate for listener l's connections; "" for none.
func tlsHeader(l *config.Listener) string {
	if l.TLS == nil || l.TLS.ClientAuth == nil || l.TLS.ClientAuth.Header == "-" {
		return ""
	}
	return cmp.Or(l.TLS.ClientAuth.Header, "x-forwarded-client-cert")
}

// appendClientCert appends the header value for a verified client
// certificate, as Envoy's x-forwarded-client-cert writes it:
// Hash=<sha256 of the leaf, hex>;Subject="<RFC 2253 subject>".
func appendClientCert(b []byte, info *tlsloop.Info) []byte {
	sum := sha256.Sum256(info.VerifiedChains[0][0].Raw)
	b = append(b, "Hash="...)
	b = hex.AppendEncode(b, sum[:])
	b = append(b, `;Subject="`...)
	for i := 0; i < len(info.ClientSubject); i++ {
		if c := info.ClientSubject[i]; c == '"' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, info.ClientSubject[i])
	}
	return append(b, '"')
}

// fromTLS notes a request that came over TLS: X-Forwarded-Proto https,
// and the client certificate header of the listener, if it has one. Any
// header of that name the client sent is gone already, on every listener
// (Stream.start): no client can claim a certificate.
func (s *Stream) fromTLS(dc *downConn) {
	info := tlsloop.State(dc.ec)
	if info == nil {
		return
	}
	s.secure = true
	name := s.tbl.certHdr[dc.listener] // the table's bytes, alive as long as s
	if name == nil {
		return
	}
	if len(info.VerifiedChains) > 0 {
		s.certBuf = appendClientCert(s.certBuf[:0], info)
		s.req.Add(name, s.certBuf)
	}
}

// forwardedProto is the X-Forwarded-Proto the backend gets.
func (s *Stream) forwardedProto() []byte {
	if s.secure {
		return protoHTTPS
	}
	return protoHTTP
}

// TLSStats is /stats tls, one entry per TLS listener, and /stats
// upstream_tls, one per cluster with tls (its handshakes with the
// backends, every loop's; a reload that changes the cluster's tls starts
// from 0). Each side's errors that cannot happen on it stay 0.
type TLSStats struct {
	Listener    string `json:"listener,omitempty"`
	Cluster     string `json:"cluster,omitempty"`
	Handshakes  uint64 `json:"handshakes_total"`
	Resumed     uint64 `json:"handshakes_resumed_total"`
	InProgress  uint64 `json:"handshakes_in_progress"`
	Queued      uint64 `json:"handshakes_queued"`
	NotTLS      uint64 `json:"errors_not_tls_total"`
	Timeouts    uint64 `json:"errors_timeout_total"`
	UnknownSNI  uint64 `json:"errors_unknown_sni_total"`
	ClientCert  uint64 `json:"errors_client_cert_total"`
	ServerCert  uint64 `json:"errors_server_cert_total"`
	QueueFull   uint64 `json:"errors_queue_full_total"`
	Refused     uint64 `json:"errors_refused_total"`
	Aborted     uint64 `json:"errors_aborted_total"`
	OtherErrors uint64 `json:"errors_other_total"`
}

// tlsStatsOf sums the counters of one or more tlsloop Servers or Clients.
func tlsStatsOf(sts ...tlsloop.Stats) TLSStats {
	var o TLSStats
	for _, st := range sts {
		o.Handshakes += st.Handshakes
		o.Resumed += st.Resumed
		o.InProgress += st.InProgress
		o.Queued += st.Queued
		o.NotTLS += st.NotTLS
		o.Timeouts += st.Timeouts
		o.UnknownSNI += st.UnknownSNI
		o.ClientCert += st.ClientCert
		o.ServerCert += st.ServerCert
		o.QueueFull += st.QueueFull
		o.Refused += st.Refused
		o.Aborted += st.Aborted
		o.OtherErrors += st.OtherErrors
	}
	return o
}

func (s *Server) tlsStats() []TLSStats {
	var out []TLSStats
	for i, ts := range s.tls {
		if ts == nil {
			continue
		}
		st := tlsStatsOf(ts.Stats())
		st.Listener = s.addrs[i]
		out = append(out, st)
	}
	return out
}
