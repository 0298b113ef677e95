package userpool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/cognate-dev/cognate/internal/awsjson"
	"github.com/cognate-dev/cognate/internal/metrics"
)

// Metrics counts sign-in outcomes (metrics.Metrics satisfies it).
type Metrics interface {
	SignIn(operation, outcome string)
}

// signInOps are the operations that sign a user in (or continue doing so).
var signInOps = map[string]bool{
	"InitiateAuth": true, "AdminInitiateAuth": true,
	"RespondToAuthChallenge": true, "AdminRespondToAuthChallenge": true,
}

// msgStoreUnavailable is the InternalErrorException message of a call that
// failed because the store does not answer.
const msgStoreUnavailable = "Internal server error: the user pool store is unavailable; try again later."

// callIDs are the only request fields the call log reads: never a password,
// code, secret or token.
type callIDs struct {
	UserPoolId string
	ClientId   string
}

// pinger is a store that can say whether it answers.
type pinger interface {
	Ping(ctx context.Context) error
}

// instrument wraps every operation: one info line per call (operation,
// pool, client, outcome, request id), sign-in outcomes in the metrics and
// the failed ones in the log, the route label of the request metrics, and
// an InternalErrorException that says so when the store is unavailable.
func (s *Service) instrument(ops map[string]awsjson.Op) map[string]awsjson.Op {
	out := make(map[string]awsjson.Op, len(ops))
	for name, op := range ops {
		out[name] = func(ctx context.Context, body []byte) (any, error) {
			metrics.SetRoute(ctx, "cognito-idp "+name)
			start := time.Now()
			res, err := op(ctx, body)
			var ids callIDs
			_ = json.Unmarshal(body, &ids) // malformed bodies fail in op already
			var ae *awsjson.Error
			if err != nil && !errors.As(err, &ae) && s.storeDown(ctx) {
				s.log.ErrorContext(ctx, "operation failed: store unavailable", "op", name,
					"request_id", awsjson.RequestID(ctx), "err", err)
				err = &awsjson.Error{Type: "InternalErrorException", Message: msgStoreUnavailable, Status: 500}
				ae = err.(*awsjson.Error)
			}
			outcome := "ok"
			switch {
			case ae != nil:
				outcome = ae.Type
			case err != nil:
				outcome = "InternalErrorException"
			}
			attrs := []slog.Attr{slog.String("op", name), slog.String("request_id", awsjson.RequestID(ctx))}
			if ids.UserPoolId != "" {
				attrs = append(attrs, slog.String("pool", ids.UserPoolId))
			}
			if ids.ClientId != "" {
				attrs = append(attrs, slog.String("client", ids.ClientId))
			}
			attrs = append(attrs, slog.String("outcome", outcome), slog.Duration("took", time.Since(start).Round(time.Microsecond)))
			s.log.LogAttrs(ctx, slog.LevelInfo, "cognito call", attrs...)
			if signInOps[name] {
				if err == nil {
					outcome = signInResult(res)
				}
				if s.metrics != nil {
					s.metrics.SignIn(name, outcome)
				}
				if err != nil {
					s.log.LogAttrs(ctx, slog.LevelInfo, "sign-in failed", attrs...)
				}
			}
			return res, err
		}
	}
	return out
}

// signInResult is "success" when tokens were issued, else "challenge".
func signInResult(res any) string {
	b, err := json.Marshal(res)
	if err == nil && bytes.Contains(b, []byte(`"AuthenticationResult":{`)) {
		return "success"
	}
	return "challenge"
}

// storeDown reports whether the store fails to answer a ping (checked only
// after an operation failed unexpectedly).
func (s *Service) storeDown(ctx context.Context) bool {
	p, ok := s.store.(pinger)
	if !ok {
		return false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	return p.Ping(ctx) != nil
}
