// Package iam serves the IAM and STS calls deploy tools make before and
// around their real work, over AWS's query protocol (form-encoded POST,
// XML answers): STS GetCallerIdentity answers the calling principal; IAM
// roles (create, get, list, update, delete, tags) with their attached
// managed policies and inline policies are stored, so functions and
// authorizers can reference them.
package iam

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/auth"
	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/uuid"
)

// XML namespaces of the two APIs.
const (
	IAMNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	STSNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

const kindRole = "iam.role"

// Store is the part of store.Store the service uses.
type Store interface {
	CreateObject(ctx context.Context, o store.Object) (store.Object, error)
	GetObject(ctx context.Context, kind, key string) (store.Object, error)
	UpdateObject(ctx context.Context, kind, key string, fn func(store.Object) (store.Object, error)) (store.Object, error)
	ListObjects(ctx context.Context, kind string, page store.Page) ([]store.Object, error)
	DeleteObject(ctx context.Context, kind, key string) error
}

// Service answers IAM and STS calls.
type Service struct {
	store   Store
	account string
	now     func() time.Time
	log     *slog.Logger
}

// New returns the service for account.
func New(st Store, account string, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: st, account: account, now: now, log: log}
}

// stsActions are the STS operations (everything else is IAM).
var stsActions = map[string]bool{
	"GetCallerIdentity": true, "AssumeRole": true, "GetSessionToken": true, "GetAccessKeyInfo": true,
	"AssumeRoleWithWebIdentity": true, "AssumeRoleWithSAML": true, "DecodeAuthorizationMessage": true, "GetFederationToken": true,
}

// Namespace is the XML namespace of service's answers.
func Namespace(service string) string {
	if service == "sts" {
		return STSNamespace
	}
	return IAMNamespace
}

// Rule names the signing service, IAM action and resource of a call
// (auth.QueryRule); GetCallerIdentity needs no permission, as on AWS.
func (s *Service) Rule(action string, form url.Values) (string, string, string, bool) {
	if stsActions[action] {
		return "sts", "sts:" + action, "*", action == "GetCallerIdentity"
	}
	resource := "*"
	if name := form.Get("RoleName"); name != "" {
		resource = "arn:aws:iam::" + s.account + ":role/" + name
	}
	return "iam", "iam:" + action, resource, false
}

// IsQueryCall reports whether r is an AWS query-protocol call: a POST of a
// form without X-Amz-Target (JSON protocols set it).
func IsQueryCall(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "" {
		return false
	}
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	return strings.HasPrefix(ct, "application/x-www-form-urlencoded")
}

// queryError is an IAM/STS error.
type queryError struct {
	status int
	code   string
	msg    string
}

func (e *queryError) Error() string { return e.code + ": " + e.msg }

func noSuchRole(name string) error {
	return &queryError{http.StatusNotFound, "NoSuchEntity", "The role with name " + name + " cannot be found."}
}

func validationError(format string, args ...any) error {
	return &queryError{http.StatusBadRequest, "ValidationError", fmt.Sprintf(format, args...)}
}

// Handler serves both APIs (behind auth.QueryMiddleware).
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form := r.Form
		action := form.Get("Action")
		service := "iam"
		if stsActions[action] {
			service = "sts"
		}
		result, err := s.dispatch(r.Context(), action, form)
		if err != nil {
			var qe *queryError
			if !errors.As(err, &qe) {
				s.log.Error(service, "action", action, "err", err)
				qe = &queryError{http.StatusInternalServerError, "ServiceFailure", "An internal error occurred."}
			}
			typ := "Sender"
			if qe.status >= 500 {
				typ = "Receiver"
			}
			auth.WriteQueryError(w, Namespace(service), qe.status, typ, qe.code, qe.msg)
			return
		}
		writeResult(w, Namespace(service), action, result)
	})
}

// writeResult writes <ActionResponse><ActionResult>…</ActionResult><ResponseMetadata/></ActionResponse>.
func writeResult(w http.ResponseWriter, ns, action string, result any) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<%sResponse xmlns="%s">`, action, ns)
	if result != nil {
		enc := xml.NewEncoder(&buf)
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			auth.WriteQueryError(w, ns, http.StatusInternalServerError, "Receiver", "ServiceFailure", "An internal error occurred.")
			return
		}
	}
	fmt.Fprintf(&buf, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", uuid.New(), action)
	w.Header().Set("Content-Type", "text/xml")
	w.Write(buf.Bytes())
}

func (s *Service) dispatch(ctx context.Context, action string, form url.Values) (any, error) {
	switch action {
	case "GetCallerIdentity":
		return s.getCallerIdentity(ctx)
	case "CreateRole":
		return s.createRole(ctx, form)
	case "GetRole":
		r, err := s.role(ctx, form.Get("RoleName"))
		if err != nil {
			return nil, err
		}
		return roleResult{Role: s.xmlRole(r, true)}, nil
	case "ListRoles":
		return s.listRoles(ctx, form)
	case "UpdateRole":
		return nil, s.updateRole(ctx, form.Get("RoleName"), func(r *role) error {
			if v, ok := form["Description"]; ok {
				r.Description = v[0]
			}
			if v := form.Get("MaxSessionDuration"); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 3600 || n > 43200 {
					return validationError("The requested duration for the role is outside the allowed range (3600 to 43200 seconds).")
				}
				r.MaxSessionDuration = n
			}
			return nil
		})
	case "UpdateAssumeRolePolicy":
		doc := form.Get("PolicyDocument")
		if err := checkPolicy(doc); err != nil {
			return nil, err
		}
		return nil, s.updateRole(ctx, form.Get("RoleName"), func(r *role) error { r.AssumeRolePolicy = doc; return nil })
	case "DeleteRole":
		return nil, s.deleteRole(ctx, form.Get("RoleName"))
	case "AttachRolePolicy":
		arn := form.Get("PolicyArn")
		if !policyARN.MatchString(arn) {
			return nil, &queryError{http.StatusBadRequest, "InvalidInput", "ARN " + arn + " is not valid."}
		}
		return nil, s.updateRole(ctx, form.Get("RoleName"), func(r *role) error {
			if !slices.Contains(r.Attached, arn) {
				if len(r.Attached) >= 20 {
					return &queryError{http.StatusConflict, "LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 20"}
				}
				r.Attached = append(r.Attached, arn)
			}
			return nil
		})
	case "DetachRolePolicy":
		arn := form.Get("PolicyArn")
		return nil, s.updateRole(ctx, form.Get("RoleName"), func(r *role) error {
			i := slices.Index(r.Attached, arn)
			if i < 0 {
				return &queryError{http.StatusNotFound, "NoSuchEntity", "Policy " + arn + " was not found."}
			}
			r.Attached = slices.Delete(r.Attached, i, i+1)
			return nil
		})
	case "ListAttachedRolePolicies":
		r, err := s.role(ctx, form.Get("RoleName"))
		if err != nil {
			return nil, err
		}
		out := attachedResult{}
		for _, arn := range r.Attached {
			out.Policies = append(out.Policies, attachedPolicy{PolicyName: arn[strings.LastIndexByte(arn, '/')+1:], PolicyArn: arn})
		}
		return out, nil
	case "PutRolePolicy":
		name, doc := form.Get("PolicyName"), form.Get("PolicyDocument")
		if !policyName.MatchString(name) {
			return nil, validationError("1 validation error detected: Value '%s' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", name)
		}
		if err := checkPolicy(doc); err != nil {
			return nil, err
		}
		return nil, s.updateRole(ctx, form.Get("RoleName"), func(r *role) error {
			if r.Inline == nil {
				r.Inline = map[string]string{}
			}
			r.Inline[name] = doc
			return nil
		})
	case "GetRolePolicy":
		r, err := s.role(ctx, form.Get("RoleName"))
		if err != nil {
			return nil, err
		}
		name := form.Get("PolicyName")
		doc, ok := r.Inline[name]
		if !ok {
			return nil, &queryError{http.StatusNotFound, "NoSuchEntity", "The role policy with name " + name + " cannot be found."}
		}
		return rolePolicyResult{RoleName: r.Name, PolicyName: name, PolicyDocument: url.QueryEscape(doc)}, nil
	case "DeleteRolePolicy":
		name := form.Get("PolicyName")
		return nil, s.updateRole(ctx, form.Get("RoleName"), func(r *role) error {
			if _, ok := r.Inline[name]; !ok {
				return &queryError{http.StatusNotFound, "NoSuchEntity", "The role policy with name " + name + " cannot be found."}
			}
			delete(r.Inline, name)
			return nil
		})
	case "ListRolePolicies":
		r, err := s.role(ctx, form.Get("RoleName"))
		if err != nil {
			return nil, err
		}
		names := make([]string, 0, len(r.Inline))
		for k := range r.Inline {
			names = append(names, k)
		}
		sort.Strings(names)
		return rolePoliciesResult{Names: names}, nil
	case "ListInstanceProfilesForRole":
		if _, err := s.role(ctx, form.Get("RoleName")); err != nil {
			return nil, err
		}
		return instanceProfilesResult{}, nil
	case "TagRole":
		tags := readTags(form)
		return nil, s.updateRole(ctx, form.Get("RoleName"), func(r *role) error {
			if r.Tags == nil {
				r.Tags = map[string]string{}
			}
			for k, v := range tags {
				r.Tags[k] = v
			}
			return nil
		})
	case "UntagRole":
		return nil, s.updateRole(ctx, form.Get("RoleName"), func(r *role) error {
			for k, v := range form {
				if strings.HasPrefix(k, "TagKeys.member.") {
					delete(r.Tags, v[0])
				}
			}
			return nil
		})
	case "ListRoleTags":
		r, err := s.role(ctx, form.Get("RoleName"))
		if err != nil {
			return nil, err
		}
		return tagsResult{Tags: xmlTags(r.Tags)}, nil
	default:
		service, version := "iam", "2010-05-08"
		if stsActions[action] {
			service, version = "sts", "2011-06-15"
		}
		return nil, &queryError{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("Could not find operation %s for version %s of the %s API: Cognate does not implement it.", action, version, service)}
	}
}

func (s *Service) getCallerIdentity(ctx context.Context) (any, error) {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok {
		return nil, &queryError{http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token"}
	}
	userID := p.UserID
	if p.Root || userID == "" {
		userID = p.Account
	}
	return struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	}{Arn: p.ARN, UserID: userID, Account: p.Account}, nil
}

// role is a stored IAM role.
type role struct {
	Name               string            `json:"name"`
	Path               string            `json:"path"`
	ID                 string            `json:"id"`
	Description        string            `json:"description,omitempty"`
	AssumeRolePolicy   string            `json:"assumeRolePolicy"`
	MaxSessionDuration int               `json:"maxSessionDuration"`
	CreateDate         time.Time         `json:"createDate"`
	Tags               map[string]string `json:"tags,omitempty"`
	Attached           []string          `json:"attached,omitempty"`
	Inline             map[string]string `json:"inline,omitempty"`
}

var (
	roleName   = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	policyName = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	rolePath   = regexp.MustCompile(`^(/|/[\x21-\x7E]*/)$`)
	policyARN  = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/[\x21-\x7E]+$`)
)

func (s *Service) arn(r role) string { return "arn:aws:iam::" + s.account + ":role" + r.Path + r.Name }

// checkPolicy refuses a policy document that is not a JSON object with a Statement.
func checkPolicy(doc string) error {
	var v struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if doc == "" {
		return validationError("1 validation error detected: Value null at 'policyDocument' failed to satisfy constraint: Member must not be null")
	}
	if err := json.Unmarshal([]byte(doc), &v); err != nil || len(v.Statement) == 0 {
		return &queryError{http.StatusBadRequest, "MalformedPolicyDocument", "This policy contains invalid Json"}
	}
	return nil
}

func readTags(form url.Values) map[string]string {
	tags := map[string]string{}
	for i := 1; ; i++ {
		k := form.Get("Tags.member." + strconv.Itoa(i) + ".Key")
		if k == "" {
			return tags
		}
		tags[k] = form.Get("Tags.member." + strconv.Itoa(i) + ".Value")
	}
}

// newRoleID is a role's unique id: AROA and 17 characters of IAM's alphabet.
func newRoleID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, 17)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "AROA" + string(b)
}

func (s *Service) createRole(ctx context.Context, form url.Values) (any, error) {
	r := role{Name: form.Get("RoleName"), Path: form.Get("Path"), Description: form.Get("Description"),
		AssumeRolePolicy: form.Get("AssumeRolePolicyDocument"), MaxSessionDuration: 3600, CreateDate: s.now().UTC().Truncate(time.Second),
		ID: newRoleID(), Tags: readTags(form)}
	if !roleName.MatchString(r.Name) {
		return nil, validationError("1 validation error detected: Value '%s' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", r.Name)
	}
	if r.Path == "" {
		r.Path = "/"
	}
	if !rolePath.MatchString(r.Path) {
		return nil, validationError("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	if v := form.Get("MaxSessionDuration"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 3600 || n > 43200 {
			return nil, validationError("The requested duration for the role is outside the allowed range (3600 to 43200 seconds).")
		}
		r.MaxSessionDuration = n
	}
	if err := checkPolicy(r.AssumeRolePolicy); err != nil {
		return nil, err
	}
	if len(r.Tags) == 0 {
		r.Tags = nil
	}
	data, _ := json.Marshal(r)
	_, err := s.store.CreateObject(ctx, store.Object{Kind: kindRole, Key: strings.ToLower(r.Name), Data: data, UpdatedAt: s.now()})
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, &queryError{http.StatusConflict, "EntityAlreadyExists", "Role with name " + r.Name + " already exists."}
	}
	if err != nil {
		return nil, err
	}
	return roleResult{Role: s.xmlRole(r, false)}, nil
}

// role loads a role; names are case-insensitive in IAM.
func (s *Service) role(ctx context.Context, name string) (role, error) {
	if name == "" {
		return role{}, validationError("1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null")
	}
	o, err := s.store.GetObject(ctx, kindRole, strings.ToLower(name))
	if errors.Is(err, store.ErrNotFound) {
		return role{}, noSuchRole(name)
	}
	if err != nil {
		return role{}, err
	}
	var r role
	if err := json.Unmarshal(o.Data, &r); err != nil {
		return role{}, fmt.Errorf("decode role %s: %w", name, err)
	}
	return r, nil
}

func (s *Service) updateRole(ctx context.Context, name string, fn func(*role) error) error {
	if name == "" {
		return validationError("1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null")
	}
	_, err := s.store.UpdateObject(ctx, kindRole, strings.ToLower(name), func(o store.Object) (store.Object, error) {
		var r role
		if err := json.Unmarshal(o.Data, &r); err != nil {
			return o, fmt.Errorf("decode role %s: %w", name, err)
		}
		if err := fn(&r); err != nil {
			return o, err
		}
		data, err := json.Marshal(r)
		o.Data, o.UpdatedAt = data, s.now()
		return o, err
	})
	if errors.Is(err, store.ErrNotFound) {
		return noSuchRole(name)
	}
	return err
}

func (s *Service) deleteRole(ctx context.Context, name string) error {
	r, err := s.role(ctx, name)
	if err != nil {
		return err
	}
	if len(r.Attached) > 0 || len(r.Inline) > 0 {
		return &queryError{http.StatusConflict, "DeleteConflict", "Cannot delete entity, must detach all policies first."}
	}
	if err := s.store.DeleteObject(ctx, kindRole, strings.ToLower(name)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return noSuchRole(name)
		}
		return err
	}
	return nil
}

func (s *Service) listRoles(ctx context.Context, form url.Values) (any, error) {
	limit := 100
	if v := form.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, validationError("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000", v)
		}
		limit = n
	}
	prefix := form.Get("PathPrefix")
	objs, err := s.store.ListObjects(ctx, kindRole, store.Page{After: form.Get("Marker"), Limit: limit + 1})
	if err != nil {
		return nil, err
	}
	out := listRolesResult{}
	for i, o := range objs {
		if i == limit {
			out.IsTruncated, out.Marker = true, objs[i-1].Key
			break
		}
		var r role
		if err := json.Unmarshal(o.Data, &r); err != nil {
			return nil, fmt.Errorf("decode role %s: %w", o.Key, err)
		}
		if prefix != "" && !strings.HasPrefix(r.Path, prefix) {
			continue
		}
		out.Roles = append(out.Roles, s.xmlRole(r, false))
	}
	return out, nil
}

// RoleExists reports whether arn names a stored role of this account (the
// Lambda control plane's check of an execution role).
func (s *Service) RoleExists(ctx context.Context, arn string) (bool, error) {
	prefix := "arn:aws:iam::" + s.account + ":role/"
	rest, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		return false, nil
	}
	name := rest[strings.LastIndexByte(rest, '/')+1:]
	r, err := s.role(ctx, name)
	var qe *queryError
	if errors.As(err, &qe) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return s.arn(r) == arn, nil
}

// --- XML shapes ---

type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

func xmlTags(m map[string]string) []xmlTag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]xmlTag, 0, len(keys))
	for _, k := range keys {
		out = append(out, xmlTag{k, m[k]})
	}
	return out
}

type xmlRoleT struct {
	Path                     string    `xml:"Path"`
	RoleName                 string    `xml:"RoleName"`
	RoleID                   string    `xml:"RoleId"`
	Arn                      string    `xml:"Arn"`
	CreateDate               string    `xml:"CreateDate"`
	AssumeRolePolicyDocument string    `xml:"AssumeRolePolicyDocument"`
	Description              string    `xml:"Description,omitempty"`
	MaxSessionDuration       int       `xml:"MaxSessionDuration"`
	Tags                     []xmlTag  `xml:"Tags>member,omitempty"`
	RoleLastUsed             *struct{} `xml:"RoleLastUsed,omitempty"`
}

func (s *Service) xmlRole(r role, last bool) xmlRoleT {
	out := xmlRoleT{Path: r.Path, RoleName: r.Name, RoleID: r.ID, Arn: s.arn(r), CreateDate: r.CreateDate.Format(time.RFC3339),
		AssumeRolePolicyDocument: url.QueryEscape(r.AssumeRolePolicy), Description: r.Description,
		MaxSessionDuration: r.MaxSessionDuration, Tags: xmlTags(r.Tags)}
	if last {
		out.RoleLastUsed = &struct{}{}
	}
	return out
}

type roleResult struct {
	Role xmlRoleT `xml:"Role"`
}

type listRolesResult struct {
	Roles       []xmlRoleT `xml:"Roles>member"`
	IsTruncated bool       `xml:"IsTruncated"`
	Marker      string     `xml:"Marker,omitempty"`
}

type attachedPolicy struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

type attachedResult struct {
	Policies    []attachedPolicy `xml:"AttachedPolicies>member"`
	IsTruncated bool             `xml:"IsTruncated"`
}

type rolePolicyResult struct {
	RoleName       string `xml:"RoleName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

type rolePoliciesResult struct {
	Names       []string `xml:"PolicyNames>member"`
	IsTruncated bool     `xml:"IsTruncated"`
}

type instanceProfilesResult struct {
	Profiles    []struct{} `xml:"InstanceProfiles>member"`
	IsTruncated bool       `xml:"IsTruncated"`
}

type tagsResult struct {
	Tags        []xmlTag `xml:"Tags>member"`
	IsTruncated bool     `xml:"IsTruncated"`
}
