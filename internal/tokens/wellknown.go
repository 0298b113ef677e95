package tokens

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Issuer returns the iss of a pool's tokens: "{base}/{poolId}", or Cognito's
// "https://cognito-idp.{region}.amazonaws.com/{poolId}" when awsStyle is set.
func Issuer(base, region, poolID string, awsStyle bool) string {
	if awsStyle {
		return "https://cognito-idp." + region + ".amazonaws.com/" + poolID
	}
	return strings.TrimRight(base, "/") + "/" + poolID
}

// Cache lifetimes of the discovery documents. The JWKS is kept short so
// that clients see rotated keys soon; they also refetch on unknown kids.
const (
	jwksCacheControl      = "public, max-age=60"
	discoveryCacheControl = "public, max-age=300"
)

// WellKnownHandler serves GET /{poolId}/.well-known/jwks.json and
// /{poolId}/.well-known/openid-configuration. issuer returns a pool's iss
// and false for unknown pools, which get 404 {"message": ...}.
//
// extra, when given, adds fields to the OpenID configuration (the
// authorization server's endpoints).
func WellKnownHandler(ring *KeyRing, issuer func(poolID string) (string, bool), extra ...func(r *http.Request, poolID, iss string) map[string]any) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{poolId}/.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		poolID := r.PathValue("poolId")
		if _, ok := issuer(poolID); !ok {
			notFound(w, poolID)
			return
		}
		body, err := ring.JWKS(r.Context(), poolID)
		if err != nil {
			ring.log.Error("serve jwks", "pool", poolID, "err", err)
			writeMessage(w, http.StatusInternalServerError, "Internal server error")
			return
		}
		w.Header().Set("Cache-Control", jwksCacheControl)
		writeJSON(w, body)
	})
	mux.HandleFunc("GET /{poolId}/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		poolID := r.PathValue("poolId")
		iss, ok := issuer(poolID)
		if !ok {
			notFound(w, poolID)
			return
		}
		var doc any = discovery(iss, jwksURI(r, iss, poolID))
		if len(extra) > 0 {
			raw, _ := json.Marshal(doc)
			m := map[string]any{}
			json.Unmarshal(raw, &m)
			for _, fn := range extra {
				for k, v := range fn(r, poolID, iss) {
					m[k] = v
				}
			}
			doc = m
		}
		body, err := json.Marshal(doc)
		if err != nil {
			writeMessage(w, http.StatusInternalServerError, "Internal server error")
			return
		}
		w.Header().Set("Cache-Control", discoveryCacheControl)
		writeJSON(w, body)
	})
	notAllowed := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "GET, HEAD")
		writeMessage(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	}
	mux.HandleFunc("/{poolId}/.well-known/jwks.json", notAllowed)
	mux.HandleFunc("/{poolId}/.well-known/openid-configuration", notAllowed)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeMessage(w, http.StatusNotFound, "Not found")
	})
	return mux
}

// openIDConfiguration is the discovery document, with the fields Cognito
// publishes that apply without a hosted UI domain.
type openIDConfiguration struct {
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
	Issuer                           string   `json:"issuer"`
	JWKSURI                          string   `json:"jwks_uri"`
	ResponseTypesSupported           []string `json:"response_types_supported"`
	ScopesSupported                  []string `json:"scopes_supported"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
	ClaimsSupported                  []string `json:"claims_supported"`
}

func discovery(iss, jwks string) openIDConfiguration {
	return openIDConfiguration{
		IDTokenSigningAlgValuesSupported: []string{"RS256"},
		Issuer:                           iss,
		JWKSURI:                          jwks,
		ResponseTypesSupported:           []string{"code", "token"},
		ScopesSupported:                  []string{"openid", "email", "phone", "profile"},
		SubjectTypesSupported:            []string{"public"},
		ClaimsSupported: []string{"sub", "aud", "iss", "exp", "iat", "auth_time", "token_use",
			"email", "email_verified", "cognito:username", "cognito:groups"},
	}
}

// jwksURI is "{issuer}/.well-known/jwks.json", except for Cognito-style
// issuers, whose keys are still served here: then it is built from the request.
func jwksURI(r *http.Request, iss, poolID string) string {
	if u, err := url.Parse(iss); err == nil && !strings.HasSuffix(u.Host, ".amazonaws.com") {
		return iss + "/.well-known/jwks.json"
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/" + url.PathEscape(poolID) + "/.well-known/jwks.json"
}

// maxPoolIDLen is the longest pool id (AWS allows 55 characters); longer
// path segments are not echoed back.
const maxPoolIDLen = 55

func notFound(w http.ResponseWriter, poolID string) {
	if len(poolID) > maxPoolIDLen {
		writeMessage(w, http.StatusNotFound, "User pool does not exist.")
		return
	}
	writeMessage(w, http.StatusNotFound, "User pool "+poolID+" does not exist.")
}

func writeJSON(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

func writeMessage(w http.ResponseWriter, status int, msg string) {
	body, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}
