package functions

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Handler serves the Lambda Invoke API:
// POST /2015-03-31/functions/{FunctionName}/invocations, where FunctionName
// is a name, a partial or a full ARN, with X-Amz-Invocation-Type
// RequestResponse (200), Event (202, run in the background) or DryRun
// (204), and X-Amz-Log-Type Tail (last 4 KB of the log, base64, in
// X-Amz-Log-Result). Errors use Lambda's REST-JSON shape.
func (r *Runner) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", r.serveInvoke)
	mux.HandleFunc("/2015-03-31/functions/", func(w http.ResponseWriter, req *http.Request) {
		writeAPIError(w, http.StatusNotFound, "UnknownOperationException", "Unknown operation "+req.Method+" "+req.URL.Path)
	})
	return mux
}

func (r *Runner) serveInvoke(w http.ResponseWriter, req *http.Request) {
	name, qualifier := splitFunctionName(req.PathValue("name"))
	if q := req.URL.Query().Get("Qualifier"); q != "" {
		qualifier = q
	}
	key := name
	if qualifier != "" && qualifier != "$LATEST" {
		// A published version runs under NAME:VERSION; aliases are resolved
		// to a version before the request gets here (lambda control plane).
		key = name + ":" + qualifier
	}
	f := r.lookup(key)
	if f == nil {
		arn := r.functionARN(name)
		if qualifier != "" {
			arn += ":" + qualifier
		}
		writeAPIError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+arn)
		return
	}
	payload, err := io.ReadAll(http.MaxBytesReader(w, req.Body, MaxRequestSize))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeAPIError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException",
				fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", MaxRequestSize))
			return
		}
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not read request body")
		return
	}
	if len(payload) > 0 && !json.Valid(payload) {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json")
		return
	}
	clientContext := req.Header.Get("X-Amz-Client-Context")
	if clientContext != "" {
		decoded, err := base64.StdEncoding.DecodeString(clientContext)
		if err != nil {
			writeAPIError(w, http.StatusBadRequest, "InvalidRequestContentException", "Client context must be base64-encoded JSON")
			return
		}
		clientContext = string(decoded)
	}
	invocationType := req.Header.Get("X-Amz-Invocation-Type")
	switch t := invocationType; t {
	case "", "RequestResponse":
		invocationType = "RequestResponse"
	case "DryRun":
		r.log.Info("lambda invoke", "function", f.cfg.Name, "invocation_type", t)
		w.Header().Set("X-Amz-Executed-Version", f.version())
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		r.log.Info("lambda invoke", "function", f.cfg.Name, "invocation_type", t)
		r.invokeEvent(key, payload, clientContext)
		w.Header().Set("X-Amz-Executed-Version", f.version())
		w.WriteHeader(http.StatusAccepted)
		return
	default:
		writeAPIError(w, http.StatusBadRequest, "InvalidParameterValueException",
			"1 validation error detected: Value '"+t+"' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
		return
	}
	start := time.Now()
	res, err := r.invoke(req.Context(), key, payload, clientContext)
	logInvoke := func(outcome string) {
		r.log.Info("lambda invoke", "function", f.cfg.Name, "invocation_type", invocationType,
			"request_id", res.RequestID, "outcome", outcome, "took", time.Since(start).Round(time.Microsecond))
	}
	switch {
	case errors.Is(err, ErrTooManyRequests):
		logInvoke("TooManyRequestsException")
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, "TooManyRequestsException", map[string]string{
			"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded", "Type": "User", "message": "Rate Exceeded.",
		})
		return
	case errors.Is(err, ErrClosed):
		logInvoke("ServiceException")
		writeAPIError(w, http.StatusServiceUnavailable, "ServiceException", "The function runner is shutting down")
		return
	case err != nil:
		logInvoke("caller gone")
		return // the caller went away
	}
	if res.FunctionError != "" {
		logInvoke("FunctionError " + res.FunctionError)
	} else {
		logInvoke("ok")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amz-Executed-Version", f.version())
	h.Set("X-Amzn-Requestid", res.RequestID)
	if res.FunctionError != "" {
		h.Set("X-Amz-Function-Error", res.FunctionError)
	}
	if strings.EqualFold(req.Header.Get("X-Amz-Log-Type"), "Tail") {
		h.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString(res.LogTail))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.Payload)
}

// invokeEvent runs an asynchronous invocation in the background.
func (r *Runner) invokeEvent(name string, payload []byte, clientContext string) {
	go func() {
		res, err := r.invoke(context.Background(), name, payload, clientContext)
		if err != nil {
			r.log.Warn("asynchronous invocation failed", "function", name, "err", err)
			return
		}
		if res.FunctionError != "" {
			r.log.Info("asynchronous invocation returned an error", "function", name, "request_id", res.RequestID)
		}
	}()
}

// splitFunctionName accepts NAME, NAME:QUALIFIER, ACCOUNT:function:NAME[:Q]
// and arn:aws:lambda:REGION:ACCOUNT:function:NAME[:Q].
func splitFunctionName(s string) (name, qualifier string) {
	parts := strings.Split(s, ":")
	for i, p := range parts {
		if p == "function" && i+1 < len(parts) {
			parts = parts[i+1:]
			break
		}
	}
	if len(parts) >= 2 {
		return parts[0], parts[1]
	}
	return parts[0], ""
}

// writeAPIError writes Lambda's REST-JSON error: x-amzn-ErrorType and
// {"Type":"User","message":...}.
func writeAPIError(w http.ResponseWriter, status int, errorType, message string) {
	typ := "User"
	if status >= 500 {
		typ = "Service"
	}
	writeJSON(w, status, errorType, map[string]string{"Type": typ, "message": message})
}

func writeJSON(w http.ResponseWriter, status int, errorType string, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", errorType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
