// Package messages delivers the messages user pools send (verification and
// sign-in codes, invitations): over SMTP for email, to an HTTP webhook for
// SMS, and into a per-pool outbox in the store that every node shares and
// `cognate outbox` (GET /_cognate/outbox/{poolId}) reads. Router sends each
// message to the transport for its medium and records it in the outbox.
package messages

import (
	"context"
	"errors"
	"time"
)

// Media a message travels by.
const (
	MediumEmail = "EMAIL"
	MediumSMS   = "SMS"
)

// Message is one rendered message to one user.
type Message struct {
	PoolID   string `json:"poolId"`
	Username string `json:"username"`
	// Kind says what the message is for ("signup", "forgot", "attribute",
	// "invite", "mfa" ...).
	Kind string `json:"kind"`
	// Medium is MediumEmail or MediumSMS.
	Medium      string `json:"medium"`
	Destination string `json:"destination"`
	// From and ReplyTo are the email sender addresses (the pool's
	// EmailConfiguration); empty From means the transport's default.
	From    string `json:"from,omitempty"`
	ReplyTo string `json:"replyTo,omitempty"`
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body"`
	// Code is the code or temporary password the body carries.
	Code   string    `json:"code,omitempty"`
	SentAt time.Time `json:"sentAt"`
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// ErrNoTransport means no transport is configured for a message's medium.
var ErrNoTransport = errors.New("messages: no transport for this medium")
