package iampolicy

import (
	"errors"
	"testing"
)

const arn = "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/notes"

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"not json", `{`},
		{"no statement", `{"Version":"2012-10-17"}`},
		{"statement string", `{"Statement":"x"}`},
		{"bad effect", `{"Statement":{"Effect":"allow","Action":"*","Resource":"*"}}`},
		{"no action", `{"Statement":{"Effect":"Allow","Resource":"*"}}`},
		{"action and notaction", `{"Statement":{"Effect":"Allow","Action":"*","NotAction":"x","Resource":"*"}}`},
		{"no resource", `{"Statement":{"Effect":"Allow","Action":"*"}}`},
		{"resource number", `{"Statement":{"Effect":"Allow","Action":"*","Resource":5}}`},
		{"resource nested", `{"Statement":{"Effect":"Allow","Action":"*","Resource":[["a"]]}}`},
		{"empty list", `{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`},
		{"condition", `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.doc)); !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("Parse = %v, want ErrInvalidPolicy", err)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name, doc, action, resource string
		want                        Decision
	}{
		{"allow exact object statement", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"` + arn + `"}}`, InvokeAction, arn, Allowed},
		{"allow array", `{"Statement":[{"Effect":"Allow","Action":["execute-api:Invoke"],"Resource":["x","` + arn + `"]}]}`, InvokeAction, arn, Allowed},
		{"other resource implicit deny", `{"Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"` + arn + `x"}]}`, InvokeAction, arn, ImplicitDeny},
		{"star everything", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, InvokeAction, arn, Allowed},
		{"execute-api star", `{"Statement":[{"Effect":"Allow","Action":"execute-api:*","Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123/dev/*"}]}`, InvokeAction, arn, Allowed},
		{"action case insensitive", `{"Statement":[{"Effect":"Allow","Action":"EXECUTE-API:invoke","Resource":"*"}]}`, InvokeAction, arn, Allowed},
		{"resource case sensitive", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/Notes"}]}`, InvokeAction, arn, ImplicitDeny},
		{"other action", `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`, InvokeAction, arn, ImplicitDeny},
		{"question mark one char", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123/dev/?ET/notes"}]}`, InvokeAction, arn, Allowed},
		{"question mark not empty", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123/dev/GET/notes?"}]}`, InvokeAction, arn, ImplicitDeny},
		{"method wildcard", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:execute-api:*:*:abc123/*/GET/*"}]}`, InvokeAction, arn, Allowed},
		{"method wildcard other method", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:execute-api:*:*:abc123/*/POST/*"}]}`, InvokeAction, arn, ImplicitDeny},
		{"deny wins", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"execute-api:Invoke","Resource":"` + arn + `"}]}`, InvokeAction, arn, ExplicitDeny},
		{"deny first still deny", `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*/GET/*"},{"Effect":"Allow","Action":"*","Resource":"*"}]}`, InvokeAction, arn, ExplicitDeny},
		{"deny elsewhere allow here", `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*/POST/*"},{"Effect":"Allow","Action":"*","Resource":"*"}]}`, InvokeAction, arn, Allowed},
		{"only deny elsewhere", `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*/POST/*"}]}`, InvokeAction, arn, ImplicitDeny},
		{"not resource", `{"Statement":[{"Effect":"Allow","Action":"*","NotResource":"*/POST/*"}]}`, InvokeAction, arn, Allowed},
		{"not resource excludes", `{"Statement":[{"Effect":"Allow","Action":"*","NotResource":"*/GET/*"}]}`, InvokeAction, arn, ImplicitDeny},
		{"not action", `{"Statement":[{"Effect":"Deny","NotAction":"s3:*","Resource":"*"}]}`, InvokeAction, arn, ExplicitDeny},
		{"empty statements", `{"Statement":[]}`, InvokeAction, arn, ImplicitDeny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Evaluate(tt.action, tt.resource); got != tt.want {
				t.Fatalf("Evaluate = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"**a", "bbba", true},
		{"*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestNilPolicyDenies(t *testing.T) {
	var p *Policy
	if p.Evaluate(InvokeAction, arn) != ImplicitDeny {
		t.Fatal("nil policy allowed")
	}
}

func BenchmarkEvaluate(b *testing.B) {
	p, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:123456789012:abc123/dev/*"}]}`))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if p.Evaluate(InvokeAction, arn) != Allowed {
			b.Fatal("denied")
		}
	}
}
