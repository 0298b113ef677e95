package iampolicy

import (
	"errors"
	"testing"
)

func TestParseIdentityErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"principal":      `{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`,
		"unknown op":     `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringSorta":{"aws:username":"x"}}}}`,
		"bad qualifier":  `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForSome:StringEquals":{"k":"x"}}}}`,
		"not object":     `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":["x"]}}`,
		"bad cidr":       `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/99"}}}}`,
		"bad number":     `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"k":"ten"}}}}`,
		"bad date":       `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}}`,
		"bad bool":       `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}}`,
		"nested value":   `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":{"a":1}}}}}`,
		"empty list val": `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":[]}}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseIdentity([]byte(doc)); !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("ParseIdentity = %v, want ErrInvalidPolicy", err)
			}
		})
	}
}

func TestConditions(t *testing.T) {
	ctx := Context{}
	ctx.Set("aws:SourceIp", "10.1.2.3")
	ctx.Set("aws:username", "alice")
	ctx.Set("aws:SecureTransport", "false")
	ctx.Set("aws:CurrentTime", "2026-12-01T12:00:00Z")
	ctx.Set("aws:EpochTime", "1796126400")
	ctx.Set("aws:PrincipalArn", "arn:aws:iam::123456789012:user/alice")
	ctx.Set("cognate:Tags", "a", "b")
	tests := []struct {
		name, cond string
		want       bool
	}{
		{"ip in cidr", `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, true},
		{"ip not in cidr", `{"IpAddress":{"aws:SourceIp":["192.168.0.0/16","172.16.0.0/12"]}}`, false},
		{"not ip", `{"NotIpAddress":{"aws:SourceIp":"192.168.0.0/16"}}`, true},
		{"ip single address", `{"IpAddress":{"aws:SourceIp":"10.1.2.3"}}`, true},
		{"string equals", `{"StringEquals":{"aws:username":"alice"}}`, true},
		{"key case insensitive", `{"StringEquals":{"AWS:UserName":"alice"}}`, true},
		{"string equals case sensitive value", `{"StringEquals":{"aws:username":"Alice"}}`, false},
		{"ignore case", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, true},
		{"string not equals any", `{"StringNotEquals":{"aws:username":["bob","carol"]}}`, true},
		{"string not equals hit", `{"StringNotEquals":{"aws:username":["bob","alice"]}}`, false},
		{"like", `{"StringLike":{"aws:username":"al*"}}`, true},
		{"not like", `{"StringNotLike":{"aws:username":"al?ce"}}`, false},
		{"missing key positive", `{"StringEquals":{"aws:userid":"x"}}`, false},
		{"missing key negated", `{"StringNotEquals":{"aws:userid":"x"}}`, true},
		{"missing key ifexists", `{"StringEqualsIfExists":{"aws:userid":"x"}}`, true},
		{"present key ifexists", `{"StringEqualsIfExists":{"aws:username":"x"}}`, false},
		{"null true absent", `{"Null":{"aws:userid":"true"}}`, true},
		{"null false present", `{"Null":{"aws:username":"false"}}`, true},
		{"null true present", `{"Null":{"aws:username":"true"}}`, false},
		{"bool", `{"Bool":{"aws:SecureTransport":"false"}}`, true},
		{"bool json", `{"Bool":{"aws:SecureTransport":true}}`, false},
		{"date before", `{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}`, true},
		{"date after", `{"DateGreaterThan":{"aws:CurrentTime":"2027-01-01"}}`, false},
		{"date epoch", `{"DateGreaterThanEquals":{"aws:CurrentTime":1796126400}}`, true},
		{"numeric", `{"NumericLessThan":{"aws:EpochTime":1796126401}}`, true},
		{"numeric not equals", `{"NumericNotEquals":{"aws:EpochTime":"1796126400"}}`, false},
		{"arn like", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}`, true},
		{"arn not equals", `{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:user/alice"}}`, false},
		{"and of keys", `{"StringEquals":{"aws:username":"alice","aws:SecureTransport":"true"}}`, false},
		{"and of operators", `{"StringEquals":{"aws:username":"alice"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, true},
		{"for all values subset", `{"ForAllValues:StringEquals":{"cognate:Tags":["a","b","c"]}}`, true},
		{"for all values not subset", `{"ForAllValues:StringEquals":{"cognate:Tags":["a"]}}`, false},
		{"for all values absent", `{"ForAllValues:StringEquals":{"cognate:Other":["a"]}}`, true},
		{"for any value", `{"ForAnyValue:StringEquals":{"cognate:Tags":["b","z"]}}`, true},
		{"for any value none", `{"ForAnyValue:StringEquals":{"cognate:Tags":["y","z"]}}`, false},
		{"policy variable in value", `{"StringLike":{"aws:PrincipalArn":"*:user/${aws:username}"}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"cognito-idp:*","Resource":"*","Condition":` + tt.cond + `}}`
			p, err := ParseIdentity([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			got := p.EvaluateRequest(Request{Action: "cognito-idp:ListUsers", Resource: "arn:x", Context: ctx}) == Allowed
			if got != tt.want {
				t.Fatalf("allowed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestResourcePolicyVariables(t *testing.T) {
	p, err := ParseIdentity([]byte(`{"Statement":{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:*:*:function:${aws:username}-*"}}`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := Context{}
	ctx.Set("aws:username", "alice")
	if d := p.EvaluateRequest(Request{Action: "lambda:InvokeFunction", Resource: "arn:aws:lambda:us-east-1:1:function:alice-notes", Context: ctx}); d != Allowed {
		t.Fatalf("own function: %v", d)
	}
	if d := p.EvaluateRequest(Request{Action: "lambda:InvokeFunction", Resource: "arn:aws:lambda:us-east-1:1:function:bob-notes", Context: ctx}); d != ImplicitDeny {
		t.Fatalf("other's function: %v", d)
	}
}

func TestCombine(t *testing.T) {
	allow, _ := ParseIdentity([]byte(`{"Statement":{"Effect":"Allow","Action":"cognito-idp:*","Resource":"*"}}`))
	deny, _ := ParseIdentity([]byte(`{"Statement":{"Effect":"Deny","Action":"cognito-idp:AdminSetUserPassword","Resource":"*"}}`))
	r := Request{Action: "cognito-idp:AdminSetUserPassword", Resource: "*"}
	if d := Combine([]*Policy{allow, deny}, r); d != ExplicitDeny {
		t.Fatalf("deny in a second policy: %v", d)
	}
	if d := Combine([]*Policy{allow}, r); d != Allowed {
		t.Fatalf("allow: %v", d)
	}
	if d := Combine(nil, r); d != ImplicitDeny {
		t.Fatalf("no policies: %v", d)
	}
}
