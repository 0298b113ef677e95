package userpool

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// TestNoSecretsLogged runs flows that handle passwords, codes and tokens
// with a debug-level logger and checks that none of them reaches the log.
func TestNoSecretsLogged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	poolID := e.pool(t, autoVerifyEmail)
	clientID := e.client(t, poolID)
	must(e.signUp(clientID, "ivy", goodPassword, "ivy@example.com"))
	code, _ := e.inbox.Last(poolID, "ivy")
	must(e.api.ConfirmSignUp(e.ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(clientID), Username: aws.String("ivy"), ConfirmationCode: aws.String(code)}))
	res := must(e.srpLogin(t, poolID, clientID, "ivy", goodPassword))
	_, _ = e.passwordAuth(clientID, "ivy", "Wrong-Passw0rd-Secret")
	must(e.api.GetUser(e.ctx, &cip.GetUserInput{AccessToken: res.AccessToken}))
	must(e.api.RevokeToken(e.ctx, &cip.RevokeTokenInput{ClientId: aws.String(clientID), Token: res.RefreshToken}))

	logs := e.logs.String()
	if !strings.Contains(logs, "user signed in") {
		t.Fatalf("the capture saw no service logs:\n%s", logs)
	}
	for name, secret := range map[string]string{
		"password": goodPassword, "wrong password": "Wrong-Passw0rd-Secret", "code": code,
		"id token": *res.IdToken, "access token": *res.AccessToken, "refresh token": *res.RefreshToken,
	} {
		if strings.Contains(logs, secret) {
			t.Errorf("%s appears in the log", name)
		}
	}
}

func TestLogSenderHidesCodes(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	for _, reveal := range []bool{false, true} {
		s := &LogSender{Logger: newTextLogger(&buf), RevealCodes: reveal}
		if err := s.Send(t.Context(), Delivery{PoolID: "p", Username: "u", Kind: CodeSignUp, Destination: "u@example.com", Code: "424242"}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(buf.String(), "424242"); got != reveal {
			t.Errorf("RevealCodes=%v: code logged = %v", reveal, got)
		}
		if strings.Contains(buf.String(), "u@example.com") {
			t.Error("destination must be masked")
		}
	}
}

func newTextLogger(w *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
