package proxy

// Certificates for the TLS tests (internal/testcert makes them at run
// time), and PEM files under names a test chooses (a reload rewrites
// them in place).

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/velox-proxy/velox/internal/testcert"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	*testcert.CA
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	ca := testcert.NewCA(t, "velox test CA")
	return &testCA{CA: ca, pool: ca.Pool}
}

// issue makes a server certificate for names.
func (ca *testCA) issue(t *testing.T, names ...string) tls.Certificate {
	return ca.Server(names[0], names...).TLS
}

// issueClient makes a client certificate for the subject cn.
func (ca *testCA) issueClient(t *testing.T, cn string) tls.Certificate { return ca.Client(cn).TLS }

// writeCA returns the CA's certificate as a PEM file.
func (ca *testCA) writeCA(t *testing.T, dir string) string { return ca.File }

// writePEM writes cert's chain and key as PEM files in dir, named after
// base, and returns their paths.
func writePEM(t *testing.T, dir, base string, cert tls.Certificate) (certFile, keyFile string) {
	t.Helper()
	var chain []byte
	for _, der := range cert.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	der, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, base+".pem"), filepath.Join(dir, base+".key")
	if err := os.WriteFile(certFile, chain, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
