// Package demo holds the reference scenario's builtin functions: the notes
// service (listAccountNotes) and a Go port of the tutorial's custom TOKEN
// authorizer (notesAuthorizer).
package demo

import (
	"context"
	"encoding/json"
	"fmt"
)

// Note is one note of the demo's notes service.
type Note struct {
	Title    string `json:"title"`
	Contents string `json:"contents"`
}

// NotesResponse is what listAccountNotes answers.
type NotesResponse struct {
	Title string `json:"title"`
	Notes []Note `json:"notes"`
}

// notesEvent is the part of the integration's event the notes service reads:
// the policyContext block the request template builds from the authorizer.
type notesEvent struct {
	PolicyContext *struct {
		PrincipalID string `json:"principalId"`
		Username    string `json:"username"`
		Email       string `json:"email"`
	} `json:"policyContext"`
}

// ListAccountNotes is the notes service: it answers the fixed notes under a
// title naming the caller from policyContext.username, or "anonymous".
func ListAccountNotes(_ context.Context, event json.RawMessage) (json.RawMessage, error) {
	var ev notesEvent
	if len(event) > 0 {
		if err := json.Unmarshal(event, &ev); err != nil {
			return nil, fmt.Errorf("decode event: %w", err)
		}
	}
	user := "anonymous"
	if ev.PolicyContext != nil && ev.PolicyContext.Username != "" {
		user = ev.PolicyContext.Username
	}
	return json.Marshal(NotesResponse{
		Title: "Notes for " + user,
		Notes: []Note{
			{Title: "note 1", Contents: "this is just a test note"},
			{Title: "about the sunlight", Contents: "sunlight is beautiful, but you need sunglasses sometimes"},
		},
	})
}
