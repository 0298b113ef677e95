package e2e

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/internal/userpool/srp"
)

// demo is the notes demo as a client sees it.
type demo struct {
	srv              *server
	idp              *cip.Client
	poolID, clientID string
}

func newIDP(url string) *cip.Client { return newIDPIn(url, "us-east-1") }

// newIDPIn is newIDP signing for region (the server's configured region).
func newIDPIn(url, region string) *cip.Client {
	return cip.New(cip.Options{
		Region:       region,
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDCOGNATE", "secret", ""),
	})
}

// startDemo starts `cognate up` without a config and finds the demo's pool and client.
func startDemo(t *testing.T) *demo {
	t.Helper()
	return startDemoIn(t, "")
}

// createUser creates a confirmed user with a permanent password.
func (d *demo) createUser(t *testing.T, username, email, password string) {
	t.Helper()
	ctx := context.Background()
	_, err := d.idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(d.poolID), Username: aws.String(username), MessageAction: ciptypes.MessageActionTypeSuppress,
		UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}, {Name: aws.String("email_verified"), Value: aws.String("true")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(d.poolID), Username: aws.String(username), Password: aws.String(password), Permanent: true,
	}); err != nil {
		t.Fatal(err)
	}
}

// loginSRP signs in with USER_SRP_AUTH through the SDK, the Go SRP client doing the client's math.
func (d *demo) loginSRP(t *testing.T, username, password string) *ciptypes.AuthenticationResultType {
	t.Helper()
	res, err := d.trySRP(username, password)
	if err != nil {
		t.Fatalf("SRP login: %v", err)
	}
	return res
}

func (d *demo) trySRP(username, password string) (*ciptypes.AuthenticationResultType, error) {
	ctx := context.Background()
	cl, err := srp.NewClient()
	if err != nil {
		return nil, err
	}
	first, err := d.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{
		AuthFlow: ciptypes.AuthFlowTypeUserSrpAuth, ClientId: aws.String(d.clientID),
		AuthParameters: map[string]string{"USERNAME": username, "SRP_A": cl.AHex()},
	})
	if err != nil {
		return nil, err
	}
	if first.ChallengeName != ciptypes.ChallengeNameTypePasswordVerifier {
		return nil, errors.New("challenge " + string(first.ChallengeName))
	}
	cp := first.ChallengeParameters
	_, poolName, _ := strings.Cut(d.poolID, "_")
	ts, sig, err := cl.Respond(poolName, cp["USER_ID_FOR_SRP"], password, cp["SALT"], cp["SRP_B"], cp["SECRET_BLOCK"], time.Now())
	if err != nil {
		return nil, err
	}
	second, err := d.idp.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
		ChallengeName: ciptypes.ChallengeNameTypePasswordVerifier, ClientId: aws.String(d.clientID), Session: first.Session,
		ChallengeResponses: map[string]string{
			"USERNAME": cp["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": cp["SECRET_BLOCK"],
			"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts,
		},
	})
	if err != nil {
		return nil, err
	}
	if second.AuthenticationResult == nil {
		return nil, errors.New("no tokens: challenge " + string(second.ChallengeName))
	}
	return second.AuthenticationResult, nil
}

// get calls the gateway with an optional Authorization header.
func get(t *testing.T, url, auth string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header
}

func apiErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// forge re-signs a token's claims with a key that is not the pool's, keeping its kid.
func forge(t *testing.T, token string, mutate func(map[string]any)) string {
	t.Helper()
	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(claims)
	}
	body, _ := json.Marshal(claims)
	signingInput := parts[0] + "." + base64.RawURLEncoding.EncodeToString(body)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(signingInput))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestReferenceScenario is the README's quick-start scenario (the request and
// login paths of docs/ARCHITECTURE.md), end to end, on the built-in demo: both authorizer variants, with an id token from an SRP login.
func TestReferenceScenario(t *testing.T) {
	d := startDemo(t)
	d.createUser(t, "alice", "alice@example.com", "Passw0rd!")
	tok := d.loginSRP(t, "alice", "Passw0rd!")
	id := aws.ToString(tok.IdToken)

	for _, path := range []string{"/dev/notes", "/dev/cognito/notes"} {
		t.Run(strings.TrimPrefix(path, "/dev/"), func(t *testing.T) {
			url := d.srv.URL + path
			status, body, hdr := get(t, url, "")
			if status != 401 || body != `{"message":"Unauthorized"}` {
				t.Fatalf("no token: %d %s", status, body)
			}
			if hdr.Get("x-amzn-ErrorType") == "" || hdr.Get("x-amzn-RequestId") == "" {
				t.Errorf("missing x-amzn headers: %v", hdr)
			}
			status, body, _ = get(t, url, id)
			if status != 200 {
				t.Fatalf("id token: %d %s", status, body)
			}
			var notes struct {
				Title string `json:"title"`
				Notes []struct{ Title, Contents string }
			}
			if err := json.Unmarshal([]byte(body), &notes); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			if notes.Title != "Notes for alice" || len(notes.Notes) != 2 || notes.Notes[1].Title != "about the sunlight" {
				t.Fatalf("notes = %+v", notes)
			}
			for name, bad := range map[string]string{
				"forged signature": forge(t, id, nil),
				"expired":          forge(t, id, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }),
				"garbage":          "not-a-token",
				"access token":     aws.ToString(tok.AccessToken),
			} {
				status, body, _ := get(t, url, bad)
				if status != 401 || body != `{"message":"Unauthorized"}` {
					t.Errorf("%s: %d %s", name, status, body)
				}
			}
		})
	}

	status, body, _ := get(t, d.srv.URL+"/dev/nowhere", id)
	if status != 403 || body != `{"message":"Missing Authentication Token"}` {
		t.Errorf("unknown route: %d %s", status, body)
	}
}

// kid returns a JWT's key id.
func kid(t *testing.T, token string) string {
	t.Helper()
	h, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct{ Kid string }
	if err := json.Unmarshal(h, &hdr); err != nil {
		t.Fatal(err)
	}
	return hdr.Kid
}
