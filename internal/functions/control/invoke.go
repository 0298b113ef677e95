package control

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"

	"strconv"
	"time"

	"github.com/cognate-dev/cognate/internal/functions"
	"github.com/cognate-dev/cognate/internal/functions/caller"
	"github.com/cognate-dev/cognate/internal/iampolicy"
)

// applyVersions runs every published version of rec beside its $LATEST
// (runner key NAME:VERSION) and drops versions no longer stored. Versions
// are immutable, so a version already running is left alone. Callers hold
// syncMu.
func (s *Service) applyVersions(ctx context.Context, rec record) error {
	want := map[string]bool{}
	for _, v := range rec.Versions {
		dir, err := s.ensureCode(ctx, v.CodeSha256)
		if err != nil {
			return fmt.Errorf("function %s version %s: %w", rec.Name, v.Version, err)
		}
		cfg := functions.FunctionConfig{
			Name: rec.Name, Version: v.Version, Runtime: v.Runtime, Handler: v.Handler, Dir: dir,
			Environment: v.Environment, Timeout: time.Duration(v.Timeout) * time.Second, MemorySize: v.MemorySize,
		}
		if rec.Concurrency != nil && *rec.Concurrency > 0 {
			cfg.ReservedConcurrency = *rec.Concurrency
		}
		if _, err := s.o.Runner.Apply(cfg, nil); err != nil {
			return fmt.Errorf("function %s version %s: %w", rec.Name, v.Version, err)
		}
		want[cfg.Key()] = true
	}
	for key := range s.versions[rec.Name] {
		if !want[key] {
			s.o.Runner.Remove(key)
		}
	}
	s.versions[rec.Name] = want
	return nil
}

// removeVersions drops every version of name from the runner. Callers hold syncMu.
func (s *Service) removeVersions(name string) {
	for key := range s.versions[name] {
		s.o.Runner.Remove(key)
	}
	delete(s.versions, name)
	s.recsMu.Lock()
	delete(s.recs, name)
	s.recsMu.Unlock()
}

// Resolve maps a function name, partial or full ARN with an optional
// qualifier (version number, alias or $LATEST) to the runner's key for the
// code that runs, and the version it is. An alias with AdditionalVersionWeights
// picks one of its versions at random by weight, as Lambda's weighted aliases.
// Functions the control plane does not own (the config file's) have only
// $LATEST.
func (s *Service) Resolve(nameOrARN string) (key, version string, err error) {
	name, qual := splitName(nameOrARN)
	return s.resolve(name, qual)
}

func (s *Service) resolve(name, qual string) (string, string, error) {
	s.recsMu.RLock()
	rec, ok := s.recs[name]
	s.recsMu.RUnlock()
	if qual == "" || qual == "$LATEST" {
		return name, "$LATEST", nil
	}
	notFound := fmt.Errorf("function %s:%s: %w", name, qual, functions.ErrFunctionNotFound)
	if !ok {
		return "", "", notFound
	}
	ver := qual
	if a, isAlias := rec.Aliases[qual]; isAlias {
		ver = pickVersion(a)
	}
	if ver == "$LATEST" {
		return name, "$LATEST", nil
	}
	if !hasVersion(&rec, ver) {
		return "", "", notFound
	}
	return name + ":" + ver, ver, nil
}

// pickVersion chooses an alias's version: each AdditionalVersionWeights
// entry takes its share (0.0-1.0) of invocations, the alias's
// FunctionVersion the rest.
func pickVersion(a *alias) string {
	if len(a.RoutingConfig) == 0 {
		return a.FunctionVersion
	}
	x := rand.Float64()
	for _, v := range sortedKeys(a.RoutingConfig) {
		w := a.RoutingConfig[v]
		if x < w {
			return v
		}
		x -= w
	}
	return a.FunctionVersion
}

// CheckInvoke applies the function's resource policy to an invocation by
// another service (src, from the context of a gateway call): qualifier is
// the one invoked ("" or $LATEST for the unqualified ARN). Lambda keeps one
// policy per qualifier, and a statement added with a Qualifier covers only
// that version or alias, so the invoked qualifier's statements decide.
//
// Compatibility choice: a function with no resource policy at all (no
// statement for any qualifier) may be invoked by any source, because
// Cognate's configuration file has no way to add permissions and existing
// setups would otherwise break; once a function has a policy, an invocation
// the policy does not allow returns caller.ErrDenied, as on AWS.
func (s *Service) CheckInvoke(nameOrARN string, src caller.Source) error {
	name, qual := splitName(nameOrARN)
	if qual == "$LATEST" {
		qual = ""
	}
	s.recsMu.RLock()
	rec, ok := s.recs[name]
	s.recsMu.RUnlock()
	if !ok || len(rec.Policy) == 0 {
		return nil
	}
	for _, sid := range sortedKeys(rec.Policy) {
		if st := rec.Policy[sid]; st.Qualifier == qual && s.allows(st, src) {
			return nil
		}
	}
	return fmt.Errorf("function %s: %w", nameOrARN, caller.ErrDenied)
}

// allows reports whether one AddPermission statement lets src invoke.
func (s *Service) allows(st statement, src caller.Source) bool {
	switch st.Action {
	case "lambda:InvokeFunction", "lambda:*", "*":
	default:
		return false
	}
	if st.Principal != "*" && st.Principal != src.Principal {
		return false
	}
	// AddPermission's SourceArn becomes an ArnLike condition, SourceAccount a
	// StringEquals one (see policyStatement).
	if st.SourceArn != "" && !iampolicy.Match(st.SourceArn, src.SourceARN) {
		return false
	}
	if st.SourceAccount != "" && st.SourceAccount != src.SourceAccount {
		return false
	}
	return true
}

// serveInvokeResolved resolves an alias qualifier to a version before the
// runner's Invoke API sees the request.
func (s *Service) serveInvokeResolved(w http.ResponseWriter, r *http.Request, p params) error {
	name, qual := splitName(p["name"])
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		qual = q
	}
	if qual != "" && qual != "$LATEST" {
		_, ver, err := s.resolve(name, qual)
		if err != nil {
			return notFound(s.arn(name) + ":" + qual)
		}
		if _, err := strconv.Atoi(ver); err == nil || ver == "$LATEST" {
			q := r.URL.Query()
			q.Set("Qualifier", ver)
			r.URL.RawQuery = q.Encode()
			r.URL.Path = "/2015-03-31/functions/" + name + "/invocations"
			r.URL.RawPath = ""
		}
	}
	s.o.Invoke.ServeHTTP(w, r)
	return nil
}

// checkRouting validates an alias's AdditionalVersionWeights: one other
// published version (key pattern [0-9]+) with a weight from 0.0 to 1.0
// (AliasRoutingConfiguration); the alias's own version must be published
// too, since weighted aliases split traffic between two versions. The
// messages follow the model's constraints; where AWS documents no text, the
// wording says what is wrong.
func (s *Service) checkRouting(rec *record, primary string, weights map[string]float64) error {
	if len(weights) == 0 {
		return nil
	}
	if len(weights) > 1 {
		return invalid("Number of items in AdditionalVersionWeights must be at most 1: an alias routes to at most two versions.")
	}
	for v, w := range weights {
		if !versionNumber.MatchString(v) {
			return validation(v, "routingConfig.additionalVersionWeights", "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [0-9]+]")
		}
		if w < 0 || w > 1 {
			return validation(strconv.FormatFloat(w, 'f', -1, 64), "routingConfig.additionalVersionWeights", "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]")
		}
		if !hasVersion(rec, v) || v == "$LATEST" {
			return notFound(s.arn(rec.Name) + ":" + v)
		}
		if v == primary {
			return invalid("Invalid function version %s. Function version %s is already included in routing configuration.", v, v)
		}
	}
	if primary == "$LATEST" {
		return invalid("$LATEST is not supported for an alias pointing to more than 1 version")
	}
	return nil
}

var versionNumber = regexp.MustCompile(`^[0-9]+$`)
