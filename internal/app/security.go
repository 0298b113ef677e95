package app

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/cognate-dev/cognate/internal/auth"
	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/iampolicy"
)

// security is the process's authentication set-up: the access keys, the
// verifier and authority built on them, and the Host names it serves.
type security struct {
	keys      *auth.Registry
	verifier  *auth.Verifier
	authority *auth.Authority
	open      bool
	hosts     atomic.Pointer[hostSet]
}

// newSecurity reads the root key and the configuration's users and decides
// the mode: with no credentials on a loopback listener the APIs accept any
// well-formed signature; with none on another address Cognate refuses to
// start unless InsecureNoAuth; with credentials, signatures are checked
// everywhere.
func newSecurity(opts Options, cfg *config.File, listenAddr string) (*security, error) {
	keys, err := accessKeys(opts, cfg)
	if err != nil {
		return nil, err
	}
	open := len(keys) == 0
	if open && !isLoopbackAddr(listenAddr) && !opts.InsecureNoAuth {
		return nil, fmt.Errorf("refusing to serve the AWS APIs on %s without credentials: anyone who can reach it could "+
			"reset passwords and read client secrets. Set COGNATE_ROOT_ACCESS_KEY_ID and COGNATE_ROOT_SECRET_ACCESS_KEY "+
			"(or --root-credentials-file), declare security.users in the config file, or pass --insecure-no-auth", listenAddr)
	}
	s := &security{keys: auth.NewRegistry(keys...), open: open}
	s.verifier = auth.NewVerifier(auth.VerifierOptions{Keys: s.keys, Open: open, Region: cfg.Region, Account: cfg.AccountID, Now: opts.Now})
	var origins []string
	if cfg.Security != nil {
		origins = cfg.Security.AllowedOrigins
	}
	origins = append(origins, opts.AllowedOrigins...)
	s.authority = auth.NewAuthority(s.verifier, auth.AuthorityOptions{AllowedOrigins: origins})
	return s, nil
}

// reload swaps in the configuration's users and keys. The mode chosen at
// start stays: an open server must be restarted to turn enforcement on.
func (s *security) reload(opts Options, cfg *config.File) error {
	keys, err := accessKeys(opts, cfg)
	if err != nil {
		return err
	}
	if !s.open {
		s.keys.Replace(keys...)
	}
	return nil
}

// accessKeys collects the root key and every configured user's keys.
func accessKeys(opts Options, cfg *config.File) ([]*auth.AccessKey, error) {
	var keys []*auth.AccessKey
	root, err := auth.RootKeyFromEnv(cfg.AccountID, opts.RootCredentialsFile)
	if err != nil {
		return nil, err
	}
	if root != nil {
		keys = append(keys, root)
	}
	if cfg.Security == nil {
		return keys, nil
	}
	for _, u := range cfg.Security.Users {
		var policies []*iampolicy.Policy
		for _, p := range u.Policies {
			doc, err := p.DocumentJSON()
			if err != nil {
				return nil, fmt.Errorf("security.users %s policy %s: %w", u.Name, p.Name, err)
			}
			pol, err := iampolicy.ParseIdentity(doc)
			if err != nil {
				return nil, fmt.Errorf("security.users %s policy %s: %w", u.Name, p.Name, err)
			}
			policies = append(policies, pol)
		}
		sum := sha256.Sum256([]byte(cfg.AccountID + "/" + u.Name))
		principal := auth.UserPrincipal(cfg.AccountID, u.Name, "AIDA"+strings.ToUpper(hex.EncodeToString(sum[:9])), policies)
		for _, k := range u.AccessKeys {
			if root != nil && k.ID == root.ID {
				return nil, fmt.Errorf("security.users %s: access key %s is also the root key", u.Name, k.ID)
			}
			keys = append(keys, auth.NewAccessKey(k.ID, k.Secret, principal))
		}
	}
	return keys, nil
}

// isLoopbackAddr reports whether a listen address only accepts local connections.
func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// hostSet is the set of Host names the listener answers (the DNS-rebinding
// defence): a page on an attacker's domain that rebinds it to Cognate's
// address still sends its own name as Host, and is refused.
type hostSet struct {
	exact    map[string]bool
	suffixes []string
	// dynamic, when set, accepts names created at run time (user pool domains).
	dynamic func(host string) bool
}

func newHostSet(publicURL string, extra ...[]string) *hostSet {
	h := &hostSet{exact: map[string]bool{"localhost": true}}
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		h.exact[strings.ToLower(u.Hostname())] = true
	}
	for _, list := range extra {
		for _, name := range list {
			name = strings.ToLower(strings.TrimSpace(name))
			if rest, ok := strings.CutPrefix(name, "*."); ok {
				h.suffixes = append(h.suffixes, "."+rest)
			} else if name != "" {
				h.exact[name] = true
			}
		}
	}
	return h
}

// allows reports whether a request's Host may be served: IP addresses
// (never rebound), localhost and *.localhost, the public URL's host, the
// configured names, and API Gateway's {apiId}.execute-api.{region}... names.
func (h *hostSet) allows(hostport string) bool {
	if hostport == "" {
		return true // HTTP/1.0 without Host: nothing to rebind
	}
	host := hostport
	if hh, _, err := net.SplitHostPort(hostport); err == nil {
		host = hh
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if h.exact[host] || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if i := strings.Index(host, ".execute-api."); i > 0 {
		return true
	}
	for _, s := range h.suffixes {
		if strings.HasSuffix(host, s) {
			return true
		}
	}
	return h.dynamic != nil && h.dynamic(host)
}

// refuseHost answers a request for a Host Cognate does not serve.
func refuseHost(w http.ResponseWriter, host string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", "ForbiddenException")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprintf(w, `{"message":%q}`+"\n", "Host "+host+" is not served here; add it to security.allowedHosts (or --allowed-hosts) if it should be")
}
