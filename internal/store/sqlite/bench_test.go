package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/cognate-dev/cognate/internal/store/storetest"
)

// BenchmarkStore measures the hot paths with the shipped settings
// (synchronous=FULL) and, as the baseline of the same run, with NORMAL.
//
//	go test -run '^$' -bench . -benchtime 2s ./internal/store/sqlite/
func BenchmarkStore(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run("sync="+sync, func(b *testing.B) {
			s, err := open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), nil, sync)
			if err != nil {
				b.Fatalf("open: %v", err)
			}
			defer s.Close()
			storetest.Bench(b, s)
		})
	}
}
