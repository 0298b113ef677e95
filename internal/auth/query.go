package auth

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/cognate-dev/cognate/internal/uuid"
)

// QueryRule names, for an AWS query-protocol call (form-encoded POST), the
// service its signature is scoped to, the IAM action and the resource;
// public actions (sts:GetCallerIdentity) need a valid signature but no
// permission.
type QueryRule func(action string, form url.Values) (service, iamAction, resource string, public bool)

// QueryMiddleware guards an AWS query-protocol API (IAM, STS): it reads the
// form body (up to maxBody), verifies the signature for the rule's service
// (scoped to the verifier's region or us-east-1, where IAM and STS sign),
// authorizes the action, and hands next the request with the principal in
// its context and the form parsed. Failures answer in the query protocol's
// XML ErrorResponse with xmlns namespace.
func (a *Authority) QueryMiddleware(namespace func(service string) string, maxBody int64, rule QueryRule, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || int64(len(body)) > maxBody {
			WriteQueryError(w, namespace("sts"), http.StatusRequestEntityTooLarge, "Sender", "RequestEntityTooLarge", "Request must be smaller than "+strconv.FormatInt(maxBody, 10)+" bytes")
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			WriteQueryError(w, namespace("sts"), http.StatusBadRequest, "Sender", "MalformedQueryString", "The query string could not be parsed")
			return
		}
		for k, v := range r.URL.Query() {
			if _, ok := form[k]; !ok {
				form[k] = v
			}
		}
		action := form.Get("Action")
		service, iamAction, resource, public := rule(action, form)
		ns := namespace(service)
		p, payload, err := a.verifier.Verify(r.Context(), r, body, service, "us-east-1")
		if err == nil && !public {
			err = a.Authorize(r, p, iamAction, resource)
		}
		if err == nil {
			if o := r.Header.Get("Origin"); o != "" && !a.OriginAllowed(o) {
				err = &Error{CodeAccessDenied, "Cross-origin requests to signed " + service + " operations are refused: the origin " + strconv.Quote(o) + " is not in allowedOrigins."}
			}
		}
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) {
				WriteQueryError(w, ns, http.StatusInternalServerError, "Receiver", "ServiceFailure", "Internal server error")
				return
			}
			code := ae.Code
			switch code {
			case CodeMissingToken:
				code = "MissingAuthenticationToken"
			case CodeInvalidSignature:
				code = "SignatureDoesNotMatch"
			case CodeUnrecognized:
				code = "InvalidClientTokenId"
			case CodeIncomplete:
				code = "IncompleteSignature"
			case CodeAccessDenied:
				code = "AccessDenied"
			}
			status := http.StatusForbidden
			if code == "IncompleteSignature" {
				status = http.StatusBadRequest
			}
			WriteQueryError(w, ns, status, "Sender", code, ae.Message)
			return
		}
		r = r.WithContext(WithPrincipal(r.Context(), p))
		r.Body = io.NopCloser(bytes.NewReader(payload))
		r.ContentLength = int64(len(payload))
		r.Form, r.PostForm = form, form
		next.ServeHTTP(w, r)
	})
}

// WriteQueryError writes the query protocol's ErrorResponse document.
func WriteQueryError(w http.ResponseWriter, namespace string, status int, typ, code, message string) {
	doc := struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		NS      string   `xml:"xmlns,attr"`
		Error   struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		} `xml:"Error"`
		RequestID string `xml:"RequestId"`
	}{NS: namespace, RequestID: uuid.New()}
	doc.Error.Type, doc.Error.Code, doc.Error.Message = typ, code, message
	out, _ := xml.Marshal(doc)
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	w.Write(out)
}
