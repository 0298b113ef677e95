package functions

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/cognate-dev/cognate/internal/uuid"
)

// newRequestID returns a random UUID (version 4), as Lambda's request ids.
func newRequestID() string { return uuid.New() }

// newTraceID returns an X-Ray trace header: Root=1-<epoch hex>-<96 bits>.
func newTraceID(now time.Time) string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return "Root=1-" + strconv.FormatInt(now.Unix(), 16) + "-" + hex.EncodeToString(b[:12]) +
		";Parent=" + hex.EncodeToString(b[12:]) + ";Sampled=0"
}

// newStreamSuffix returns the 32 hex digits of a log stream name.
func newStreamSuffix() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
