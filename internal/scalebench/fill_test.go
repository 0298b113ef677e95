package scalebench

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// fillBatch is how many filler rows one transaction inserts.
const fillBatch = 50_000

// openRaw opens the SQLite file directly, bypassing the store: one
// connection, no fsync (a crash while building only loses the cache), a
// large page cache for the random index inserts.
func openRaw(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)&_pragma=cache_size(-262144)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// templateRow is a real user's row, which the fillers copy.
type templateRow struct {
	status               string
	enabled              bool
	attrs                map[string]string
	credentials, private []byte
	created, updated     sql.NullInt64
}

// fillSpec says which pool to fill and how its users are named.
type fillSpec struct {
	poolID string
	// template is the stored username of the real user the fillers copy.
	template string
	// real holds the indexes i whose users exist already.
	real map[int]bool
	n    int
	// bySub names users by their sub, as pools with UsernameAttributes do;
	// otherwise user i is username(i). Its email is username(i)@example.com.
	bySub bool
}

// fill inserts fillers until the pool has n users: user i for every i in
// [0, n) not in spec.real, each a copy of the template user's row with its
// own username, sub and email. Fillers' sealed credentials are bound (by
// their AEAD associated data) to the template's username, so they cannot
// sign in; they only make the tables and indexes big.
func fill(path string, spec fillSpec) error {
	db, err := openRaw(path)
	if err != nil {
		return err
	}
	defer db.Close()
	var t templateRow
	var attrs string
	err = db.QueryRow("SELECT status, enabled, attributes, credentials, private, created_at, updated_at "+
		"FROM users WHERE pool_id = ? AND username = ?", spec.poolID, spec.template).
		Scan(&t.status, &t.enabled, &attrs, &t.credentials, &t.private, &t.created, &t.updated)
	if err != nil {
		return fmt.Errorf("read template user: %w", err)
	}
	if err := json.Unmarshal([]byte(attrs), &t.attrs); err != nil {
		return fmt.Errorf("decode template attributes: %w", err)
	}
	seed := uint64(0x5ca1e)
	if spec.bySub {
		seed++
	}
	rng := rand.New(rand.NewPCG(uint64(spec.n), seed))
	for lo := 0; lo < spec.n; lo += fillBatch {
		if err := fillRange(db, &spec, &t, rng, lo, min(lo+fillBatch, spec.n)); err != nil {
			return err
		}
	}
	// The store counts its users in user_counts with every insert; these
	// inserts bypassed it.
	if _, err := db.Exec("INSERT INTO user_counts (pool_id, shard, n) VALUES (?, 0, ?) "+
		"ON CONFLICT (pool_id, shard) DO UPDATE SET n = user_counts.n + excluded.n", spec.poolID, spec.n-len(spec.real)); err != nil {
		return fmt.Errorf("count the fillers: %w", err)
	}
	var count int
	if err := db.QueryRow("SELECT COUNT(*) FROM users WHERE pool_id = ?", spec.poolID).Scan(&count); err != nil {
		return fmt.Errorf("count users: %w", err)
	}
	if count != spec.n {
		return fmt.Errorf("pool has %d users after filling, want %d", count, spec.n)
	}
	if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// fillRange inserts the fillers lo .. hi-1 in one transaction.
func fillRange(db *sql.DB, spec *fillSpec, t *templateRow, rng *rand.Rand, lo, hi int) error {
	tx, err := db.Begin()
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.Prepare("INSERT INTO users (pool_id, username, status, enabled, attributes, credentials, private, " +
		"created_at, updated_at, sub, email, phone_number, preferred_username) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)")
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	defer stmt.Close()
	attrs := make(map[string]string, len(t.attrs))
	for k, v := range t.attrs {
		attrs[k] = v
	}
	for i := lo; i < hi; i++ {
		if spec.real[i] {
			continue
		}
		sub := uuid(rng)
		name, email := username(i), username(i)+"@example.com"
		if spec.bySub {
			name = sub
		}
		attrs["sub"], attrs["email"] = sub, email
		raw, err := json.Marshal(attrs)
		if err != nil {
			return err
		}
		if _, err := stmt.Exec(spec.poolID, name, t.status, t.enabled, string(raw), t.credentials, t.private,
			t.created, t.updated, sub, strings.ToLower(email)); err != nil {
			return fmt.Errorf("insert %s: %w", name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// uuid formats 16 random bytes as a version-4 UUID, like a Cognito sub.
func uuid(rng *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// resetState clears what earlier runs left behind (sessions, refresh
// tokens, lockout counters), so every run starts from the same tables.
func resetState(path string) error {
	db, err := openRaw(path)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, q := range []string{"DELETE FROM sessions", "DELETE FROM lockouts",
		"PRAGMA wal_checkpoint(TRUNCATE)"} {
		if _, err := db.Exec(q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}
