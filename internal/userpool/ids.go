package userpool

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math/big"

	"github.com/cognate-dev/cognate/internal/uuid"
)

const (
	alnumMixed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	alnumLower = "abcdefghijklmnopqrstuvwxyz0123456789"
	digits     = "0123456789"
)

// randomString returns n characters drawn uniformly from alphabet.
func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("userpool: crypto/rand failed: " + err.Error())
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

// newPoolID returns an id like "us-east-1_AbC123xyZ".
func newPoolID(region string) string { return region + "_" + randomString(alnumMixed, 9) }

// newClientID returns 26 lowercase alphanumeric characters.
func newClientID() string { return randomString(alnumLower, 26) }

// newClientSecret returns 51 lowercase alphanumeric characters.
func newClientSecret() string { return randomString(alnumLower, 51) }

// newCode returns a 6-digit verification code.
func newCode() string { return randomString(digits, 6) }

// randomBytes returns n random bytes.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("userpool: crypto/rand failed: " + err.Error())
	}
	return b
}

// newUUID returns a random (version 4) UUID.
func newUUID() string { return uuid.New() }

// formatUUID formats 16 bytes as a version 4 UUID.
func formatUUID(b []byte) string { return uuid.Format([16]byte(b)) }

// newOpaqueToken returns a random bearer value and the id under which its
// state is stored (a hash, so the store never holds the value itself).
func newOpaqueToken(n int) (token, id string) {
	token = base64.RawURLEncoding.EncodeToString(randomBytes(n))
	return token, tokenID(token)
}

// tokenID hashes a bearer value into its storage id.
func tokenID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
