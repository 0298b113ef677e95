// Package uuid makes version 4 UUIDs, the form AWS uses for request ids,
// token ids (jti, origin_jti, event_id) and user subs.
package uuid

import "crypto/rand"

// New returns a random version 4 UUID drawn from crypto/rand.
func New() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("uuid: crypto/rand failed: " + err.Error())
	}
	return Format(b)
}

// Format returns b as a version 4 UUID, setting its version and variant bits.
func Format(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const digits = "0123456789abcdef"
	var s [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			s[j] = '-'
			j++
		}
		s[j], s[j+1] = digits[c>>4], digits[c&0xf]
		j += 2
	}
	return string(s[:])
}
