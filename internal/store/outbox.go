package store

import (
	"context"
	"time"
)

// Message is one entry of a pool's outbox: a message sent to a user. Data is
// opaque (sealed by the caller); Seq is assigned by the store, strictly
// increasing across pools.
type Message struct {
	PoolID    string
	Seq       int64
	CreatedAt time.Time
	Data      []byte
}

// Outbox keeps the latest messages of each pool. Deleting a pool deletes its
// messages.
type Outbox interface {
	// AddMessage appends m to its pool's outbox, then keeps only the newest
	// keep messages of that pool (keep <= 0 keeps all). It returns m's Seq.
	// A missing pool is ErrNotFound.
	AddMessage(ctx context.Context, m Message, keep int) (int64, error)
	// ListMessages returns the pool's messages newest first, at most limit
	// (0 means 60).
	ListMessages(ctx context.Context, poolID string, limit int) ([]Message, error)
}
