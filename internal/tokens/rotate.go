package tokens

import (
	"context"
	"fmt"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

// keyUses are the uses every pool has one active key for.
var keyUses = []string{store.KeyUseID, store.KeyUseAccess}

// Ensure creates the pool's id and access keys if it lacks an active key of
// either use. It is idempotent and safe to call from several nodes at once.
func (r *KeyRing) Ensure(ctx context.Context, poolID string) error {
	set, err := r.current(ctx, poolID)
	if err != nil {
		return err
	}
	if len(set.active) == len(keyUses) {
		return nil
	}
	p := r.pool(poolID)
	p.mu.Lock()
	defer p.mu.Unlock()
	if set, err = r.load(ctx, poolID, p); err != nil {
		return err
	}
	var fresh []store.SigningKey
	for _, use := range keyUses {
		if set.active[use] == nil {
			sk, err := generateKey(r.sealer, r.newKey, poolID, use, storeTime(r.now()))
			if err != nil {
				return fmt.Errorf("tokens: ensure keys of %s: %w", poolID, err)
			}
			fresh = append(fresh, sk)
		}
	}
	sks, err := r.ks.UpdateKeys(ctx, poolID, func(old []store.SigningKey) ([]store.SigningKey, error) {
		out := append([]store.SigningKey(nil), old...)
		for _, sk := range fresh {
			if !hasActive(old, sk.Use) { // another node may have won
				out = append(out, sk)
			}
		}
		return out, nil
	})
	if err != nil {
		return fmt.Errorf("tokens: ensure keys of %s: %w", poolID, err)
	}
	if _, err := r.install(poolID, p, sks, r.now()); err != nil {
		return err
	}
	r.log.Info("signing keys created", "pool", poolID, "count", len(fresh))
	return nil
}

// Rotate gives the pool new active id and access keys. The previous active
// keys stop signing at once and stay published for publishFor (the longest
// lifetime of the tokens they signed); keys whose publication has ended are
// dropped. publishFor 0 withdraws the old keys immediately (a compromised key).
func (r *KeyRing) Rotate(ctx context.Context, poolID string, publishFor time.Duration) error {
	if publishFor < 0 {
		return fmt.Errorf("tokens: rotate %s: negative publication period", poolID)
	}
	now := storeTime(r.now())
	var fresh []store.SigningKey
	for _, use := range keyUses {
		sk, err := generateKey(r.sealer, r.newKey, poolID, use, now)
		if err != nil {
			return fmt.Errorf("tokens: rotate %s: %w", poolID, err)
		}
		fresh = append(fresh, sk)
	}
	p := r.pool(poolID)
	p.mu.Lock()
	defer p.mu.Unlock()
	sks, err := r.ks.UpdateKeys(ctx, poolID, func(old []store.SigningKey) ([]store.SigningKey, error) {
		out := make([]store.SigningKey, 0, len(old)+len(fresh))
		for _, sk := range old {
			if sk.RetiredAt.IsZero() {
				sk.RetiredAt = now
				sk.ExpiresAt = storeTime(now.Add(publishFor))
			}
			if now.Before(sk.ExpiresAt) {
				out = append(out, sk)
			}
		}
		return append(out, fresh...), nil
	})
	if err != nil {
		return fmt.Errorf("tokens: rotate %s: %w", poolID, err)
	}
	if _, err := r.install(poolID, p, sks, now); err != nil {
		return err
	}
	r.log.Info("signing keys rotated", "pool", poolID, "id_kid", fresh[0].Kid, "access_kid", fresh[1].Kid, "publish_old_for", publishFor)
	return nil
}

func hasActive(sks []store.SigningKey, use string) bool {
	for _, sk := range sks {
		if sk.Use == use && sk.RetiredAt.IsZero() {
			return true
		}
	}
	return false
}

// storeTime rounds t the way the store keeps times (UTC, milliseconds), so
// that the cache and the store agree on key timestamps.
func storeTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Millisecond)
}
