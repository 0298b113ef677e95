package srp

import (
	"crypto"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
)

// maxIntDigits bounds the hex digits accepted for A and B: N has 768, and a
// client may add a few leading zeros, nothing more.
const maxIntDigits = 1024

// ephemeralBytes is the size of the server's secret exponent b (256 bits,
// RFC 5054's recommended minimum).
const ephemeralBytes = 32

// Errors returned by the server and the client.
var (
	// ErrInvalidA means SRP_A is malformed, oversized, or A mod N == 0.
	ErrInvalidA = errors.New("srp: invalid A")
	// ErrInvalidB means SRP_B is malformed, oversized, or B mod N == 0.
	ErrInvalidB = errors.New("srp: invalid B")
	// ErrInvalidVerifier means the stored verifier is empty, zero or not below N.
	ErrInvalidVerifier = errors.New("srp: invalid verifier")
	// ErrZeroU means the scrambling parameter u hashed to zero; abort the exchange.
	ErrZeroU = errors.New("srp: u is zero")
)

// ServerSession is the server's half of one SRP exchange. It is not safe for
// concurrent use; create one per InitiateAuth and drop it after Key.
type ServerSession struct {
	v, a, b, bigB, u *big.Int
}

// NewServerSession parses the client's SRP_A (hex), picks a random b and
// computes B = (k·v + g^b) mod N. It rejects a malformed or oversized A, and
// A mod N == 0, with ErrInvalidA, and u == 0 with ErrZeroU.
func NewServerSession(verifier []byte, srpAHex string) (*ServerSession, error) {
	var buf [ephemeralBytes]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return nil, fmt.Errorf("srp: read random b: %w", err)
	}
	// The top bit is set so that b is never zero and always 256 bits long
	// (its length is not a timing signal).
	b := new(big.Int).SetBytes(buf[:])
	b.SetBit(b, 8*ephemeralBytes-1, 1)
	return newServerSession(verifier, srpAHex, b, computeU)
}

// newServerSession is NewServerSession with b and the u function given, for
// known-answer tests.
func newServerSession(verifier []byte, srpAHex string, b *big.Int, uFn func(a, b *big.Int) *big.Int) (*ServerSession, error) {
	v := new(big.Int).SetBytes(verifier)
	if v.Sign() == 0 || v.Cmp(groupN) >= 0 {
		return nil, ErrInvalidVerifier
	}
	a, err := parseHexInt(srpAHex, maxIntDigits)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidA, err)
	}
	// Cognito's clients always send A < N; anything else is hostile. A
	// multiple of N (0, N, kN) is the classic attack that forces S = 0.
	if a.Cmp(groupN) >= 0 || a.Sign() == 0 {
		return nil, ErrInvalidA
	}
	bigB := new(big.Int).Mul(groupK, v)
	bigB.Add(bigB, new(big.Int).Exp(groupG, b, groupN))
	bigB.Mod(bigB, groupN)
	u := uFn(a, bigB)
	if u.Sign() == 0 {
		return nil, ErrZeroU
	}
	return &ServerSession{v: v, a: a, b: b, bigB: bigB, u: u}, nil
}

// BHex returns B as lowercase hex without leading zeros, as Cognito sends SRP_B.
func (s *ServerSession) BHex() string {
	return s.bigB.Text(16)
}

// Key returns the 16-byte session key K derived from S = (A·v^u)^b mod N.
// Cognito's HKDF input does not include poolName or userID; they are taken
// for symmetry with Signature and only checked to be non-empty.
func (s *ServerSession) Key(poolName, userID string) ([]byte, error) {
	if poolName == "" || userID == "" {
		return nil, errors.New("srp: empty pool name or user id")
	}
	base := new(big.Int).Exp(s.v, s.u, groupN)
	base.Mul(base, s.a)
	base.Mod(base, groupN)
	S := base.Exp(base, s.b, groupN)
	return deriveKey(S, s.u)
}

// deriveKey returns HKDF-SHA256(ikm = pad(S), salt = pad(u), info)[:16].
func deriveKey(S, u *big.Int) ([]byte, error) {
	key, err := hkdf.Key(sha256.New, padBytes(S), padBytes(u), infoBits, 16)
	if err != nil {
		return nil, fmt.Errorf("srp: derive key: %w", err)
	}
	return key, nil
}

// BareServerCrypto performs exactly the server-side cryptography of one
// USER_SRP_AUTH login and nothing else: B's g^b mod N with a 256-bit b, the
// (A·v^u)^b mod N exponentiations, HKDF, the signature HMAC, and two
// RSA-2048 PKCS#1 v1.5 SHA-256 signatures (id and access token). It is the
// baseline that login benchmarks compare against. b is the server's secret
// exponent; nil draws a random one as NewServerSession does.
func BareServerCrypto(verifier []byte, aHex string, b *big.Int, key *rsa.PrivateKey, secretBlock []byte) error {
	var s *ServerSession
	var err error
	if b == nil {
		s, err = NewServerSession(verifier, aHex)
	} else {
		s, err = newServerSession(verifier, aHex, b, computeU)
	}
	if err != nil {
		return err
	}
	k, err := s.Key("pool", "user")
	if err != nil {
		return err
	}
	_ = Signature(k, "pool", "user", secretBlock, "Sun Oct 6 13:37:50 UTC 2024")
	for _, claims := range []string{"id-token-signing-input", "access-token-signing-input"} {
		digest := sha256.Sum256([]byte(claims))
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]); err != nil {
			return fmt.Errorf("srp: rsa sign: %w", err)
		}
	}
	return nil
}
