// Package tlsca serves Cognate over TLS: a local certificate authority kept
// in the data directory (`--tls auto`) that issues short-lived server
// certificates for every name Cognate answers to, a loader for a certificate
// the operator provides (`--tls-cert/--tls-key`), and a listener that serves
// plain HTTP and HTTPS on one port by looking at each connection's first byte.
//
// The CA's private key is written once, 0600, next to its certificate
// (DIR/tls/ca.key, DIR/tls/ca.pem); server keys live in memory only and their
// certificates are re-issued when a third of their life is left, so a
// long-running server never presents an expired certificate.
package tlsca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Lifetimes of what the CA issues.
const (
	// CAValidity is how long the local CA is valid.
	CAValidity = 10 * 365 * 24 * time.Hour
	// ServerValidity is the life of a server certificate (well under the
	// 398 days browsers accept).
	ServerValidity = 30 * 24 * time.Hour
	// RenewBefore re-issues a server certificate when this much life is left.
	RenewBefore = 10 * 24 * time.Hour
)

// CA is a local certificate authority stored in a directory.
type CA struct {
	// CertPath is the PEM file of the CA certificate, to be trusted by clients.
	CertPath string
	cert     *x509.Certificate
	key      crypto.Signer
}

// Dir is where the CA of a data directory lives.
func Dir(dataDir string) string { return filepath.Join(dataDir, "tls") }

// LoadOrCreate opens the CA in dir, creating it (key 0600) the first time.
func LoadOrCreate(dir string, now time.Time) (*CA, error) {
	certPath, keyPath := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca.key")
	certPEM, cerr := os.ReadFile(certPath)
	keyPEM, kerr := os.ReadFile(keyPath)
	if cerr == nil && kerr == nil {
		ca, err := parseCA(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("local CA in %s: %w", dir, err)
		}
		if fi, err := os.Stat(keyPath); err == nil && fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("local CA key %s is readable by others (mode %v): chmod 600 it", keyPath, fi.Mode().Perm())
		}
		ca.CertPath = certPath
		return ca, nil
	}
	if !errors.Is(cerr, os.ErrNotExist) && cerr != nil {
		return nil, fmt.Errorf("read %s: %w", certPath, cerr)
	}
	if !errors.Is(kerr, os.ErrNotExist) && kerr != nil {
		return nil, fmt.Errorf("read %s: %w", keyPath, kerr)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Cognate local CA " + host, Organization: []string{"Cognate (local development)"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode CA key: %w", err)
	}
	// The key first (exclusive create, 0600): a half-written CA is never trusted.
	if err := writeExclusive(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, err
	}
	if err := writeExclusive(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, err
	}
	cert, _ := x509.ParseCertificate(der)
	return &CA{CertPath: certPath, cert: cert, key: key}, nil
}

func writeExclusive(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return f.Close()
}

func parseCA(certPEM, keyPEM []byte) (*CA, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, errors.New("ca.pem or ca.key is not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse CA key: %w", err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok || !cert.IsCA {
		return nil, errors.New("ca.pem is not a CA certificate with a signing key")
	}
	return &CA{cert: cert, key: signer}, nil
}

// Certificate is the CA certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// SPKIHash is the base64 SHA-256 of the CA's public key, the form Chromium's
// --ignore-certificate-errors-spki-list and HPKP-style pins take.
func (ca *CA) SPKIHash() string {
	sum := sha256.Sum256(ca.cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Issue signs a server certificate for names (DNS names and IP addresses).
func (ca *CA) Issue(names []string, now time.Time) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate server key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(ServerValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, fmt.Errorf("issue server certificate: %w", err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return &tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n.Add(n, big.NewInt(1))
}

// Issuer answers TLS handshakes with certificates from a CA: one default
// certificate for the base names, and one per other server name a client
// asks for that Allowed accepts (domains created while running).
type Issuer struct {
	ca      *CA
	base    []string
	allowed func(name string) bool
	now     func() time.Time

	mu    sync.Mutex
	certs map[string]*tls.Certificate // "" is the default certificate
}

// NewIssuer returns an Issuer for the base names (localhost, loopback
// addresses, the public host, configured domains); allowed decides which
// other SNI names get a certificate.
func NewIssuer(ca *CA, base []string, allowed func(string) bool, now func() time.Time) *Issuer {
	if now == nil {
		now = time.Now
	}
	names := []string{"localhost", "127.0.0.1", "::1"}
	for _, n := range base {
		n = strings.ToLower(strings.TrimSuffix(n, "."))
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return &Issuer{ca: ca, base: names, allowed: allowed, now: now, certs: map[string]*tls.Certificate{}}
}

// Names are the names of the default certificate.
func (is *Issuer) Names() []string { return slices.Clone(is.base) }

// GetCertificate implements tls.Config.GetCertificate.
func (is *Issuer) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
	key := ""
	if name != "" && !slices.Contains(is.base, name) && is.allowed != nil && is.allowed(name) && validDNSName(name) {
		key = name
	}
	now := is.now()
	is.mu.Lock()
	defer is.mu.Unlock()
	if c := is.certs[key]; c != nil && now.Before(c.Leaf.NotAfter.Add(-RenewBefore)) {
		return c, nil
	}
	names := is.base
	if key != "" {
		names = []string{key}
	}
	c, err := is.ca.Issue(names, now)
	if err != nil {
		return nil, err
	}
	if len(is.certs) > 1000 { // bound the cache: names come from clients
		clear(is.certs)
	}
	is.certs[key] = c
	return c, nil
}

// validDNSName accepts host names made of letters, digits, '-' and '.'.
func validDNSName(n string) bool {
	if len(n) > 253 || n == "" {
		return false
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// StaticConfig loads an operator's certificate and key (PEM files).
func StaticConfig(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load --tls-cert/--tls-key: %w", err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}, nil
}

// AutoConfig is the TLS configuration of an Issuer.
func AutoConfig(is *Issuer) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: is.GetCertificate, NextProtos: []string{"http/1.1"}}
}
