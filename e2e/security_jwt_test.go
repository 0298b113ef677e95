package e2e

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

var b64url = base64.RawURLEncoding

// jwt assembles header.payload.signature; sign gets the signing input.
func jwt(header, payloadB64 string, sign func(input []byte) []byte) string {
	input := b64url.EncodeToString([]byte(header)) + "." + payloadB64
	return input + "." + b64url.EncodeToString(sign([]byte(input)))
}

func rs256With(t *testing.T, key *rsa.PrivateKey) func([]byte) []byte {
	return func(in []byte) []byte {
		sum := sha256.Sum256(in)
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
}

func hs256With(secret []byte) func([]byte) []byte {
	return func(in []byte) []byte { m := hmac.New(sha256.New, secret); m.Write(in); return m.Sum(nil) }
}

// poolPublicKey fetches the pool's JWKS and returns the key with kid.
func poolPublicKey(t *testing.T, d *demo, kid string) *rsa.PublicKey {
	t.Helper()
	status, body, _ := get(t, d.srv.URL+"/"+d.poolID+"/.well-known/jwks.json", "")
	var jwks struct{ Keys []struct{ Kid, N, E string } }
	if err := json.Unmarshal([]byte(body), &jwks); status != 200 || err != nil {
		t.Fatalf("jwks: %d %s %v", status, body, err)
	}
	for _, k := range jwks.Keys {
		if k.Kid != kid {
			continue
		}
		n, err1 := b64url.DecodeString(k.N)
		e, err2 := b64url.DecodeString(k.E)
		if err1 != nil || err2 != nil {
			t.Fatalf("jwk %v %v", err1, err2)
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	t.Fatalf("kid %s not in the JWKS", kid)
	return nil
}

// otherPoolIDToken signs in to a second pool and returns its id token.
func otherPoolIDToken(t *testing.T, d *demo) string {
	t.Helper()
	ctx := context.Background()
	pool, err := d.idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("other-pool")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := pool.UserPool.Id
	client, err := d.idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: poolID, ClientName: aws.String("other"),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	other := &demo{srv: d.srv, idp: d.idp, poolID: aws.ToString(poolID), clientID: aws.ToString(client.UserPoolClient.ClientId)}
	other.createUser(t, "alice", "alice@example.com", "0ther-Passw0rd!")
	out, err := other.passwordAuth("alice", "0ther-Passw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.AuthenticationResult.IdToken)
}

// TestJWTAttacksThroughGateway sends forged and misused tokens to both demo
// routes (the custom TOKEN authorizer and the Cognito authorizer): every one
// is a 401 {"message":"Unauthorized"}, and no key URL given in a token is
// ever fetched.
func TestJWTAttacksThroughGateway(t *testing.T) {
	d := startDemo(t)
	d.createUser(t, "alice", "alice@example.com", "Al1ce-Passw0rd!")
	tok := d.loginSRP(t, "alice", "Al1ce-Passw0rd!")
	id := aws.ToString(tok.IdToken)
	idKid, payload := kid(t, id), strings.Split(id, ".")[1]

	pub := poolPublicKey(t, d, idKid)
	pkix, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pkixPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})
	pkcs1PEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(pub)})
	attacker, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	attackerJWK := fmt.Sprintf(`{"kty":"RSA","kid":%q,"n":%q,"e":"AQAB"}`, idKid, b64url.EncodeToString(attacker.N.Bytes()))
	var fetched atomic.Int32
	keyServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fetched.Add(1)
		fmt.Fprintf(w, `{"keys":[%s]}`, attackerJWK)
	}))
	defer keyServer.Close()
	forged := rs256With(t, attacker)
	hdr := func(extra string) string { return `{"kid":"` + idKid + `","alg":"RS256"` + extra + `}` }

	cases := []struct {
		name, token string
		status      int // 0: 401 Unauthorized
	}{
		{name: "alg none", token: jwt(`{"kid":"`+idKid+`","alg":"none"}`, payload, func([]byte) []byte { return nil })},
		{name: "alg none, original signature", token: jwt(`{"kid":"`+idKid+`","alg":"none"}`, payload, func([]byte) []byte { s, _ := b64url.DecodeString(strings.Split(id, ".")[2]); return s })},
		{name: "HS256 keyed with the PKIX PEM", token: jwt(`{"kid":"`+idKid+`","alg":"HS256"}`, payload, hs256With(pkixPEM))},
		{name: "HS256 keyed with the PKCS1 PEM", token: jwt(`{"kid":"`+idKid+`","alg":"HS256"}`, payload, hs256With(pkcs1PEM))},
		{name: "HS256 keyed with the DER", token: jwt(`{"kid":"`+idKid+`","alg":"HS256"}`, payload, hs256With(pkix))},
		{name: "HS256 keyed with the modulus", token: jwt(`{"kid":"`+idKid+`","alg":"HS256"}`, payload, hs256With(pub.N.Bytes()))},
		{name: "RS512", token: jwt(`{"kid":"`+idKid+`","alg":"RS512"}`, payload, forged)},
		{name: "jwk header", token: jwt(hdr(`,"jwk":`+attackerJWK), payload, forged)},
		{name: "jku header", token: jwt(hdr(`,"jku":"`+keyServer.URL+`/jwks.json"`), payload, forged)},
		{name: "x5u header", token: jwt(hdr(`,"x5u":"`+keyServer.URL+`/cert.pem"`), payload, forged)},
		{name: "kid path traversal", token: jwt(`{"kid":"../../etc/passwd","alg":"RS256"}`, payload, forged)},
		{name: "kid url", token: jwt(`{"kid":"`+keyServer.URL+`/jwks.json","alg":"RS256"}`, payload, forged)},
		{name: "kid sql", token: jwt(`{"kid":"x' OR '1'='1","alg":"RS256"}`, payload, forged)},
		{name: "kid 5 KB", token: jwt(`{"kid":"`+strings.Repeat("k", 5<<10)+`","alg":"RS256"}`, payload, forged)},
		// A 10 KB kid makes the Authorization header alone larger than the
		// 10 KiB header limit: API Gateway answers 431 before any authorizer.
		{name: "kid 10 KB", token: jwt(`{"kid":"`+strings.Repeat("k", 10<<10)+`","alg":"RS256"}`, payload, forged), status: 431},
		{name: "attacker key, pool kid", token: jwt(hdr(""), payload, forged)},
		{name: "access token", token: aws.ToString(tok.AccessToken)},
		{name: "refresh token", token: aws.ToString(tok.RefreshToken)},
		{name: "id token of another pool", token: otherPoolIDToken(t, d)},
		{name: "id token with a trailing dot", token: id + "."},
		{name: "bearer with two tokens", token: id + " " + id},
	}
	for _, route := range []string{"/dev/notes", "/dev/cognito/notes"} {
		for _, tc := range cases {
			t.Run(route+"/"+tc.name, func(t *testing.T) {
				status, body, hdr := get(t, d.srv.URL+route, tc.token)
				switch tc.status {
				case 0:
					if status != 401 || body != `{"message":"Unauthorized"}` || hdr.Get("x-amzn-ErrorType") != "UnauthorizedException" {
						t.Errorf("%d %q %s", status, hdr.Get("x-amzn-ErrorType"), body)
					}
				default:
					if status != tc.status || !strings.HasPrefix(body, `{"message":`) {
						t.Errorf("%d %s, want %d", status, body, tc.status)
					}
				}
			})
		}
		if status, body, _ := get(t, d.srv.URL+route, id); status != 200 {
			t.Errorf("%s: the genuine token is refused: %d %s", route, status, body)
		}
	}
	if n := fetched.Load(); n != 0 {
		t.Errorf("the server fetched a key from a URL given in a token (%d times)", n)
	}

	t.Run("unknown-kid flood", func(t *testing.T) {
		// 500 tokens with random well-formed kids, 8 at a time, across both
		// authorizers. Each unknown kid may cost the key ring a store reload
		// at most once a second per pool, so the flood must be answered at
		// the pace of cheap refusals; the bound is loose for a shared 2-core
		// machine yet far below what a reload per request would cost.
		const total, workers = 500, 8
		var (
			wg   sync.WaitGroup
			next atomic.Int32
			bad  atomic.Int32
		)
		client := &http.Client{Timeout: 10 * time.Second}
		start := time.Now()
		for range workers {
			wg.Go(func() {
				for i := int(next.Add(1)); i <= total; i = int(next.Add(1)) {
					k := make([]byte, 32)
					rand.Read(k)
					token := jwt(`{"kid":"`+b64url.EncodeToString(k)+`","alg":"RS256"}`, payload, func([]byte) []byte { return k[:] })
					route := []string{"/dev/notes", "/dev/cognito/notes"}[i%2]
					req, _ := http.NewRequest(http.MethodGet, d.srv.URL+route, nil)
					req.Header.Set("Authorization", token)
					resp, err := client.Do(req)
					if err != nil {
						bad.Add(1)
						continue
					}
					resp.Body.Close()
					if resp.StatusCode != 401 {
						bad.Add(1)
					}
				}
			})
		}
		wg.Wait()
		took := time.Since(start)
		t.Logf("%d unknown-kid requests in %v", total, took)
		if bad.Load() != 0 {
			t.Errorf("%d requests were not answered 401", bad.Load())
		}
		if took > 5*time.Second {
			t.Errorf("the flood took %v", took)
		}
		for _, route := range []string{"/dev/notes", "/dev/cognito/notes"} {
			if status, body, _ := get(t, d.srv.URL+route, id); status != 200 {
				t.Errorf("%s after the flood: %d %s", route, status, body)
			}
		}
	})
}
