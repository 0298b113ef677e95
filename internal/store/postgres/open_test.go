package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/store/postgres"
)

// TestOpenErrors needs no database: bad URLs and unreachable servers fail at
// Open with a clear error that never shows the password.
func TestOpenErrors(t *testing.T) {
	cases := []struct {
		name, url, want string
	}{
		{"not a URL", "postgres://cognate:hunter2@[::1/db", "invalid database URL"},
		{"bad port", "postgres://cognate:hunter2@127.0.0.1:notaport/db", "invalid database URL"},
		{"unreachable", "postgres://cognate:hunter2@127.0.0.1:1/db?connect_timeout=2", "connect to 127.0.0.1:1/db"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			s, err := postgres.Open(ctx, tc.url, nil)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error leaks the password: %q", err)
			}
		})
	}
}
