package userpool

import (
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/userpool/srp"
)

func challengeKeys(m map[string]string) string {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return strings.Join(keys(out), ",")
}

func TestSRPLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID, clientID := e.setup(t)
	c, out, err := e.srpStart(t, clientID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	ch := out.ChallengeParameters
	if out.ChallengeName != types.ChallengeNameTypePasswordVerifier || challengeKeys(ch) != "SALT,SECRET_BLOCK,SRP_B,USERNAME,USER_ID_FOR_SRP" ||
		ch["USER_ID_FOR_SRP"] != "alice" || ch["USERNAME"] != "alice" {
		t.Fatalf("challenge %s %v", out.ChallengeName, ch)
	}
	res, err := e.respondSRP(clientID, srpAnswer(t, poolID, c, ch, goodPassword, e.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if res.AuthenticationResult == nil || *res.AuthenticationResult.RefreshToken == "" {
		t.Fatalf("result %+v", res)
	}
	e.verifyWithJWKS(t, poolID, *res.AuthenticationResult.IdToken)

	// The admin flow works the same way.
	c2, _ := srp.NewClient()
	aout, err := e.api.AdminInitiateAuth(e.ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(poolID), ClientId: aws.String(clientID),
		AuthFlow: types.AuthFlowTypeUserSrpAuth, AuthParameters: map[string]string{"USERNAME": "alice", "SRP_A": c2.AHex()}})
	if err != nil {
		t.Fatal(err)
	}
	ares, err := e.api.AdminRespondToAuthChallenge(e.ctx, &cip.AdminRespondToAuthChallengeInput{UserPoolId: aws.String(poolID), ClientId: aws.String(clientID),
		ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: srpAnswer(t, poolID, c2, aout.ChallengeParameters, goodPassword, e.clock.Now())})
	if err != nil || ares.AuthenticationResult == nil {
		t.Fatalf("admin SRP: %v", err)
	}
}

func TestSRPRejections(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID, clientID := e.setup(t)
	e.user(t, poolID, "bob")
	other := e.client(t, poolID)
	tests := []struct {
		name   string
		client string
		mutate func(resp map[string]string, now *time.Time)
	}{
		{"wrong password", clientID, func(r map[string]string, _ *time.Time) {}},
		{"skewed timestamp", clientID, func(r map[string]string, now *time.Time) { *now = now.Add(-10 * time.Minute) }},
		{"short signature", clientID, func(r map[string]string, _ *time.Time) {
			r["PASSWORD_CLAIM_SIGNATURE"] = base64.StdEncoding.EncodeToString(make([]byte, 16))
		}},
		{"malformed signature", clientID, func(r map[string]string, _ *time.Time) { r["PASSWORD_CLAIM_SIGNATURE"] = "!!" }},
		{"other user's name", clientID, func(r map[string]string, _ *time.Time) { r["USERNAME"] = "bob" }},
		{"other client", other, func(r map[string]string, _ *time.Time) {}},
		{"bad timestamp", clientID, func(r map[string]string, _ *time.Time) { r["TIMESTAMP"] = "yesterday" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, out, err := e.srpStart(t, clientID, "alice")
			if err != nil {
				t.Fatal(err)
			}
			now := e.clock.Now()
			password := goodPassword
			if tc.name == "wrong password" {
				password = "Wrong-Passw0rd"
			}
			probe := map[string]string{}
			tc.mutate(probe, &now)
			resp := srpAnswer(t, poolID, c, out.ChallengeParameters, password, now)
			for k, v := range probe {
				resp[k] = v
			}
			_, err = e.respondSRP(tc.client, resp)
			wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
		})
	}
}

func TestSRPSecretBlockSingleUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID, clientID := e.setup(t)
	c, out, err := e.srpStart(t, clientID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	resp := srpAnswer(t, poolID, c, out.ChallengeParameters, goodPassword, e.clock.Now())
	if _, err := e.respondSRP(clientID, resp); err != nil {
		t.Fatal(err)
	}
	_, err = e.respondSRP(clientID, resp)
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")

	// A session also dies with its validity (3 minutes by default).
	c, out, _ = e.srpStart(t, clientID, "alice")
	e.clock.Advance(4 * time.Minute)
	_, err = e.respondSRP(clientID, srpAnswer(t, poolID, c, out.ChallengeParameters, goodPassword, e.clock.Now()))
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
}

func TestSRPInvalidA(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, clientID := e.setup(t)
	n := "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
	bigN, _ := new(big.Int).SetString(n, 16)
	twoN := new(big.Int).Lsh(bigN, 1).Text(16)
	for name, a := range map[string]string{"zero": "0", "N": n, "2N": twoN, "not hex": "xyz", "huge": strings.Repeat("a", 5000)} {
		t.Run(name, func(t *testing.T) {
			_, err := e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserSrpAuth, ClientId: aws.String(clientID),
				AuthParameters: map[string]string{"USERNAME": "alice", "SRP_A": a}})
			wantErr(t, err, "InvalidParameterException", "Invalid SRP_A")
		})
	}
	_, err := e.api.InitiateAuth(e.ctx, &cip.InitiateAuthInput{AuthFlow: types.AuthFlowTypeUserSrpAuth, ClientId: aws.String(clientID),
		AuthParameters: map[string]string{"USERNAME": "alice"}})
	wantErr(t, err, "InvalidParameterException", "Missing required parameter SRP_A")
}

// TestSRPNoEnumeration: an unknown user gets a challenge shaped like a real
// one (stable across attempts, as a real user's salt is) and then the same
// error as a wrong password.
func TestSRPNoEnumeration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID, clientID := e.setup(t)
	_, real, err := e.srpStart(t, clientID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	c, ghost, err := e.srpStart(t, clientID, "ghost")
	if err != nil {
		t.Fatalf("unknown user must get a challenge: %v", err)
	}
	_, ghost2, _ := e.srpStart(t, clientID, "ghost")
	rc, gc := real.ChallengeParameters, ghost.ChallengeParameters
	if challengeKeys(rc) != challengeKeys(gc) || len(rc["SALT"]) != len(gc["SALT"]) ||
		len(rc["SECRET_BLOCK"]) != len(gc["SECRET_BLOCK"]) || gc["USER_ID_FOR_SRP"] != "ghost" || real.ChallengeName != ghost.ChallengeName {
		t.Fatalf("challenges differ in shape:\nreal  %v\nghost %v", rc, gc)
	}
	if gc["SALT"] != ghost2.ChallengeParameters["SALT"] || gc["SRP_B"] == ghost2.ChallengeParameters["SRP_B"] {
		t.Error("an unknown user's salt must be stable and B fresh, like a real user's")
	}
	_, err = e.respondSRP(clientID, srpAnswer(t, poolID, c, gc, goodPassword, e.clock.Now()))
	wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")

	// In a pool where users sign in by email, the real USER_ID_FOR_SRP is a
	// UUID: an unknown email gets one too.
	emailPool := e.pool(t, func(in *cip.CreateUserPoolInput) { in.UsernameAttributes = []types.UsernameAttributeType{"email"} })
	emailClient := e.client(t, emailPool)
	e.user(t, emailPool, "hank@example.com")
	_, r2, _ := e.srpStart(t, emailClient, "hank@example.com")
	_, g2, _ := e.srpStart(t, emailClient, "nobody@example.com")
	if len(r2.ChallengeParameters["USER_ID_FOR_SRP"]) != 36 || len(g2.ChallengeParameters["USER_ID_FOR_SRP"]) != 36 {
		t.Errorf("USER_ID_FOR_SRP real %q ghost %q", r2.ChallengeParameters["USER_ID_FOR_SRP"], g2.ChallengeParameters["USER_ID_FOR_SRP"])
	}
	if _, err := e.srpLogin(t, emailPool, emailClient, "hank@example.com", goodPassword); err != nil {
		t.Fatalf("SRP sign-in by email: %v", err)
	}
}
