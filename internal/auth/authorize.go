package auth

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/iampolicy"
)

// Authority answers the one question every AWS-protocol handler asks: may
// this request's principal perform action on resource?
type Authority struct {
	verifier *Verifier
	origins  map[string]bool
	now      func() time.Time
}

// AuthorityOptions configure an Authority.
type AuthorityOptions struct {
	// AllowedOrigins lists browser origins (scheme://host[:port]) allowed to
	// call signed operations; "*" allows any. By default none is: browsers
	// may only use the public operations.
	AllowedOrigins []string
}

// NewAuthority returns an Authority verifying signatures with v.
func NewAuthority(v *Verifier, o AuthorityOptions) *Authority {
	a := &Authority{verifier: v, origins: map[string]bool{}, now: v.now}
	for _, s := range o.AllowedOrigins {
		a.origins[strings.TrimRight(s, "/")] = true
	}
	return a
}

// Verifier returns the signature verifier.
func (a *Authority) Verifier() *Verifier { return a.verifier }

// OriginAllowed reports whether a browser page on origin may call signed operations.
func (a *Authority) OriginAllowed(origin string) bool {
	return origin != "" && (a.origins["*"] || a.origins[origin])
}

type principalKey struct{}

// WithPrincipal returns ctx carrying the authenticated principal.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of the call, if it was authenticated.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok
}

// Check authenticates r (body already read) for service and authorizes
// action on resource. It returns the context to serve the call in (carrying
// the principal) and the payload (decoded when aws-chunked). A browser
// request (one with an Origin header) is refused unless its origin is
// allowed: pages must not drive signed APIs with a visitor's reach.
func (a *Authority) Check(r *http.Request, body []byte, service, action, resource string, regions ...string) (context.Context, []byte, error) {
	if o := r.Header.Get("Origin"); o != "" && !a.OriginAllowed(o) {
		return nil, nil, &Error{CodeAccessDenied, "Cross-origin requests to signed " + service + " operations are refused: the origin " + strconv.Quote(o) + " is not in allowedOrigins."}
	}
	p, payload, err := a.verifier.Verify(r.Context(), r, body, service, regions...)
	if err != nil {
		return nil, nil, err
	}
	if err := a.Authorize(r, p, action, resource); err != nil {
		return nil, nil, err
	}
	return WithPrincipal(r.Context(), p), payload, nil
}

// Authorize evaluates p's identity policies for action on resource, with
// the request's condition keys. Root principals are allowed everything.
func (a *Authority) Authorize(r *http.Request, p *Principal, action, resource string) error {
	if p.Root {
		return nil
	}
	d := iampolicy.Combine(p.Policies, iampolicy.Request{Action: action, Resource: resource, Context: a.conditionContext(r, p)})
	switch d {
	case iampolicy.Allowed:
		return nil
	case iampolicy.ExplicitDeny:
		return &Error{CodeAccessDenied, "User: " + p.ARN + " is not authorized to perform: " + action + " on resource: " + resource + " with an explicit deny in an identity-based policy"}
	default:
		return &Error{CodeAccessDenied, "User: " + p.ARN + " is not authorized to perform: " + action + " on resource: " + resource + " because no identity-based policy allows the " + action + " action"}
	}
}

// conditionContext holds the global condition keys IAM sets for a request.
func (a *Authority) conditionContext(r *http.Request, p *Principal) iampolicy.Context {
	now := a.now().UTC()
	c := iampolicy.Context{}
	c.Set("aws:CurrentTime", now.Format(time.RFC3339))
	c.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	c.Set("aws:SecureTransport", strconv.FormatBool(r.TLS != nil))
	c.Set("aws:PrincipalArn", p.ARN)
	c.Set("aws:PrincipalAccount", p.Account)
	c.Set("aws:PrincipalType", p.Type())
	c.Set("aws:userid", p.UserID)
	c.Set("aws:RequestedRegion", a.verifier.region)
	if !p.Root {
		c.Set("aws:username", p.Name)
	}
	if ua := r.UserAgent(); ua != "" {
		c.Set("aws:UserAgent", ua)
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		c.Set("aws:SourceIp", host)
	}
	return c
}
