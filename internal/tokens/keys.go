package tokens

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/secret"
	"github.com/cognate-dev/cognate/internal/store"
)

// keyBits is the size of every signing key.
const keyBits = 2048

// kidBytes is the number of random bytes in a kid (43 base64url characters).
const kidBytes = 32

// maxKidLen bounds the kids that Verifier and KeyRing accept.
const maxKidLen = 64

// key is a parsed signing key. priv is nil for retired keys, which only verify.
type key struct {
	kid       string
	use       string
	priv      *rsa.PrivateKey
	pub       *rsa.PublicKey
	retiredAt time.Time
	expiresAt time.Time
	// header is the encoded JWS header, computed once per key.
	header string
}

// newKid returns a random base64url kid.
func newKid() (string, error) {
	b := make([]byte, kidBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random kid: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// validKid reports whether kid is a plausible kid: 1..maxKidLen base64url
// characters. Anything else (path characters, quotes, huge values) is hostile.
func validKid(kid string) bool {
	if kid == "" || len(kid) > maxKidLen {
		return false
	}
	for i := 0; i < len(kid); i++ {
		c := kid[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// keyAAD binds a sealed private key to its pool and kid.
func keyAAD(poolID, kid string) []byte {
	return []byte("signingkey|" + poolID + "|" + kid)
}

// generateKey creates a new RSA key for use and seals it for storage.
func generateKey(sealer *secret.Sealer, newKey func() (*rsa.PrivateKey, error), poolID, use string, now time.Time) (store.SigningKey, error) {
	kid, err := newKid()
	if err != nil {
		return store.SigningKey{}, err
	}
	priv, err := newKey()
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("generate rsa key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("marshal private key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("marshal public key: %w", err)
	}
	return store.SigningKey{
		Kid:       kid,
		Use:       use,
		Private:   sealer.Seal(der, keyAAD(poolID, kid)),
		Public:    pub,
		CreatedAt: now,
	}, nil
}

// parseKey turns a stored key into a key. The private half is opened only
// for active keys.
func parseKey(sealer *secret.Sealer, poolID string, sk store.SigningKey) (*key, error) {
	if !validKid(sk.Kid) {
		return nil, fmt.Errorf("stored key has a malformed kid")
	}
	k := &key{kid: sk.Kid, use: sk.Use, retiredAt: sk.RetiredAt, expiresAt: sk.ExpiresAt}
	pubAny, err := x509.ParsePKIXPublicKey(sk.Public)
	if err != nil {
		return nil, fmt.Errorf("parse public key %s: %w", sk.Kid, err)
	}
	pub, ok := pubAny.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key %s is %T, not RSA", sk.Kid, pubAny)
	}
	k.pub = pub
	if sk.RetiredAt.IsZero() {
		der, err := sealer.Open(sk.Private, keyAAD(poolID, sk.Kid))
		if err != nil {
			return nil, fmt.Errorf("open private key %s: %w", sk.Kid, err)
		}
		privAny, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("parse private key %s: %w", sk.Kid, err)
		}
		priv, ok := privAny.(*rsa.PrivateKey)
		if !ok || !priv.PublicKey.Equal(pub) {
			return nil, fmt.Errorf("private key %s does not match its public key", sk.Kid)
		}
		k.priv = priv
	}
	hdr, err := json.Marshal(struct {
		Kid string `json:"kid"`
		Alg string `json:"alg"`
	}{sk.Kid, "RS256"})
	if err != nil {
		return nil, fmt.Errorf("encode header: %w", err)
	}
	k.header = base64.RawURLEncoding.EncodeToString(hdr)
	return k, nil
}

// published reports whether k is still in the JWKS at now.
func (k *key) published(now time.Time) bool {
	return k.expiresAt.IsZero() || now.Before(k.expiresAt)
}
