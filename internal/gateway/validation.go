package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// validation is a method's compiled request validation ("Request
// validation for REST APIs in API Gateway"): required parameters present
// and not blank, and the body valid against the model of its content type
// ("$default" for any), JSON schema draft 4.
type validation struct {
	params []paramRequirement
	models map[string]*jsonschema.Schema // media type or "$default" → schema
}

// paramRequirement is one required method.request.{loc}.{name}.
type paramRequirement struct{ loc, name string }

// modelsURL is where the API's models live for $ref resolution.
const modelsURL = "cognate:///models.json"

// compileModels compiles every model, each able to $ref the others.
func compileModels(models map[string]*Model) (map[string]*jsonschema.Schema, error) {
	if len(models) == 0 {
		return nil, nil
	}
	defs := make(map[string]any, len(models))
	for name, m := range models {
		if m == nil || m.Schema == nil {
			return nil, fmt.Errorf("model %q: no schema", name)
		}
		defs[name] = m.Schema
	}
	// Re-decode as JSON so YAML-decoded numbers become what the validator
	// expects; the models sit under both #/definitions and
	// #/components/schemas so Swagger 2 and OpenAPI 3 references resolve.
	raw, err := json.Marshal(map[string]any{"definitions": defs, "components": map[string]any{"schemas": defs}})
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.UseLoader(noRemoteLoader{})
	if err := c.AddResource(modelsURL, doc); err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	out := make(map[string]*jsonschema.Schema, len(models))
	var errs []error
	for _, name := range slices.Sorted(mapsKeys(models)) {
		s, err := c.Compile(modelsURL + "#/definitions/" + jsonPointerEscape(name))
		if err != nil {
			errs = append(errs, fmt.Errorf("model %q: %w", name, err))
			continue
		}
		out[name] = s
	}
	return out, errors.Join(errs...)
}

// noRemoteLoader refuses every $ref outside the API's models: a gateway
// never fetches schemas from the network.
type noRemoteLoader struct{}

// Load refuses url.
func (noRemoteLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema %s: only the API's own models can be referenced", url)
}

func jsonPointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// compileValidation resolves a method's validator, parameters and models.
func (d *deployment) compileValidation(m *Method) (*validation, error) {
	name := m.RequestValidator
	if name == "" {
		name = d.api.RequestValidator
	}
	if name == "" || strings.EqualFold(name, "NONE") {
		return nil, checkDeclarations(d, m)
	}
	rv := d.api.RequestValidators[name]
	if rv == nil {
		return nil, fmt.Errorf("unknown request validator %q", name)
	}
	if err := checkDeclarations(d, m); err != nil {
		return nil, err
	}
	v := &validation{}
	if rv.ValidateRequestParameters {
		for _, k := range slices.Sorted(mapsKeys(m.RequestParameters)) {
			if !m.RequestParameters[k] {
				continue
			}
			rest, _ := strings.CutPrefix(k, "method.request.")
			loc, pname, _ := strings.Cut(rest, ".")
			v.params = append(v.params, paramRequirement{loc, pname})
		}
	}
	if rv.ValidateRequestBody && len(m.RequestModels) > 0 {
		v.models = make(map[string]*jsonschema.Schema, len(m.RequestModels))
		for ct, model := range m.RequestModels {
			key := ct
			if ct != "$default" {
				key = mediaType(ct)
			}
			v.models[key] = d.models[model]
		}
	}
	if len(v.params) == 0 && len(v.models) == 0 {
		return nil, nil
	}
	return v, nil
}

// checkDeclarations refuses malformed parameter declarations and unknown models.
func checkDeclarations(d *deployment, m *Method) error {
	for k := range m.RequestParameters {
		rest, ok := strings.CutPrefix(k, "method.request.")
		loc, name, ok2 := strings.Cut(rest, ".")
		if !ok || !ok2 || name == "" || (loc != "path" && loc != "querystring" && loc != "header" && loc != "multivaluequerystring" && loc != "multivalueheader") {
			return fmt.Errorf("requestParameters key %q", k)
		}
	}
	for ct, model := range m.RequestModels {
		if d.models[model] == nil {
			if _, declared := d.api.Models[model]; !declared {
				return fmt.Errorf("requestModels %s: unknown model %q", ct, model)
			}
			return fmt.Errorf("requestModels %s: model %q is invalid", ct, model)
		}
	}
	return nil
}

// validate runs the method's request validation: parameters first, then
// the body, answering BAD_REQUEST_PARAMETERS / BAD_REQUEST_BODY with AWS's
// messages; $context.error.validationErrorString carries the details.
func (x *exchange) validate() error {
	v := x.rt.valid
	var missing []string
	for _, p := range v.params {
		if !x.paramPresent(p) {
			missing = append(missing, p.name)
		}
	}
	if len(missing) > 0 {
		msg := "Missing required request parameters: [" + strings.Join(missing, ", ") + "]"
		return &gatewayError{typ: BadRequestParameters, message: msg, validation: msg}
	}
	if len(v.models) == 0 {
		return nil
	}
	schema := v.models[mediaType(x.r.Header.Get("Content-Type"))]
	if schema == nil {
		schema = v.models["$default"]
	}
	if schema == nil {
		return nil // no model for this content type: AWS does not validate
	}
	if err := x.readBody(); err != nil {
		return err
	}
	body := x.body
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}") // an empty body is validated as {} (Cognate's choice; AWS's docs are silent)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return &gatewayError{typ: BadRequestBody, validation: "[Invalid JSON: " + err.Error() + "]", err: err}
	}
	if err := schema.Validate(doc); err != nil {
		var ve *jsonschema.ValidationError
		detail := err.Error()
		if errors.As(err, &ve) {
			detail = validationDetail(ve)
		}
		return &gatewayError{typ: BadRequestBody, validation: detail, err: err}
	}
	return nil
}

var englishPrinter = message.NewPrinter(language.English)

// validationDetail flattens a validation error into "[msg, msg]" (AWS's
// validationErrorString shape; the wording is the validator's own).
func validationDetail(ve *jsonschema.ValidationError) string {
	var msgs []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := "/" + strings.Join(e.InstanceLocation, "/")
			msgs = append(msgs, fmt.Sprintf("%s at %s", e.ErrorKind.LocalizedString(englishPrinter), loc))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return "[" + strings.Join(msgs, ", ") + "]"
}

// paramPresent reports whether a required parameter is present and not blank.
func (x *exchange) paramPresent(p paramRequirement) bool {
	switch p.loc {
	case "path":
		for _, pp := range x.params {
			if pp.name == p.name {
				return strings.TrimSpace(pp.value) != ""
			}
		}
	case "querystring", "multivaluequerystring":
		for _, v := range x.query[p.name] {
			if strings.TrimSpace(v) != "" {
				return true
			}
		}
	case "header", "multivalueheader":
		for _, v := range x.r.Header.Values(p.name) {
			if strings.TrimSpace(v) != "" {
				return true
			}
		}
	}
	return false
}
