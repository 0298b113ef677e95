package userpool

import (
	"context"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/store"
)

// Pre token generation: V1_0 customizes the id token; V2_0 and V3_0 both
// tokens, access token scopes included, with claim values of any JSON type.
// V3_0 differs from V2_0 only for client-credentials (machine) tokens: only
// a V3_0 trigger runs for them (TokenGeneration_ClientCredentials, see
// clientCredentialsPreToken); for user sign-ins the two are the same.

// protectedClaims cannot be added, overridden or suppressed by the trigger.
var protectedClaims = map[string]bool{
	"acr": true, "amr": true, "aud": true, "at_hash": true, "auth_time": true, "azp": true,
	"cognito:username": true, "exp": true, "iat": true, "identities": true, "iss": true, "jti": true,
	"nbf": true, "nonce": true, "origin_jti": true, "sub": true, "token_use": true, "event_id": true,
}

// protectedAccessClaims are protected too in access tokens (scopes and
// groups have their own fields).
var protectedAccessClaims = map[string]bool{"client_id": true, "scope": true, "username": true, "cognito:groups": true}

type groupConfiguration struct {
	GroupsToOverride   []string `json:"groupsToOverride"`
	IAMRolesToOverride []string `json:"iamRolesToOverride"`
	PreferredRole      *string  `json:"preferredRole"`
}

type preTokenRequest struct {
	UserAttributes     map[string]string  `json:"userAttributes"`
	GroupConfiguration groupConfiguration `json:"groupConfiguration"`
	ClientMetadata     map[string]string  `json:"clientMetadata"`
	Scopes             []string           `json:"scopes,omitempty"`
}

type groupOverride struct {
	GroupsToOverride   *[]string `json:"groupsToOverride"`
	IAMRolesToOverride *[]string `json:"iamRolesToOverride"`
	PreferredRole      *string   `json:"preferredRole"`
}

type preTokenV1Sent struct {
	ClaimsOverrideDetails *struct{} `json:"claimsOverrideDetails"`
}

type preTokenV1Response struct {
	ClaimsOverrideDetails *struct {
		ClaimsToAddOrOverride map[string]string `json:"claimsToAddOrOverride"`
		ClaimsToSuppress      []string          `json:"claimsToSuppress"`
		GroupOverrideDetails  *groupOverride    `json:"groupOverrideDetails"`
	} `json:"claimsOverrideDetails"`
}

type preTokenV2Sent struct {
	ClaimsAndScopeOverrideDetails *struct{} `json:"claimsAndScopeOverrideDetails"`
}

type tokenOverride struct {
	ClaimsToAddOrOverride map[string]any `json:"claimsToAddOrOverride"`
	ClaimsToSuppress      []string       `json:"claimsToSuppress"`
	ScopesToAdd           []string       `json:"scopesToAdd"`
	ScopesToSuppress      []string       `json:"scopesToSuppress"`
}

type preTokenV2Response struct {
	ClaimsAndScopeOverrideDetails *struct {
		IDTokenGeneration     *tokenOverride `json:"idTokenGeneration"`
		AccessTokenGeneration *tokenOverride `json:"accessTokenGeneration"`
		GroupOverrideDetails  *groupOverride `json:"groupOverrideDetails"`
	} `json:"claimsAndScopeOverrideDetails"`
}

// userGroups lists the user's groups (by precedence, as cognito:groups).
func (s *Service) userGroups(ctx context.Context, poolID, username string) ([]store.Group, error) {
	var out []store.Group
	after := ""
	for {
		list, err := s.store.ListGroupsForUser(ctx, poolID, username, store.Page{After: after, Limit: 60})
		if err != nil {
			return nil, wrap("list groups for user", err)
		}
		out = append(out, list...)
		if len(list) < 60 {
			return out, nil
		}
		after = list[len(list)-1].Name
	}
}

// preTokenGeneration runs the trigger and applies its answer to the id and
// access token claims.
func (s *Service) preTokenGeneration(ctx context.Context, p *pool, c *client, u store.User, ev authEvent, idc, ac map[string]any) error {
	groups, err := s.userGroups(ctx, p.ID, u.Username)
	if err != nil {
		return err
	}
	gc := groupConfiguration{GroupsToOverride: []string{}, IAMRolesToOverride: []string{}}
	for _, g := range groups {
		gc.GroupsToOverride = append(gc.GroupsToOverride, g.Name)
		if g.RoleArn != "" {
			gc.IAMRolesToOverride = append(gc.IAMRolesToOverride, g.RoleArn)
		}
	}
	source := ev.source
	if source == "" {
		source = "Authentication"
	}
	req := preTokenRequest{UserAttributes: triggerAttributes(p, u), GroupConfiguration: gc, ClientMetadata: metadata(ev.meta)}
	call := triggerCall{trigger: trigPreTokenGeneration, prefix: "TokenGeneration", source: source, username: u.Username, clientID: c.ID}
	version := p.preTokenVersion()
	if version == "V1_0" {
		var resp preTokenV1Response
		if err := s.invokeTrigger(ctx, p, call, req, preTokenV1Sent{}, &resp); err != nil {
			return err
		}
		if d := resp.ClaimsOverrideDetails; d != nil {
			for k, v := range d.ClaimsToAddOrOverride {
				if !protectedClaims[k] {
					idc[k] = v
				}
			}
			suppress(idc, d.ClaimsToSuppress, nil)
			applyGroupOverride(d.GroupOverrideDetails, idc, ac)
		}
		return nil
	}
	call.version = "2"
	if version == "V3_0" {
		call.version = "3"
	}
	scopes := strings.Fields(toString(ac["scope"]))
	req.Scopes = scopes
	var resp preTokenV2Response
	if err := s.invokeTrigger(ctx, p, call, req, preTokenV2Sent{}, &resp); err != nil {
		return err
	}
	d := resp.ClaimsAndScopeOverrideDetails
	if d == nil {
		return nil
	}
	if t := d.IDTokenGeneration; t != nil {
		for k, v := range t.ClaimsToAddOrOverride {
			if !protectedClaims[k] {
				idc[k] = v
			}
		}
		suppress(idc, t.ClaimsToSuppress, nil)
	}
	if t := d.AccessTokenGeneration; t != nil {
		for k, v := range t.ClaimsToAddOrOverride {
			if !protectedClaims[k] && !protectedAccessClaims[k] {
				ac[k] = v
			}
		}
		suppress(ac, t.ClaimsToSuppress, protectedAccessClaims)
		for _, sc := range t.ScopesToAdd {
			if sc != "" && !strings.ContainsAny(sc, " \t") && !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
		scopes = slices.DeleteFunc(scopes, func(sc string) bool { return slices.Contains(t.ScopesToSuppress, sc) })
		if len(scopes) == 0 {
			delete(ac, "scope")
		} else {
			ac["scope"] = strings.Join(scopes, " ")
		}
	}
	applyGroupOverride(d.GroupOverrideDetails, idc, ac)
	return nil
}

func suppress(claims map[string]any, names []string, alsoProtected map[string]bool) {
	for _, k := range names {
		if !protectedClaims[k] && !alsoProtected[k] {
			delete(claims, k)
		}
	}
}

// applyGroupOverride replaces cognito:groups in both tokens and sets the id
// token's cognito:roles and cognito:preferred_role.
func applyGroupOverride(g *groupOverride, idc, ac map[string]any) {
	if g == nil {
		return
	}
	if g.GroupsToOverride != nil {
		if len(*g.GroupsToOverride) == 0 {
			delete(idc, "cognito:groups")
			delete(ac, "cognito:groups")
		} else {
			idc["cognito:groups"], ac["cognito:groups"] = *g.GroupsToOverride, *g.GroupsToOverride
		}
	}
	if g.IAMRolesToOverride != nil {
		if len(*g.IAMRolesToOverride) == 0 {
			delete(idc, "cognito:roles")
		} else {
			idc["cognito:roles"] = *g.IAMRolesToOverride
		}
	}
	if g.PreferredRole != nil && *g.PreferredRole != "" {
		idc["cognito:preferred_role"] = *g.PreferredRole
	}
}

func toString(v any) string {
	s, _ := v.(string)
	return s
}

// clientCredentialsPreToken runs a V3_0 pre token generation trigger for a
// client-credentials (machine) access token, as Cognito does: source
// TokenGeneration_ClientCredentials, version "3", the client in
// callerContext. There is no user: AWS's documentation does not show the
// event's userName for machine tokens; Cognate sends null (an empty string
// to aws-lambda-go's struct), empty userAttributes and an empty
// groupConfiguration, the granted scopes and the request's client
// metadata (aws_client_metadata at the token endpoint). Only the response's
// accessTokenGeneration applies (there is no id token, and groups do not
// apply to a client).
func (s *Service) clientCredentialsPreToken(ctx context.Context, p *pool, c *client, meta map[string]string, ac map[string]any) error {
	if !p.hasTrigger(trigPreTokenGeneration) || p.preTokenVersion() != "V3_0" {
		return nil
	}
	scopes := strings.Fields(toString(ac["scope"]))
	req := ccPreTokenRequest{UserAttributes: map[string]string{},
		GroupConfiguration: groupConfiguration{GroupsToOverride: []string{}, IAMRolesToOverride: []string{}},
		ClientMetadata:     metadata(meta), Scopes: scopes}
	if req.Scopes == nil {
		req.Scopes = []string{}
	}
	call := triggerCall{trigger: trigPreTokenGeneration, prefix: "TokenGeneration", source: "ClientCredentials", version: "3", clientID: c.ID, noUser: true}
	var resp preTokenV2Response
	if err := s.invokeTrigger(ctx, p, call, req, preTokenV2Sent{}, &resp); err != nil {
		return err
	}
	d := resp.ClaimsAndScopeOverrideDetails
	if d == nil || d.AccessTokenGeneration == nil {
		return nil
	}
	t := d.AccessTokenGeneration
	for k, v := range t.ClaimsToAddOrOverride {
		if !protectedClaims[k] && !protectedAccessClaims[k] {
			ac[k] = v
		}
	}
	suppress(ac, t.ClaimsToSuppress, protectedAccessClaims)
	for _, sc := range t.ScopesToAdd {
		if sc != "" && !strings.ContainsAny(sc, " \t") && !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	scopes = slices.DeleteFunc(scopes, func(sc string) bool { return slices.Contains(t.ScopesToSuppress, sc) })
	if len(scopes) == 0 {
		delete(ac, "scope")
	} else {
		ac["scope"] = strings.Join(scopes, " ")
	}
	return nil
}

// ccPreTokenRequest is the request of a client-credentials event (userName
// is null in its envelope: see clientCredentialsPreToken).
type ccPreTokenRequest struct {
	UserAttributes     map[string]string  `json:"userAttributes"`
	GroupConfiguration groupConfiguration `json:"groupConfiguration"`
	ClientMetadata     map[string]string  `json:"clientMetadata"`
	Scopes             []string           `json:"scopes"`
}
