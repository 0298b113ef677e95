// Package awsjson serves the AWS JSON 1.1 protocol: every call is a POST to /
// naming its operation in X-Amz-Target ("<Service>.<Operation>") with a JSON
// body; answers are JSON, and failures are {"__type": ..., "message": ...}
// with the type repeated in the x-amzn-ErrorType header.
//
// Operations are plain functions that return a value or an error; one
// renderer turns *Error values into AWS error documents and anything else
// into a 500 InternalErrorException whose detail is only logged.
package awsjson

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/cognate-dev/cognate/internal/uuid"
)

// ContentType is the media type of requests and responses.
const ContentType = "application/x-amz-json-1.1"

// DefaultMaxBody is the default request body limit (1 MiB).
const DefaultMaxBody = 1 << 20

// Op is one operation: it receives the raw JSON body and returns the value to
// encode as the response, or an error (an *Error to choose the wire error).
type Op func(ctx context.Context, body []byte) (any, error)

// Typed adapts a function taking a decoded input struct into an Op. Malformed
// JSON and values of the wrong type are SerializationException; unknown
// fields are ignored, as AWS services do for forward compatibility.
func Typed[In any, Out any](fn func(ctx context.Context, in *In) (Out, error)) Op {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := json.Unmarshal(body, in); err != nil {
				return nil, &Error{Type: "SerializationException", Message: serializationMessage(err)}
			}
		}
		return fn(ctx, in)
	}
}

func serializationMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("Unexpected value type for field %s", te.Field)
	}
	return "Malformed request body"
}

// Error is an AWS error answer. Status defaults to 400.
type Error struct {
	Type    string
	Message string
	Status  int
}

// Error implements error.
func (e *Error) Error() string { return e.Type + ": " + e.Message }

// Options tune a Handler.
type Options struct {
	// MaxBody limits request bodies (DefaultMaxBody when 0).
	MaxBody int64
	// Logger receives unclassified failures with their request id (discarded when nil).
	Logger *slog.Logger
	// Guard authenticates and authorizes callers; nil lets every call
	// through (tests, embedded use).
	Guard Guard
}

// Guard decides who may call which operation.
type Guard interface {
	// Public reports whether op is served without a signature, as AWS
	// serves Cognito's sign-in and self-service operations.
	Public(op string) bool
	// AllowOrigin reports whether a browser page on origin may call the
	// signed operations (CORS for them is answered only then).
	AllowOrigin(origin string) bool
	// Check authenticates and authorizes a call of a signed op whose body
	// was read; it returns the context and payload to run the op with, or
	// an error (an *Error to choose the wire answer).
	Check(r *http.Request, op string, body []byte) (context.Context, []byte, error)
}

// Handler serves one AWS JSON 1.1 service.
type Handler struct {
	service string
	ops     map[string]Op
	opts    Options
	log     *slog.Logger
}

// NewHandler returns a Handler dispatching "<service>.<name>" to ops[name].
func NewHandler(service string, ops map[string]Op, opts Options) *Handler {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{service: service, ops: ops, opts: opts, log: log}
}

type requestIDKey struct{}

// RequestID returns the request id of the call being served, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

type sourceIPKey struct{}

// WithSourceIP returns ctx carrying ip as the caller's address, for a
// front that knows better than the connection (a trusted proxy's header).
func WithSourceIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, sourceIPKey{}, ip)
}

// SourceIP returns the caller's IP address: the one set with WithSourceIP,
// else the connection's peer address (X-Forwarded-For is never trusted here).
func SourceIP(ctx context.Context) string {
	ip, _ := ctx.Value(sourceIPKey{}).(string)
	return ip
}

// peerIP is the host part of a request's RemoteAddr.
func peerIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodOptions {
		h.preflight(w, r)
		return
	}
	id := newRequestID()
	w.Header().Set("x-amzn-RequestId", id)
	ctx := context.WithValue(r.Context(), requestIDKey{}, id)
	if SourceIP(ctx) == "" {
		ctx = WithSourceIP(ctx, peerIP(r))
	}
	if r.Method != http.MethodPost {
		h.render(ctx, w, "", nil, &Error{Type: "UnknownOperationException", Message: "Only POST is supported", Status: http.StatusMethodNotAllowed})
		return
	}
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, h.service+".")
	op := h.ops[name]
	if !ok || op == nil {
		h.render(ctx, w, name, nil, &Error{Type: "UnknownOperationException", Message: unknownOperation(h.service, target)})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.render(ctx, w, name, nil, &Error{Type: "SerializationException", Message: "Request body too large", Status: http.StatusRequestEntityTooLarge})
			return
		}
		h.render(ctx, w, name, nil, &Error{Type: "SerializationException", Message: "Cannot read request body"})
		return
	}
	if h.opts.Guard != nil && !h.opts.Guard.Public(name) {
		gctx, payload, err := h.opts.Guard.Check(r.WithContext(ctx), name, body)
		if err != nil {
			h.render(ctx, w, name, nil, err)
			return
		}
		ctx, body = gctx, payload
		h.allowOrigin(w, r, false)
	} else {
		h.allowOrigin(w, r, true)
	}
	out, err := op(ctx, body)
	h.render(ctx, w, name, out, err)
}

// signingHeaders are request headers only a signed call sends: a preflight
// asking for them announces a call of a signed operation.
var signingHeaders = []string{"authorization", "x-amz-security-token", "x-amz-content-sha256"}

// preflight answers a CORS preflight. Browsers may call the public
// operations from any origin (amazon-cognito-identity-js and Amplify do,
// unsigned); a preflight for a signed call (asking to send Authorization)
// is answered only for an allowed origin, so a page elsewhere cannot drive
// the admin API with a visitor's reach.
func (h *Handler) preflight(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		w.WriteHeader(http.StatusOK)
		return
	}
	requested := strings.ToLower(r.Header.Get("Access-Control-Request-Headers"))
	signed := false
	for _, h := range signingHeaders {
		if strings.Contains(requested, h) {
			signed = true
		}
	}
	if h.opts.Guard != nil && signed && !h.opts.Guard.AllowOrigin(origin) {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	h.allowOrigin(w, r, !signed)
	hd := w.Header()
	hd.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	allow := r.Header.Get("Access-Control-Request-Headers")
	if allow == "" {
		allow = "Content-Type, X-Amz-Target, X-Amz-User-Agent, Cache-Control"
	}
	hd.Set("Access-Control-Allow-Headers", allow)
	hd.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusOK)
}

// allowOrigin adds the CORS answer headers for a browser request: "*" for
// public operations, the origin itself (when allowed) for signed ones.
func (h *Handler) allowOrigin(w http.ResponseWriter, r *http.Request, public bool) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	hd := w.Header()
	switch {
	case public || h.opts.Guard == nil:
		hd.Set("Access-Control-Allow-Origin", "*")
	case h.opts.Guard.AllowOrigin(origin):
		hd.Set("Access-Control-Allow-Origin", origin)
		hd.Add("Vary", "Origin")
	default:
		return
	}
	hd.Set("Access-Control-Expose-Headers", "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, Date")
}

// render writes out, or the wire form of err.
func (h *Handler) render(ctx context.Context, w http.ResponseWriter, op string, out any, err error) {
	w.Header().Set("Content-Type", ContentType)
	if err == nil {
		b, merr := json.Marshal(out)
		if merr != nil {
			err = fmt.Errorf("encode %s response: %w", op, merr)
		} else {
			if out == nil || string(b) == "null" {
				b = []byte("{}")
			}
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(b)
			return
		}
	}
	var ae *Error
	if !errors.As(err, &ae) {
		h.log.ErrorContext(ctx, "operation failed", "op", op, "request_id", RequestID(ctx), "err", err)
		ae = &Error{Type: "InternalErrorException", Message: "Internal server error", Status: http.StatusInternalServerError}
	}
	status := ae.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.Header().Set("x-amzn-ErrorType", ae.Type)
	w.WriteHeader(status)
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{ae.Type, ae.Message})
	_, _ = w.Write(b)
}

// unknownOperation says which operation was asked for and that Cognate does
// not implement it, so a missing feature is told apart from a typo.
func unknownOperation(service, target string) string {
	if target == "" {
		return "Missing X-Amz-Target header: name the operation as " + service + ".<Operation>"
	}
	if op, ok := strings.CutPrefix(target, service+"."); ok {
		return "Unknown operation " + op + " of " + service + ": not implemented by Cognate (or not an operation of this service)"
	}
	return "Unknown operation " + target + ": this endpoint serves " + service + ".<Operation>"
}

// newRequestID returns a request id for x-amzn-RequestId.
func newRequestID() string { return uuid.New() }
