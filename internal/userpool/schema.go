package userpool

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// standardAttributes are the OIDC attributes every pool has, with their types.
var standardAttributes = []struct{ name, typ string }{
	{"sub", "String"}, {"name", "String"}, {"given_name", "String"}, {"family_name", "String"},
	{"middle_name", "String"}, {"nickname", "String"}, {"preferred_username", "String"},
	{"profile", "String"}, {"picture", "String"}, {"website", "String"}, {"email", "String"},
	{"email_verified", "Boolean"}, {"gender", "String"}, {"birthdate", "String"},
	{"zoneinfo", "String"}, {"locale", "String"}, {"phone_number", "String"},
	{"phone_number_verified", "Boolean"}, {"address", "String"}, {"updated_at", "Number"},
	{"identities", "String"},
}

const maxAttributeValue = 2048

func boolp(b bool) *bool { return &b }

// buildSchema merges a CreateUserPool Schema into the standard attributes.
func buildSchema(in []schemaAttribute) ([]schemaAttribute, error) {
	out := make([]schemaAttribute, 0, len(standardAttributes)+len(in))
	index := map[string]int{}
	for _, a := range standardAttributes {
		sa := schemaAttribute{Name: a.name, AttributeDataType: a.typ, DeveloperOnlyAttribute: boolp(false),
			Mutable: boolp(a.name != "sub"), Required: boolp(a.name == "sub")}
		if a.typ == "String" {
			minLen := "0"
			if a.name == "sub" {
				minLen = "1"
			}
			sa.StringAttributeConstraints = &stringConstraints{MinLength: strp(minLen), MaxLength: strp("2048")}
		}
		if a.typ == "Number" {
			sa.NumberAttributeConstraints = &numberConstraints{MinValue: strp("0")}
		}
		index[a.name] = len(out)
		out = append(out, sa)
	}
	for _, a := range in {
		name := strings.TrimPrefix(a.Name, "custom:")
		if name == "" || len(name) > 20 {
			return nil, invalidParameter("Invalid schema attribute name %q", a.Name)
		}
		if i, ok := index[a.Name]; ok {
			if a.Name == "sub" {
				continue
			}
			std := &out[i]
			if a.Required != nil {
				std.Required = a.Required
			}
			if a.Mutable != nil {
				std.Mutable = a.Mutable
			}
			if a.StringAttributeConstraints != nil {
				std.StringAttributeConstraints = a.StringAttributeConstraints
			}
			continue
		}
		if a.Required != nil && *a.Required {
			return nil, invalidParameter("Required custom attributes are not supported currently.")
		}
		ca := a
		ca.Name = "custom:" + name
		if ca.AttributeDataType == "" {
			ca.AttributeDataType = "String"
		}
		switch ca.AttributeDataType {
		case "String", "Number", "DateTime", "Boolean":
		default:
			return nil, invalidParameter("Invalid AttributeDataType %q for %s", ca.AttributeDataType, ca.Name)
		}
		if ca.Mutable == nil {
			ca.Mutable = boolp(true)
		}
		ca.Required = boolp(false)
		if ca.DeveloperOnlyAttribute == nil {
			ca.DeveloperOnlyAttribute = boolp(false)
		}
		if _, dup := index[ca.Name]; dup {
			return nil, invalidParameter("Duplicate schema attribute %s", ca.Name)
		}
		index[ca.Name] = len(out)
		out = append(out, ca)
	}
	return out, nil
}

func (c *poolConfig) schemaAttr(name string) (schemaAttribute, bool) {
	for _, a := range c.SchemaAttributes {
		if a.Name == name {
			return a, true
		}
	}
	return schemaAttribute{}, false
}

func schemaError(name, problem string) error {
	return invalidParameter("Attributes did not conform to the schema: %s: %s", name, problem)
}

// validateAttributes checks values written to a user. update says the user
// exists (immutable attributes then cannot change).
func (c *poolConfig) validateAttributes(attrs []attributeType, update bool) error {
	for _, a := range attrs {
		sa, ok := c.schemaAttr(a.Name)
		if !ok {
			return schemaError(a.Name, "Attribute does not exist in the schema.")
		}
		if a.Name == "sub" || a.Name == "identities" {
			return schemaError(a.Name, "Attribute cannot be updated. (changing an immutable attribute)")
		}
		if update && sa.Mutable != nil && !*sa.Mutable {
			return schemaError(a.Name, "Attribute cannot be updated. (changing an immutable attribute)")
		}
		v := ""
		if a.Value != nil {
			v = *a.Value
		}
		if err := checkValue(sa, v); err != nil {
			return err
		}
	}
	return nil
}

func checkValue(sa schemaAttribute, v string) error {
	if len(v) > maxAttributeValue {
		return schemaError(sa.Name, fmt.Sprintf("String must be no longer than %d characters", maxAttributeValue))
	}
	switch sa.AttributeDataType {
	case "Boolean":
		if v != "true" && v != "false" {
			return schemaError(sa.Name, "Value must be either true or false")
		}
	case "Number":
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return schemaError(sa.Name, "Number is not valid")
		}
		if c := sa.NumberAttributeConstraints; c != nil {
			if c.MinValue != nil {
				if lo, err := strconv.ParseFloat(*c.MinValue, 64); err == nil && n < lo {
					return schemaError(sa.Name, "Number must be greater than or equal to "+*c.MinValue)
				}
			}
			if c.MaxValue != nil {
				if hi, err := strconv.ParseFloat(*c.MaxValue, 64); err == nil && n > hi {
					return schemaError(sa.Name, "Number must be less than or equal to "+*c.MaxValue)
				}
			}
		}
	case "String":
		if c := sa.StringAttributeConstraints; c != nil {
			n := utf8.RuneCountInString(v)
			if c.MaxLength != nil {
				if hi, err := strconv.Atoi(*c.MaxLength); err == nil && n > hi {
					return schemaError(sa.Name, "String must be no longer than "+*c.MaxLength+" characters")
				}
			}
			if c.MinLength != nil {
				if lo, err := strconv.Atoi(*c.MinLength); err == nil && n < lo {
					return schemaError(sa.Name, "String must be no shorter than "+*c.MinLength+" characters")
				}
			}
		}
	}
	return nil
}

// checkRequired reports the first required attribute missing from attrs.
func (c *poolConfig) checkRequired(attrs map[string]string) error {
	for _, a := range c.SchemaAttributes {
		if a.Required != nil && *a.Required && a.Name != "sub" {
			if attrs[a.Name] == "" {
				return schemaError(a.Name, "The attribute is required")
			}
		}
	}
	return nil
}
