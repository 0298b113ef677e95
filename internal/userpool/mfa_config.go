package userpool

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
}
