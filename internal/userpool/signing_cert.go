package userpool

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// GetSigningCertificate: the X.509 certificate of the key a pool signs SAML
// requests with. Each pool gets its own RSA key and self-signed
// certificate on first use (Cognate does not send SAML requests yet: the
// certificate is what identity providers are configured with). The key is
// sealed in the store, so every node answers with the same certificate.

const itemSigningCert = "saml-signing-cert"

// signingCertValidity is the certificate's lifetime (AWS's are for ten years).
const signingCertValidity = 10 * 365 * 24 * time.Hour

type signingMaterial struct {
	Key  []byte `json:"key"`  // sealed PKCS #8
	Cert []byte `json:"cert"` // DER
}

type signingCertOutput struct {
	Certificate string
}

func (s *Service) getSigningCertificate(ctx context.Context, in *poolIDInput) (*signingCertOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	cert, err := s.signingCert(ctx, p)
	if err != nil {
		return nil, err
	}
	// As AWS: the DER certificate in base64, without PEM armour.
	return &signingCertOutput{Certificate: base64.StdEncoding.EncodeToString(cert)}, nil
}

// signingCert returns the pool's certificate, making it on first use.
func (s *Service) signingCert(ctx context.Context, p *pool) ([]byte, error) {
	read := func() ([]byte, error) {
		it, err := s.store.GetItem(ctx, itemSigningCert, p.ID, s.clock())
		if err != nil {
			return nil, err
		}
		var m signingMaterial
		if err := json.Unmarshal(it.Data, &m); err != nil {
			return nil, wrap("decode signing certificate", err)
		}
		return m.Cert, nil
	}
	cert, err := read()
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return cert, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, wrap("generate signing key", err)
	}
	now := s.clock()
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, wrap("certificate serial", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: p.ID, Organization: []string{"Cognate user pool"}},
		NotBefore:    now.Add(-time.Minute), NotAfter: now.Add(signingCertValidity),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, wrap("create signing certificate", err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, wrap("encode signing key", err)
	}
	raw, err := json.Marshal(signingMaterial{Key: s.sealer.Seal(pk, []byte("saml-signing|"+p.ID)), Cert: der})
	if err != nil {
		return nil, wrap("encode signing certificate", err)
	}
	err = s.store.CreateItem(ctx, store.Item{Kind: itemSigningCert, Key: p.ID, PoolID: p.ID, Data: raw, CreatedAt: now, UpdatedAt: now})
	if errors.Is(err, store.ErrAlreadyExists) {
		return read() // another node or request made it first
	}
	if err != nil {
		return nil, wrap("store signing certificate", err)
	}
	s.log.InfoContext(ctx, "SAML signing certificate created", "pool", p.ID)
	return der, nil
}
