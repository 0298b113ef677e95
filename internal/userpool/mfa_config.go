package userpool

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cognate-dev/cognate/internal/store"
)

// MFA configurations of a pool.
const (
	mfaOff      = "OFF"
	mfaOn       = "ON"
	mfaOptional = "OPTIONAL"
)

// MFA and sign-in challenge names.
const (
	chSoftwareToken = "SOFTWARE_TOKEN_MFA"
	chSMS           = "SMS_MFA"
	chEmail         = "EMAIL_OTP"
	chSelectMFA     = "SELECT_MFA_TYPE"
	chSetup         = "MFA_SETUP"
)

// emailMfaConfig is AWS's EmailMfaConfigType.
type emailMfaConfig struct {
	Message string `json:",omitempty"`
	Subject string `json:",omitempty"`
}

// mfaSettings are the SetUserPoolMfaConfig settings that UpdateUserPool
// does not carry; they live beside poolSettings in the pool's config.
type mfaSettings struct {
	SoftwareTokenEnabled  bool            `json:",omitempty"`
	SmsEnabled            bool            `json:",omitempty"`
	EmailMfaConfiguration *emailMfaConfig `json:",omitempty"`
	WebAuthn              *webAuthnConfig `json:",omitempty"`
}

// webAuthnConfig is AWS's WebAuthnConfigurationType.
type webAuthnConfig struct {
	RelyingPartyId   string `json:",omitempty"`
	UserVerification string `json:",omitempty"`
	// FactorConfiguration is SINGLE_FACTOR (the default) or
	// MULTI_FACTOR_WITH_USER_VERIFICATION: a user-verified passkey sign-in
	// of a user with passkey MFA on (WebAuthnMfaSettings) satisfies MFA.
	FactorConfiguration string `json:",omitempty"`
}

// WebAuthnConfigurationType FactorConfiguration values.
const (
	passkeySingleFactor = "SINGLE_FACTOR"
	passkeyMultiFactor  = "MULTI_FACTOR_WITH_USER_VERIFICATION"
)

// passkeyIsMFA reports whether the pool lets user-verified passkeys satisfy MFA.
func (p *pool) passkeyIsMFA() bool {
	w := p.mfa().WebAuthn
	return w != nil && w.FactorConfiguration == passkeyMultiFactor
}

type smsMfaConfig struct {
	SmsAuthenticationMessage *string         `json:",omitempty"`
	SmsConfiguration         json.RawMessage `json:",omitempty"`
}

type softwareTokenMfaConfig struct {
	Enabled bool
}

type setMfaConfigInput struct {
	UserPoolId                    string
	MfaConfiguration              string
	SmsMfaConfiguration           *smsMfaConfig
	SoftwareTokenMfaConfiguration *softwareTokenMfaConfig
	EmailMfaConfiguration         *emailMfaConfig
	WebAuthnConfiguration         *webAuthnConfig
}

type mfaConfigOutput struct {
	MfaConfiguration              string
	SmsMfaConfiguration           *smsMfaConfig           `json:",omitempty"`
	SoftwareTokenMfaConfiguration *softwareTokenMfaConfig `json:",omitempty"`
	EmailMfaConfiguration         *emailMfaConfig         `json:",omitempty"`
	WebAuthnConfiguration         *webAuthnConfig         `json:",omitempty"`
}

// tier is the pool's UserPoolTier (ESSENTIALS, AWS's default for new pools).
func (p *pool) tier() string {
	if p.cfg.UserPoolTier == "" {
		return "ESSENTIALS"
	}
	return p.cfg.UserPoolTier
}

// mfa returns the pool's factor settings (never nil).
func (p *pool) mfa() *mfaSettings {
	if p.cfg.MFA == nil {
		return &mfaSettings{}
	}
	return p.cfg.MFA
}

func (p *pool) mfaMode() string {
	if p.cfg.MfaConfiguration == "" {
		return mfaOff
	}
	return p.cfg.MfaConfiguration
}

func (s *Service) setUserPoolMfaConfig(ctx context.Context, in *setMfaConfigInput) (*mfaConfigOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	mode := in.MfaConfiguration
	switch mode {
	case "":
		mode = p.mfaMode()
	case mfaOff, mfaOn, mfaOptional:
	default:
		return nil, invalidParameter("1 validation error detected: Value '%s' at 'mfaConfiguration' failed to satisfy constraint: Member must satisfy enum value set: [OFF, ON, OPTIONAL]", mode)
	}
	next := *p.mfa()
	smsMessage := p.cfg.SmsAuthenticationMessage
	smsConfig := p.cfg.SmsConfiguration
	if in.SoftwareTokenMfaConfiguration != nil {
		next.SoftwareTokenEnabled = in.SoftwareTokenMfaConfiguration.Enabled
	}
	if in.SmsMfaConfiguration != nil {
		next.SmsEnabled = true
		if m := in.SmsMfaConfiguration.SmsAuthenticationMessage; m != nil {
			if !strings.Contains(*m, codeTag) {
				return nil, invalidParameter("SmsAuthenticationMessage must contain the {####} placeholder.")
			}
			smsMessage = m
		}
		if len(in.SmsMfaConfiguration.SmsConfiguration) > 0 {
			smsConfig = in.SmsMfaConfiguration.SmsConfiguration
		}
	}
	if e := in.EmailMfaConfiguration; e != nil {
		if p.tier() == "LITE" {
			return nil, apiErr(excFeatureUnavailableInTier, "Email MFA is not available in the LITE tier.")
		}
		var ec emailConfig
		_ = json.Unmarshal(p.cfg.EmailConfiguration, &ec)
		if ec.EmailSendingAccount != "DEVELOPER" {
			return nil, invalidParameter("Email MFA requires an EmailConfiguration with EmailSendingAccount DEVELOPER.")
		}
		if e.Message != "" && !strings.Contains(e.Message, codeTag) {
			return nil, invalidParameter("EmailMfaConfiguration.Message must contain the {####} placeholder.")
		}
		next.EmailMfaConfiguration = e
	}
	if w := in.WebAuthnConfiguration; w != nil {
		switch w.UserVerification {
		case "":
			w.UserVerification = "preferred"
		case "required", "preferred":
		default:
			return nil, invalidParameter("1 validation error detected: Value '%s' at 'webAuthnConfiguration.userVerification' failed to satisfy constraint: Member must satisfy enum value set: [required, preferred]", w.UserVerification)
		}
		switch w.FactorConfiguration {
		case "":
			w.FactorConfiguration = passkeySingleFactor
		case passkeySingleFactor, passkeyMultiFactor:
		default:
			return nil, invalidParameter("1 validation error detected: Value '%s' at 'webAuthnConfiguration.factorConfiguration' failed to satisfy constraint: Member must satisfy enum value set: [SINGLE_FACTOR, MULTI_FACTOR_WITH_USER_VERIFICATION]", w.FactorConfiguration)
		}
		if w.FactorConfiguration == passkeyMultiFactor && p.tier() == "LITE" {
			return nil, apiErr(excFeatureUnavailableInTier, "Passkey MFA is not available in the LITE tier.")
		}
		next.WebAuthn = w
	}
	if mode != mfaOff && !next.SoftwareTokenEnabled && !next.SmsEnabled && next.EmailMfaConfiguration == nil {
		return nil, invalidParameter("At least one MFA method (SMS, software token or email) must be enabled when MfaConfiguration is %s.", mode)
	}
	_, err = s.store.UpdatePool(ctx, p.ID, func(sp store.Pool) (store.Pool, error) {
		var cfg poolConfig
		if err := json.Unmarshal(sp.Config, &cfg); err != nil {
			return sp, fmt.Errorf("decode pool config: %w", err)
		}
		cfg.MfaConfiguration = mode
		cfg.SmsAuthenticationMessage = smsMessage
		cfg.SmsConfiguration = smsConfig
		n := next
		cfg.MFA = &n
		raw, err := json.Marshal(cfg)
		if err != nil {
			return sp, err
		}
		sp.Config = raw
		sp.UpdatedAt = s.clock()
		return sp, nil
	})
	s.cache.forget(p.ID, "")
	if err != nil {
		return nil, wrap("update pool", err)
	}
	p.cfg.MfaConfiguration, p.cfg.SmsAuthenticationMessage, p.cfg.SmsConfiguration, p.cfg.MFA = mode, smsMessage, smsConfig, &next
	return mfaConfigOf(p), nil
}

func mfaConfigOf(p *pool) *mfaConfigOutput {
	m := p.mfa()
	out := &mfaConfigOutput{MfaConfiguration: p.mfaMode(),
		SoftwareTokenMfaConfiguration: &softwareTokenMfaConfig{Enabled: m.SoftwareTokenEnabled},
		EmailMfaConfiguration:         m.EmailMfaConfiguration, WebAuthnConfiguration: m.WebAuthn}
	if m.SmsEnabled {
		out.SmsMfaConfiguration = &smsMfaConfig{SmsAuthenticationMessage: p.cfg.SmsAuthenticationMessage, SmsConfiguration: p.cfg.SmsConfiguration}
	}
	return out
}

func (s *Service) getUserPoolMfaConfig(ctx context.Context, in *poolIDInput) (*mfaConfigOutput, error) {
	p, err := s.loadPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	return mfaConfigOf(p), nil
}
