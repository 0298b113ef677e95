package userpool

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"math/big"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// The user pool's SAML signing certificate: the key that signs the
// AuthnRequests the pool sends to SAML identity providers (when a provider
// has RequestSigningAlgorithm) and the certificate its SP metadata
// publishes and GetSigningCertificate returns. One per pool, created on
// first use and kept sealed in the store, so every node signs with it.

const itemSAMLSigningKey = "saml-signing-key"

// samlCertLife is the certificate's validity, AWS's ("valid for 10 years").
const samlCertLife = 10 * 365 * 24 * time.Hour

type samlKeyRecord struct {
	Key  []byte `json:"k"` // PKCS #8 DER
	Cert []byte `json:"c"` // X.509 DER
}

// SAMLSigningCertificate returns a pool's SAML signing key and its
// self-signed certificate (RSA 2048, subject urn:amazon:cognito:sp:POOL),
// creating them the first time; concurrent first calls on several nodes
// agree on the one the store kept.
func (s *Service) SAMLSigningCertificate(ctx context.Context, poolID string) (*rsa.PrivateKey, *x509.Certificate, error) {
	p, err := s.loadPool(ctx, poolID)
	if err != nil {
		return nil, nil, err
	}
	aad := []byte("saml-signing-key|" + p.ID)
	for range 2 {
		it, err := s.store.GetItem(ctx, itemSAMLSigningKey, p.ID, s.clock())
		if err == nil {
			raw, err := s.sealer.Open(it.Data, aad)
			if err != nil {
				return nil, nil, wrap("open SAML signing key", err)
			}
			return parseSAMLKey(raw)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, nil, wrap("get SAML signing key", err)
		}
		raw, err := newSAMLKey(p.ID, s.clock())
		if err != nil {
			return nil, nil, err
		}
		now := s.clock()
		err = s.store.CreateItem(ctx, store.Item{Kind: itemSAMLSigningKey, Key: p.ID, PoolID: p.ID, Data: s.sealer.Seal(raw, aad), CreatedAt: now, UpdatedAt: now})
		if err == nil {
			return parseSAMLKey(raw)
		}
		if !errors.Is(err, store.ErrAlreadyExists) {
			return nil, nil, wrap("store SAML signing key", err)
		}
		// Another node created it first: read theirs.
	}
	return nil, nil, wrap("SAML signing key", errors.New("created and not found"))
}

func parseSAMLKey(raw []byte) (*rsa.PrivateKey, *x509.Certificate, error) {
	var rec samlKeyRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, nil, wrap("decode SAML signing key", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(rec.Key)
	if err != nil {
		return nil, nil, wrap("parse SAML signing key", err)
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, nil, wrap("SAML signing key", errors.New("not an RSA key"))
	}
	cert, err := x509.ParseCertificate(rec.Cert)
	if err != nil {
		return nil, nil, wrap("parse SAML signing certificate", err)
	}
	return key, cert, nil
}

func newSAMLKey(poolID string, now time.Time) ([]byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, wrap("generate SAML signing key", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, wrap("certificate serial", err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "urn:amazon:cognito:sp:" + poolID},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(samlCertLife), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, wrap("create SAML signing certificate", err)
	}
	k, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, wrap("encode SAML signing key", err)
	}
	return json.Marshal(samlKeyRecord{Key: k, Cert: der})
}
