package e2e

import (
	"context"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/internal/userpool/srp"
)

// srpN is the RFC 5054 3072-bit group prime Cognito's SRP uses (public).
const srpN = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE6" +
	"49286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1" +
	"746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510157" +
	"28E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D" +
	"2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D12" +
	"0A93AD2CAFFFFFFFFFFFFFFFF"

// srpRun is one USER_SRP_AUTH exchange, split so tests can tamper with it.
type srpRun struct {
	d      *demo
	client *srp.Client
	params map[string]string // the PASSWORD_VERIFIER challenge parameters
	// Wire values kept for the log audit.
	aHex string
}

// srpBegin sends InitiateAuth(USER_SRP_AUTH).
func (d *demo) srpBegin(t *testing.T, username string) *srpRun {
	t.Helper()
	cl, err := srp.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	out, err := d.idp.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		AuthFlow: ciptypes.AuthFlowTypeUserSrpAuth, ClientId: aws.String(d.clientID),
		AuthParameters: map[string]string{"USERNAME": username, "SRP_A": cl.AHex()},
	})
	if err != nil {
		t.Fatalf("InitiateAuth(%s): %v", username, err)
	}
	if out.ChallengeName != ciptypes.ChallengeNameTypePasswordVerifier {
		t.Fatalf("challenge %s", out.ChallengeName)
	}
	return &srpRun{d: d, client: cl, params: out.ChallengeParameters, aHex: cl.AHex()}
}

// answer computes the PASSWORD_VERIFIER responses for password at now.
func (r *srpRun) answer(t *testing.T, password string, now time.Time) map[string]string {
	t.Helper()
	p := r.params
	_, poolName, _ := strings.Cut(r.d.poolID, "_")
	ts, sig, err := r.client.Respond(poolName, p["USER_ID_FOR_SRP"], password, p["SALT"], p["SRP_B"], p["SECRET_BLOCK"], now)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"USERNAME": p["USER_ID_FOR_SRP"], "PASSWORD_CLAIM_SECRET_BLOCK": p["SECRET_BLOCK"],
		"PASSWORD_CLAIM_SIGNATURE": sig, "TIMESTAMP": ts}
}

// respond sends RespondToAuthChallenge(PASSWORD_VERIFIER).
func (d *demo) respond(resp map[string]string) (*cip.RespondToAuthChallengeOutput, error) {
	return d.idp.RespondToAuthChallenge(context.Background(), &cip.RespondToAuthChallengeInput{
		ChallengeName: ciptypes.ChallengeNameTypePasswordVerifier, ClientId: aws.String(d.clientID), ChallengeResponses: resp,
	})
}

// wantAPIError checks an SDK error's code and, unless empty, its message.
func wantAPIError(t *testing.T, err error, code, message string) {
	t.Helper()
	var ae smithy.APIError
	if !asErr(err, &ae) {
		t.Fatalf("err = %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || (message != "" && ae.ErrorMessage() != message) {
		t.Fatalf("got %s %q, want %s %q", ae.ErrorCode(), ae.ErrorMessage(), code, message)
	}
}

// TestSRPAttacks: replayed and re-bound SECRET_BLOCKs, skewed TIMESTAMPs,
// signatures of the wrong length and hostile SRP_A values, on the binary.
// Each case uses its own user so failures never add up to a lockout.
func TestSRPAttacks(t *testing.T) {
	t.Parallel()
	d := startDemo(t)
	const pw = "Srp-Passw0rd!"
	ctx := context.Background()

	t.Run("replayed answer", func(t *testing.T) {
		d.createUser(t, "replay", "replay@example.com", pw)
		run := d.srpBegin(t, "replay")
		resp := run.answer(t, pw, time.Now())
		if out, err := d.respond(resp); err != nil || out.AuthenticationResult == nil {
			t.Fatalf("first answer: %v", err)
		}
		out, err := d.respond(resp)
		if out != nil && out.AuthenticationResult != nil {
			t.Fatal("a replayed answer got tokens")
		}
		wantAPIError(t, err, "NotAuthorizedException", "")
	})
	t.Run("used secret block with a new session", func(t *testing.T) {
		d.createUser(t, "rebind", "rebind@example.com", pw)
		first := d.srpBegin(t, "rebind")
		if _, err := d.respond(first.answer(t, pw, time.Now())); err != nil {
			t.Fatal(err)
		}
		// A fresh exchange answered with the old SECRET_BLOCK, signed with
		// the fresh session's key: the block is bound to its own session.
		second := d.srpBegin(t, "rebind")
		second.params["SECRET_BLOCK"] = first.params["SECRET_BLOCK"]
		_, err := d.respond(second.answer(t, pw, time.Now()))
		wantAPIError(t, err, "NotAuthorizedException", "")
	})
	for _, tc := range []struct {
		user string
		skew time.Duration
	}{{"skewbehind", -10 * time.Minute}, {"skewahead", 10 * time.Minute}} {
		t.Run(tc.user, func(t *testing.T) {
			d.createUser(t, tc.user, tc.user+"@example.com", pw)
			run := d.srpBegin(t, tc.user)
			// Correctly signed, only the time is off (the window is 5 min).
			_, err := d.respond(run.answer(t, pw, time.Now().Add(tc.skew)))
			wantAPIError(t, err, "NotAuthorizedException", "Incorrect username or password.")
		})
	}
	for _, tc := range []struct {
		user   string
		mangle func([]byte) []byte
	}{
		{"sigshort", func(s []byte) []byte { return s[:len(s)-1] }},
		{"siglong", func(s []byte) []byte { return append(s, 0) }},
		{"sigdoubled", func(s []byte) []byte { return append(s, s...) }},
		{"sigonebyte", func(s []byte) []byte { return s[:1] }},
	} {
		t.Run(tc.user, func(t *testing.T) {
			d.createUser(t, tc.user, tc.user+"@example.com", pw)
			run := d.srpBegin(t, tc.user)
			resp := run.answer(t, pw, time.Now())
			sig, err := base64.StdEncoding.DecodeString(resp["PASSWORD_CLAIM_SIGNATURE"])
			if err != nil || len(sig) != 32 {
				t.Fatalf("client signature %q: %v", resp["PASSWORD_CLAIM_SIGNATURE"], err)
			}
			// The right signature with bytes added or removed.
			resp["PASSWORD_CLAIM_SIGNATURE"] = base64.StdEncoding.EncodeToString(tc.mangle(sig))
			_, err = d.respond(resp)
			wantAPIError(t, err, "NotAuthorizedException", "Incorrect username or password.")
		})
	}
	t.Run("hostile SRP_A", func(t *testing.T) {
		d.createUser(t, "hostilea", "hostilea@example.com", pw)
		n, _ := new(big.Int).SetString(srpN, 16)
		for name, a := range map[string]string{
			"zero": "0", "N": srpN, "2N": new(big.Int).Lsh(n, 1).Text(16), "N padded": "000" + srpN,
			"not hex": "xyz", "huge": strings.Repeat("a", 5000), "negative": "-1",
		} {
			out, err := d.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{
				AuthFlow: ciptypes.AuthFlowTypeUserSrpAuth, ClientId: aws.String(d.clientID),
				AuthParameters: map[string]string{"USERNAME": "hostilea", "SRP_A": a},
			})
			if out != nil && out.ChallengeParameters["SRP_B"] != "" {
				t.Errorf("%s: got a challenge", name)
				continue
			}
			var ae smithy.APIError
			if !asErr(err, &ae) || ae.ErrorCode() != "InvalidParameterException" {
				t.Errorf("%s: %v", name, err)
			}
		}
		d.loginSRP(t, "hostilea", pw) // the user is not harmed
	})
}
