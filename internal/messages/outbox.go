package messages

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/cognate-dev/cognate/internal/store"
)

// DefaultKeep is how many messages per pool the outbox keeps by default.
const DefaultKeep = 50

// OutboxStore is the part of the store the outbox uses.
type OutboxStore interface {
	AddMessage(ctx context.Context, m store.Message, keep int) (int64, error)
	ListMessages(ctx context.Context, poolID string, limit int) ([]store.Message, error)
	GetPool(ctx context.Context, id string) (store.Pool, error)
}

// Sealer seals outbox entries at rest (they carry codes).
type Sealer interface {
	Seal(plaintext, aad []byte) []byte
	Open(sealed, aad []byte) ([]byte, error)
}

// Outbox records every message in the store, sealed, keeping the newest
// Keep of each pool; all nodes sharing the store read the same outbox.
type Outbox struct {
	store  OutboxStore
	sealer Sealer
	keep   int
}

// NewOutbox returns an outbox keeping keep messages per pool (DefaultKeep
// when keep <= 0).
func NewOutbox(st OutboxStore, sealer Sealer, keep int) *Outbox {
	if keep <= 0 {
		keep = DefaultKeep
	}
	return &Outbox{store: st, sealer: sealer, keep: keep}
}

func outboxAAD(poolID string) []byte { return []byte("outbox|" + poolID) }

// Send implements Sender: it records m.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	raw, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if _, err := o.store.AddMessage(ctx, store.Message{PoolID: m.PoolID, CreatedAt: m.SentAt,
		Data: o.sealer.Seal(raw, outboxAAD(m.PoolID))}, o.keep); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// Entry is a message as the outbox lists it.
type Entry struct {
	Seq int64 `json:"seq"`
	Message
}

// Filter narrows a listing.
type Filter struct {
	// Username, when set, keeps only that user's messages.
	Username string
	// Limit bounds the answer (the outbox's size when <= 0).
	Limit int
}

// List returns a pool's messages, newest first.
func (o *Outbox) List(ctx context.Context, poolID string, f Filter) ([]Entry, error) {
	rows, err := o.store.ListMessages(ctx, poolID, o.keep)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	out := []Entry{}
	for _, r := range rows {
		raw, err := o.sealer.Open(r.Data, outboxAAD(poolID))
		if err != nil {
			return nil, fmt.Errorf("outbox: message %d: %w", r.Seq, err)
		}
		var e Entry
		if err := json.Unmarshal(raw, &e.Message); err != nil {
			return nil, fmt.Errorf("outbox: message %d: %w", r.Seq, err)
		}
		e.Seq = r.Seq
		if f.Username != "" && e.Username != f.Username {
			continue
		}
		out = append(out, e)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out, nil
}

// ListResponse is the body of GET /_cognate/outbox/{poolId}.
type ListResponse struct {
	Messages []Entry `json:"messages"`
}

// Mount serves GET /_cognate/outbox/{poolId} on mux (see Handler); a nil
// outbox (messages.outbox.disabled) answers 404 for every pool.
func (o *Outbox) Mount(mux *http.ServeMux) {
	const pattern = "GET /_cognate/outbox/{poolId}"
	if o == nil {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"The outbox is disabled (messages.outbox.disabled)."}` + "\n")) //nolint:errcheck // best effort
		})
		return
	}
	mux.Handle(pattern, o.Handler(func(ctx context.Context, poolID string) bool {
		_, err := o.store.GetPool(ctx, poolID)
		return err == nil
	}))
}

// Handler serves GET /_cognate/outbox/{poolId}[?username=U&limit=N]; the
// caller has already checked the signature and cognate:ReadOutbox. exists
// tells whether a pool exists (404 otherwise).
func (o *Outbox) Handler(exists func(ctx context.Context, poolID string) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		poolID := r.PathValue("poolId")
		limit := 0
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				w.WriteHeader(http.StatusBadRequest)
				json.NewEncoder(w).Encode(map[string]string{"message": "limit must be a positive integer"}) //nolint:errcheck // best effort
				return
			}
			limit = n
		}
		if !exists(r.Context(), poolID) {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]string{"message": "User pool " + poolID + " does not exist."}) //nolint:errcheck // best effort
			return
		}
		list, err := o.List(r.Context(), poolID, Filter{Username: r.URL.Query().Get("username"), Limit: limit})
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"message":"Internal server error"}` + "\n")) //nolint:errcheck // best effort
			return
		}
		json.NewEncoder(w).Encode(ListResponse{Messages: list}) //nolint:errcheck // best effort
	})
}
