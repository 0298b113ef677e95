package userpool

import (
	"context"

	"github.com/cognate-dev/cognate/internal/store"
)

const (
	excEnableSoftwareTokenMFA = "EnableSoftwareTokenMFAException"
	excSoftwareTokenNotFound  = "SoftwareTokenMFANotFoundException"
)

// userFactors are a user's second factors, remembered devices and passkeys
// (in userPrivate). Secrets are sealed with the server key.
type userFactors struct {
	// TOTPSecret is the sealed verified authenticator secret.
	TOTPSecret []byte `json:"ts,omitempty"`
	// TOTPPending is the sealed secret AssociateSoftwareToken handed out and
	// VerifySoftwareToken has not confirmed yet.
	TOTPPending []byte `json:"tp,omitempty"`
	// TOTPLastStep is the last time step a code was accepted for (single use).
	TOTPLastStep int64  `json:"tl,omitempty"`
	TOTPName     string `json:"tn,omitempty"`
	// Enabled factors (SetUserMFAPreference) and the preferred one.
	TOTP      bool   `json:"t,omitempty"`
	SMS       bool   `json:"s,omitempty"`
	Email     bool   `json:"e,omitempty"`
	Preferred string `json:"p,omitempty"`
	// Devices are the user's tracked devices.
	Devices []device `json:"d,omitempty"`
	// WebAuthnMFA is the user's WebAuthnMfaSettings: a user-verified passkey
	// sign-in satisfies MFA (when the pool's FactorConfiguration allows it).
	WebAuthnMFA bool `json:"wm,omitempty"`
	// PasskeyPending is the registration StartWebAuthnRegistration began
	// (the passkeys themselves are in the store's passkeys table).
	PasskeyPending *passkeyCeremony `json:"pkp,omitempty"`
}

func factorsOf(priv *userPrivate) *userFactors {
	if priv.Factors == nil {
		priv.Factors = &userFactors{}
	}
	return priv.Factors
}

func totpAAD(poolID, username string) []byte { return []byte("totp|" + poolID + "|" + username) }

// mfaFields are the MFA fields of GetUser and AdminGetUser.
type mfaFields struct {
	MFAOptions          []mfaOption `json:",omitempty"`
	PreferredMfaSetting string      `json:",omitempty"`
	UserMFASettingList  []string    `json:",omitempty"`
}

type mfaOption struct {
	AttributeName  string
	DeliveryMedium string
}

// userMFAFields reports a user's enabled factors.
func userMFAFields(p *pool, u store.User) mfaFields {
	priv, err := decodePrivate(u)
	if err != nil || priv.Factors == nil {
		return mfaFields{}
	}
	f := priv.Factors
	var out mfaFields
	if f.SMS {
		out.UserMFASettingList = append(out.UserMFASettingList, chSMS)
		out.MFAOptions = append(out.MFAOptions, mfaOption{AttributeName: "phone_number", DeliveryMedium: "SMS"})
	}
	if f.TOTP && len(f.TOTPSecret) > 0 {
		out.UserMFASettingList = append(out.UserMFASettingList, chSoftwareToken)
	}
	if f.Email {
		out.UserMFASettingList = append(out.UserMFASettingList, chEmail)
	}
	if contains(out.UserMFASettingList, f.Preferred) {
		out.PreferredMfaSetting = f.Preferred
	}
	return out
}

type associateInput struct {
	AccessToken string
	Session     string
}

type associateOutput struct {
	SecretCode string
	Session    string `json:",omitempty"`
}

// associateSoftwareToken hands out a new TOTP secret: to a signed-in user
// (access token), or during sign-in (the MFA_SETUP session).
func (s *Service) associateSoftwareToken(ctx context.Context, in *associateInput) (*associateOutput, error) {
	if (in.AccessToken == "") == (in.Session == "") {
		return nil, invalidParameter("Exactly one of AccessToken and Session must be provided.")
	}
	raw, code := newTOTPSecret()
	if in.Session != "" {
		ch, ok, err := s.takeMFA(ctx, in.Session)
		if err != nil {
			return nil, err
		}
		if !ok || ch.Step != chSetup {
			return nil, notAuthorized(msgInvalidSession)
		}
		p, err := s.loadPool(ctx, ch.PoolID)
		if err != nil {
			return nil, err
		}
		ch.TOTPPending = s.sealer.Seal(raw, totpAAD(p.ID, ch.Username))
		session, err := s.putMFA(ctx, "", ch)
		if err != nil {
			return nil, err
		}
		return &associateOutput{SecretCode: code, Session: session}, nil
	}
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.updateUser(ctx, a.pool.ID, a.user.Username, func(p *pool, u *store.User) error {
		priv, err := decodePrivate(*u)
		if err != nil {
			return err
		}
		factorsOf(&priv).TOTPPending = s.sealer.Seal(raw, totpAAD(p.ID, u.Username))
		return encodePrivate(u, priv)
	}); err != nil {
		return nil, err
	}
	return &associateOutput{SecretCode: code}, nil
}

type verifyTokenInput struct {
	AccessToken        string
	Session            string
	UserCode           string
	FriendlyDeviceName string
}

type verifyTokenOutput struct {
	Status  string
	Session string `json:",omitempty"`
}

// verifySoftwareToken confirms the pending secret with a code from the
// authenticator; the token becomes the user's (enabled) TOTP factor.
func (s *Service) verifySoftwareToken(ctx context.Context, in *verifyTokenInput) (*verifyTokenOutput, error) {
	if (in.AccessToken == "") == (in.Session == "") {
		return nil, invalidParameter("Exactly one of AccessToken and Session must be provided.")
	}
	if in.UserCode == "" {
		return nil, missing("UserCode")
	}
	if in.Session != "" {
		return s.verifyTokenInSignIn(ctx, in)
	}
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	lock := lockKey(a.pool, a.user, true, "")
	if locked, _, err := s.lockout.check(ctx, a.pool.ID, lock); err != nil {
		return nil, err
	} else if locked {
		return nil, notAuthorized(msgAttemptsExceeded)
	}
	mismatch := false
	_, _, err = s.updateUser(ctx, a.pool.ID, a.user.Username, func(p *pool, u *store.User) error {
		priv, err := decodePrivate(*u)
		if err != nil {
			return err
		}
		f := factorsOf(&priv)
		if len(f.TOTPPending) == 0 {
			return apiErr(excSoftwareTokenNotFound, "Software Token MFA Not Found.")
		}
		secret, err := s.sealer.Open(f.TOTPPending, totpAAD(p.ID, u.Username))
		if err != nil {
			return wrap("open totp secret", err)
		}
		step, ok := matchTOTP(secret, in.UserCode, s.clock(), 0)
		if !ok {
			mismatch = true
			return apiErr(excEnableSoftwareTokenMFA, "Code mismatch and fail enable Software Token MFA")
		}
		enableTOTP(f, f.TOTPPending, step, in.FriendlyDeviceName)
		return encodePrivate(u, priv)
	})
	if mismatch {
		if ferr := s.lockout.fail(ctx, a.pool.ID, lock); ferr != nil {
			return nil, ferr
		}
	}
	if err != nil {
		return nil, err
	}
	return &verifyTokenOutput{Status: "SUCCESS"}, nil
}

// enableTOTP makes sealed the user's verified, enabled TOTP secret.
func enableTOTP(f *userFactors, sealed []byte, step int64, name string) {
	f.TOTPSecret, f.TOTPPending, f.TOTPLastStep, f.TOTPName, f.TOTP = sealed, nil, step, name, true
}

// verifyTokenInSignIn is VerifySoftwareToken during MFA_SETUP.
func (s *Service) verifyTokenInSignIn(ctx context.Context, in *verifyTokenInput) (*verifyTokenOutput, error) {
	bearer := in.Session
	ch, ok, err := s.takeMFA(ctx, bearer)
	if err != nil {
		return nil, err
	}
	if !ok || ch.Step != chSetup || len(ch.TOTPPending) == 0 {
		return nil, notAuthorized(msgInvalidSession)
	}
	if locked, _, err := s.lockout.check(ctx, ch.PoolID, ch.LockKey); err != nil {
		return nil, err
	} else if locked {
		return nil, notAuthorized(msgAttemptsExceeded)
	}
	secret, err := s.sealer.Open(ch.TOTPPending, totpAAD(ch.PoolID, ch.Username))
	if err != nil {
		return nil, notAuthorized(msgInvalidSession)
	}
	step, match := matchTOTP(secret, in.UserCode, s.clock(), 0)
	if !match {
		if err := s.lockout.fail(ctx, ch.PoolID, ch.LockKey); err != nil {
			return nil, err
		}
		// The same session may try again until it expires.
		if _, err := s.putMFA(ctx, bearer, ch); err != nil {
			return nil, err
		}
		return nil, apiErr(excEnableSoftwareTokenMFA, "Code mismatch and fail enable Software Token MFA")
	}
	if _, _, err := s.updateUser(ctx, ch.PoolID, ch.Username, func(p *pool, u *store.User) error {
		priv, err := decodePrivate(*u)
		if err != nil {
			return err
		}
		enableTOTP(factorsOf(&priv), ch.TOTPPending, step, in.FriendlyDeviceName)
		return encodePrivate(u, priv)
	}); err != nil {
		return nil, err
	}
	ch.TOTPPending, ch.SetupDone = nil, true
	session, err := s.putMFA(ctx, "", ch)
	if err != nil {
		return nil, err
	}
	return &verifyTokenOutput{Status: "SUCCESS", Session: session}, nil
}

// mfaSetting is AWS's SMSMfaSettingsType / SoftwareTokenMfaSettingsType / EmailMfaSettingsType.
type mfaSetting struct {
	Enabled      *bool
	PreferredMfa *bool
}

type mfaPreferenceInput struct {
	AccessToken              string
	UserPoolId               string
	Username                 string
	SMSMfaSettings           *mfaSetting
	SoftwareTokenMfaSettings *mfaSetting
	EmailMfaSettings         *mfaSetting
	WebAuthnMfaSettings      *webAuthnMfaSetting
}

// webAuthnMfaSetting is AWS's WebAuthnMfaSettingsType (no PreferredMfa:
// passkey MFA applies only when the passkey is the first factor).
type webAuthnMfaSetting struct {
	Enabled bool
}

func (s *Service) setUserMFAPreference(ctx context.Context, in *mfaPreferenceInput) (*empty, error) {
	a, err := s.authenticate(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	return s.setMFAPreference(ctx, a.pool.ID, a.user.Username, in)
}

func (s *Service) adminSetUserMFAPreference(ctx context.Context, in *mfaPreferenceInput) (*empty, error) {
	if in.UserPoolId == "" {
		return nil, missing("UserPoolId")
	}
	return s.setMFAPreference(ctx, in.UserPoolId, in.Username, in)
}

func (s *Service) setMFAPreference(ctx context.Context, poolID, username string, in *mfaPreferenceInput) (*empty, error) {
	_, _, err := s.updateUser(ctx, poolID, username, func(p *pool, u *store.User) error {
		priv, err := decodePrivate(*u)
		if err != nil {
			return err
		}
		f := factorsOf(&priv)
		apply := func(set *mfaSetting, name string, enabled *bool, usable func() error) error {
			if set == nil {
				return nil
			}
			if set.Enabled != nil {
				if *set.Enabled {
					if err := usable(); err != nil {
						return err
					}
				} else if p.mfaMode() == mfaOn && name == chSoftwareToken && f.TOTP {
					return invalidParameter("You can't turn off software token MFA while MFA is required in the user pool.")
				}
				*enabled = *set.Enabled
			}
			if set.PreferredMfa != nil {
				switch {
				case *set.PreferredMfa && !*enabled:
					return invalidParameter("%s cannot be preferred when it is not enabled.", name)
				case *set.PreferredMfa:
					f.Preferred = name
				case f.Preferred == name:
					f.Preferred = ""
				}
			}
			if !*enabled && f.Preferred == name {
				f.Preferred = ""
			}
			return nil
		}
		if err := apply(in.SoftwareTokenMfaSettings, chSoftwareToken, &f.TOTP, func() error {
			if len(f.TOTPSecret) == 0 {
				return invalidParameter("User has not verified software token mfa")
			}
			return nil
		}); err != nil {
			return err
		}
		if err := apply(in.SMSMfaSettings, chSMS, &f.SMS, func() error {
			if u.Attributes["phone_number"] == "" {
				return invalidParameter("User does not have a phone number.")
			}
			return nil
		}); err != nil {
			return err
		}
		if err := apply(in.EmailMfaSettings, chEmail, &f.Email, func() error {
			if p.mfa().EmailMfaConfiguration == nil {
				return invalidParameter("Email MFA is not enabled in the user pool.")
			}
			if u.Attributes["email"] == "" {
				return invalidParameter("User does not have an email address.")
			}
			return nil
		}); err != nil {
			return err
		}
		if w := in.WebAuthnMfaSettings; w != nil {
			if w.Enabled {
				if p.tier() == "LITE" {
					return apiErr(excFeatureUnavailableInTier, "Passkey MFA is not available in the LITE tier.")
				}
				if !p.passkeyIsMFA() {
					return invalidParameter("Passkey MFA requires the user pool's WebAuthnConfiguration FactorConfiguration to be MULTI_FACTOR_WITH_USER_VERIFICATION.")
				}
			}
			f.WebAuthnMFA = w.Enabled
		}
		// AWS asks that a user with passkey MFA keep another MFA method
		// "to prevent account lockout" without documenting a check; Cognate
		// enforces it, so passkey MFA never stands alone.
		if f.WebAuthnMFA && !f.TOTP && !f.SMS && !f.Email {
			return invalidParameter("Passkey MFA requires at least one other MFA method (SMS, TOTP or email) to be enabled for the user.")
		}
		return encodePrivate(u, priv)
	})
	if err != nil {
		return nil, err
	}
	return &empty{}, nil
}
