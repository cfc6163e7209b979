// Package testcert makes the certificates that TLS tests and benchmarks
// use: a CA and leaves for servers and clients, ECDSA P-256, made at run
// time (nothing secret is committed), with PEM files in the test's temp
// directory for tools like openssl and curl. Imported by tlsloop's tests
// and bench/tlsbench.
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// CA is a certificate authority made for one test.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	Pool *x509.CertPool // holds Cert only
	File string         // Cert as PEM
	t    testing.TB
}

var serial atomic.Int64

func template(cn string) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"velox test"}},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
	}
}

// NewCA makes a CA named name.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := template(name)
	tmpl.Subject.Organization = nil
	tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{Cert: cert, Key: key, Pool: pool, File: writePEM(t, name+"-ca.pem", "CERTIFICATE", der), t: t}
}

// Leaf is an issued certificate, as crypto/tls takes it and as PEM files.
type Leaf struct {
	TLS      tls.Certificate
	CertFile string
	KeyFile  string
}

// Server issues a server certificate with subject CN cn for the names: DNS
// names, and IP addresses for those that parse as one.
func (ca *CA) Server(cn string, names ...string) Leaf {
	return ca.issue(cn, names, x509.ExtKeyUsageServerAuth)
}

// Client issues a client certificate with subject "CN=cn,O=velox test".
func (ca *CA) Client(cn string) Leaf { return ca.issue(cn, nil, x509.ExtKeyUsageClientAuth) }

func (ca *CA) issue(cn string, names []string, usage x509.ExtKeyUsage) Leaf {
	t := ca.t
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := template(cn)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			continue
		}
		tmpl.DNSNames = append(tmpl.DNSNames, n)
	}
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{usage}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	base := cn + "-" + tmpl.SerialNumber.String()
	return Leaf{
		TLS:      tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		CertFile: writePEM(t, base+".pem", "CERTIFICATE", der),
		KeyFile:  writePEM(t, base+".key", "EC PRIVATE KEY", kder),
	}
}

func writePEM(t testing.TB, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
