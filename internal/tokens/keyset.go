package tokens

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"time"

	"github.com/cognate-dev/cognate/internal/secret"
	"github.com/cognate-dev/cognate/internal/store"
)

// keySet is an immutable snapshot of one pool's keys.
type keySet struct {
	loadedAt time.Time
	byKid    map[string]*key
	active   map[string]*key // by use
	jwks     []byte
}

// buildKeySet parses sks, reusing the parsed keys of prev when unchanged.
func buildKeySet(sealer *secret.Sealer, poolID string, sks []store.SigningKey, prev *keySet, now time.Time) (*keySet, error) {
	set := &keySet{
		loadedAt: now,
		byKid:    make(map[string]*key, len(sks)),
		active:   make(map[string]*key, 2),
	}
	published := make([]*key, 0, len(sks))
	for _, sk := range sks {
		k, ok := prev.reusable(sk)
		if !ok {
			var err error
			if k, err = parseKey(sealer, poolID, sk); err != nil {
				return nil, err
			}
		}
		set.byKid[k.kid] = k
		if k.priv != nil && k.retiredAt.IsZero() {
			set.active[k.use] = k
		}
		if k.published(now) {
			published = append(published, k)
		}
	}
	jwks, err := encodeJWKS(published)
	if err != nil {
		return nil, err
	}
	set.jwks = jwks
	return set, nil
}

// reusable returns prev's parsed key for sk if sk has not changed since.
func (s *keySet) reusable(sk store.SigningKey) (*key, bool) {
	if s == nil {
		return nil, false
	}
	k, ok := s.byKid[sk.Kid]
	if !ok || k.use != sk.Use || !k.retiredAt.Equal(sk.RetiredAt) || !k.expiresAt.Equal(sk.ExpiresAt) {
		return nil, false
	}
	return k, true
}

// lookup returns the key kid if it is still published at now.
func (s *keySet) lookup(kid string, now time.Time) (*key, bool) {
	k, ok := s.byKid[kid]
	if !ok || !k.published(now) {
		return nil, false
	}
	return k, true
}

// jwk is one entry of a JWKS, with Cognito's field order.
type jwk struct {
	Alg string `json:"alg"`
	E   string `json:"e"`
	Kid string `json:"kid"`
	Kty string `json:"kty"`
	N   string `json:"n"`
	Use string `json:"use"`
}

func encodeJWKS(keys []*key) ([]byte, error) {
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: make([]jwk, 0, len(keys))}
	for _, k := range keys {
		set.Keys = append(set.Keys, jwk{
			Alg: "RS256",
			E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.pub.E)).Bytes()),
			Kid: k.kid,
			Kty: "RSA",
			N:   base64.RawURLEncoding.EncodeToString(k.pub.N.Bytes()),
			Use: "sig",
		})
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("encode jwks: %w", err)
	}
	return b, nil
}
