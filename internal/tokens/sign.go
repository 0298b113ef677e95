package tokens

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cognate-dev/cognate/internal/store"
)

// Sign returns claims as an RS256 compact JWS signed with the pool's active
// key of use (store.KeyUseID or store.KeyUseAccess), with the header
// {"kid":...,"alg":"RS256"}. claims must marshal to a JSON object. A pool
// without keys gets them first (Ensure).
func (r *KeyRing) Sign(ctx context.Context, poolID, use string, claims any) (string, error) {
	if use != store.KeyUseID && use != store.KeyUseAccess {
		return "", fmt.Errorf("tokens: sign: unknown key use %q", use)
	}
	k, err := r.signingKey(ctx, poolID, use)
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("tokens: encode claims: %w", err)
	}
	if len(payload) == 0 || payload[0] != '{' {
		return "", errors.New("tokens: claims are not a JSON object")
	}
	return signJWS(k, payload)
}

func (r *KeyRing) signingKey(ctx context.Context, poolID, use string) (*key, error) {
	set, err := r.current(ctx, poolID)
	if err != nil {
		return nil, err
	}
	if k := set.active[use]; k != nil {
		return k, nil
	}
	if err := r.Ensure(ctx, poolID); err != nil {
		return nil, err
	}
	if set, err = r.current(ctx, poolID); err != nil {
		return nil, err
	}
	if k := set.active[use]; k != nil {
		return k, nil
	}
	return nil, fmt.Errorf("tokens: pool %s has no active %s key", poolID, use)
}

// signJWS builds header.payload.signature in one buffer.
func signJWS(k *key, payload []byte) (string, error) {
	enc := base64.RawURLEncoding
	size := len(k.header) + 1 + enc.EncodedLen(len(payload)) + 1 + enc.EncodedLen(k.priv.Size())
	buf := make([]byte, 0, size)
	buf = append(buf, k.header...)
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, payload)
	digest := sha256.Sum256(buf)
	sig, err := rsa.SignPKCS1v15(nil, k.priv, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("tokens: sign: %w", err)
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), nil
}
