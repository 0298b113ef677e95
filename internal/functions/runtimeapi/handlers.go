package runtimeapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// The Runtime API is plain net/http, one handler per endpoint (routes). Its
// only clients are the runtimes Cognate starts, on loopback.

const prefix = "/2018-06-01/runtime/"

// Headers and trailers of the Runtime API.
const (
	hdrErrorType = "Lambda-Runtime-Function-Error-Type"
	hdrErrorBody = "Lambda-Runtime-Function-Error-Body" // a trailer of streamed responses, base64
)

// routes is the Runtime API's mux. Each endpoint also has a method-less
// pattern that answers 405 in Lambda's error shape, and everything else is
// a 404 in that shape.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix+"invocation/next", s.next)
	mux.HandleFunc("POST "+prefix+"invocation/{id}/response", s.response)
	mux.HandleFunc("POST "+prefix+"invocation/{id}/error", s.invocationError)
	mux.HandleFunc("POST "+prefix+"init/error", s.initError)
	for _, p := range []string{"invocation/next", "invocation/{id}/response", "invocation/{id}/error", "init/error"} {
		mux.HandleFunc(prefix+p, func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" is not allowed on "+r.URL.Path)
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NotFound", "unknown path "+r.URL.Path)
	})
	return mux
}

// next serves GET /runtime/invocation/next: it blocks until an invocation
// is delivered or the server closes.
func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	s.readyOnce.Do(func() { close(s.ready) })
	s.abandon()
	select {
	case inv := <-s.pending:
		s.take(inv)
		h := w.Header()
		h["Content-Type"] = jsonType
		h["Lambda-Runtime-Aws-Request-Id"] = []string{inv.ID}
		h["Lambda-Runtime-Deadline-Ms"] = []string{strconv.FormatInt(inv.Deadline.UnixMilli(), 10)}
		if inv.FunctionARN != "" {
			h["Lambda-Runtime-Invoked-Function-Arn"] = []string{inv.FunctionARN}
		}
		if inv.TraceID != "" {
			h["Lambda-Runtime-Trace-Id"] = []string{inv.TraceID}
		}
		if inv.ClientContext != "" {
			h["Lambda-Runtime-Client-Context"] = []string{inv.ClientContext}
		}
		h["Content-Length"] = []string{strconv.Itoa(len(inv.Payload))}
		w.Write(inv.Payload) //nolint:errcheck // the runtime's connection; its loss shows as the process's
	case <-s.quit:
		writeError(w, http.StatusInternalServerError, "InternalServerError", "the function instance is shutting down")
	case <-r.Context().Done():
	}
}

// response serves POST /runtime/invocation/{id}/response.
func (s *Server) response(w http.ResponseWriter, r *http.Request) {
	inv := s.finish(r.PathValue("id"))
	if inv == nil {
		invalidRequestID(w)
		return
	}
	body, err := readBody(w, r, s.maxResp)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		msg := fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", s.maxResp)
		inv.complete(errorOutcome("Function.ResponseSizeTooLarge", msg))
		writeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", fmt.Sprintf("Exceeded maximum allowed payload size (%d bytes).", s.maxResp))
		return
	case err != nil:
		inv.complete(errorOutcome("Runtime.InvalidResponsePayload", "RequestId: "+inv.ID+" Error: the response could not be read"))
		writeError(w, http.StatusBadRequest, "InvalidRequest", "malformed HTTP request")
		return
	}
	// A streamed response that failed half-way carries the error in trailers.
	if et := r.Trailer.Get(hdrErrorType); et != "" {
		doc, _ := base64.StdEncoding.DecodeString(r.Trailer.Get(hdrErrorBody))
		doc, et = normaliseError(doc, et)
		inv.complete(Outcome{Payload: doc, Failed: true, ErrorType: et})
		accepted(w)
		return
	}
	if len(body) > 0 && !json.Valid(body) {
		inv.complete(errorOutcome("Runtime.InvalidResponsePayload",
			"RequestId: "+inv.ID+" Error: the function's response is not valid JSON"))
		accepted(w)
		return
	}
	inv.complete(Outcome{Payload: body})
	accepted(w)
}

// invocationError serves POST /runtime/invocation/{id}/error.
func (s *Server) invocationError(w http.ResponseWriter, r *http.Request) {
	inv := s.finish(r.PathValue("id"))
	if inv == nil {
		invalidRequestID(w)
		return
	}
	body, err := readErrorBody(w, r)
	if err != nil {
		inv.complete(errorOutcome("Runtime.Unknown", "RequestId: "+inv.ID+" Error: the error report could not be read"))
		writeError(w, http.StatusBadRequest, "InvalidRequest", "malformed HTTP request")
		return
	}
	doc, errorType := normaliseError(body, r.Header.Get(hdrErrorType))
	inv.complete(Outcome{Payload: doc, Failed: true, ErrorType: errorType})
	accepted(w)
}

// initError serves POST /runtime/init/error: the runtime could not start
// (module not found, syntax error, handler missing ...).
func (s *Server) initError(w http.ResponseWriter, r *http.Request) {
	body, err := readErrorBody(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "malformed HTTP request")
		return
	}
	doc, _ := normaliseError(body, r.Header.Get(hdrErrorType))
	first := false
	s.initOnce.Do(func() {
		s.mu.Lock()
		s.initBody = doc
		s.mu.Unlock()
		close(s.initErr)
		first = true
	})
	if !first {
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "the init error was already reported")
		return
	}
	accepted(w)
}

// readBody reads a request body of at most limit bytes (an
// *http.MaxBytesError past it; the connection then closes).
func readBody(w http.ResponseWriter, r *http.Request, limit int) ([]byte, error) {
	if r.ContentLength > int64(limit) {
		return nil, &http.MaxBytesError{Limit: int64(limit)}
	}
	if r.ContentLength >= 0 { // net/http stops the body at its length
		body := make([]byte, r.ContentLength)
		_, err := io.ReadFull(r.Body, body)
		return body, err
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, int64(limit)))
}

// readErrorBody reads an /error or /init/error body, cut to maxErrorSize.
func readErrorBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxErrorSize))
	return body, err
}

var (
	jsonType     = []string{"application/json"}
	acceptedBody = []byte(`{"status":"OK"}`)
)

func accepted(w http.ResponseWriter) {
	w.Header()["Content-Type"] = jsonType
	w.WriteHeader(http.StatusAccepted)
	w.Write(acceptedBody) //nolint:errcheck // see next
}

func writeError(w http.ResponseWriter, status int, errorType, message string) {
	w.Header()["Content-Type"] = jsonType
	w.WriteHeader(status)
	w.Write(ErrorDocument(errorType, message)) //nolint:errcheck // see next
}

func invalidRequestID(w http.ResponseWriter) {
	writeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
}
