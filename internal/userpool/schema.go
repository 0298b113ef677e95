package userpool

import (
	"fmt"
	"slices"
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

// maxCustomAttributes is how many custom attributes a pool may have.
const maxCustomAttributes = 50

// standardSchema returns the standard attributes with AWS's defaults.
func standardSchema() []schemaAttribute {
	out := make([]schemaAttribute, 0, len(standardAttributes))
	for _, a := range standardAttributes {
		sa := schemaAttribute{Name: a.name, AttributeDataType: a.typ, DeveloperOnlyAttribute: boolp(false),
			Mutable: boolp(a.name != "sub"), Required: boolp(a.name == "sub")}
		if a.typ == "String" {
			minLen, maxLen := "0", "2048"
			switch a.name {
			case "sub":
				minLen = "1"
			case "birthdate":
				minLen, maxLen = "10", "10"
			}
			sa.StringAttributeConstraints = &stringConstraints{MinLength: strp(minLen), MaxLength: strp(maxLen)}
		}
		if a.typ == "Number" {
			sa.NumberAttributeConstraints = &numberConstraints{MinValue: strp("0")}
		}
		out = append(out, sa)
	}
	return out
}

// buildSchema merges a CreateUserPool Schema into the standard attributes.
func buildSchema(in []schemaAttribute) ([]schemaAttribute, error) {
	return addSchema(standardSchema(), in, "schema")
}

// addSchema validates attributes as AWS does and appends (custom) or merges
// (standard) them into schema; field names the request member in messages.
func addSchema(schema, in []schemaAttribute, field string) ([]schemaAttribute, error) {
	out := slices.Clone(schema)
	index := map[string]int{}
	custom := 0
	for i, a := range out {
		index[a.Name] = i
		if strings.Contains(a.Name, "custom:") {
			custom++
		}
	}
	for i, a := range in {
		if a.AttributeDataType != "" && !validDataType(a.AttributeDataType) {
			return nil, invalidParameter("1 validation error detected: Value '%s' at '%s.%d.member.attributeDataType' failed to satisfy constraint: Member must satisfy enum value set: [Boolean, Number, String, DateTime]", a.AttributeDataType, field, i+1)
		}
		if n := utf8.RuneCountInString(a.Name); n < 1 {
			return nil, invalidParameter("1 validation error detected: Value '%s' at '%s.%d.member.name' failed to satisfy constraint: Member must have length greater than or equal to 1", a.Name, field, i+1)
		} else if n > 20 {
			return nil, invalidParameter("1 validation error detected: Value '%s' at '%s.%d.member.name' failed to satisfy constraint: Member must have length less than or equal to 20", a.Name, field, i+1)
		}
		if j, ok := index[a.Name]; ok && field == "schema" && !strings.Contains(a.Name, "custom:") {
			std := &out[j]
			if (a.AttributeDataType != "" && a.AttributeDataType != std.AttributeDataType) ||
				(a.DeveloperOnlyAttribute != nil && *a.DeveloperOnlyAttribute) {
				return nil, invalidParameter("You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute %s", a.Name)
			}
			if a.Name == "sub" {
				continue
			}
			if a.Required != nil {
				std.Required = a.Required
			}
			if a.Mutable != nil {
				std.Mutable = a.Mutable
			}
			if a.StringAttributeConstraints != nil && std.AttributeDataType == "String" {
				c, err := checkStringConstraints(a.Name, a.StringAttributeConstraints)
				if err != nil {
					return nil, err
				}
				std.StringAttributeConstraints = c
			}
			if a.NumberAttributeConstraints != nil && std.AttributeDataType == "Number" {
				c, err := checkNumberConstraints(a.Name, a.NumberAttributeConstraints)
				if err != nil {
					return nil, err
				}
				std.NumberAttributeConstraints = c
			}
			continue
		}
		if a.AttributeDataType == "" {
			return nil, invalidParameter("Invalid AttributeDataType input, consider using the provided AttributeDataType enum.")
		}
		if a.Required != nil && *a.Required {
			return nil, invalidParameter("Required custom attributes are not supported currently.")
		}
		name := strings.TrimPrefix(a.Name, "custom:")
		ca := schemaAttribute{Name: "custom:" + name, AttributeDataType: a.AttributeDataType,
			DeveloperOnlyAttribute: boolp(false), Mutable: a.Mutable, Required: boolp(false)}
		if a.DeveloperOnlyAttribute != nil && *a.DeveloperOnlyAttribute {
			ca.Name, ca.DeveloperOnlyAttribute = "dev:custom:"+name, boolp(true)
		}
		if ca.Mutable == nil {
			ca.Mutable = boolp(true)
		}
		switch ca.AttributeDataType {
		case "String":
			c := a.StringAttributeConstraints
			if c == nil {
				c = &stringConstraints{}
			}
			c, err := checkStringConstraints(ca.Name, c)
			if err != nil {
				return nil, err
			}
			ca.StringAttributeConstraints = c
		case "Number":
			c := a.NumberAttributeConstraints
			if c == nil {
				c = &numberConstraints{}
			}
			c, err := checkNumberConstraints(ca.Name, c)
			if err != nil {
				return nil, err
			}
			ca.NumberAttributeConstraints = c
		}
		if _, dup := index[ca.Name]; dup {
			return nil, invalidParameter("Existing attribute already has name %s.", ca.Name)
		}
		if custom++; custom > maxCustomAttributes {
			return nil, invalidParameter("user pool may have at most %d custom attributes", maxCustomAttributes)
		}
		index[ca.Name] = len(out)
		out = append(out, ca)
	}
	return out, nil
}

func validDataType(t string) bool {
	switch t {
	case "String", "Number", "DateTime", "Boolean":
		return true
	}
	return false
}

// checkStringConstraints validates a String attribute's length bounds.
func checkStringConstraints(name string, c *stringConstraints) (*stringConstraints, error) {
	out := *c
	lo, hi := 0, maxAttributeValue
	if c.MinLength != nil {
		n, err := strconv.Atoi(*c.MinLength)
		if err != nil || n < 0 {
			return nil, invalidParameter("user.%s: MinLength must be a non-negative integer.", name)
		}
		lo = n
	}
	if c.MaxLength != nil {
		n, err := strconv.Atoi(*c.MaxLength)
		if err != nil || n < 0 {
			return nil, invalidParameter("user.%s: MaxLength must be a non-negative integer.", name)
		}
		if n > maxAttributeValue {
			return nil, invalidParameter("user.%s: String attributes cannot have a MaxLength of more than %d", name, maxAttributeValue)
		}
		hi = n
	}
	if lo > hi {
		return nil, invalidParameter("user.%s: Min length cannot be greater than max length.", name)
	}
	return &out, nil
}

// checkNumberConstraints validates a Number attribute's value bounds.
func checkNumberConstraints(name string, c *numberConstraints) (*numberConstraints, error) {
	out := *c
	parse := func(v *string, what string) (*int64, error) {
		if v == nil {
			return nil, nil
		}
		n, err := strconv.ParseInt(*v, 10, 64)
		if err != nil {
			return nil, invalidParameter("user.%s: %s must be an integer.", name, what)
		}
		return &n, nil
	}
	lo, err := parse(c.MinValue, "MinValue")
	if err != nil {
		return nil, err
	}
	hi, err := parse(c.MaxValue, "MaxValue")
	if err != nil {
		return nil, err
	}
	if lo != nil && hi != nil && *lo > *hi {
		return nil, invalidParameter("user.%s: Min value cannot be greater than max value.", name)
	}
	return &out, nil
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
