package userpool

import (
	"encoding/json"
	"slices"

	"github.com/cognate-dev/cognate/internal/store"
)

// recoveryOption is AWS's RecoveryOptionType.
type recoveryOption struct {
	Name     string
	Priority int
}

// accountRecovery is AWS's AccountRecoverySettingType.
type accountRecovery struct {
	RecoveryMechanisms []recoveryOption
}

// validateAccountRecovery checks an AccountRecoverySetting as CreateUserPool
// and UpdateUserPool do.
func validateAccountRecovery(raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	var ar accountRecovery
	if err := json.Unmarshal(raw, &ar); err != nil {
		return invalidParameter("Invalid AccountRecoverySetting")
	}
	if n := len(ar.RecoveryMechanisms); n < 1 || n > 2 {
		return invalidParameter("1 validation error detected: Value at 'accountRecoverySetting.recoveryMechanisms' failed to satisfy constraint: Member must have length between 1 and 2")
	}
	seen := map[string]bool{}
	prio := map[int]bool{}
	for i, m := range ar.RecoveryMechanisms {
		switch m.Name {
		case "verified_email", "verified_phone_number", "admin_only":
		default:
			return invalidParameter("1 validation error detected: Value '%s' at 'accountRecoverySetting.recoveryMechanisms.%d.member.name' failed to satisfy constraint: Member must satisfy enum value set: [verified_email, verified_phone_number, admin_only]", m.Name, i+1)
		}
		if m.Priority < 1 || m.Priority > 2 {
			return invalidParameter("1 validation error detected: Value '%d' at 'accountRecoverySetting.recoveryMechanisms.%d.member.priority' failed to satisfy constraint: Member must have value between 1 and 2", m.Priority, i+1)
		}
		if seen[m.Name] || prio[m.Priority] {
			return invalidParameter("Recovery mechanisms must have unique names and priorities.")
		}
		seen[m.Name], prio[m.Priority] = true, true
	}
	if seen["admin_only"] && len(ar.RecoveryMechanisms) > 1 {
		return invalidParameter("admin_only cannot be combined with other recovery mechanisms.")
	}
	return nil
}

func (p *pool) recoveryMechanisms() []recoveryOption {
	var ar accountRecovery
	if len(p.cfg.AccountRecoverySetting) > 0 {
		_ = json.Unmarshal(p.cfg.AccountRecoverySetting, &ar)
	}
	slices.SortFunc(ar.RecoveryMechanisms, func(a, b recoveryOption) int { return a.Priority - b.Priority })
	return ar.RecoveryMechanisms
}

// adminOnlyRecovery reports whether users cannot reset their own passwords.
func (p *pool) adminOnlyRecovery() bool {
	m := p.recoveryMechanisms()
	return len(m) == 1 && m[0].Name == "admin_only"
}

// recoveryContact returns the attribute a password-reset code goes to: the
// first verified contact in the pool's AccountRecoverySetting order, or
// without a setting AWS's legacy order (email, then phone number).
func (p *pool) recoveryContact(u store.User) string {
	mechs := p.recoveryMechanisms()
	if len(mechs) == 0 {
		return verifiedContact(u)
	}
	for _, m := range mechs {
		attr := map[string]string{"verified_email": "email", "verified_phone_number": "phone_number"}[m.Name]
		if attr != "" && u.Attributes[attr] != "" && u.Attributes[attr+"_verified"] == "true" {
			return attr
		}
	}
	return ""
}
