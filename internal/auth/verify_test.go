package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testKeyID  = "AKIDCOGNATETEST0001"
	testSecret = "cognate-test-secret-key-0123456789"
)

var testNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func testVerifier(open bool) *Verifier {
	user := UserPrincipal("123456789012", "alice", "AIDACOGNATEALICE", nil)
	return NewVerifier(VerifierOptions{
		Keys: NewRegistry(NewAccessKey(testKeyID, testSecret, user)), Open: open,
		Region: "us-east-1", Account: "123456789012", Now: func() time.Time { return testNow },
	})
}

// signed builds a request signed by the AWS SDK for Go v2's signer.
func signed(t *testing.T, method, target string, body []byte, service, keyID, secret string, at time.Time, mutate func(*http.Request)) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.AdminGetUser")
	if mutate != nil {
		mutate(r)
	}
	sum := sha256.Sum256(body)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}, r, hex.EncodeToString(sum[:]), service, "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wantCode(t *testing.T, err error, code string) *Error {
	t.Helper()
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
	return ae
}

func TestVerifySDKSignatures(t *testing.T) {
	v := testVerifier(false)
	body := []byte(`{"UserPoolId":"us-east-1_abc","Username":"bob"}`)
	cases := map[string]*http.Request{
		"json post":  signed(t, "POST", "http://127.0.0.1:4566/", body, "cognito-idp", testKeyID, testSecret, testNow, nil),
		"arn path":   signed(t, "POST", "http://127.0.0.1:4566/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Anotes%3Alive/invocations?Qualifier=a%20b&x=%2F", body, "cognito-idp", testKeyID, testSecret, testNow, nil),
		"skew 14min": signed(t, "POST", "http://127.0.0.1:4566/", body, "cognito-idp", testKeyID, testSecret, testNow.Add(-14*time.Minute), nil),
		"spaces":     signed(t, "POST", "http://127.0.0.1:4566/", body, "cognito-idp", testKeyID, testSecret, testNow, func(r *http.Request) { r.Header.Set("X-Amz-Meta", "  a   b  ") }),
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			p, payload, err := v.Verify(context.Background(), r, body, "cognito-idp")
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != "alice" || !bytes.Equal(payload, body) {
				t.Fatalf("principal %+v payload %q", p, payload)
			}
		})
	}
}

func TestVerifyPresigned(t *testing.T) {
	v := testVerifier(false)
	r := httptest.NewRequest("GET", "http://127.0.0.1:4566/_cognate/functions/notes/logs?limit=5", nil)
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}, withExpires(r, 300), emptyPayloadHash, "cognate", "us-east-1", testNow)
	if err != nil {
		t.Fatal(err)
	}
	pr := httptest.NewRequest("GET", u, nil)
	if _, _, err := v.Verify(context.Background(), pr, nil, "cognate"); err != nil {
		t.Fatalf("presigned: %v", err)
	}
	late := testVerifier(false)
	late.now = func() time.Time { return testNow.Add(301 * time.Second) }
	ae := wantCode(t, mustFail(late.Verify(context.Background(), pr, nil, "cognate")), CodeInvalidSignature)
	if !strings.HasPrefix(ae.Message, "Signature expired: 20261201T120000Z is now earlier than") {
		t.Fatalf("message %q", ae.Message)
	}
	tampered := httptest.NewRequest("GET", strings.Replace(u, "limit=5", "limit=6", 1), nil)
	wantCode(t, mustFail(v.Verify(context.Background(), tampered, nil, "cognate")), CodeInvalidSignature)
}

func withExpires(r *http.Request, secs int) *http.Request {
	q := r.URL.Query()
	q.Set("X-Amz-Expires", fmt.Sprint(secs))
	r.URL.RawQuery = q.Encode()
	return r
}

func mustFail(_ *Principal, _ []byte, err error) error { return err }

func TestVerifyFailures(t *testing.T) {
	v := testVerifier(false)
	body := []byte(`{"UserPoolId":"us-east-1_abc"}`)
	good := func() *http.Request {
		return signed(t, "POST", "http://127.0.0.1:4566/", body, "cognito-idp", testKeyID, testSecret, testNow, nil)
	}
	t.Run("unsigned", func(t *testing.T) {
		r := httptest.NewRequest("POST", "http://127.0.0.1:4566/", bytes.NewReader(body))
		ae := wantCode(t, mustFail(v.Verify(context.Background(), r, body, "cognito-idp")), CodeMissingToken)
		if ae.Message != "Missing Authentication Token" {
			t.Fatal(ae.Message)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		r := signed(t, "POST", "http://127.0.0.1:4566/", body, "cognito-idp", testKeyID, "not-the-secret-at-all-000", testNow, nil)
		ae := wantCode(t, mustFail(v.Verify(context.Background(), r, body, "cognito-idp")), CodeInvalidSignature)
		for _, want := range []string{"The request signature we calculated does not match", "The Canonical String for this request should have been\n'POST\n/\n\ncontent-length:30\ncontent-type:application/x-amz-json-1.1\nhost:127.0.0.1:4566\n", "The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20261201T120000Z\n20261201/us-east-1/cognito-idp/aws4_request\n"} {
			if !strings.Contains(ae.Message, want) {
				t.Fatalf("message lacks %q:\n%s", want, ae.Message)
			}
		}
	})
	t.Run("tampered body", func(t *testing.T) {
		wantCode(t, mustFail(v.Verify(context.Background(), good(), []byte(`{"UserPoolId":"us-east-1_xyz"}`), "cognito-idp")), CodeInvalidSignature)
	})
	t.Run("tampered header", func(t *testing.T) {
		r := good()
		r.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.AdminDeleteUser")
		wantCode(t, mustFail(v.Verify(context.Background(), r, body, "cognito-idp")), CodeInvalidSignature)
	})
	t.Run("unknown key", func(t *testing.T) {
		r := signed(t, "POST", "http://127.0.0.1:4566/", body, "cognito-idp", "AKIDUNKNOWNKEY00001", testSecret, testNow, nil)
		ae := wantCode(t, mustFail(v.Verify(context.Background(), r, body, "cognito-idp")), CodeUnrecognized)
		if ae.Message != "The security token included in the request is invalid." {
			t.Fatal(ae.Message)
		}
	})
	t.Run("session token", func(t *testing.T) {
		r := good()
		r.Header.Set("X-Amz-Security-Token", "FwoGZXIvYXdzE")
		wantCode(t, mustFail(v.Verify(context.Background(), r, body, "cognito-idp")), CodeUnrecognized)
	})
	t.Run("expired", func(t *testing.T) {
		r := signed(t, "POST", "http://127.0.0.1:4566/", body, "cognito-idp", testKeyID, testSecret, testNow.Add(-16*time.Minute), nil)
		ae := wantCode(t, mustFail(v.Verify(context.Background(), r, body, "cognito-idp")), CodeInvalidSignature)
		if ae.Message != "Signature expired: 20261201T114400Z is now earlier than 20261201T114500Z (20261201T120000Z - 15 min.)" {
			t.Fatal(ae.Message)
		}
	})
	t.Run("future", func(t *testing.T) {
		r := signed(t, "POST", "http://127.0.0.1:4566/", body, "cognito-idp", testKeyID, testSecret, testNow.Add(16*time.Minute), nil)
		ae := wantCode(t, mustFail(v.Verify(context.Background(), r, body, "cognito-idp")), CodeInvalidSignature)
		if !strings.HasPrefix(ae.Message, "Signature not yet current: 20261201T121600Z is still later than 20261201T121500Z") {
			t.Fatal(ae.Message)
		}
	})
	t.Run("wrong service", func(t *testing.T) {
		r := signed(t, "POST", "http://127.0.0.1:4566/", body, "lambda", testKeyID, testSecret, testNow, nil)
		ae := wantCode(t, mustFail(v.Verify(context.Background(), r, body, "cognito-idp")), CodeInvalidSignature)
		if ae.Message != "Credential should be scoped to correct service: 'cognito-idp'. " {
			t.Fatal(ae.Message)
		}
	})
	t.Run("wrong region", func(t *testing.T) {
		r := httptest.NewRequest("POST", "http://127.0.0.1:4566/", bytes.NewReader(body))
		sum := sha256.Sum256(body)
		v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}, r, hex.EncodeToString(sum[:]), "cognito-idp", "eu-west-1", testNow)
		wantCode(t, mustFail(v.Verify(context.Background(), r, body, "cognito-idp")), CodeInvalidSignature)
	})
	t.Run("declared hash differs", func(t *testing.T) {
		r := good()
		r.Header.Set("X-Amz-Content-Sha256", emptyPayloadHash)
		wantCode(t, mustFail(v.Verify(context.Background(), r, body, "cognito-idp")), CodeInvalidSignature)
	})
	for name, h := range map[string]string{
		"other algorithm":  "AWS4-HMAC-SHA512 Credential=x",
		"no credential":    "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" + strings.Repeat("0", 64),
		"no signature":     "AWS4-HMAC-SHA256 Credential=" + testKeyID + "/20261201/us-east-1/cognito-idp/aws4_request, SignedHeaders=host",
		"no equals":        "AWS4-HMAC-SHA256 Credential",
		"short credential": "AWS4-HMAC-SHA256 Credential=" + testKeyID + "/20261201/us-east-1, SignedHeaders=host, Signature=" + strings.Repeat("0", 64),
	} {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "http://127.0.0.1:4566/", bytes.NewReader(body))
			r.Header.Set("X-Amz-Date", "20261201T120000Z")
			r.Header.Set("Authorization", h)
			wantCode(t, mustFail(v.Verify(context.Background(), r, body, "cognito-idp")), CodeIncomplete)
		})
	}
	t.Run("host not signed", func(t *testing.T) {
		r := httptest.NewRequest("POST", "http://127.0.0.1:4566/", bytes.NewReader(body))
		r.Header.Set("X-Amz-Date", "20261201T120000Z")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testKeyID+"/20261201/us-east-1/cognito-idp/aws4_request, SignedHeaders=x-amz-date, Signature="+strings.Repeat("0", 64))
		wantCode(t, mustFail(v.Verify(context.Background(), r, body, "cognito-idp")), CodeInvalidSignature)
	})
}

func TestOpenModeAcceptsAnyWellFormedSignature(t *testing.T) {
	v := testVerifier(true)
	body := []byte(`{}`)
	r := signed(t, "POST", "http://127.0.0.1:4566/", body, "cognito-idp", "ANYKEYATALL00000", "whatever-secret-000000", testNow, nil)
	p, _, err := v.Verify(context.Background(), r, body, "cognito-idp")
	if err != nil || !p.Root || p.ARN != "arn:aws:iam::123456789012:root" {
		t.Fatalf("open mode: %+v %v", p, err)
	}
	unsigned := httptest.NewRequest("POST", "http://127.0.0.1:4566/", bytes.NewReader(body))
	wantCode(t, mustFail(v.Verify(context.Background(), unsigned, body, "cognito-idp")), CodeMissingToken)
	old := signed(t, "POST", "http://127.0.0.1:4566/", body, "cognito-idp", "ANYKEYATALL00000", "whatever-secret-000000", testNow.Add(-time.Hour), nil)
	wantCode(t, mustFail(v.Verify(context.Background(), old, body, "cognito-idp")), CodeInvalidSignature)
}

// TestChunkedPayloadAWSExample checks aws-chunked payload signing against the
// example in AWS's "Transferring payload in multiple chunks" documentation.
func TestChunkedPayloadAWSExample(t *testing.T) {
	at := time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	user := UserPrincipal("123456789012", "doc", "AIDADOC", nil)
	v := NewVerifier(VerifierOptions{Keys: NewRegistry(NewAccessKey("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", user)), Region: "us-east-1", Now: func() time.Time { return at }})
	chunk := func(size int, sig string) string {
		return fmt.Sprintf("%x;chunk-signature=%s\r\n%s\r\n", size, sig, strings.Repeat("a", size))
	}
	body := chunk(65536, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648") +
		chunk(1024, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497") +
		chunk(0, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9")
	req := func(b string) *http.Request {
		r := httptest.NewRequest("PUT", "http://s3.amazonaws.com/examplebucket/chunkObject.txt", strings.NewReader(b))
		r.Header.Set("X-Amz-Date", "20130524T000000Z")
		r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
		r.Header.Set("X-Amz-Content-Sha256", streamingPayload)
		r.Header.Set("Content-Encoding", "aws-chunked")
		r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
		r.Header.Set("Content-Length", "66824")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
		return r
	}
	if len(body) != 66824 {
		t.Fatalf("body is %d bytes", len(body))
	}
	_, payload, err := v.Verify(context.Background(), req(body), []byte(body), "s3")
	if err != nil {
		t.Fatal(err)
	}
	if string(payload) != strings.Repeat("a", 66560) {
		t.Fatalf("decoded %d bytes", len(payload))
	}
	bad := strings.Replace(body, "aaaa\r\n400;", "aaab\r\n400;", 1)
	wantCode(t, mustFail(v.Verify(context.Background(), req(bad), []byte(bad), "s3")), CodeInvalidSignature)
	truncated := body[:len(body)-100]
	if _, _, err := v.Verify(context.Background(), req(truncated), []byte(truncated), "s3"); err == nil {
		t.Fatal("truncated chunked payload accepted")
	}
}
