package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/internal/auth"
	"github.com/cognate-dev/cognate/internal/functions"
	"github.com/cognate-dev/cognate/internal/restpath"
	"github.com/cognate-dev/cognate/internal/store"
	"github.com/cognate-dev/cognate/internal/uuid"
)

// route is one operation of the API: method, path pattern ("{x}" is one
// segment), the operation's name (also its IAM action) and its handler.
type route struct {
	method string
	parts  restpath.Pattern
	op     string
	serve  func(s *Service, w http.ResponseWriter, r *http.Request, p params) error
}

type params map[string]string

func rt(method, pattern, op string, serve func(*Service, http.ResponseWriter, *http.Request, params) error) route {
	return route{method, restpath.Parse(pattern), op, serve}
}

// routes are Lambda's management operations (lambda 2015-03-31 REST paths).
var routes = []route{
	rt("POST", "/2015-03-31/functions", "CreateFunction", (*Service).createFunction),
	rt("GET", "/2015-03-31/functions", "ListFunctions", (*Service).listFunctions),
	rt("GET", "/2015-03-31/functions/{name}", "GetFunction", (*Service).getFunction),
	rt("DELETE", "/2015-03-31/functions/{name}", "DeleteFunction", (*Service).deleteFunction),
	rt("GET", "/2015-03-31/functions/{name}/configuration", "GetFunctionConfiguration", (*Service).getConfiguration),
	rt("PUT", "/2015-03-31/functions/{name}/configuration", "UpdateFunctionConfiguration", (*Service).updateConfiguration),
	rt("PUT", "/2015-03-31/functions/{name}/code", "UpdateFunctionCode", (*Service).updateCode),
	rt("POST", "/2015-03-31/functions/{name}/versions", "PublishVersion", (*Service).publishVersion),
	rt("GET", "/2015-03-31/functions/{name}/versions", "ListVersionsByFunction", (*Service).listVersions),
	rt("POST", "/2015-03-31/functions/{name}/aliases", "CreateAlias", (*Service).createAlias),
	rt("GET", "/2015-03-31/functions/{name}/aliases", "ListAliases", (*Service).listAliases),
	rt("GET", "/2015-03-31/functions/{name}/aliases/{alias}", "GetAlias", (*Service).getAlias),
	rt("PUT", "/2015-03-31/functions/{name}/aliases/{alias}", "UpdateAlias", (*Service).updateAlias),
	rt("DELETE", "/2015-03-31/functions/{name}/aliases/{alias}", "DeleteAlias", (*Service).deleteAlias),
	rt("POST", "/2015-03-31/functions/{name}/policy", "AddPermission", (*Service).addPermission),
	rt("GET", "/2015-03-31/functions/{name}/policy", "GetPolicy", (*Service).getPolicy),
	rt("DELETE", "/2015-03-31/functions/{name}/policy/{sid}", "RemovePermission", (*Service).removePermission),
	rt("POST", "/2015-03-31/functions/{name}/invocations", "InvokeFunction", (*Service).invoke),
	rt("GET", "/2017-03-31/tags/{arn}", "ListTags", (*Service).listTags),
	rt("POST", "/2017-03-31/tags/{arn}", "TagResource", (*Service).tagResource),
	rt("DELETE", "/2017-03-31/tags/{arn}", "UntagResource", (*Service).untagResource),
	rt("PUT", "/2017-10-31/functions/{name}/concurrency", "PutFunctionConcurrency", (*Service).putConcurrency),
	rt("DELETE", "/2017-10-31/functions/{name}/concurrency", "DeleteFunctionConcurrency", (*Service).deleteConcurrency),
	rt("GET", "/2019-09-30/functions/{name}/concurrency", "GetFunctionConcurrency", (*Service).getConcurrency),
	rt("GET", "/2020-06-30/functions/{name}/code-signing-config", "GetFunctionCodeSigningConfig", (*Service).getCodeSigning),
}

// IsPath reports whether p belongs to the Lambda API (so that unknown
// operations on it get Lambda's UnknownOperationException).
func IsPath(p string) bool {
	for _, prefix := range []string{"/2015-03-31/", "/2016-08-19/", "/2017-03-31/", "/2017-10-31/", "/2018-10-31/", "/2019-09-25/", "/2019-09-30/", "/2020-04-22/", "/2020-06-30/", "/2021-10-31/", "/2021-11-15/"} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

func match(r *http.Request) (*route, params) {
	segs := restpath.Split(r.URL.Path)
	for i := range routes {
		rt := &routes[i]
		if rt.method != r.Method {
			continue
		}
		if p, ok := rt.parts.Match(segs); ok {
			return rt, p
		}
	}
	return nil, nil
}

// Rule names the IAM action and resource of a request (auth.Rule).
func (s *Service) Rule(r *http.Request) (string, string) {
	rt, p := match(r)
	if rt == nil {
		return "lambda:" + r.Method, "*"
	}
	if arn, ok := p["arn"]; ok {
		return "lambda:" + rt.op, arn
	}
	name, ok := p["name"]
	if !ok && rt.op == "CreateFunction" && r.Body != nil {
		// The function's ARN is in the body; the body stays readable for the handler.
		body, _ := io.ReadAll(io.LimitReader(r.Body, MaxRequestBody))
		r.Body = io.NopCloser(bytes.NewReader(body))
		var in struct {
			FunctionName string `json:"FunctionName"`
		}
		if json.Unmarshal(body, &in) == nil && in.FunctionName != "" {
			name, ok = in.FunctionName, true
		}
	}
	if !ok {
		return "lambda:" + rt.op, "*"
	}
	fn, qual := splitName(name)
	arn := s.arn(fn)
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		qual = q
	}
	if qual != "" {
		arn += ":" + qual
	}
	return "lambda:" + rt.op, arn
}

// Handler serves the Lambda API (management and Invoke).
func (s *Service) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, p := match(r)
		if rt == nil {
			auth.WriteRESTError(w, http.StatusNotFound, "UnknownOperationException",
				"Unknown operation: the lambda API has no operation "+r.Method+" "+r.URL.Path)
			return
		}
		if err := rt.serve(s, w, r, p); err != nil {
			s.writeError(w, rt.op, err)
		}
	})
}

func (s *Service) invoke(w http.ResponseWriter, r *http.Request, p params) error {
	return s.serveInvokeResolved(w, r, p)
}

func (s *Service) arn(name string) string {
	return "arn:aws:lambda:" + s.o.Region + ":" + s.o.AccountID + ":function:" + name
}

var (
	namePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	arnPattern  = regexp.MustCompile(`^(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:)?(?:\d{12}:)?(?:function:)?([A-Za-z0-9_-]{1,64})(?::(\$LATEST|[A-Za-z0-9_-]+))?$`)
	rolePattern = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$`)
)

// splitName reads a FunctionName parameter: a name, a partial or full ARN,
// optionally with a :qualifier.
func splitName(s string) (name, qualifier string) {
	m := arnPattern.FindStringSubmatch(s)
	if m == nil {
		return s, ""
	}
	return m[1], m[2]
}

func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return invalid("Could not read request body")
	}
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &apiError{http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: " + err.Error()}
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// runtimes are the runtimes Cognate runs.
var runtimes = []string{"nodejs18.x", "nodejs20.x", "nodejs22.x", "provided", "provided.al2", "provided.al2023"}

func (s *Service) checkSettings(ctx context.Context, runtime, role, handler *string, timeout, memory *int) error {
	if runtime != nil && !slices.Contains(runtimes, *runtime) {
		return invalid("The runtime parameter of %s is not supported by Cognate, which runs %s.", *runtime, strings.Join(runtimes, ", "))
	}
	if role != nil {
		if !rolePattern.MatchString(*role) {
			return validation(*role, "role", `Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`)
		}
		if s.o.Roles != nil {
			ok, err := s.o.Roles.RoleExists(ctx, *role)
			if err != nil {
				return err
			}
			if !ok {
				return invalid("The role defined for the function cannot be assumed by Lambda.")
			}
		}
	}
	if handler != nil && len(*handler) > 128 {
		return validation(*handler, "handler", "Member must have length less than or equal to 128")
	}
	if timeout != nil && (*timeout < 1 || *timeout > 900) {
		return validation(strconv.Itoa(*timeout), "timeout", "Member must have value less than or equal to 900")
	}
	if memory != nil && (*memory < 128 || *memory > 10240) {
		return validation(strconv.Itoa(*memory), "memorySize", "Member must have value greater than or equal to 128")
	}
	return nil
}

func (s *Service) createFunction(w http.ResponseWriter, r *http.Request, _ params) error {
	var in createFunctionInput
	if err := decode(r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	if !namePattern.MatchString(in.FunctionName) {
		if n, _ := splitName(in.FunctionName); namePattern.MatchString(n) && n != "" {
			in.FunctionName = n
		} else {
			return validation(in.FunctionName, "functionName", `Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`)
		}
	}
	if in.PackageType == "Image" || (in.Code != nil && in.Code.ImageURI != nil) {
		return invalid("Cognate runs .zip file archives only; container images are not supported.")
	}
	if in.Code == nil || (len(in.Code.ZipFile) == 0 && in.Code.S3Bucket == nil) {
		return invalid("Please provide a source for function code.")
	}
	if in.Code.S3Bucket != nil {
		return invalid("Cognate takes the deployment package as ZipFile; S3 locations are not supported.")
	}
	if in.Runtime == "" {
		return invalid("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
	}
	if in.Handler == "" && !strings.HasPrefix(in.Runtime, "provided") {
		return invalid("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
	}
	if err := s.checkSettings(ctx, &in.Runtime, &in.Role, &in.Handler, in.Timeout, in.MemorySize); err != nil {
		return err
	}
	if _, ok := s.configFunctions()[in.FunctionName]; ok {
		return conflict("Function already exist: %s", in.FunctionName)
	}
	arch := "x86_64"
	if len(in.Architectures) > 0 {
		arch = in.Architectures[0]
	}
	sha, size, err := s.storeCode(ctx, in.Code.ZipFile)
	if err != nil {
		return err
	}
	rec := record{
		Name: in.FunctionName, Runtime: in.Runtime, Handler: in.Handler, Role: in.Role, Description: in.Description,
		Timeout: 3, MemorySize: 128, Architecture: arch, CodeSha256: sha, CodeSize: size,
		LastModified: s.o.Now().UTC(), RevisionID: uuid.New(), Tags: in.Tags, NextVersion: 1,
	}
	if in.Timeout != nil {
		rec.Timeout = *in.Timeout
	}
	if in.MemorySize != nil {
		rec.MemorySize = *in.MemorySize
	}
	if in.Environment != nil {
		rec.Environment = in.Environment.Variables
	}
	if in.Publish {
		rec.publish("")
	}
	// Unpack on this node first: a package that cannot be unpacked creates nothing.
	if _, err := s.ensureCode(ctx, sha); err != nil {
		return err
	}
	data, _ := json.Marshal(rec)
	o, err := s.o.Store.CreateObject(ctx, store.Object{Kind: kindFunction, Key: rec.Name, Data: data, UpdatedAt: s.o.Now()})
	if errors.Is(err, store.ErrAlreadyExists) {
		return conflict("Function already exist: %s", in.FunctionName)
	}
	if err != nil {
		return err
	}
	if err := s.apply(ctx, o); err != nil {
		if derr := s.o.Store.DeleteObject(ctx, kindFunction, rec.Name); derr != nil {
			s.log.Error("undo CreateFunction", "function", rec.Name, "err", derr)
		}
		return err
	}
	out := s.configuration(rec, "$LATEST")
	if in.Publish {
		out = s.versionConfiguration(rec, rec.Versions[len(rec.Versions)-1])
	}
	return writeJSON(w, http.StatusCreated, out)
}

// publish appends a version snapshot of the current code and configuration.
func (rec *record) publish(description string) version {
	if rec.NextVersion < 1 {
		rec.NextVersion = 1
	}
	v := version{
		Version: strconv.Itoa(rec.NextVersion), Description: description, Runtime: rec.Runtime, Handler: rec.Handler,
		Role: rec.Role, Timeout: rec.Timeout, MemorySize: rec.MemorySize, Environment: rec.Environment,
		CodeSha256: rec.CodeSha256, CodeSize: rec.CodeSize, LastModified: rec.LastModified, RevisionID: uuid.New(),
	}
	if description == "" {
		v.Description = rec.Description
	}
	rec.NextVersion++
	rec.Versions = append(rec.Versions, v)
	return v
}

const lastModifiedLayout = "2006-01-02T15:04:05.000-0700"

func (s *Service) configuration(rec record, ver string) functionConfiguration {
	c := functionConfiguration{
		FunctionName: rec.Name, FunctionArn: s.arn(rec.Name), Runtime: rec.Runtime, Role: rec.Role, Handler: rec.Handler,
		CodeSize: rec.CodeSize, Description: rec.Description, Timeout: rec.Timeout, MemorySize: rec.MemorySize,
		LastModified: rec.LastModified.UTC().Format(lastModifiedLayout), CodeSha256: codeSha256(rec.CodeSha256),
		Version: ver, TracingConfig: tracingConfig{"PassThrough"}, RevisionID: rec.RevisionID,
		State: "Active", LastUpdateStatus: "Successful", PackageType: "Zip", Architectures: []string{rec.Architecture},
		EphemeralStorage: ephemeralStorage{512}, LoggingConfig: loggingConfig{"Text", "/aws/lambda/" + rec.Name},
		SnapStart: snapStart{"None", "Off"},
	}
	if c.Architectures[0] == "" {
		c.Architectures = []string{"x86_64"}
	}
	if len(rec.Environment) > 0 {
		c.Environment = &envResponse{Variables: rec.Environment}
	}
	return c
}

func (s *Service) versionConfiguration(rec record, v version) functionConfiguration {
	vr := rec
	vr.Runtime, vr.Handler, vr.Role, vr.Timeout, vr.MemorySize = v.Runtime, v.Handler, v.Role, v.Timeout, v.MemorySize
	vr.Environment, vr.CodeSha256, vr.CodeSize, vr.LastModified, vr.RevisionID = v.Environment, v.CodeSha256, v.CodeSize, v.LastModified, v.RevisionID
	vr.Description = v.Description
	c := s.configuration(vr, v.Version)
	c.FunctionArn += ":" + v.Version
	return c
}

// fromConfig describes a function the config file declares.
func (s *Service) fromConfig(f functions.FunctionConfig) record {
	rt := f.Runtime
	switch rt {
	case functions.RuntimeNodeJS:
		rt = "nodejs20.x"
	case functions.RuntimeProvided:
		rt = "provided.al2023"
	}
	return record{
		Name: f.Name, Runtime: rt, Handler: f.Handler, Role: "arn:aws:iam::" + s.o.AccountID + ":role/cognate-config",
		Timeout: int(f.Timeout.Seconds()), MemorySize: f.MemorySize, Environment: f.Environment, Architecture: "x86_64",
		RevisionID: uuid.Format([16]byte{}),
	}
}

// load returns a stored function (ErrNotFound-compatible errors become
// ResourceNotFoundException); config-file functions come back with fromConfig
// set.
func (s *Service) load(ctx context.Context, name string) (record, bool, error) {
	fn, _ := splitName(name)
	o, err := s.o.Store.GetObject(ctx, kindFunction, fn)
	if errors.Is(err, store.ErrNotFound) {
		if f, ok := s.configFunctions()[fn]; ok {
			return s.fromConfig(f), true, nil
		}
		return record{}, false, notFound(s.arn(fn))
	}
	if err != nil {
		return record{}, false, err
	}
	var rec record
	if err := json.Unmarshal(o.Data, &rec); err != nil {
		return record{}, false, fmt.Errorf("decode function %s: %w", fn, err)
	}
	return rec, false, nil
}

// update rewrites a stored function with fn and applies it on this node.
func (s *Service) update(ctx context.Context, name string, fn func(*record) error) (record, error) {
	n, _ := splitName(name)
	var out record
	o, err := s.o.Store.UpdateObject(ctx, kindFunction, n, func(o store.Object) (store.Object, error) {
		var rec record
		if err := json.Unmarshal(o.Data, &rec); err != nil {
			return o, fmt.Errorf("decode function %s: %w", n, err)
		}
		if err := fn(&rec); err != nil {
			return o, err
		}
		data, err := json.Marshal(rec)
		if err != nil {
			return o, err
		}
		o.Data, o.UpdatedAt, out = data, s.o.Now(), rec
		return o, nil
	})
	if errors.Is(err, store.ErrNotFound) {
		if _, ok := s.configFunctions()[n]; ok {
			return record{}, conflict("Function %s is declared in Cognate's configuration file; change it there.", n)
		}
		return record{}, notFound(s.arn(n))
	}
	if err != nil {
		return record{}, err
	}
	if err := s.apply(ctx, o); err != nil {
		return record{}, err
	}
	return out, nil
}

func (s *Service) qualified(rec record, qualifier string) (functionConfiguration, error) {
	switch qualifier {
	case "", "$LATEST":
		return s.configuration(rec, "$LATEST"), nil
	}
	if a, ok := rec.Aliases[qualifier]; ok {
		qualifier = a.FunctionVersion
		if qualifier == "$LATEST" {
			return s.configuration(rec, "$LATEST"), nil
		}
	}
	for _, v := range rec.Versions {
		if v.Version == qualifier {
			return s.versionConfiguration(rec, v), nil
		}
	}
	return functionConfiguration{}, notFound(s.arn(rec.Name) + ":" + qualifier)
}

func qualifierOf(r *http.Request, name string) string {
	_, q := splitName(name)
	if v := r.URL.Query().Get("Qualifier"); v != "" {
		q = v
	}
	return q
}

func (s *Service) getFunction(w http.ResponseWriter, r *http.Request, p params) error {
	rec, _, err := s.load(r.Context(), p["name"])
	if err != nil {
		return err
	}
	cfg, err := s.qualified(rec, qualifierOf(r, p["name"]))
	if err != nil {
		return err
	}
	out := getFunctionOutput{Configuration: cfg, Code: functionCodeLocation{RepositoryType: "S3"}, Tags: rec.Tags}
	if s.o.CodeURL != nil && rec.CodeSha256 != "" {
		out.Code.Location = s.o.CodeURL(rec.Name)
	}
	if rec.Concurrency != nil {
		out.Concurrency = &concurrency{ReservedConcurrentExecutions: rec.Concurrency}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) getConfiguration(w http.ResponseWriter, r *http.Request, p params) error {
	rec, _, err := s.load(r.Context(), p["name"])
	if err != nil {
		return err
	}
	cfg, err := s.qualified(rec, qualifierOf(r, p["name"]))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, cfg)
}

func (s *Service) listFunctions(w http.ResponseWriter, r *http.Request, _ params) error {
	ctx := r.Context()
	q := r.URL.Query()
	limit := 50
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return validation(v, "maxItems", "Member must have value between 1 and 10000")
		}
		limit = n
	}
	objs, err := s.listAll(ctx)
	if err != nil {
		return err
	}
	all := map[string]record{}
	for _, f := range s.configFunctions() {
		all[f.Name] = s.fromConfig(f)
	}
	for _, o := range objs {
		var rec record
		if err := json.Unmarshal(o.Data, &rec); err != nil {
			return fmt.Errorf("decode function %s: %w", o.Key, err)
		}
		all[rec.Name] = rec
	}
	names := sortedKeys(all)
	marker := q.Get("Marker")
	start := 0
	if marker != "" {
		start = sortIndexAfter(names, marker)
	}
	out := struct {
		Functions  []functionConfiguration `json:"Functions"`
		NextMarker *string                 `json:"NextMarker,omitempty"`
	}{Functions: []functionConfiguration{}}
	for i := start; i < len(names) && len(out.Functions) < limit; i++ {
		out.Functions = append(out.Functions, s.configuration(all[names[i]], "$LATEST"))
		if len(out.Functions) == limit && i+1 < len(names) {
			m := names[i]
			out.NextMarker = &m
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

// sortIndexAfter is the index of the first name after marker.
func sortIndexAfter(names []string, marker string) int {
	i, found := slices.BinarySearch(names, marker)
	if found {
		i++
	}
	return i
}

func (s *Service) deleteFunction(w http.ResponseWriter, r *http.Request, p params) error {
	ctx := r.Context()
	name, qual := splitName(p["name"])
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		qual = q
	}
	if qual != "" && qual != "$LATEST" {
		_, err := s.update(ctx, name, func(rec *record) error {
			for _, a := range rec.Aliases {
				if a.FunctionVersion == qual {
					return conflict("Unable to delete version because the following aliases reference it: [%s]", a.Name)
				}
			}
			i := slices.IndexFunc(rec.Versions, func(v version) bool { return v.Version == qual })
			if i < 0 {
				return notFound(s.arn(name) + ":" + qual)
			}
			rec.Versions = slices.Delete(rec.Versions, i, i+1)
			return nil
		})
		if err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if qual == "$LATEST" {
		return invalid("$LATEST version cannot be deleted without deleting the function.")
	}
	err := s.o.Store.DeleteObject(ctx, kindFunction, name)
	if errors.Is(err, store.ErrNotFound) {
		if _, ok := s.configFunctions()[name]; ok {
			return conflict("Function %s is declared in Cognate's configuration file; remove it there.", name)
		}
		return notFound(s.arn(name))
	}
	if err != nil {
		return err
	}
	s.remove(name)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func checkRevision(want, have string) error {
	if want != "" && want != have {
		return errRevision
	}
	return nil
}

func (s *Service) updateConfiguration(w http.ResponseWriter, r *http.Request, p params) error {
	var in updateConfigInput
	if err := decode(r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.checkSettings(ctx, in.Runtime, in.Role, in.Handler, in.Timeout, in.MemorySize); err != nil {
		return err
	}
	rec, err := s.update(ctx, p["name"], func(rec *record) error {
		if err := checkRevision(in.RevisionID, rec.RevisionID); err != nil {
			return err
		}
		if in.Runtime != nil {
			rec.Runtime = *in.Runtime
		}
		if in.Role != nil {
			rec.Role = *in.Role
		}
		if in.Handler != nil {
			rec.Handler = *in.Handler
		}
		if in.Description != nil {
			rec.Description = *in.Description
		}
		if in.Timeout != nil {
			rec.Timeout = *in.Timeout
		}
		if in.MemorySize != nil {
			rec.MemorySize = *in.MemorySize
		}
		if in.Environment != nil {
			rec.Environment = in.Environment.Variables
		}
		rec.LastModified, rec.RevisionID = s.o.Now().UTC(), uuid.New()
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.configuration(rec, "$LATEST"))
}

func (s *Service) updateCode(w http.ResponseWriter, r *http.Request, p params) error {
	var in updateCodeInput
	if err := decode(r, &in); err != nil {
		return err
	}
	ctx := r.Context()
	if in.ImageURI != nil {
		return invalid("Cognate runs .zip file archives only; container images are not supported.")
	}
	if in.S3Bucket != nil {
		return invalid("Cognate takes the deployment package as ZipFile; S3 locations are not supported.")
	}
	if len(in.ZipFile) == 0 {
		return invalid("Please provide a source for function code.")
	}
	if in.DryRun {
		if err := checkZip(in.ZipFile); err != nil {
			return err
		}
		rec, _, err := s.load(ctx, p["name"])
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, s.configuration(rec, "$LATEST"))
	}
	sha, size, err := s.storeCode(ctx, in.ZipFile)
	if err != nil {
		return err
	}
	if _, err := s.ensureCode(ctx, sha); err != nil {
		return err
	}
	var published *version
	rec, err := s.update(ctx, p["name"], func(rec *record) error {
		if err := checkRevision(in.RevisionID, rec.RevisionID); err != nil {
			return err
		}
		rec.CodeSha256, rec.CodeSize = sha, size
		if len(in.Architectures) > 0 {
			rec.Architecture = in.Architectures[0]
		}
		rec.LastModified, rec.RevisionID = s.o.Now().UTC(), uuid.New()
		if in.Publish {
			v := rec.publish("")
			published = &v
		}
		return nil
	})
	if err != nil {
		return err
	}
	if published != nil {
		return writeJSON(w, http.StatusOK, s.versionConfiguration(rec, *published))
	}
	return writeJSON(w, http.StatusOK, s.configuration(rec, "$LATEST"))
}

func (s *Service) publishVersion(w http.ResponseWriter, r *http.Request, p params) error {
	var in publishVersionInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var v version
	rec, err := s.update(r.Context(), p["name"], func(rec *record) error {
		if err := checkRevision(in.RevisionID, rec.RevisionID); err != nil {
			return err
		}
		if in.CodeSha256 != "" && in.CodeSha256 != codeSha256(rec.CodeSha256) {
			return invalid("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again with the CodeSHA256 in $LATEST.", in.CodeSha256, codeSha256(rec.CodeSha256))
		}
		if n := len(rec.Versions); n > 0 {
			last := rec.Versions[n-1]
			if last.CodeSha256 == rec.CodeSha256 && last.Handler == rec.Handler && last.Runtime == rec.Runtime &&
				last.Timeout == rec.Timeout && last.MemorySize == rec.MemorySize && last.Role == rec.Role &&
				equalEnv(last.Environment, rec.Environment) {
				v = last // Lambda returns the latest version when nothing changed
				return nil
			}
		}
		v = rec.publish(in.Description)
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, s.versionConfiguration(rec, v))
}

func equalEnv(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

func (s *Service) listVersions(w http.ResponseWriter, r *http.Request, p params) error {
	rec, _, err := s.load(r.Context(), p["name"])
	if err != nil {
		return err
	}
	out := struct {
		Versions []functionConfiguration `json:"Versions"`
	}{Versions: []functionConfiguration{s.configuration(rec, "$LATEST")}}
	for _, v := range rec.Versions {
		out.Versions = append(out.Versions, s.versionConfiguration(rec, v))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) aliasConfig(rec record, a *alias) aliasConfiguration {
	out := aliasConfiguration{AliasArn: s.arn(rec.Name) + ":" + a.Name, Name: a.Name, FunctionVersion: a.FunctionVersion,
		Description: a.Description, RevisionID: a.RevisionID}
	if len(a.RoutingConfig) > 0 {
		out.RoutingConfig = &routingWeights{AdditionalVersionWeights: a.RoutingConfig}
	}
	return out
}

func hasVersion(rec *record, v string) bool {
	return v == "$LATEST" || slices.ContainsFunc(rec.Versions, func(x version) bool { return x.Version == v })
}

var aliasName = regexp.MustCompile(`^(?:[A-Za-z_-][A-Za-z0-9_-]*){1,128}$`)

func (s *Service) createAlias(w http.ResponseWriter, r *http.Request, p params) error {
	var in aliasInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if !aliasName.MatchString(in.Name) || len(in.Name) > 128 {
		return validation(in.Name, "name", "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)")
	}
	if in.FunctionVersion == nil || *in.FunctionVersion == "" {
		return validation("null", "functionVersion", "Member must not be null")
	}
	var a *alias
	rec, err := s.update(r.Context(), p["name"], func(rec *record) error {
		if _, ok := rec.Aliases[in.Name]; ok {
			return conflict("Alias already exists: %s:%s", s.arn(rec.Name), in.Name)
		}
		if !hasVersion(rec, *in.FunctionVersion) {
			return notFound(s.arn(rec.Name) + ":" + *in.FunctionVersion)
		}
		if rec.Aliases == nil {
			rec.Aliases = map[string]*alias{}
		}
		a = &alias{Name: in.Name, FunctionVersion: *in.FunctionVersion, RevisionID: uuid.New()}
		if in.Description != nil {
			a.Description = *in.Description
		}
		if in.RoutingConfig != nil {
			if err := s.checkRouting(rec, a.FunctionVersion, in.RoutingConfig.AdditionalVersionWeights); err != nil {
				return err
			}
			a.RoutingConfig = in.RoutingConfig.AdditionalVersionWeights
		}
		rec.Aliases[in.Name] = a
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, s.aliasConfig(rec, a))
}

func aliasNotFound(s *Service, name, a string) error {
	return &apiError{http.StatusNotFound, "ResourceNotFoundException", "Alias not found: " + s.arn(name) + ":" + a}
}

func (s *Service) getAlias(w http.ResponseWriter, r *http.Request, p params) error {
	rec, _, err := s.load(r.Context(), p["name"])
	if err != nil {
		return err
	}
	a, ok := rec.Aliases[p["alias"]]
	if !ok {
		return aliasNotFound(s, rec.Name, p["alias"])
	}
	return writeJSON(w, http.StatusOK, s.aliasConfig(rec, a))
}

func (s *Service) listAliases(w http.ResponseWriter, r *http.Request, p params) error {
	rec, _, err := s.load(r.Context(), p["name"])
	if err != nil {
		return err
	}
	out := struct {
		Aliases []aliasConfiguration `json:"Aliases"`
	}{Aliases: []aliasConfiguration{}}
	for _, k := range sortedKeys(rec.Aliases) {
		out.Aliases = append(out.Aliases, s.aliasConfig(rec, rec.Aliases[k]))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Service) updateAlias(w http.ResponseWriter, r *http.Request, p params) error {
	var in aliasInput
	if err := decode(r, &in); err != nil {
		return err
	}
	var a *alias
	rec, err := s.update(r.Context(), p["name"], func(rec *record) error {
		cur, ok := rec.Aliases[p["alias"]]
		if !ok {
			return aliasNotFound(s, rec.Name, p["alias"])
		}
		if err := checkRevision(in.RevisionID, cur.RevisionID); err != nil {
			return err
		}
		next := *cur
		if in.FunctionVersion != nil {
			if !hasVersion(rec, *in.FunctionVersion) {
				return notFound(s.arn(rec.Name) + ":" + *in.FunctionVersion)
			}
			next.FunctionVersion = *in.FunctionVersion
		}
		if in.Description != nil {
			next.Description = *in.Description
		}
		if in.RoutingConfig != nil {
			next.RoutingConfig = in.RoutingConfig.AdditionalVersionWeights
		}
		if err := s.checkRouting(rec, next.FunctionVersion, next.RoutingConfig); err != nil {
			return err
		}
		next.RevisionID = uuid.New()
		rec.Aliases[p["alias"]] = &next
		a = &next
		return nil
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.aliasConfig(rec, a))
}

func (s *Service) deleteAlias(w http.ResponseWriter, r *http.Request, p params) error {
	_, err := s.update(r.Context(), p["name"], func(rec *record) error {
		delete(rec.Aliases, p["alias"]) // deleting a missing alias succeeds, as Lambda
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

var sidPattern = regexp.MustCompile(`^[a-zA-Z0-9-_.]{1,100}$`)

func (s *Service) policyStatement(rec record, st statement) map[string]any {
	resource := s.arn(rec.Name)
	if st.Qualifier != "" {
		resource += ":" + st.Qualifier
	}
	out := map[string]any{"Sid": st.Sid, "Effect": "Allow", "Action": st.Action, "Resource": resource}
	if strings.HasSuffix(st.Principal, ".amazonaws.com") {
		out["Principal"] = map[string]string{"Service": st.Principal}
	} else if st.Principal == "*" {
		out["Principal"] = "*"
	} else {
		p := st.Principal
		if regexp.MustCompile(`^\d{12}$`).MatchString(p) {
			p = "arn:aws:iam::" + p + ":root"
		}
		out["Principal"] = map[string]string{"AWS": p}
	}
	cond := map[string]any{}
	if st.SourceArn != "" {
		cond["ArnLike"] = map[string]string{"AWS:SourceArn": st.SourceArn}
	}
	if st.SourceAccount != "" {
		cond["StringEquals"] = map[string]string{"AWS:SourceAccount": st.SourceAccount}
	}
	if len(cond) > 0 {
		out["Condition"] = cond
	}
	return out
}

func (s *Service) addPermission(w http.ResponseWriter, r *http.Request, p params) error {
	var in addPermissionInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if !sidPattern.MatchString(in.StatementID) {
		return validation(in.StatementID, "statementId", `Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)`)
	}
	if in.Action == "" || in.Principal == "" {
		return validation("null", "action", "Member must not be null")
	}
	if in.Action != "lambda:*" && !strings.HasPrefix(in.Action, "lambda:") {
		return validation(in.Action, "action", `Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])`)
	}
	qual := qualifierOf(r, p["name"])
	var st statement
	rec, err := s.update(r.Context(), p["name"], func(rec *record) error {
		if err := checkRevision(in.RevisionID, rec.RevisionID); err != nil {
			return err
		}
		if qual != "" && !hasVersion(rec, qual) && rec.Aliases[qual] == nil {
			return notFound(s.arn(rec.Name) + ":" + qual)
		}
		if _, ok := rec.Policy[in.StatementID]; ok {
			return conflict("The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", in.StatementID)
		}
		if rec.Policy == nil {
			rec.Policy = map[string]statement{}
		}
		st = statement{Sid: in.StatementID, Action: in.Action, Principal: in.Principal, SourceArn: in.SourceArn, SourceAccount: in.SourceAccount, Qualifier: qual}
		rec.Policy[in.StatementID] = st
		return nil
	})
	if err != nil {
		return err
	}
	doc, _ := json.Marshal(s.policyStatement(rec, st))
	return writeJSON(w, http.StatusCreated, map[string]string{"Statement": string(doc)})
}

func (s *Service) getPolicy(w http.ResponseWriter, r *http.Request, p params) error {
	rec, _, err := s.load(r.Context(), p["name"])
	if err != nil {
		return err
	}
	if len(rec.Policy) == 0 {
		return &apiError{http.StatusNotFound, "ResourceNotFoundException", "The resource you requested does not exist."}
	}
	var stmts []map[string]any
	for _, k := range sortedKeys(rec.Policy) {
		stmts = append(stmts, s.policyStatement(rec, rec.Policy[k]))
	}
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Id": "default", "Statement": stmts})
	return writeJSON(w, http.StatusOK, map[string]string{"Policy": string(doc), "RevisionId": rec.RevisionID})
}

func (s *Service) removePermission(w http.ResponseWriter, r *http.Request, p params) error {
	_, err := s.update(r.Context(), p["name"], func(rec *record) error {
		if _, ok := rec.Policy[p["sid"]]; !ok {
			return &apiError{http.StatusNotFound, "ResourceNotFoundException", "Statement " + p["sid"] + " is not found in resource policy."}
		}
		delete(rec.Policy, p["sid"])
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// tagTarget reads the function name of a tags/{ARN} path.
func tagTarget(arn string) (string, error) {
	if !strings.HasPrefix(arn, "arn:") {
		return "", validation(arn, "resource", "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:(function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?|layer:[a-zA-Z0-9-_]+)")
	}
	name, _ := splitName(arn)
	return name, nil
}

func (s *Service) listTags(w http.ResponseWriter, r *http.Request, p params) error {
	name, err := tagTarget(p["arn"])
	if err != nil {
		return err
	}
	rec, _, err := s.load(r.Context(), name)
	if err != nil {
		return err
	}
	tags := rec.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"Tags": tags})
}

func (s *Service) tagResource(w http.ResponseWriter, r *http.Request, p params) error {
	var in struct {
		Tags map[string]string `json:"Tags"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	name, err := tagTarget(p["arn"])
	if err != nil {
		return err
	}
	_, err = s.update(r.Context(), name, func(rec *record) error {
		if rec.Tags == nil {
			rec.Tags = map[string]string{}
		}
		for k, v := range in.Tags {
			rec.Tags[k] = v
		}
		if len(rec.Tags) > 50 {
			return invalid("Number of tags exceeds resource tag limit.")
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) untagResource(w http.ResponseWriter, r *http.Request, p params) error {
	name, err := tagTarget(p["arn"])
	if err != nil {
		return err
	}
	keys := r.URL.Query()["tagKeys"]
	_, err = s.update(r.Context(), name, func(rec *record) error {
		for _, k := range keys {
			delete(rec.Tags, k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) putConcurrency(w http.ResponseWriter, r *http.Request, p params) error {
	var in struct {
		ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.ReservedConcurrentExecutions == nil || *in.ReservedConcurrentExecutions < 0 {
		return validation("null", "reservedConcurrentExecutions", "Member must not be null")
	}
	n := *in.ReservedConcurrentExecutions
	if _, err := s.update(r.Context(), p["name"], func(rec *record) error { rec.Concurrency = &n; return nil }); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, concurrency{ReservedConcurrentExecutions: &n})
}

func (s *Service) deleteConcurrency(w http.ResponseWriter, r *http.Request, p params) error {
	if _, err := s.update(r.Context(), p["name"], func(rec *record) error { rec.Concurrency = nil; return nil }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) getConcurrency(w http.ResponseWriter, r *http.Request, p params) error {
	rec, _, err := s.load(r.Context(), p["name"])
	if err != nil {
		return err
	}
	if rec.Concurrency == nil {
		return writeJSON(w, http.StatusOK, struct{}{})
	}
	return writeJSON(w, http.StatusOK, concurrency{ReservedConcurrentExecutions: rec.Concurrency})
}

func (s *Service) getCodeSigning(w http.ResponseWriter, r *http.Request, p params) error {
	rec, _, err := s.load(r.Context(), p["name"])
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"CodeSigningConfigArn": "", "FunctionName": rec.Name})
}

// Code returns a function's stored deployment package (for GetFunction's Code.Location).
func (s *Service) Code(ctx context.Context, name string) ([]byte, error) {
	rec, cfg, err := s.load(ctx, name)
	if err != nil {
		return nil, err
	}
	if cfg || rec.CodeSha256 == "" {
		return nil, notFound(s.arn(rec.Name))
	}
	o, err := s.o.Store.GetObject(ctx, kindCode, rec.CodeSha256)
	if err != nil {
		return nil, fmt.Errorf("load code: %w", err)
	}
	return o.Data, nil
}

// Mount serves the Lambda API's Cognate-side endpoints on mux: GET
// /_cognate/functions/{name}/code, the deployment package GetFunction's
// Code.Location names (the caller checks the signature and lambda:GetFunction).
func (s *Service) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /_cognate/functions/{name}/code", func(w http.ResponseWriter, r *http.Request) {
		data, err := s.Code(r.Context(), r.PathValue("name"))
		if err != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"Not Found"}` + "\n")) //nolint:errcheck // best effort
			return
		}
		w.Header().Set("Content-Type", "application/zip")
		w.Write(data) //nolint:errcheck // best effort
	})
}
