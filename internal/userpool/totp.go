package userpool

import (
	"crypto/subtle"
	"encoding/base32"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// TOTP as Cognito uses it (RFC 6238): HMAC-SHA1, 6 digits, 30-second steps,
// one step of clock drift accepted either way, each step usable once.
const (
	totpPeriod     = 30
	totpSkew       = 1
	totpSecretSize = 32
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// newTOTPSecret returns a fresh secret and its base32 form (AssociateSoftwareToken's SecretCode).
func newTOTPSecret() ([]byte, string) {
	raw := randomBytes(totpSecretSize)
	return raw, b32.EncodeToString(raw)
}

func totpStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// totpCode is the code of secret for one step.
func totpCode(secret []byte, step int64) (string, error) {
	return hotp.GenerateCodeCustom(b32.EncodeToString(secret), uint64(step), hotp.ValidateOpts{
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// matchTOTP finds the step in now±skew whose code is code and that is later
// than lastStep (the last one used), comparing in constant time.
func matchTOTP(secret []byte, code string, now time.Time, lastStep int64) (int64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	cur := totpStep(now)
	var found int64
	ok := 0
	for step := cur - totpSkew; step <= cur+totpSkew; step++ {
		want, err := totpCode(secret, step)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > lastStep && ok == 0 {
			found, ok = step, 1
		}
	}
	return found, ok == 1
}
