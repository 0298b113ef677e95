package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// BenchmarkInvokeOverLoopback compares a Lambda-style Invoke round trip over
// loopback HTTP with signing off (no signature, no middleware) and on (the
// client signs with the AWS SDK's signer, the server verifies and
// authorizes): the ratio is what enforcement costs a caller end to end.
func BenchmarkInvokeOverLoopback(b *testing.B) {
	payload := []byte(`{"policyContext":{"username":"alice","email":"alice@example.com"}}`)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(`{"title":"Notes for alice"}`))
	})
	v := NewVerifier(VerifierOptions{Keys: NewRegistry(NewAccessKey(testKeyID, testSecret, RootPrincipal("123456789012"))), Region: "us-east-1"})
	a := NewAuthority(v, AuthorityOptions{})
	rule := func(*http.Request) (string, string) {
		return "lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:notes"
	}
	run := func(b *testing.B, h http.Handler, sign bool) {
		srv := httptest.NewServer(h)
		defer srv.Close()
		client := srv.Client()
		signer := v4.NewSigner()
		sum := sha256.Sum256(payload)
		hash := hex.EncodeToString(sum[:])
		creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/2015-03-31/functions/notes/invocations", bytes.NewReader(payload))
			if sign {
				if err := signer.SignHTTP(context.Background(), creds, req, hash, "lambda", "us-east-1", time.Now()); err != nil {
					b.Fatal(err)
				}
			}
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	}
	b.Run("signing=off", func(b *testing.B) { run(b, handler, false) })
	b.Run("signing=on", func(b *testing.B) { run(b, a.RESTMiddleware("lambda", 6<<20, rule, handler), true) })
}
