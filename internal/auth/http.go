package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/cognate-dev/cognate/internal/awsjson"
)

// JSONGuard checks the callers of one AWS JSON 1.1 service (awsjson.Guard):
// operations listed as public run unsigned, as on AWS; every other one must
// be signed for Service and allowed for Prefix+operation on Resource(op, body).
type JSONGuard struct {
	Authority *Authority
	// Service is the credential scope's service, e.g. "cognito-idp".
	Service string
	// Prefix is the IAM action prefix, e.g. "cognito-idp:".
	Prefix string
	// PublicOps are the operations AWS serves without a signature.
	PublicOps map[string]bool
	// Resource returns the ARN an operation acts on ("*" for none).
	Resource func(op string, body []byte) string
}

// Public implements awsjson.Guard.
func (g *JSONGuard) Public(op string) bool { return g.PublicOps[op] }

// AllowOrigin implements awsjson.Guard: browsers may call signed operations
// only from the allowed origins.
func (g *JSONGuard) AllowOrigin(origin string) bool { return g.Authority.OriginAllowed(origin) }

// Check implements awsjson.Guard.
func (g *JSONGuard) Check(r *http.Request, op string, body []byte) (context.Context, []byte, error) {
	resource := "*"
	if g.Resource != nil {
		resource = g.Resource(op, body)
	}
	ctx, payload, err := g.Authority.Check(r, body, g.Service, g.Prefix+op, resource)
	if err != nil {
		return nil, nil, jsonError(err)
	}
	return ctx, payload, nil
}

// jsonError renders an auth failure in the JSON 1.1 shape: HTTP 400, as AWS's
// JSON services answer signature and permission errors.
func jsonError(err error) error {
	var ae *Error
	if errors.As(err, &ae) {
		return &awsjson.Error{Type: ae.Code, Message: ae.Message, Status: http.StatusBadRequest}
	}
	return err
}

// Rule names the IAM action and resource of a REST request.
type Rule func(r *http.Request) (action, resource string)

// RESTMiddleware guards a REST-JSON API (Lambda, Cognate's own endpoints):
// it reads the body (up to maxBody bytes), verifies the signature for
// service, authorizes rule(r), and hands next the request with the
// principal in its context and the (decoded) body. Failures answer 403 with
// x-amzn-ErrorType, as AWS's REST APIs do; a body over maxBody answers 413.
func (a *Authority) RESTMiddleware(service string, maxBody int64, rule Rule, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			WriteRESTError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not read request body")
			return
		}
		if int64(len(body)) > maxBody {
			WriteRESTError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException", "Request must be smaller than "+strconv.FormatInt(maxBody, 10)+" bytes")
			return
		}
		// The rule may read the body (CreateFunction names its function there).
		r.Body = io.NopCloser(bytes.NewReader(body))
		action, resource := rule(r)
		ctx, payload, err := a.Check(r, body, service, action, resource)
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) {
				WriteRESTError(w, http.StatusInternalServerError, "ServiceException", "Internal server error")
				return
			}
			status := http.StatusForbidden
			if ae.Code == CodeIncomplete {
				status = http.StatusBadRequest
			}
			WriteRESTError(w, status, ae.Code, ae.Message)
			return
		}
		r = r.WithContext(ctx)
		r.Body = io.NopCloser(bytes.NewReader(payload))
		r.ContentLength = int64(len(payload))
		next.ServeHTTP(w, r)
	})
}

// WriteRESTError writes AWS's REST-JSON error: the code in x-amzn-ErrorType
// and a JSON body with the message ("Type":"User" as Lambda adds).
func WriteRESTError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	b, _ := json.Marshal(struct {
		Type    string `json:"Type"`
		Message string `json:"message"`
	}{"User", message})
	fmt.Fprintf(w, "%s\n", b)
}
