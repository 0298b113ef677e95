package userpool

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// MaxTokenLifetime is the longest id or access token lifetime Cognito allows
// (1 day): retired keys stay published that long after a rotation.
const MaxTokenLifetime = 24 * time.Hour

// SweepInterval is how often Run deletes expired sessions and stale counters.
const SweepInterval = time.Minute

// Mount serves the pools' Cognate-side endpoints on mux: POST
// /_cognate/pools/{poolId}/rotate-keys (Cognito has no such operation; the
// caller checks the signature and cognate:RotateSigningKeys).
func (s *Service) Mount(mux *http.ServeMux) {
	mux.HandleFunc("POST /_cognate/pools/{poolId}/rotate-keys", s.rotateKeys)
	mux.Handle(ImportUploadPath, s.ImportUploadHandler())
}

// rotateKeys gives a pool new signing keys; the old ones stay published until
// every token they signed has expired.
func (s *Service) rotateKeys(w http.ResponseWriter, r *http.Request) {
	poolID := r.PathValue("poolId")
	w.Header().Set("Content-Type", "application/json")
	if _, err := s.store.GetPool(r.Context(), poolID); err != nil {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"message":%q}`+"\n", "User pool "+poolID+" does not exist.")
		return
	}
	if err := s.keys.Rotate(r.Context(), poolID, MaxTokenLifetime); err != nil {
		s.log.Error("rotate keys", "pool", poolID, "err", err)
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"message":"Internal server error"}` + "\n")) //nolint:errcheck // best effort
		return
	}
	s.log.Info("signing keys rotated", "pool", poolID)
	w.Write([]byte(`{"rotated":true}` + "\n")) //nolint:errcheck // best effort
}

// Run deletes expired sessions (of the user pools and the authorization
// server, which share the store's sessions) and stale login and code
// counters every SweepInterval, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.store.DeleteExpiredSessions(ctx, s.now()); err != nil && ctx.Err() == nil {
			s.log.Warn("sweep sessions", "err", err)
		}
		if _, err := s.SweepCounters(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("sweep counters", "err", err)
		}
	}
}
