package main

// The certificates of the TLS phases, made at run time (never committed):
// one self-signed leaf per key type, for localhost and 127.0.0.1, the same
// files for every target.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// tlsCert is one certificate's files: the PEM certificate, the PEM key
// (PKCS #8), and both in one file (HAProxy's crt).
type tlsCert struct{ Cert, Key, PEM string }

// makeCerts writes an ECDSA P-256 and an RSA 2048 certificate into dir, by
// key name (tlsKeys).
func makeCerts(dir string) (map[string]tlsCert, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	out := map[string]tlsCert{}
	for _, key := range tlsKeys {
		var k crypto.Signer
		var err error
		if key == "rsa" {
			k, err = rsa.GenerateKey(rand.Reader, 2048)
		} else {
			k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}
		if err != nil {
			return nil, err
		}
		c, err := writeCert(dir, key, k)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		out[key] = c
	}
	return out, nil
}

// writeCert self-signs a leaf for k and writes its files as dir/NAME.crt,
// NAME.key and NAME.pem.
func writeCert(dir, name string, k crypto.Signer) (tlsCert, error) {
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return tlsCert{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "localhost", Organization: []string{"velox bench"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	if _, ok := k.(*rsa.PrivateKey); ok {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		return tlsCert{}, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return tlsCert{}, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
	c := tlsCert{Cert: filepath.Join(dir, name+".crt"), Key: filepath.Join(dir, name+".key"), PEM: filepath.Join(dir, name+".pem")}
	for path, b := range map[string][]byte{c.Cert: certPEM, c.Key: keyPEM, c.PEM: append(append([]byte{}, certPEM...), keyPEM...)} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return tlsCert{}, err
		}
	}
	return c, nil
}
