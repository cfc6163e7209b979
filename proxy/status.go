package proxy

import (
	"errors"
	"io"
	"strings"
	"syscall"

	"github.com/velox-proxy/velox/eventloop"
	"github.com/velox-proxy/velox/h1"
	"github.com/velox-proxy/velox/tlsloop"
	"github.com/velox-proxy/velox/upstream"
)

// failure is why a request could not be proxied. statusOf is the one place
// that turns it into the status the client sees.
type failure uint8

const (
	failNone            failure = iota
	failNoRoute                 // 404: no product or no cluster
	failNoHealthy               // 503: every backend drained (weight 0); ejected ones are used anyway
	failConnLimit               // 503: per-backend connection limit
	failConnectRefused          // 502: connect refused or reset
	failConnectTimeout          // 504
	failUpstreamReset           // 502: closed or reset before a complete response head
	failBadResponse             // 502: malformed response
	failResponseTimeout         // 504: no response head in time
	failClientGone              // 499: the client closed first (logged only)
	failConnect                 // 405: CONNECT is for forward proxies
	failBadUpgrade              // 502: 101 to a request that did not ask for that protocol
	failBadAccept               // 502: a 101 whose Sec-WebSocket-Accept does not match velox's key
	failExtConnect              // 501: an extended CONNECT velox does not bridge
	failNoFiles                 // 503: socket(2) failed with EMFILE or ENFILE
	failNoSocketMem             // 503: socket(2) failed with ENOBUFS or ENOMEM
	failSocket                  // 503: socket(2) failed otherwise, or the loop is stopping
	failTLSCert                 // 502: the backend's TLS certificate did not verify
	failTLS                     // 502: the TLS handshake with the backend failed otherwise
	failTLSTimeout              // 504: the TLS handshake with the backend took too long
	failTLSVersion              // 502: the backend offers no TLS version from the cluster's min_version on
)

var failures = [...]struct {
	status int
	why    string
}{
	failNone:            {200, ""},
	failNoRoute:         {404, "no route for this host and path"},
	failNoHealthy:       {503, "no backend to send to: every backend of the cluster is drained (weight 0)"},
	failConnLimit:       {503, "backend connection limit reached"},
	failConnectRefused:  {502, "could not connect to backend"},
	failConnectTimeout:  {504, "timed out connecting to backend"},
	failUpstreamReset:   {502, "backend closed the connection before a complete response"},
	failBadResponse:     {502, "backend sent a malformed response"},
	failResponseTimeout: {504, "timed out waiting for the backend's response"},
	failClientGone:      {499, "client closed the connection"},
	failConnect:         {405, "CONNECT is not supported by a reverse proxy"},
	failBadUpgrade:      {502, "backend switched to a protocol the request did not ask for"},
	failBadAccept:       {502, "backend's Sec-WebSocket-Accept does not match the key sent"},
	failExtConnect:      {501, "extended CONNECT: protocol not on the upgrades list, or the cluster is not HTTP/1.1"},
	failNoFiles:         {503, "could not open a socket: too many open files (the proxy is out of file descriptors)"},
	failNoSocketMem:     {503, "could not open a socket: out of kernel memory for sockets"},
	failSocket:          {503, "could not open a socket"},
	failTLSCert:         {502, "TLS handshake with backend failed: its certificate did not verify"},
	failTLS:             {502, "TLS handshake with backend failed"},
	failTLSTimeout:      {504, "timed out in the TLS handshake with backend"},
	failTLSVersion:      {502, "TLS handshake with backend failed: no TLS version in common (the cluster's tls.min_version)"},
}

func statusOf(f failure) int    { return failures[f].status }
func reasonOf(f failure) string { return failures[f].why }

// requestErrorStatus is the status and reason for a request the h1 codec
// refused (an *h1.Error carries them; anything else is a 400).
func requestErrorStatus(err error) (int, string) {
	var he *h1.Error
	if errors.As(err, &he) {
		return he.Status, he.Reason
	}
	return 400, err.Error()
}

// connectFailure classifies the error a failed connect reports, a TLS
// handshake with the backend included.
func connectFailure(err error) failure {
	var he *tlsloop.HandshakeError
	switch {
	case errors.Is(err, eventloop.ErrConnectTimeout):
		return failConnectTimeout
	case !errors.As(err, &he):
		return failConnectRefused
	case he.Kind == tlsloop.ErrServerCert:
		return failTLSCert
	case he.Kind == tlsloop.ErrHandshakeTimeout:
		return failTLSTimeout
	case noCommonVersion(he.Err):
		return failTLSVersion
	}
	return failTLS
}

// noCommonVersion reports whether a TLS handshake with a backend failed
// for want of a version both take: the backend's protocol_version alert
// (RFC 8446 6.2), or, from a backend that picked a version below ours,
// crypto/tls's own refusal. Neither has a type to test for outside QUIC,
// so the messages are matched (TestUpstreamTLSMinVersion checks the
// alert's).
func noCommonVersion(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "tls: protocol version not supported") ||
		strings.Contains(msg, "tls: server selected unsupported protocol version")
}

// pickFailure classifies an error from a Picker or Pool.Dial. Dial fails
// before any connect when socket(2) does (out of file descriptors: the
// proxy's own problem, not the backend's) or the loop is stopping.
func pickFailure(err error) failure {
	switch {
	case errors.Is(err, upstream.ErrConnLimit):
		return failConnLimit
	case errors.Is(err, upstream.ErrNoHealthy):
		return failNoHealthy
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return failNoFiles
	case errors.Is(err, syscall.ENOBUFS), errors.Is(err, syscall.ENOMEM):
		return failNoSocketMem
	}
	return failSocket
}

// isReset reports whether err is a peer close or reset (not a local close).
func isReset(err error) bool {
	return err == io.EOF || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
