package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/cognate-dev/cognate/internal/awsjson"
	"github.com/cognate-dev/cognate/internal/store"
)

// Federation with OIDC identity providers: /oauth2/authorize with
// identity_provider (or idp_identifier) sends the browser to the provider's
// authorization endpoint (found by discovery at its oidc_issuer) with a
// single-use state, a nonce and PKCE; /oauth2/idpresponse redeems the
// provider's code with the provider's client secret, verifies the id token
// (signature from the provider's JWKS, iss, aud, exp, nonce), reads the
// userInfo endpoint, maps attributes, signs the user in as PROVIDER_sub (or
// the native user AdminLinkProviderForUser linked) and completes the
// original request.

// FederationTTL bounds a round trip through an identity provider.
const FederationTTL = 10 * time.Minute

const kindFederation = "oauth-federation"

// federationState is what the state sent to a provider stands for.
type federationState struct {
	Query    string `json:"q"`
	Provider string `json:"p"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
}

// providerCache keeps discovered providers for a few minutes.
type providerCache struct {
	mu sync.Mutex
	m  map[string]cachedProvider
}

type cachedProvider struct {
	p       *oidc.Provider
	expires time.Time
}

// SetHTTPClient sets the client used to reach identity providers (one that
// trusts the local CA when Cognate serves TLS with it).
func (s *Server) SetHTTPClient(c *http.Client) { s.httpClient = c }

func (s *Server) clientCtx(ctx context.Context) context.Context {
	c := s.httpClient
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	return oidc.ClientContext(ctx, c)
}

func (s *Server) discover(ctx context.Context, issuer string) (*oidc.Provider, error) {
	now := s.now()
	s.provs.mu.Lock()
	if c, ok := s.provs.m[issuer]; ok && now.Before(c.expires) {
		s.provs.mu.Unlock()
		return c.p, nil
	}
	s.provs.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(s.clientCtx(ctx), issuer)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", issuer, err)
	}
	s.provs.mu.Lock()
	if s.provs.m == nil || len(s.provs.m) > 1000 {
		s.provs.m = map[string]cachedProvider{}
	}
	s.provs.m[issuer] = cachedProvider{p: p, expires: now.Add(5 * time.Minute)}
	s.provs.mu.Unlock()
	return p, nil
}

// federate starts sign-in through an identity provider.
func (s *Server) federate(w http.ResponseWriter, r *http.Request, req *Request) {
	ctx := r.Context()
	prov, typ, err := s.pools.OIDCProviderByName(ctx, req.Target.PoolID, req.Provider)
	if err != nil {
		redirectError(w, r, req.RedirectURI, req.State, "invalid_request", "identity provider "+req.Provider+" does not exist", req.Fragment())
		return
	}
	if prov == nil && typ == "SAML" {
		s.federateSAML(w, r, req) // saml.go
		return
	}
	if prov == nil {
		errorPage(w, http.StatusNotImplemented, "unsupported_identity_provider", typ+" providers are stored and described; sign-in through them is not available in Cognate.")
		return
	}
	p, err := s.discover(ctx, prov.Issuer)
	if err != nil {
		s.log.WarnContext(ctx, "identity provider discovery failed", "provider", prov.Name, "err", err)
		redirectError(w, r, req.RedirectURI, req.State, "server_error", "the identity provider could not be reached", req.Fragment())
		return
	}
	st := federationState{Query: req.Query.Encode(), Provider: prov.Name, Nonce: randomToken(24), Verifier: oauth2.GenerateVerifier()}
	raw, _ := json.Marshal(st)
	state := randomToken(32)
	id := hashID(state)
	if err := s.st.PutSession(ctx, store.Session{ID: id, PoolID: req.Target.PoolID, Kind: kindFederation,
		Data: s.sealer.Seal(raw, []byte("federation|"+id)), ExpiresAt: s.Now().Add(FederationTTL)}); err != nil {
		s.log.ErrorContext(ctx, "store federation state", "err", err)
		redirectError(w, r, req.RedirectURI, req.State, "server_error", "", req.Fragment())
		return
	}
	cfg := s.upstreamConfig(r, req.Target, prov.ClientID, prov.ClientSecret, prov.Scopes, p)
	http.Redirect(w, r, cfg.AuthCodeURL(state, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)), http.StatusFound)
}

func (s *Server) upstreamConfig(r *http.Request, t Target, id, secret, scopes string, p *oidc.Provider) *oauth2.Config {
	ep := p.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInParams
	return &oauth2.Config{ClientID: id, ClientSecret: secret, Endpoint: ep, RedirectURL: BaseURL(r, t) + "/oauth2/idpresponse",
		Scopes: splitScopes(scopes)}
}

func splitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
}

// idpResponse serves /oauth2/idpresponse, the provider's redirect back.
func (s *Server) idpResponse(w http.ResponseWriter, r *http.Request, t Target) {
	ctx := r.Context()
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" || len(state) > 512 {
		errorPage(w, http.StatusBadRequest, "invalid_request", "The sign-in through the identity provider has no valid state.")
		return
	}
	id := hashID(state)
	sess, err := s.st.TakeSession(ctx, id, s.Now())
	if err != nil || sess.Kind != kindFederation || sess.PoolID != t.PoolID {
		errorPage(w, http.StatusBadRequest, "invalid_request", "The sign-in through the identity provider expired or was already used. Start again.")
		return
	}
	raw, err := s.sealer.Open(sess.Data, []byte("federation|"+id))
	var st federationState
	if err != nil || json.Unmarshal(raw, &st) != nil {
		errorPage(w, http.StatusBadRequest, "invalid_request", "The sign-in through the identity provider has no valid state.")
		return
	}
	orig, _ := url.ParseQuery(st.Query)
	req, perr := s.ParseAuthorize(ctx, t, orig)
	if perr != nil {
		s.fail(w, r, req, perr)
		return
	}
	if e := q.Get("error"); e != "" {
		code := "access_denied"
		if e == "server_error" || e == "temporarily_unavailable" {
			code = e
		}
		redirectError(w, r, req.RedirectURI, req.State, code, "the identity provider answered "+truncate(e, 64), req.Fragment())
		return
	}
	si, err := s.upstreamSignIn(ctx, r, t, st, req.Client.ClientID, q.Get("code"))
	if err != nil {
		s.log.WarnContext(ctx, "federated sign-in failed", "provider", st.Provider, "err", err)
		// A trigger's refusal ("PreSignUp failed with error ...") goes back
		// to the app as Cognito sends it: invalid_request with the message.
		if ae := (*awsjson.Error)(nil); errors.As(err, &ae) && strings.Contains(ae.Type, "Lambda") {
			redirectError(w, r, req.RedirectURI, req.State, "invalid_request", ae.Message, req.Fragment())
			return
		}
		redirectError(w, r, req.RedirectURI, req.State, "invalid_request", "sign-in through the identity provider failed", req.Fragment())
		return
	}
	if err := s.sessions.Start(w, r, t, si); err != nil {
		s.log.ErrorContext(ctx, "start login session", "err", err)
		redirectError(w, r, req.RedirectURI, req.State, "server_error", "", req.Fragment())
		return
	}
	s.Complete(w, r, req, si)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// upstreamSignIn redeems the provider's code and signs the user in.
func (s *Server) upstreamSignIn(ctx context.Context, r *http.Request, t Target, st federationState, clientID, code string) (*Session, error) {
	if code == "" {
		return nil, errors.New("no code from the provider")
	}
	prov, _, err := s.pools.OIDCProviderByName(ctx, t.PoolID, st.Provider)
	if err != nil || prov == nil {
		return nil, fmt.Errorf("provider %s: %w", st.Provider, err)
	}
	p, err := s.discover(ctx, prov.Issuer)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(s.clientCtx(ctx), 15*time.Second)
	defer cancel()
	cfg := s.upstreamConfig(r, t, prov.ClientID, prov.ClientSecret, prov.Scopes, p)
	tok, err := cfg.Exchange(cctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return nil, fmt.Errorf("code exchange: %w", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return nil, errors.New("the provider returned no id token")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: prov.ClientID, Now: s.now}).Verify(cctx, rawID)
	if err != nil {
		return nil, fmt.Errorf("id token: %w", err)
	}
	if idt.Nonce != st.Nonce {
		return nil, errors.New("id token nonce mismatch")
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("id token claims: %w", err)
	}
	if p.UserInfoEndpoint() != "" {
		info, err := p.UserInfo(cctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return nil, fmt.Errorf("userInfo: %w", err)
		}
		if info.Subject != idt.Subject {
			return nil, errors.New("userInfo subject differs from the id token's")
		}
		extra := map[string]any{}
		if info.Claims(&extra) == nil {
			for k, v := range extra {
				if _, ok := claims[k]; !ok {
					claims[k] = v
				}
			}
		}
	}
	subject := idt.Subject
	if claim := prov.AttributeMapping["username"]; claim != "" && claim != "sub" {
		if v := claimString(claims[claim]); v != "" {
			subject = v
		}
	}
	attrs := map[string]string{}
	for attr, claim := range prov.AttributeMapping {
		if attr == "username" {
			continue
		}
		if v := claimString(claims[claim]); v != "" {
			attrs[attr] = v
		}
	}
	si, err := s.pools.FederatedSignIn(ctx, t.PoolID, clientID, prov.Name, "OIDC", subject, attrs)
	if err != nil {
		return nil, err
	}
	return &Session{PoolID: t.PoolID, Username: si.Username, Sub: si.Sub, AuthTime: si.AuthTime.Unix()}, nil
}

func claimString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}
