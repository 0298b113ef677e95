package tokens

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Errors of Verify. Every rejection wraps ErrInvalidToken; an expired or
// revoked token also wraps ErrExpired or ErrRevoked. Other errors (a failing
// store) wrap neither.
var (
	// ErrInvalidToken means the token is not acceptable; the wrapped text says why.
	ErrInvalidToken = errors.New("tokens: invalid token")
	// ErrExpired means the token was valid but its exp has passed.
	ErrExpired = errors.New("token expired")
	// ErrRevoked means the token was valid but has been revoked.
	ErrRevoked = errors.New("token revoked")
)

// Token uses, the token_use claim.
const (
	// UseID is the token_use of id tokens.
	UseID = "id"
	// UseAccess is the token_use of access tokens.
	UseAccess = "access"
)

// Defaults of VerifierOptions.
const (
	// DefaultSkew is the default tolerance for iat and nbf in the future.
	DefaultSkew = 30 * time.Second
	// DefaultMaxTokenSize is the default limit on a token's length (8 KiB).
	DefaultMaxTokenSize = 8 << 10
)

// PublicKeySource finds a pool's published public key by kid; KeyRing is one.
// It returns an error wrapping ErrUnknownKey when there is no such key.
type PublicKeySource interface {
	PublicKey(ctx context.Context, poolID, kid string) (*rsa.PublicKey, error)
}

// RevocationChecker reports whether verified claims have been revoked;
// Revocations is one.
type RevocationChecker interface {
	IsRevoked(poolID string, c Claims) bool
}

// VerifierOptions configures a Verifier. Zero values get the defaults.
type VerifierOptions struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Skew is the tolerance for iat and nbf in the future (default DefaultSkew).
	Skew time.Duration
	// MaxTokenSize bounds the token length, checked first (default DefaultMaxTokenSize).
	MaxTokenSize int
	// Revocations, if set, is consulted after every other check.
	Revocations RevocationChecker
}

// Expect is what a token must match.
type Expect struct {
	// PoolID selects the pool whose keys sign the token.
	PoolID string
	// Issuer is the exact iss the token must carry.
	Issuer string
	// TokenUse is UseID, UseAccess, or "" for either.
	TokenUse string
	// ClientIDs are the accepted app clients: the aud of an id token or the
	// client_id of an access token. Empty accepts any client.
	ClientIDs []string
}

// Verifier verifies the tokens KeyRing signs. It is safe for concurrent use.
type Verifier struct {
	keys    PublicKeySource
	now     func() time.Time
	skew    time.Duration
	maxSize int
	revs    RevocationChecker
}

// NewVerifier returns a Verifier that finds keys in keys.
func NewVerifier(keys PublicKeySource, opts VerifierOptions) *Verifier {
	v := &Verifier{keys: keys, now: opts.Now, skew: opts.Skew, maxSize: opts.MaxTokenSize, revs: opts.Revocations}
	if v.now == nil {
		v.now = time.Now
	}
	if v.skew <= 0 {
		v.skew = DefaultSkew
	}
	if v.maxSize <= 0 {
		v.maxSize = DefaultMaxTokenSize
	}
	return v
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidToken, fmt.Sprintf(format, args...))
}

// Verify checks token against e and returns its claims. Structure, size and
// header are checked before any key lookup or cryptography.
func (v *Verifier) Verify(ctx context.Context, token string, e Expect) (Claims, error) {
	if e.PoolID == "" || e.Issuer == "" {
		return nil, errors.New("tokens: verify: pool and issuer are required")
	}
	if len(token) > v.maxSize {
		return nil, invalid("token larger than %d bytes", v.maxSize)
	}
	var t jws
	err := t.parse(token)
	if errors.Is(err, ErrInvalidToken) {
		return nil, err // a cached header rejection, already in its final form
	}
	// RSA-2048 and RSA-4096 signatures decode into sigBuf. sig is a variable
	// of its own, not t.signature: t's claims escape (they are returned),
	// and escape analysis would move sigBuf to the heap with them.
	var sigBuf [512]byte
	var sig []byte
	if err == nil {
		sig, err = decodeSignature(sigBuf[:], t.encodedSig)
	}
	if err != nil {
		return nil, invalid("%v", err)
	}
	pub, err := v.keys.PublicKey(ctx, e.PoolID, t.kid)
	if errors.Is(err, ErrUnknownKey) {
		return nil, invalid("unknown kid")
	}
	if err != nil {
		return nil, fmt.Errorf("tokens: verify: %w", err)
	}
	if len(sig) != pub.Size() {
		return nil, invalid("signature length %d, want %d", len(sig), pub.Size())
	}
	digest := sumSHA256(t.signingInput)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		return nil, invalid("bad signature")
	}
	if err := v.checkClaims(t.claims, e); err != nil {
		return nil, err
	}
	if v.revs != nil && v.revs.IsRevoked(e.PoolID, t.claims) {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, ErrRevoked)
	}
	return t.claims, nil
}

// sumSHA256 is sha256.Sum256 of s, through a stack copy when s fits:
// Sum256's assembly might write to its argument as far as the compiler
// knows, so []byte(s) would be a heap copy.
func sumSHA256(s string) [sha256.Size]byte {
	var buf [2048]byte
	if len(s) > len(buf) {
		return sha256.Sum256([]byte(s))
	}
	return sha256.Sum256(buf[:copy(buf[:], s)])
}

// checkClaims applies the registered and Cognito claim rules.
func (v *Verifier) checkClaims(c Claims, e Expect) error {
	if iss, ok := c["iss"].(string); !ok || iss != e.Issuer {
		return invalid("wrong issuer")
	}
	use := c.String("token_use")
	if use != UseID && use != UseAccess {
		return invalid("bad token_use")
	}
	if e.TokenUse != "" && use != e.TokenUse {
		return invalid("token_use is %s, want %s", use, e.TokenUse)
	}
	if c.String("sub") == "" {
		return invalid("missing sub")
	}
	if err := checkClient(c, use, e.ClientIDs); err != nil {
		return err
	}
	now := v.now()
	exp, ok := c.Time("exp")
	if !ok {
		return invalid("missing or malformed exp")
	}
	iat, ok := c.Time("iat")
	if !ok {
		return invalid("missing or malformed iat")
	}
	if iat.After(now.Add(v.skew)) {
		return invalid("issued in the future")
	}
	if _, present := c["nbf"]; present {
		nbf, ok := c.Time("nbf")
		if !ok {
			return invalid("malformed nbf")
		}
		if nbf.After(now.Add(v.skew)) {
			return invalid("not valid yet")
		}
	}
	if !now.Before(exp) {
		return fmt.Errorf("%w: %w", ErrInvalidToken, ErrExpired)
	}
	return nil
}

// checkClient matches aud (id tokens) or client_id (access tokens).
func checkClient(c Claims, use string, clients []string) error {
	var got string
	if use == UseID {
		got = c.String("aud") // Cognito's aud is a single string
	} else {
		got = c.String("client_id")
	}
	if got == "" {
		return invalid("missing client")
	}
	if len(clients) > 0 && !slices.Contains(clients, got) {
		return invalid("wrong client")
	}
	return nil
}
