package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/iampolicy"
)

func TestAuthorize(t *testing.T) {
	pol, err := iampolicy.ParseIdentity([]byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"cognito-idp:Admin*","Resource":"arn:aws:cognito-idp:us-east-1:123456789012:userpool/*"},
		{"Effect":"Deny","Action":"cognito-idp:AdminSetUserPassword","Resource":"*"},
		{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	a := NewAuthority(testVerifier(false), AuthorityOptions{})
	user := UserPrincipal("123456789012", "ops", "AIDAOPS", []*iampolicy.Policy{pol})
	pool := "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"
	r := httptest.NewRequest("POST", "/", nil)
	if err := a.Authorize(r, user, "cognito-idp:AdminGetUser", pool); err != nil {
		t.Fatalf("allowed action: %v", err)
	}
	err = a.Authorize(r, user, "cognito-idp:AdminSetUserPassword", pool)
	ae := wantCode(t, err, CodeAccessDenied)
	if ae.Message != "User: arn:aws:iam::123456789012:user/ops is not authorized to perform: cognito-idp:AdminSetUserPassword on resource: "+pool+" with an explicit deny in an identity-based policy" {
		t.Fatal(ae.Message)
	}
	ae = wantCode(t, a.Authorize(r, user, "cognito-idp:DeleteUserPool", pool), CodeAccessDenied)
	if !strings.HasSuffix(ae.Message, "because no identity-based policy allows the cognito-idp:DeleteUserPool action") {
		t.Fatal(ae.Message)
	}
	// The condition on aws:SourceIp: httptest's RemoteAddr is 192.0.2.1.
	if err := a.Authorize(r, user, "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:notes"); err != nil {
		t.Fatalf("condition met: %v", err)
	}
	r.RemoteAddr = "198.51.100.7:1234"
	wantCode(t, a.Authorize(r, user, "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:notes"), CodeAccessDenied)
	if err := a.Authorize(r, RootPrincipal("123456789012"), "cognito-idp:DeleteUserPool", pool); err != nil {
		t.Fatalf("root: %v", err)
	}
}

func TestCheckRefusesForeignOrigins(t *testing.T) {
	body := []byte(`{}`)
	a := NewAuthority(testVerifier(true), AuthorityOptions{AllowedOrigins: []string{"https://admin.example.com"}})
	r := signed(t, "POST", "http://127.0.0.1:4566/", body, "cognito-idp", testKeyID, testSecret, testNow, nil)
	r.Header.Set("Origin", "https://evil.example")
	_, _, err := a.Check(r, body, "cognito-idp", "cognito-idp:AdminGetUser", "*")
	wantCode(t, err, CodeAccessDenied)
	r.Header.Set("Origin", "https://admin.example.com")
	ctx, _, err := a.Check(r, body, "cognito-idp", "cognito-idp:AdminGetUser", "*")
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := PrincipalFrom(ctx); !ok || !p.Root {
		t.Fatalf("principal %v", p)
	}
}

// BenchmarkVerify measures a whole SigV4 verification of a typical Cognito
// admin call (signing key cached, as for every call after a key's first
// of the day); BenchmarkVerifyFloor is the cryptography it cannot avoid:
// hashing the body and the canonical request and one HMAC-SHA256.
func BenchmarkVerify(b *testing.B) {
	v := testVerifier(false)
	body := []byte(`{"UserPoolId":"us-east-1_abcdefghi","Username":"alice","UserAttributes":[{"Name":"email","Value":"alice@example.com"}]}`)
	t := &testing.T{}
	r := signed(t, "POST", "http://127.0.0.1:4566/", body, "cognito-idp", testKeyID, testSecret, testNow, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := v.Verify(context.Background(), r, body, "cognito-idp"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyFloor(b *testing.B) {
	body := []byte(`{"UserPoolId":"us-east-1_abcdefghi","Username":"alice","UserAttributes":[{"Name":"email","Value":"alice@example.com"}]}`)
	canonical := strings.Repeat("x", 330) // the size of the request's canonical form
	key := make([]byte, 32)
	b.ReportAllocs()
	for b.Loop() {
		s1 := sha256.Sum256(body)
		s2 := sha256.Sum256([]byte(canonical + hex.EncodeToString(s1[:])))
		m := hmac.New(sha256.New, key)
		m.Write([]byte("AWS4-HMAC-SHA256\n20261201T120000Z\n20261201/us-east-1/cognito-idp/aws4_request\n" + hex.EncodeToString(s2[:])))
		m.Sum(nil)
	}
}
