package userpool

import (
	"context"

	"github.com/cognate-dev/cognate/internal/store"
)

// The CUSTOM_AUTH flow: the define auth challenge trigger decides, from the
// session of challenges answered so far, to fail, to issue tokens or to
// present the next challenge: PASSWORD_VERIFIER (SRP, when the flow began
// with CHALLENGE_NAME SRP_A) or CUSTOM_CHALLENGE (created by the create
// auth challenge trigger, its answer judged by the verify auth challenge
// response trigger). The flow's state lives in a sealed, single-use
// session, as every other challenge does.

// challengeResult is one element of the triggers' session array.
type challengeResult struct {
	ChallengeName     string  `json:"challengeName"`
	ChallengeResult   bool    `json:"challengeResult"`
	ChallengeMetadata *string `json:"challengeMetadata"`
}

// customState is the state of a CUSTOM_AUTH flow between calls.
type customState struct {
	Session  []challengeResult `json:"s"`
	Private  map[string]string `json:"pv,omitempty"`
	Metadata string            `json:"m,omitempty"`
	NotFound bool              `json:"nf,omitempty"`
}

type defineAuthRequest struct {
	UserAttributes map[string]string `json:"userAttributes"`
	Session        []challengeResult `json:"session"`
	ClientMetadata map[string]string `json:"clientMetadata"`
	UserNotFound   bool              `json:"userNotFound"`
}

type defineAuthSent struct {
	ChallengeName      *string `json:"challengeName"`
	IssueTokens        *bool   `json:"issueTokens"`
	FailAuthentication *bool   `json:"failAuthentication"`
}

type defineAuthResponse struct {
	ChallengeName      string `json:"challengeName"`
	IssueTokens        bool   `json:"issueTokens"`
	FailAuthentication bool   `json:"failAuthentication"`
}

type createAuthRequest struct {
	UserAttributes map[string]string `json:"userAttributes"`
	ChallengeName  string            `json:"challengeName"`
	Session        []challengeResult `json:"session"`
	ClientMetadata map[string]string `json:"clientMetadata"`
	UserNotFound   bool              `json:"userNotFound"`
}

type createAuthSent struct {
	PublicChallengeParameters  map[string]string `json:"publicChallengeParameters"`
	PrivateChallengeParameters map[string]string `json:"privateChallengeParameters"`
	ChallengeMetadata          *string           `json:"challengeMetadata"`
}

type createAuthResponse struct {
	PublicChallengeParameters  map[string]string `json:"publicChallengeParameters"`
	PrivateChallengeParameters map[string]string `json:"privateChallengeParameters"`
	ChallengeMetadata          string            `json:"challengeMetadata"`
}

type verifyAuthRequest struct {
	UserAttributes             map[string]string `json:"userAttributes"`
	PrivateChallengeParameters map[string]string `json:"privateChallengeParameters"`
	ChallengeAnswer            string            `json:"challengeAnswer"`
	ClientMetadata             map[string]string `json:"clientMetadata"`
	UserNotFound               bool              `json:"userNotFound"`
}

type verifyAuthSent struct {
	AnswerCorrect *bool `json:"answerCorrect"`
}

type verifyAuthResponse struct {
	AnswerCorrect bool `json:"answerCorrect"`
}

// customUser is the user a custom flow is for (found false: an unknown
// name, with existence hidden).
type customUser struct {
	u     store.User
	found bool
	login string
}

func (cu customUser) username() string {
	if cu.found {
		return cu.u.Username
	}
	return cu.login
}

func (cu customUser) attributes(p *pool) map[string]string {
	if cu.found {
		return triggerAttributes(p, cu.u)
	}
	return map[string]string{}
}

// startCustom answers InitiateAuth with AuthFlow CUSTOM_AUTH.
func (s *Service) startCustom(ctx context.Context, p *pool, c *client, params map[string]string, admin bool, validation map[string]string) (*authOutput, error) {
	if !p.hasTrigger(trigDefineAuth) {
		return nil, invalidParameter("Custom auth lambda trigger is not configured for the user pool.")
	}
	name := params["USERNAME"]
	if name == "" {
		return nil, missing("USERNAME")
	}
	if err := c.checkSecretHash(params["SECRET_HASH"], name); err != nil {
		return nil, err
	}
	cs := &customState{Session: []challengeResult{}}
	switch params["CHALLENGE_NAME"] {
	case "":
	case "SRP_A":
		if params["SRP_A"] == "" {
			return nil, missing("SRP_A")
		}
		cs.Session = append(cs.Session, challengeResult{ChallengeName: "SRP_A", ChallengeResult: true})
	default:
		return nil, invalidParameter("Invalid CHALLENGE_NAME %s", params["CHALLENGE_NAME"])
	}
	u, found, err := s.resolveUser(ctx, p, name)
	if err != nil {
		return nil, err
	}
	if !found && !c.preventExistenceErrors() {
		return nil, userNotFound()
	}
	if err := s.preAuthentication(ctx, p, c, u, found, name, validation); err != nil {
		return nil, err
	}
	cs.NotFound = !found
	st := challengeState{PoolID: p.ID, ClientID: c.ID, Username: u.Username, Login: p.normalize(name),
		LockKey: lockKey(p, u, found, name), Admin: admin, Custom: cs}
	if !found {
		st.Username = p.normalize(name)
	}
	return s.defineNext(ctx, p, c, customUser{u: u, found: found, login: name}, st, nil, params)
}

// defineNext asks the define auth challenge trigger what follows the
// session so far and acts on it. srpParams are InitiateAuth's parameters
// (a PASSWORD_VERIFIER step is possible only then).
func (s *Service) defineNext(ctx context.Context, p *pool, c *client, cu customUser, st challengeState, meta, srpParams map[string]string) (*authOutput, error) {
	cs := st.Custom
	var def defineAuthResponse
	if err := s.invokeTrigger(ctx, p, triggerCall{trigger: trigDefineAuth, source: "Authentication", username: cu.username(), clientID: c.ID},
		defineAuthRequest{UserAttributes: cu.attributes(p), Session: cs.Session, ClientMetadata: metadata(meta), UserNotFound: cs.NotFound},
		defineAuthSent{}, &def); err != nil {
		return nil, err
	}
	switch {
	case def.FailAuthentication:
		if err := s.lockout.fail(ctx, p.ID, st.LockKey); err != nil {
			return nil, err
		}
		return nil, notAuthorized(msgIncorrect)
	case def.IssueTokens:
		if !cu.found {
			return nil, notAuthorized(msgIncorrect)
		}
		return s.afterPassword(ctx, p, c, cu.u, st.Admin, meta, "Authentication")
	case def.ChallengeName == "PASSWORD_VERIFIER":
		if srpParams == nil || srpParams["SRP_A"] == "" {
			return nil, apiErr(excInvalidLambdaResponse, msgUnrecognizable)
		}
		return s.startSRP(ctx, p, c, srpParams, st.Admin, nil, cs)
	case def.ChallengeName == "CUSTOM_CHALLENGE":
	default:
		return nil, apiErr(excInvalidLambdaResponse, msgUnrecognizable)
	}
	var cr createAuthResponse
	if p.hasTrigger(trigCreateAuth) {
		if err := s.invokeTrigger(ctx, p, triggerCall{trigger: trigCreateAuth, source: "Authentication", username: cu.username(), clientID: c.ID},
			createAuthRequest{UserAttributes: cu.attributes(p), ChallengeName: def.ChallengeName, Session: cs.Session,
				ClientMetadata: metadata(meta), UserNotFound: cs.NotFound},
			createAuthSent{}, &cr); err != nil {
			return nil, err
		}
	} else {
		return nil, invalidParameter("Custom auth lambda trigger is not configured for the user pool.")
	}
	cs.Private, cs.Metadata = cr.PrivateChallengeParameters, cr.ChallengeMetadata
	session, err := s.putChallenge(ctx, sessionCustom, "", st, c.authSessionValidity())
	if err != nil {
		return nil, err
	}
	params := make(map[string]string, len(cr.PublicChallengeParameters)+1)
	for k, v := range cr.PublicChallengeParameters {
		params[k] = v
	}
	params["USERNAME"] = cu.username()
	return &authOutput{ChallengeName: "CUSTOM_CHALLENGE", ChallengeParameters: params, Session: session}, nil
}

// continueCustom records a challenge's result and asks for the next step.
func (s *Service) continueCustom(ctx context.Context, p *pool, c *client, cu customUser, st challengeState, name string, result bool, challengeMeta string, meta map[string]string) (*authOutput, error) {
	var md *string
	if challengeMeta != "" {
		md = strp(challengeMeta)
	}
	st.Custom.Session = append(st.Custom.Session, challengeResult{ChallengeName: name, ChallengeResult: result, ChallengeMetadata: md})
	st.Custom.Private, st.Custom.Metadata = nil, ""
	st.Key, st.Fake = nil, false // the SRP step, if any, is over
	return s.defineNext(ctx, p, c, cu, st, meta, nil)
}

// answerCustom handles RespondToAuthChallenge with CUSTOM_CHALLENGE.
func (s *Service) answerCustom(ctx context.Context, p *pool, c *client, in *respondInput, admin bool) (*authOutput, error) {
	resp := in.ChallengeResponses
	if resp["USERNAME"] == "" {
		return nil, missing("USERNAME")
	}
	if _, ok := resp["ANSWER"]; !ok {
		return nil, missing("ANSWER")
	}
	if in.Session == "" {
		return nil, missing("Session")
	}
	if err := c.checkSecretHash(resp["SECRET_HASH"], resp["USERNAME"]); err != nil {
		return nil, err
	}
	st, ok, err := s.takeChallenge(ctx, sessionCustom, in.Session)
	if err != nil {
		return nil, err
	}
	if !ok || st.Custom == nil || st.PoolID != p.ID || st.ClientID != c.ID || st.Admin != admin ||
		(resp["USERNAME"] != st.Username && p.normalize(resp["USERNAME"]) != st.Login) {
		return nil, notAuthorized(msgInvalidSession)
	}
	locked, _, err := s.lockout.check(ctx, p.ID, st.LockKey)
	if err != nil {
		return nil, err
	}
	if locked {
		return nil, notAuthorized(msgAttemptsExceeded)
	}
	cu := customUser{login: st.Login}
	if !st.Custom.NotFound {
		u, err := s.store.GetUser(ctx, p.ID, st.Username)
		if err != nil {
			return nil, notAuthorized(msgInvalidSession)
		}
		cu.u, cu.found = u, true
	}
	var vr verifyAuthResponse
	if !p.hasTrigger(trigVerifyAuth) {
		return nil, invalidParameter("Custom auth lambda trigger is not configured for the user pool.")
	}
	if err := s.invokeTrigger(ctx, p, triggerCall{trigger: trigVerifyAuth, source: "Authentication", username: cu.username(), clientID: c.ID},
		verifyAuthRequest{UserAttributes: cu.attributes(p), PrivateChallengeParameters: metadata(st.Custom.Private),
			ChallengeAnswer: resp["ANSWER"], ClientMetadata: metadata(in.ClientMetadata), UserNotFound: st.Custom.NotFound},
		verifyAuthSent{}, &vr); err != nil {
		return nil, err
	}
	return s.continueCustom(ctx, p, c, cu, st, "CUSTOM_CHALLENGE", vr.AnswerCorrect && cu.found, st.Custom.Metadata, in.ClientMetadata)
}
