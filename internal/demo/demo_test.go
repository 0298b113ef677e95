package demo

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

func TestListAccountNotes(t *testing.T) {
	tests := []struct {
		name, event, wantTitle string
	}{
		{"with policy context", `{"policyContext":{"principalId":"s","username":"alice","email":"a@x"}}`, "Notes for alice"},
		{"without policy context", `{"body-json":{}}`, "Notes for anonymous"},
		{"empty username", `{"policyContext":{"username":""}}`, "Notes for anonymous"},
		{"no event", ``, "Notes for anonymous"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := ListAccountNotes(context.Background(), json.RawMessage(tt.event))
			if err != nil {
				t.Fatal(err)
			}
			var got NotesResponse
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if got.Title != tt.wantTitle || len(got.Notes) != 2 || got.Notes[1].Title != "about the sunlight" {
				t.Fatalf("got %+v", got)
			}
		})
	}
	if _, err := ListAccountNotes(context.Background(), json.RawMessage(`{`)); err == nil {
		t.Fatal("malformed event accepted")
	}
}

func TestNotesAuthorizer(t *testing.T) {
	verify := func(_ context.Context, token string) (map[string]any, error) {
		if token != "good" {
			return nil, errors.New("bad token")
		}
		return map[string]any{"sub": "sub-1", "cognito:username": "alice", "email": "alice@example.com"}, nil
	}
	auth := NewNotesAuthorizer(verify)
	arn := "arn:aws:execute-api:us-east-1:000000000000:abc123/dev/GET/notes"
	for _, tok := range []string{"good", "Bearer good"} {
		out, err := auth(context.Background(), json.RawMessage(`{"type":"TOKEN","authorizationToken":"`+tok+`","methodArn":"`+arn+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		var got authorizerResponse
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		if got.PrincipalID != "sub-1" || got.Context["username"] != "alice" || got.Context["email"] != "alice@example.com" {
			t.Fatalf("got %+v", got)
		}
		st := got.PolicyDocument.Statement[0]
		if st.Effect != "Allow" || st.Resource != "arn:aws:execute-api:us-east-1:000000000000:abc123/dev/*/*" {
			t.Fatalf("statement %+v", st)
		}
	}
	for _, tok := range []string{"", "bad", "Bearer "} {
		_, err := auth(context.Background(), json.RawMessage(`{"type":"TOKEN","authorizationToken":"`+tok+`","methodArn":"`+arn+`"}`))
		if !errors.Is(err, ErrUnauthorized) || err.Error() != "Unauthorized" {
			t.Fatalf("token %q: err %v", tok, err)
		}
	}
}
