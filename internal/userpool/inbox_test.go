package userpool

import (
	"context"
	"sync"
)

// Inbox is a CodeSender for tests: it records every delivery.
type Inbox struct {
	mu   sync.Mutex
	sent []Delivery
}

// Send implements CodeSender.
func (in *Inbox) Send(_ context.Context, d Delivery) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.sent = append(in.sent, d)
	return nil
}

// Last returns the latest code sent to username of pool poolID.
func (in *Inbox) Last(poolID, username string) (string, bool) {
	d, ok := in.LastDelivery(poolID, username)
	return d.Code, ok
}

// LastDelivery returns the latest delivery to username of pool poolID.
func (in *Inbox) LastDelivery(poolID, username string) (Delivery, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for i := len(in.sent) - 1; i >= 0; i-- {
		if d := in.sent[i]; d.PoolID == poolID && d.Username == username {
			return d, true
		}
	}
	return Delivery{}, false
}

// Count returns how many codes were sent.
func (in *Inbox) Count() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.sent)
}
