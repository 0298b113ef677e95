package srp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"
)

// Signature returns PASSWORD_CLAIM_SIGNATURE's raw bytes:
// HMAC-SHA256(key, poolName | userID | secretBlock | timestamp), where
// secretBlock is the decoded SECRET_BLOCK and timestamp the TIMESTAMP string.
func Signature(key []byte, poolName, userID string, secretBlock []byte, timestamp string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(poolName))
	mac.Write([]byte(userID))
	mac.Write(secretBlock)
	mac.Write([]byte(timestamp))
	return mac.Sum(make([]byte, 0, sha256.Size))
}

// VerifySignature reports whether sigB64 (standard base64, as the client
// sends it) is the Signature of the other arguments. The comparison is
// constant-time; bad base64 or a wrong length is false.
func VerifySignature(key []byte, poolName, userID string, secretBlock []byte, timestamp string, sigB64 string) bool {
	// A valid signature is exactly 44 characters; refuse to decode more.
	if len(sigB64) != base64.StdEncoding.EncodedLen(sha256.Size) {
		return false
	}
	var sig [sha256.Size + 2]byte // room for a decoder that over-reads the padding
	n, err := base64.StdEncoding.Strict().Decode(sig[:], []byte(sigB64))
	if err != nil || n != sha256.Size {
		return false
	}
	want := Signature(key, poolName, userID, secretBlock, timestamp)
	return hmac.Equal(sig[:n], want)
}

// timestampLayout is the TIMESTAMP format of amazon-cognito-identity-js's
// DateHelper: "ddd MMM D HH:mm:ss UTC YYYY", the day not zero-padded.
const timestampLayout = "Mon Jan 2 15:04:05 UTC 2006"

// maxTimestampLen bounds the input of ParseTimestamp ("Wed Sep 30 23:59:59 UTC 2024" is 28).
const maxTimestampLen = 40

// FormatTimestamp formats t in UTC like "Sun Oct 6 13:37:50 UTC 2024".
func FormatTimestamp(t time.Time) string {
	return t.UTC().Format(timestampLayout)
}

// ParseTimestamp parses a TIMESTAMP as sent by Cognito clients. The day may
// be written with one or two digits or space-padded (asctime style); the
// weekday must match the date. The signature covers the exact string, so
// this leniency only affects the clock-skew check.
func ParseTimestamp(s string) (time.Time, error) {
	if len(s) > maxTimestampLen {
		return time.Time{}, fmt.Errorf("srp: timestamp too long (%d bytes)", len(s))
	}
	t, err := time.Parse(timestampLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("srp: parse timestamp: %w", err)
	}
	if got := s[:3]; got != t.Weekday().String()[:3] {
		return time.Time{}, fmt.Errorf("srp: timestamp weekday %q does not match its date", got)
	}
	return t, nil
}
