package vtl

import (
	"encoding/json"
	"strings"
	"testing"
)

// benchRequest is a realistic request for the reference scenario: a 1 KB
// JSON body, browser-like headers, query parameters and an authorizer context.
func benchRequest() *Request {
	var b strings.Builder
	b.WriteString(`{"title": "Shopping list", "notes": [`)
	for i := 0; b.Len() < 1000; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`{"id": "note-` + string(rune('a'+i%26)) + `", "contents": "remember the milk, the eggs and some bread", "done": false}`)
	}
	b.WriteString(`], "count": 42}`)
	return &Request{
		Body:        []byte(b.String()),
		Path:        map[string]string{"noteId": "n-42"},
		QueryString: map[string]string{"limit": "20", "sort": "desc"},
		Header: map[string]string{
			"Accept": "application/json", "Accept-Encoding": "gzip, deflate, br", "Authorization": "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiIxIn0.c2ln",
			"Content-Type": "application/json", "Host": "abc123.execute-api.localhost", "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0",
			"X-Forwarded-For": "192.0.2.10", "X-Forwarded-Proto": "https",
		},
		StageVariables: map[string]string{"table": "notes-dev"},
		Context: map[string]any{
			"accountId": "111122223333", "apiId": "abc123", "httpMethod": "GET", "stage": "dev",
			"requestId": "c0ffee00-0000-4000-8000-000000000001", "resourceId": "res123", "resourcePath": "/notes",
			"identity":   map[string]any{"sourceIp": "192.0.2.10", "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0"},
			"authorizer": map[string]any{"principalId": "7d8ca528-4931-4254-9273-ea5ee853f271", "username": "alice", "email": "alice@example.com"},
		},
	}
}

func BenchmarkRenderPassthroughPolicyContext(b *testing.B) {
	tmpl, err := Parse(loadCase(b, "aws_policycontext"))
	if err != nil {
		b.Fatal(err)
	}
	req := benchRequest()
	out, err := tmpl.RenderAPIGateway(req)
	if err != nil || !json.Valid([]byte(out)) {
		b.Fatalf("render: %v (valid JSON: %v)", err, json.Valid([]byte(out)))
	}
	b.SetBytes(int64(len(req.Body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tmpl.RenderAPIGateway(req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineEncodingJSON builds the same event with encoding/json (the
// hand-written Go alternative to the template), for a ratio measured in the same run.
func BenchmarkBaselineEncodingJSON(b *testing.B) {
	req := benchRequest()
	b.SetBytes(int64(len(req.Body)))
	b.ReportAllocs()
	for b.Loop() {
		ctx := req.Context
		id := ctx["identity"].(map[string]any)
		az := ctx["authorizer"].(map[string]any)
		ev := map[string]any{
			"body-json":       json.RawMessage(req.Body),
			"params":          map[string]any{"path": req.Path, "querystring": req.QueryString, "header": req.Header},
			"stage-variables": req.StageVariables,
			"context": map[string]any{
				"account-id": "", "api-id": ctx["apiId"], "api-key": "", "authorizer-principal-id": az["principalId"],
				"caller": "", "cognito-authentication-provider": "", "cognito-authentication-type": "",
				"cognito-identity-id": "", "cognito-identity-pool-id": "", "http-method": ctx["httpMethod"],
				"stage": ctx["stage"], "source-ip": id["sourceIp"], "user": "", "user-agent": id["userAgent"],
				"user-arn": "", "request-id": ctx["requestId"], "resource-id": ctx["resourceId"], "resource-path": ctx["resourcePath"],
			},
			"policyContext": map[string]any{"principalId": az["principalId"], "username": az["username"], "email": az["email"]},
		}
		if _, err := json.Marshal(ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParsePassthroughPolicyContext(b *testing.B) {
	src := loadCase(b, "aws_policycontext")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}
