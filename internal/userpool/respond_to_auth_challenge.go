package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/store"
)

type respondInput struct {
	ChallengeName      string
	ClientId           string
	UserPoolId         string
	ChallengeResponses map[string]string
	ClientMetadata     map[string]string
	Session            string
}

func (s *Service) respondToAuthChallenge(ctx context.Context, in *respondInput) (*authOutput, error) {
	p, c, err := s.loadClientPool(ctx, in.ClientId)
	if err != nil {
		return nil, err
	}
	return s.respond(ctx, p, c, in, false)
}

func (s *Service) adminRespondToAuthChallenge(ctx context.Context, in *respondInput) (*authOutput, error) {
	p, c, err := s.loadPoolClient(ctx, in.UserPoolId, in.ClientId)
	if err != nil {
		return nil, err
	}
	return s.respond(ctx, p, c, in, true)
}

func (s *Service) respond(ctx context.Context, p *pool, c *client, in *respondInput, admin bool) (*authOutput, error) {
	ctx = withDeviceKey(ctx, in.ChallengeResponses["DEVICE_KEY"])
	switch in.ChallengeName {
	case chSoftwareToken, chSMS, chEmail, chSelectMFA, chSetup, chSelectChallenge, chSMSOTP, factorWebAuthn:
		return s.respondMFA(ctx, p, c, in, admin)
	case chDeviceSRP, chDeviceVerifier:
		return s.respondDevice(ctx, p, c, in, admin)
	case "":
		return nil, missing("ChallengeName")
	case "PASSWORD_VERIFIER":
		st, err := s.verifySRP(ctx, p, c, in.ChallengeResponses, admin)
		if err != nil {
			return nil, err
		}
		u, err := s.store.GetUser(ctx, p.ID, st.Username)
		if errors.Is(err, store.ErrNotFound) {
			return nil, notAuthorized(msgIncorrect)
		}
		if err != nil {
			return nil, wrap("get user", err)
		}
		if st.Custom != nil {
			return s.continueCustom(ctx, p, c, customUser{u: u, found: true, login: st.Login}, st, "PASSWORD_VERIFIER", true, "", in.ClientMetadata)
		}
		return s.afterPassword(ctx, p, c, u, admin, in.ClientMetadata, "Authentication")
	case "CUSTOM_CHALLENGE":
		return s.answerCustom(ctx, p, c, in, admin)
	case "NEW_PASSWORD_REQUIRED":
		return s.completeNewPassword(ctx, p, c, in, admin)
	default:
		return nil, invalidParameter("Invalid challenge name %s", in.ChallengeName)
	}
}

// newPasswordChallenge asks a FORCE_CHANGE_PASSWORD user for a new password,
// unless the temporary password has expired.
func (s *Service) newPasswordChallenge(ctx context.Context, p *pool, c *client, u store.User, admin bool) (*authOutput, error) {
	priv, err := decodePrivate(u)
	if err != nil {
		return nil, err
	}
	days := time.Duration(p.passwordPolicy().TemporaryPasswordValidityDays) * 24 * time.Hour
	if !priv.TempPasswordAt.IsZero() && s.clock().Sub(priv.TempPasswordAt) > days {
		return nil, notAuthorized(msgTempPasswordExpired)
	}
	st := challengeState{PoolID: p.ID, ClientID: c.ID, Username: u.Username, LockKey: lockKey(p, u, true, ""), Admin: admin}
	session, err := s.putChallenge(ctx, sessionNewPassword, "", st, c.authSessionValidity())
	if err != nil {
		return nil, err
	}
	shown := map[string]string{}
	for k, v := range u.Attributes {
		if k != "sub" {
			shown[k] = v
		}
	}
	userAttrs, _ := json.Marshal(shown)
	required := []string{}
	for _, a := range p.cfg.SchemaAttributes {
		if a.Required != nil && *a.Required && a.Name != "sub" && u.Attributes[a.Name] == "" {
			required = append(required, "userAttributes."+a.Name)
		}
	}
	sort.Strings(required)
	reqJSON, _ := json.Marshal(required)
	return &authOutput{
		ChallengeName: "NEW_PASSWORD_REQUIRED",
		Session:       session,
		ChallengeParameters: map[string]string{
			"USER_ID_FOR_SRP":    u.Username,
			"requiredAttributes": string(reqJSON),
			"userAttributes":     string(userAttrs),
		},
	}, nil
}

// completeNewPassword answers NEW_PASSWORD_REQUIRED: NEW_PASSWORD plus any
// userAttributes.* values. The password and attributes are validated before
// the session is consumed, so a rejected password can be retried.
func (s *Service) completeNewPassword(ctx context.Context, p *pool, c *client, in *respondInput, admin bool) (*authOutput, error) {
	u, err := s.setNewPassword(ctx, p, c, in, admin)
	if err != nil {
		return nil, err
	}
	return s.afterPassword(ctx, p, c, u, admin, in.ClientMetadata, "NewPasswordChallenge")
}

// setNewPassword consumes a NEW_PASSWORD_REQUIRED session and sets the
// user's permanent password and the attributes given.
func (s *Service) setNewPassword(ctx context.Context, p *pool, c *client, in *respondInput, admin bool) (store.User, error) {
	resp := in.ChallengeResponses
	if resp["USERNAME"] == "" {
		return store.User{}, missing("USERNAME")
	}
	if resp["NEW_PASSWORD"] == "" {
		return store.User{}, missing("NEW_PASSWORD")
	}
	if in.Session == "" {
		return store.User{}, missing("Session")
	}
	if err := checkPassword(p.passwordPolicy(), resp["NEW_PASSWORD"]); err != nil {
		return store.User{}, err
	}
	var attrs []attributeType
	for k, v := range resp {
		if name, ok := strings.CutPrefix(k, "userAttributes."); ok {
			attrs = append(attrs, attributeType{Name: name, Value: strp(v)})
		}
	}
	sort.Slice(attrs, func(i, j int) bool { return attrs[i].Name < attrs[j].Name })
	if err := p.cfg.validateAttributes(attrs, false); err != nil {
		return store.User{}, err
	}
	if err := c.checkSecretHash(resp["SECRET_HASH"], resp["USERNAME"]); err != nil {
		return store.User{}, err
	}
	st, ok, err := s.takeChallenge(ctx, sessionNewPassword, in.Session)
	if err != nil {
		return store.User{}, err
	}
	if !ok || st.PoolID != p.ID || st.ClientID != c.ID || st.Admin != admin {
		return store.User{}, notAuthorized(msgInvalidSession)
	}
	cur, found, err := s.resolveUser(ctx, p, resp["USERNAME"])
	if err != nil {
		return store.User{}, err
	}
	if !found || cur.Username != st.Username {
		return store.User{}, notAuthorized(msgInvalidSession)
	}
	_, u, err := s.updateUser(ctx, p.ID, st.Username, func(p *pool, u *store.User) error {
		if u.Status != statusForceChangePassword {
			return notAuthorized(msgInvalidSession)
		}
		u.Attributes = maps.Clone(u.Attributes)
		applyAttributes(p, u, attrs, false)
		if err := p.cfg.checkRequired(u.Attributes); err != nil {
			return err
		}
		return s.setPermanentPassword(p, u, resp["NEW_PASSWORD"])
	})
	return u, err
}
