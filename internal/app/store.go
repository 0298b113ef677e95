package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/store/postgres"
	"github.com/cognate-dev/cognate/internal/store/sqlite"
)

// openStore opens the store Options select: SQLite in the data directory by
// default, sqlite:PATH, or postgres://... / postgresql://....
func openStore(ctx context.Context, opts Options) (store.Store, error) {
	u := opts.StoreURL
	switch {
	case u == "" || strings.HasPrefix(u, "sqlite:"):
		path := strings.TrimPrefix(u, "sqlite:")
		if path == "" {
			if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
				return nil, fmt.Errorf("create data directory: %w", err)
			}
			path = filepath.Join(opts.DataDir, "cognate.db")
		}
		s, err := sqlite.Open(ctx, path, opts.Logger.With("component", "store"))
		if err != nil { // never a typed nil in the interface
			return nil, err
		}
		return s, nil
	case strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://"):
		s, err := postgres.Open(ctx, u, opts.Logger.With("component", "store"))
		if err != nil {
			return nil, err
		}
		return s, nil
	default:
		return nil, fmt.Errorf("store %q: want sqlite:PATH or postgres://...", redactURL(u))
	}
}

// redactURL hides a password in a store URL for error messages.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if user, _, hasPw := strings.Cut(rest[:at], ":"); hasPw {
			return scheme + "://" + user + ":xxxxx" + rest[at:]
		}
	}
	return u
}
