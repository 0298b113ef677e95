package userpool

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/cognate-dev/cognate/internal/store"
)

// Passkey (WebAuthn) exceptions.
const (
	excWebAuthnNotEnabled         = "WebAuthnNotEnabledException"
	excWebAuthnConfigMissing      = "WebAuthnConfigurationMissingException"
	excWebAuthnChallengeNotFound  = "WebAuthnChallengeNotFoundException"
	excWebAuthnClientMismatch     = "WebAuthnClientMismatchException"
	excWebAuthnRPMismatch         = "WebAuthnRelyingPartyMismatchException"
	excWebAuthnOriginNotAllowed   = "WebAuthnOriginNotAllowedException"
	excWebAuthnCredNotSupported   = "WebAuthnCredentialNotSupportedException"
	maxPasskeys                   = 20
	passkeyRegistrationValidity   = 5 * time.Minute
	passkeyDefaultFriendlyName    = "passkey"
	maxListWebAuthnCredentialPage = 20
)

// passkey is one registered WebAuthn credential of a user.
type passkey struct {
	// Cred is the credential as go-webauthn verifies it (public key, sign count, flags).
	Cred       webauthn.Credential `json:"c"`
	Name       string              `json:"n,omitempty"`
	RPID       string              `json:"r"`
	Attachment string              `json:"a,omitempty"`
	Created    time.Time           `json:"t"`
}

func (k *passkey) id() string { return base64.RawURLEncoding.EncodeToString(k.Cred.ID) }

// passkeyCeremony is the pending StartWebAuthnRegistration of a user.
type passkeyCeremony struct {
	Session  webauthn.SessionData `json:"s"`
	ClientID string               `json:"c"`
	Expires  time.Time            `json:"x"`
}

// waUser adapts a pool user to go-webauthn.
type waUser struct {
	id, name, display string
	creds             []webauthn.Credential
}

func (u waUser) WebAuthnID() []byte                         { return []byte(u.id) }
func (u waUser) WebAuthnName() string                       { return u.name }
func (u waUser) WebAuthnDisplayName() string                { return u.display }
func (u waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func credentialsOf(keys []passkey) []webauthn.Credential {
	out := make([]webauthn.Credential, 0, len(keys))
	for _, k := range keys {
		out = append(out, k.Cred)
	}
	return out
}

// passkeys loads a user's passkeys from the store, oldest first.
func (s *Service) passkeys(ctx context.Context, poolID, username string) ([]passkey, error) {
	rows, err := s.store.ListPasskeys(ctx, poolID, username)
	if err != nil {
		return nil, wrap("list passkeys", err)
	}
	out := make([]passkey, 0, len(rows))
	for _, r := range rows {
		var k passkey
		if err := json.Unmarshal(r.Data, &k); err != nil {
			return nil, wrap("decode passkey", err)
		}
		out = append(out, k)
	}
	return out, nil
}

func newWAUser(u store.User, creds []webauthn.Credential) waUser {
	display := u.Username
	if e := u.Attributes["email"]; e != "" {
		display = e
	}
	return waUser{id: u.Attributes["sub"], name: u.Username, display: display, creds: creds}
}

// relyingParty returns the pool's relying-party id (WebAuthnConfiguration's,
// else the pool's custom domain, else its prefix domain) and user
// verification requirement, or AWS's error when passkeys cannot be used.
func (s *Service) relyingParty(ctx context.Context, p *pool) (string, protocol.UserVerificationRequirement, error) {
	if p.tier() == "LITE" {
		// CompleteWebAuthnRegistration and StartWebAuthnRegistration model no tier error.
		return "", "", apiErr(excWebAuthnNotEnabled, "Passkeys are not available in the LITE tier.")
	}
	if !contains(p.firstFactors(), factorWebAuthn) {
		return "", "", apiErr(excWebAuthnNotEnabled, "WebAuthn is not enabled for this user pool: add WEB_AUTHN to SignInPolicy.AllowedFirstAuthFactors.")
	}
	uv := protocol.VerificationPreferred
	rpID := ""
	if w := p.mfa().WebAuthn; w != nil {
		rpID = w.RelyingPartyId
		if w.UserVerification == "required" {
			uv = protocol.VerificationRequired
		}
	}
	if rpID == "" {
		ds, err := s.poolDomains(ctx, p.ID)
		if err != nil {
			return "", "", err
		}
		for _, d := range ds {
			switch {
			case d.Custom:
				rpID = d.Domain
			case rpID == "":
				rpID = PrefixDomainHost(d.Domain, s.region)
			}
		}
	}
	if rpID == "" {
		return "", "", apiErr(excWebAuthnConfigMissing, "The user pool has no relying party id configured (WebAuthnConfiguration.RelyingPartyId) and no domain.")
	}
	return rpID, uv, nil
}

// relyingPartyFor builds the go-webauthn relying party of one ceremony;
// origin is the verified origin of the client's response (empty to begin).
func relyingPartyFor(p *pool, rpID, origin string) (*webauthn.WebAuthn, error) {
	if origin == "" {
		origin = "https://" + rpID
	}
	wa, err := webauthn.New(&webauthn.Config{RPID: rpID, RPDisplayName: p.Name, RPOrigins: []string{origin},
		AttestationPreference: protocol.PreferNoAttestation})
	if err != nil {
		return nil, wrap("webauthn relying party", err)
	}
	return wa, nil
}

// originAllowed says whether a browser origin may use rpID: https on the
// relying party's host or a subdomain of it, or http on localhost (which
// browsers treat as a secure context).
func originAllowed(origin, rpID string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Path != "" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	rp := strings.ToLower(rpID)
	if host != rp && !strings.HasSuffix(host, "."+rp) {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		return host == "localhost" || strings.HasSuffix(host, ".localhost")
	}
	return false
}

// checkCeremony refuses a response from another origin or for another
// relying party before the library verifies the rest.
func checkCeremony(origin string, rpIDHash []byte, rpID string) error {
	if !originAllowed(origin, rpID) {
		return apiErr(excWebAuthnOriginNotAllowed, "The passkey credential's origin %q is not allowed for relying party id %s.", origin, rpID)
	}
	want := sha256.Sum256([]byte(rpID))
	if subtle.ConstantTimeCompare(rpIDHash, want[:]) != 1 {
		return apiErr(excWebAuthnRPMismatch, "The passkey credential is associated with a different relying party id than %s.", rpID)
	}
	return nil
}

type startWebAuthnOutput struct {
	CredentialCreationOptions json.RawMessage
}

// startWebAuthnRegistration hands the signed-in user the options of a new
// passkey and keeps the challenge until CompleteWebAuthnRegistration.
func (s *Service) startWebAuthnRegistration(ctx context.Context, in *accessTokenInput) (*startWebAuthnOutput, error) {
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	return s.beginPasskeyRegistration(ctx, a)
}

// beginPasskeyRegistration is StartWebAuthnRegistration for a user already
// authenticated (by access token, or by managed login's session).
func (s *Service) beginPasskeyRegistration(ctx context.Context, a *authn) (*startWebAuthnOutput, error) {
	rpID, uv, err := s.relyingParty(ctx, a.pool)
	if err != nil {
		return nil, err
	}
	existing, err := s.passkeys(ctx, a.pool.ID, a.user.Username)
	if err != nil {
		return nil, err
	}
	if len(existing) >= maxPasskeys {
		return nil, apiErr(excLimitExceeded, "A user can register at most %d passkeys.", maxPasskeys)
	}
	wa, err := relyingPartyFor(a.pool, rpID, "")
	if err != nil {
		return nil, err
	}
	creds := credentialsOf(existing)
	user := newWAUser(a.user, creds)
	creation, session, err := wa.BeginRegistration(user,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(), UserVerification: uv}),
		webauthn.WithExclusions(webauthn.Credentials(creds).CredentialDescriptors()),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
	if err != nil {
		return nil, wrap("begin passkey registration", err)
	}
	cer := passkeyCeremony{Session: *session, ClientID: a.clientID, Expires: s.clock().Add(passkeyRegistrationValidity)}
	if _, _, err := s.updateUser(ctx, a.pool.ID, a.user.Username, func(p *pool, u *store.User) error {
		priv, err := decodePrivate(*u)
		if err != nil {
			return err
		}
		c := cer
		factorsOf(&priv).PasskeyPending = &c
		return encodePrivate(u, priv)
	}); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(creation.Response)
	if err != nil {
		return nil, wrap("encode creation options", err)
	}
	return &startWebAuthnOutput{CredentialCreationOptions: raw}, nil
}

type completeWebAuthnInput struct {
	AccessToken string
	Credential  json.RawMessage
}

// completeWebAuthnRegistration verifies the authenticator's attestation
// against the pending challenge and stores the new passkey.
func (s *Service) completeWebAuthnRegistration(ctx context.Context, in *completeWebAuthnInput) (*empty, error) {
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	return s.finishPasskeyRegistration(ctx, a, in.Credential)
}

// finishPasskeyRegistration is CompleteWebAuthnRegistration for a user
// already authenticated.
func (s *Service) finishPasskeyRegistration(ctx context.Context, a *authn, credential json.RawMessage) (*empty, error) {
	in := struct{ Credential json.RawMessage }{credential}
	if len(in.Credential) == 0 || string(in.Credential) == "null" {
		return nil, missing("Credential")
	}
	rpID, _, err := s.relyingParty(ctx, a.pool)
	if err != nil {
		return nil, err
	}
	priv, err := decodePrivate(a.user)
	if err != nil {
		return nil, err
	}
	cer := factorsOf(&priv).PasskeyPending
	if cer == nil || !s.clock().Before(cer.Expires) {
		return nil, apiErr(excWebAuthnChallengeNotFound, "The passkey registration challenge was not found or has expired: call StartWebAuthnRegistration again.")
	}
	if cer.ClientID != a.clientID {
		return nil, apiErr(excWebAuthnClientMismatch, "The access token is for a different client than the StartWebAuthnRegistration request.")
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(in.Credential)
	if err != nil {
		return nil, invalidParameter("Credential is not a valid passkey registration response.")
	}
	if err := checkCeremony(parsed.Response.CollectedClientData.Origin, parsed.Response.AttestationObject.AuthData.RPIDHash, rpID); err != nil {
		return nil, err
	}
	if cer.Session.RelyingPartyID != "" && cer.Session.RelyingPartyID != rpID {
		return nil, apiErr(excWebAuthnRPMismatch, "The relying party id of the user pool changed since StartWebAuthnRegistration.")
	}
	wa, err := relyingPartyFor(a.pool, rpID, parsed.Response.CollectedClientData.Origin)
	if err != nil {
		return nil, err
	}
	existing, err := s.passkeys(ctx, a.pool.ID, a.user.Username)
	if err != nil {
		return nil, err
	}
	if len(existing) >= maxPasskeys {
		return nil, apiErr(excLimitExceeded, "A user can register at most %d passkeys.", maxPasskeys)
	}
	cred, err := wa.CreateCredential(newWAUser(a.user, credentialsOf(existing)), cer.Session, parsed)
	if err != nil {
		s.log.InfoContext(ctx, "passkey registration refused", "pool", a.pool.ID, "username", a.user.Username, "reason", protocolReason(err))
		return nil, apiErr(excWebAuthnCredNotSupported, "The passkey credential could not be verified: %s", protocolReason(err))
	}
	now := s.clock()
	key := passkey{Cred: *cred, Name: passkeyDefaultFriendlyName, RPID: rpID, Attachment: string(parsed.AuthenticatorAttachment), Created: now}
	if _, _, err := s.updateUser(ctx, a.pool.ID, a.user.Username, func(p *pool, u *store.User) error {
		priv, err := decodePrivate(*u)
		if err != nil {
			return err
		}
		f := factorsOf(&priv)
		if f.PasskeyPending == nil || f.PasskeyPending.Session.Challenge != cer.Session.Challenge {
			return apiErr(excWebAuthnChallengeNotFound, "The passkey registration challenge was not found or has expired: call StartWebAuthnRegistration again.")
		}
		f.PasskeyPending = nil
		return encodePrivate(u, priv)
	}); err != nil {
		return nil, err
	}
	data, err := json.Marshal(key)
	if err != nil {
		return nil, wrap("encode passkey", err)
	}
	err = s.store.CreatePasskey(ctx, store.Passkey{PoolID: a.pool.ID, ID: key.id(), Username: a.user.Username, Data: data, CreatedAt: now, UpdatedAt: now})
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		return nil, invalidParameter("This passkey is already registered.")
	case errors.Is(err, store.ErrNotFound):
		return nil, userNotFound()
	case err != nil:
		return nil, wrap("create passkey", err)
	}
	s.log.InfoContext(ctx, "passkey registered", "pool", a.pool.ID, "username", a.user.Username)
	return &empty{}, nil
}

// protocolReason is the library's short reason for a refused ceremony.
func protocolReason(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		if pe.DevInfo != "" {
			return pe.Details + ": " + pe.DevInfo
		}
		return pe.Details
	}
	return err.Error()
}

type listWebAuthnInput struct {
	AccessToken string
	MaxResults  *int
	NextToken   string
}

type webAuthnCredentialDescription struct {
	CredentialId            string
	FriendlyCredentialName  string
	RelyingPartyId          string
	AuthenticatorAttachment string `json:",omitempty"`
	AuthenticatorTransports []string
	CreatedAt               epoch
}

type listWebAuthnOutput struct {
	Credentials []webAuthnCredentialDescription
	NextToken   string `json:",omitempty"`
}

// listWebAuthnCredentials lists the signed-in user's passkeys, oldest first.
func (s *Service) listWebAuthnCredentials(ctx context.Context, in *listWebAuthnInput) (*listWebAuthnOutput, error) {
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	limit := maxListWebAuthnCredentialPage
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxListWebAuthnCredentialPage {
			return nil, invalidParameter("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", *in.MaxResults, maxListWebAuthnCredentialPage)
		}
		limit = *in.MaxResults
	}
	start := 0
	if in.NextToken != "" {
		n, err := strconv.Atoi(in.NextToken)
		if err != nil || n < 0 {
			return nil, invalidParameter("Invalid pagination token.")
		}
		start = n
	}
	keys, err := s.passkeys(ctx, a.pool.ID, a.user.Username)
	if err != nil {
		return nil, err
	}
	out := &listWebAuthnOutput{Credentials: []webAuthnCredentialDescription{}}
	for i := start; i < len(keys) && len(out.Credentials) < limit; i++ {
		k := keys[i]
		tr := make([]string, 0, len(k.Cred.Transport))
		for _, t := range k.Cred.Transport {
			tr = append(tr, string(t))
		}
		out.Credentials = append(out.Credentials, webAuthnCredentialDescription{CredentialId: k.id(), FriendlyCredentialName: k.Name,
			RelyingPartyId: k.RPID, AuthenticatorAttachment: k.Attachment, AuthenticatorTransports: tr, CreatedAt: epoch(k.Created)})
		if len(out.Credentials) == limit && i+1 < len(keys) {
			out.NextToken = strconv.Itoa(i + 1)
		}
	}
	return out, nil
}

type deleteWebAuthnInput struct {
	AccessToken  string
	CredentialId string
}

// deleteWebAuthnCredential removes one of the signed-in user's passkeys.
func (s *Service) deleteWebAuthnCredential(ctx context.Context, in *deleteWebAuthnInput) (*empty, error) {
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if in.CredentialId == "" {
		return nil, missing("CredentialId")
	}
	err = s.store.DeletePasskey(ctx, a.pool.ID, a.user.Username, in.CredentialId)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apiErr(excResourceNotFound, "Passkey credential %s was not found.", in.CredentialId)
	}
	if err != nil {
		return nil, wrap("delete passkey", err)
	}
	return &empty{}, nil
}

// startWebAuthnSignIn issues the WEB_AUTHN challenge of a USER_AUTH
// sign-in. A name that matches no user gets the same shape of answer, with
// a credential id derived from the name so repeated tries look alike.
func (s *Service) startWebAuthnSignIn(ctx context.Context, p *pool, u store.User, ch mfaChallenge) (*authOutput, error) {
	rpID, uv, err := s.relyingParty(ctx, p)
	if err != nil {
		// InitiateAuth and RespondToAuthChallenge model no WebAuthn errors.
		return nil, apiErr(excInvalidUserPoolConfiguration, "WEB_AUTHN sign-in is not configured in this user pool: %s", err.Error())
	}
	wa, err := relyingPartyFor(p, rpID, "")
	if err != nil {
		return nil, err
	}
	var creds []webauthn.Credential
	if ch.Fake {
		key, err := s.poolSecret(p)
		if err != nil {
			return nil, err
		}
		creds = []webauthn.Credential{{ID: keyedHash(key, "passkey", ch.Username)[:16]}}
	} else {
		keys, err := s.passkeys(ctx, p.ID, u.Username)
		if err != nil {
			return nil, err
		}
		creds = credentialsOf(keys)
	}
	if len(creds) == 0 {
		return nil, invalidParameter("The challenge %s is not available for this user.", factorWebAuthn)
	}
	handle := ch.Username
	if !ch.Fake {
		handle = u.Attributes["sub"]
		if p.passkeyIsMFA() && passkeyMFAOn(u) {
			// WebAuthnMfaSettingsType: with passkey MFA on, the user's
			// passkey authentication requires user verification.
			uv = protocol.VerificationRequired
		}
	}
	assertion, session, err := wa.BeginLogin(waUser{id: handle, name: ch.Username, creds: creds}, webauthn.WithUserVerification(uv))
	if err != nil {
		return nil, wrap("begin passkey sign-in", err)
	}
	opts, err := json.Marshal(assertion.Response)
	if err != nil {
		return nil, wrap("encode request options", err)
	}
	ch.Step, ch.Choices, ch.WebAuthn = factorWebAuthn, nil, session
	bearer, err := s.putMFA(ctx, "", ch)
	if err != nil {
		return nil, err
	}
	return &authOutput{ChallengeName: factorWebAuthn, Session: bearer,
		ChallengeParameters: map[string]string{"CREDENTIAL_REQUEST_OPTIONS": string(opts)}}, nil
}

// verifyWebAuthnSignIn checks the CREDENTIAL of a WEB_AUTHN answer and
// records the credential's new sign count; ok is false for an assertion
// that does not verify, from another origin or for another relying party
// (RespondToAuthChallenge answers all of them NotAuthorizedException).
func (s *Service) verifyWebAuthnSignIn(ctx context.Context, p *pool, u store.User, ch mfaChallenge, credential string, verified *bool) (store.User, bool, error) {
	rpID, _, err := s.relyingParty(ctx, p)
	if err != nil {
		return store.User{}, false, apiErr(excInvalidUserPoolConfiguration, "WEB_AUTHN sign-in is not configured in this user pool.")
	}
	if ch.WebAuthn == nil {
		return store.User{}, false, notAuthorized(msgInvalidSession)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(credential))
	if err != nil {
		return store.User{}, false, nil
	}
	if err := checkCeremony(parsed.Response.CollectedClientData.Origin, parsed.Response.AuthenticatorData.RPIDHash, rpID); err != nil {
		s.log.InfoContext(ctx, "passkey sign-in refused", "pool", p.ID, "username", u.Username, "reason", err.Error())
		return store.User{}, false, nil
	}
	wa, err := relyingPartyFor(p, rpID, parsed.Response.CollectedClientData.Origin)
	if err != nil {
		return store.User{}, false, err
	}
	keys, err := s.passkeys(ctx, p.ID, u.Username)
	if err != nil {
		return store.User{}, false, err
	}
	cred, err := wa.ValidateLogin(newWAUser(u, credentialsOf(keys)), *ch.WebAuthn, parsed)
	if err != nil {
		s.log.InfoContext(ctx, "passkey sign-in refused", "pool", p.ID, "username", u.Username, "reason", protocolReason(err))
		return store.User{}, false, nil
	}
	*verified = cred.Flags.UserVerified
	if cred.Authenticator.CloneWarning {
		s.log.WarnContext(ctx, "passkey sign count went backwards: possible cloned authenticator", "pool", p.ID, "username", u.Username)
		return store.User{}, false, nil
	}
	now := s.clock()
	_, err = s.store.UpdatePasskey(ctx, p.ID, base64.RawURLEncoding.EncodeToString(cred.ID), func(row store.Passkey) (store.Passkey, error) {
		var k passkey
		if err := json.Unmarshal(row.Data, &k); err != nil {
			return row, wrap("decode passkey", err)
		}
		k.Cred.Authenticator, k.Cred.Flags = cred.Authenticator, cred.Flags
		data, err := json.Marshal(k)
		if err != nil {
			return row, wrap("encode passkey", err)
		}
		row.Data, row.UpdatedAt = data, now
		return row, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, false, nil
	}
	if err != nil {
		return store.User{}, false, wrap("update passkey", err)
	}
	return u, true, nil
}
