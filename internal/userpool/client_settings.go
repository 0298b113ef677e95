package userpool

import (
	"fmt"
	"time"
)

// explicitFlows are the ExplicitAuthFlows values AWS accepts (current and legacy names).
var explicitFlows = map[string]bool{
	"ALLOW_USER_SRP_AUTH": true, "ALLOW_USER_PASSWORD_AUTH": true, "ALLOW_ADMIN_USER_PASSWORD_AUTH": true,
	"ALLOW_REFRESH_TOKEN_AUTH": true, "ALLOW_CUSTOM_AUTH": true, "ALLOW_USER_AUTH": true,
	"ADMIN_NO_SRP_AUTH": true, "CUSTOM_AUTH_FLOW_ONLY": true, "USER_PASSWORD_AUTH": true,
}

// allows reports whether the client permits an auth flow (as named in
// InitiateAuth). With legacy flow names SRP and refresh are always allowed.
func (c *client) allows(flow string) bool {
	legacy := false
	for _, f := range c.cfg.ExplicitAuthFlows {
		if f == "ADMIN_NO_SRP_AUTH" || f == "CUSTOM_AUTH_FLOW_ONLY" || f == "USER_PASSWORD_AUTH" {
			legacy = true
		}
	}
	has := func(names ...string) bool {
		for _, n := range names {
			if contains(c.cfg.ExplicitAuthFlows, n) {
				return true
			}
		}
		return false
	}
	switch flow {
	case "USER_SRP_AUTH":
		return legacy || has("ALLOW_USER_SRP_AUTH")
	case "USER_PASSWORD_AUTH":
		return has("ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH")
	case "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH":
		return has("ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH")
	case "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN":
		return legacy || has("ALLOW_REFRESH_TOKEN_AUTH")
	case "CUSTOM_AUTH":
		return has("ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY")
	case "USER_AUTH":
		return has("ALLOW_USER_AUTH")
	}
	return false
}

// preventExistenceErrors reports whether unknown users look like wrong passwords.
func (c *client) preventExistenceErrors() bool { return c.cfg.PreventUserExistenceErrors != "LEGACY" }

func (c *client) revocationEnabled() bool {
	return c.cfg.EnableTokenRevocation == nil || *c.cfg.EnableTokenRevocation
}

func unitDuration(unit string, def time.Duration) time.Duration {
	switch unit {
	case "seconds":
		return time.Second
	case "minutes":
		return time.Minute
	case "hours":
		return time.Hour
	case "days":
		return 24 * time.Hour
	}
	return def
}

// validity returns the lifetime of a token kind ("id", "access", "refresh").
func (c *client) validity(kind string) time.Duration {
	u := tokenValidityUnits{}
	if c.cfg.TokenValidityUnits != nil {
		u = *c.cfg.TokenValidityUnits
	}
	switch kind {
	case "id":
		if c.cfg.IdTokenValidity == nil {
			return time.Hour
		}
		return time.Duration(*c.cfg.IdTokenValidity) * unitDuration(u.IdToken, time.Hour)
	case "access":
		if c.cfg.AccessTokenValidity == nil {
			return time.Hour
		}
		return time.Duration(*c.cfg.AccessTokenValidity) * unitDuration(u.AccessToken, time.Hour)
	default:
		if c.cfg.RefreshTokenValidity == 0 {
			return 30 * 24 * time.Hour
		}
		return time.Duration(c.cfg.RefreshTokenValidity) * unitDuration(u.RefreshToken, 24*time.Hour)
	}
}

// authSessionValidity is how long a challenge session lives.
func (c *client) authSessionValidity() time.Duration {
	if c.cfg.AuthSessionValidity == nil {
		return 3 * time.Minute
	}
	return time.Duration(*c.cfg.AuthSessionValidity) * time.Minute
}

// normalizeClientSettings applies AWS defaults and validates.
func normalizeClientSettings(in *clientSettings) error {
	if len(in.ExplicitAuthFlows) == 0 {
		in.ExplicitAuthFlows = []string{"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"}
	}
	for _, f := range in.ExplicitAuthFlows {
		if !explicitFlows[f] {
			return invalidParameter("Invalid ExplicitAuthFlows value %q", f)
		}
	}
	switch in.PreventUserExistenceErrors {
	case "":
		// AWS's API default; the config file's clients choose ENABLED.
		in.PreventUserExistenceErrors = "LEGACY"
	case "ENABLED", "LEGACY":
	default:
		return invalidParameter("Invalid PreventUserExistenceErrors value %q", in.PreventUserExistenceErrors)
	}
	if in.EnableTokenRevocation == nil {
		in.EnableTokenRevocation = boolp(true)
	}
	if in.RefreshTokenValidity == 0 {
		in.RefreshTokenValidity = 30
	}
	if in.AuthSessionValidity == nil {
		n := int32(3)
		in.AuthSessionValidity = &n
	} else if *in.AuthSessionValidity < 3 || *in.AuthSessionValidity > 15 {
		return invalidParameter("AuthSessionValidity must be between 3 and 15 minutes")
	}
	if in.TokenValidityUnits == nil {
		in.TokenValidityUnits = &tokenValidityUnits{}
	}
	u := in.TokenValidityUnits
	for _, p := range []*string{&u.AccessToken, &u.IdToken} {
		if *p == "" {
			*p = "hours"
		}
	}
	if u.RefreshToken == "" {
		u.RefreshToken = "days"
	}
	c := client{cfg: *in}
	for _, kind := range []string{"id", "access"} {
		if d := c.validity(kind); d < 5*time.Minute || d > 24*time.Hour {
			return invalidParameter("%s token validity must be between 5 minutes and 1 day", kind)
		}
	}
	if d := c.validity("refresh"); d < time.Hour || d > 3650*24*time.Hour {
		return invalidParameter("refresh token validity must be between 60 minutes and 10 years")
	}
	return validateRotation(in.RefreshTokenRotation)
}

// checkSecretHash verifies SECRET_HASH for clients that have a secret.
func (c *client) checkSecretHash(given string, usernames ...string) error {
	if c.secret == "" {
		return nil
	}
	if given == "" {
		return notAuthorized(fmt.Sprintf("Client %s is configured for secret but secret was not received", c.ID))
	}
	for _, u := range usernames {
		for _, sec := range c.secrets {
			if u != "" && secretHashEqual(sec.Value, u, c.ID, given) {
				return nil
			}
		}
	}
	return notAuthorized(fmt.Sprintf("Unable to verify secret hash for client %s", c.ID))
}
