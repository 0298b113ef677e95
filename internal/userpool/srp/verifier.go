package srp

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math/big"
)

// SaltSize is the length of a salt made by NewSalt.
const SaltSize = 16

// NewSalt returns SaltSize random bytes. Send it to clients as lowercase hex
// (hex.EncodeToString); the client parses it as an integer, so leading zero
// bytes are harmless.
func NewSalt() ([]byte, error) {
	salt := make([]byte, SaltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("srp: read random salt: %w", err)
	}
	return salt, nil
}

// Verifier returns v = g^x mod N for the user as big-endian bytes, where
// poolName is the pool id after "_" and userID is USER_ID_FOR_SRP.
func Verifier(poolName, userID, password string, salt []byte) []byte {
	x := computeX(poolName, userID, password, new(big.Int).SetBytes(salt))
	return new(big.Int).Exp(groupG, x, groupN).Bytes()
}

// VerifyPassword reports whether password matches the stored verifier,
// comparing in constant time (used by USER_PASSWORD_AUTH).
func VerifyPassword(poolName, userID, password string, salt, verifier []byte) bool {
	got := Verifier(poolName, userID, password, salt)
	// Compare fixed-width encodings so that the length of the stored value
	// does not short-circuit the comparison.
	var a, b [nLen]byte
	if len(verifier) > nLen {
		return false
	}
	copy(a[nLen-len(got):], got)
	copy(b[nLen-len(verifier):], verifier)
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// computeX returns x = H(pad(salt) | H(poolName | userID | ":" | password)).
// The inner hash enters as its 64 hex digits decoded back to 32 bytes, which
// is what the JS library's hexHash(padHex(salt) + hash(...)) amounts to.
func computeX(poolName, userID, password string, salt *big.Int) *big.Int {
	inner := sha256.New()
	inner.Write([]byte(poolName))
	inner.Write([]byte(userID))
	inner.Write([]byte{':'})
	inner.Write([]byte(password))
	buf := make([]byte, 0, SaltSize+2+sha256.Size)
	buf = appendPad(buf, salt)
	buf = inner.Sum(buf)
	sum := sha256.Sum256(buf)
	return new(big.Int).SetBytes(sum[:])
}

// parseHexInt parses an unsigned hex integer of at most maxDigits digits.
// big.Int.SetString would also accept signs, underscores and prefixes, which
// the wire format does not allow.
func parseHexInt(s string, maxDigits int) (*big.Int, error) {
	if s == "" || len(s) > maxDigits {
		return nil, fmt.Errorf("hex integer has %d digits, want 1 to %d", len(s), maxDigits)
	}
	if len(s)%2 == 1 {
		s = "0" + s
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("bad hex integer: %w", err)
	}
	return new(big.Int).SetBytes(b), nil
}
