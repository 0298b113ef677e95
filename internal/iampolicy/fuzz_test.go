package iampolicy

import (
	"strings"
	"testing"
)

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"}}`), "arn:aws:execute-api:r:a:id/dev/GET/x")
	f.Add([]byte(`{"Statement":[{"Effect":"Deny","NotAction":["s3:*"],"NotResource":"a?b*"}]}`), "a1b")
	f.Add([]byte(`{"Statement":[{"Effect":"Allow","Action":"*","Resource":["*/GET/*","x"]}]}`), "y/GET/z")
	f.Add([]byte(`[]`), "")
	f.Fuzz(func(t *testing.T, doc []byte, resource string) {
		p, err := Parse(doc)
		if err != nil {
			if p != nil {
				t.Fatal("policy returned with an error")
			}
			return
		}
		d := p.Evaluate(InvokeAction, resource)
		// A policy without Deny statements can never explicitly deny, and
		// one without Allow statements can never allow.
		var allows, denies bool
		for _, s := range p.Statements {
			allows = allows || s.Effect == Allow
			denies = denies || s.Effect == Deny
		}
		if d == ExplicitDeny && !denies || d == Allowed && !allows {
			t.Fatalf("decision %v impossible for %s", d, doc)
		}
	})
}

func FuzzMatch(f *testing.F) {
	f.Add("a*b?c", "axxbyc")
	f.Add("*", "")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		got := Match(pattern, s)
		if !strings.ContainsAny(pattern, "*?") && got != (pattern == s) {
			t.Fatalf("Match(%q, %q) = %v without wildcards", pattern, s, got)
		}
		if Match(pattern+"*", s+"tail") != true && got {
			t.Fatalf("appending * broke a match")
		}
	})
}
