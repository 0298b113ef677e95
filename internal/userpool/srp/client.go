package srp

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// clientEphemeralBytes is the size of the client's secret a, as in the JS
// library (128 random bytes).
const clientEphemeralBytes = 128

// Client is the client's half of one SRP exchange, computed as
// amazon-cognito-identity-js does. Use one Client per login.
type Client struct {
	a, bigA *big.Int
}

// NewClient picks a random a and computes A = g^a mod N.
func NewClient() (*Client, error) {
	var buf [clientEphemeralBytes]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return nil, fmt.Errorf("srp: read random a: %w", err)
	}
	return newClient(new(big.Int).SetBytes(buf[:]))
}

// newClient returns a Client with the given secret a, for known-answer tests.
func newClient(a *big.Int) (*Client, error) {
	bigA := new(big.Int).Exp(groupG, a, groupN)
	if bigA.Sign() == 0 {
		return nil, errors.New("srp: A mod N is zero")
	}
	return &Client{a: a, bigA: bigA}, nil
}

// AHex returns SRP_A as lowercase hex, as the JS library sends it.
func (c *Client) AHex() string {
	return c.bigA.Text(16)
}

// Respond answers a PASSWORD_VERIFIER challenge: it returns the TIMESTAMP
// (formatted from now) and the PASSWORD_CLAIM_SIGNATURE (standard base64).
// userIDForSRP is USER_ID_FOR_SRP from the challenge; saltHex, srpBHex and
// secretBlockB64 are SALT, SRP_B and SECRET_BLOCK.
func (c *Client) Respond(poolName, userIDForSRP, password, saltHex, srpBHex, secretBlockB64 string, now time.Time) (timestamp, signatureB64 string, err error) {
	key, err := c.key(poolName, userIDForSRP, password, saltHex, srpBHex)
	if err != nil {
		return "", "", err
	}
	secretBlock, err := base64.StdEncoding.DecodeString(secretBlockB64)
	if err != nil {
		return "", "", fmt.Errorf("srp: decode secret block: %w", err)
	}
	timestamp = FormatTimestamp(now)
	sig := Signature(key, poolName, userIDForSRP, secretBlock, timestamp)
	return timestamp, base64.StdEncoding.EncodeToString(sig), nil
}

// key computes the client's session key:
// S = (B − k·g^x)^(a + u·x) mod N, then HKDF as on the server.
func (c *Client) key(poolName, userID, password, saltHex, srpBHex string) ([]byte, error) {
	bigB, err := parseHexInt(srpBHex, maxIntDigits)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidB, err)
	}
	if new(big.Int).Mod(bigB, groupN).Sign() == 0 {
		return nil, ErrInvalidB
	}
	saltBytes, err := hex.DecodeString(evenHex(saltHex))
	if err != nil || len(saltHex) == 0 || len(saltHex) > maxIntDigits {
		return nil, fmt.Errorf("srp: bad salt %q", saltHex)
	}
	u := computeU(c.bigA, bigB)
	if u.Sign() == 0 {
		return nil, ErrZeroU
	}
	x := computeX(poolName, userID, password, new(big.Int).SetBytes(saltBytes))

	base := new(big.Int).Exp(groupG, x, groupN)
	base.Mul(base, groupK)
	base.Sub(bigB, base)
	base.Mod(base, groupN) // Mod is Euclidean: the result is non-negative
	exp := new(big.Int).Mul(u, x)
	exp.Add(exp, c.a)
	S := base.Exp(base, exp, groupN)
	return deriveKey(S, u)
}

// evenHex left-pads an odd-length hex string with one zero.
func evenHex(s string) string {
	if len(s)%2 == 1 {
		return "0" + s
	}
	return s
}
