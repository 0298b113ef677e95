package app

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/config"
	"github.com/cognate-dev/cognate/internal/tlsca"
)

// tlsMode validates the TLS options and reports whether TLS is on.
func tlsMode(opts Options) (bool, error) {
	switch {
	case opts.TLS != "" && opts.TLS != "auto":
		return false, fmt.Errorf("--tls %q: the only mode is auto (or give --tls-cert and --tls-key)", opts.TLS)
	case opts.TLS == "auto" && (opts.TLSCert != "" || opts.TLSKey != ""):
		return false, errors.New("--tls auto and --tls-cert/--tls-key exclude each other")
	case (opts.TLSCert == "") != (opts.TLSKey == ""):
		return false, errors.New("--tls-cert and --tls-key go together")
	}
	return opts.TLS == "auto" || opts.TLSCert != "", nil
}

// tlsConfig is the listener's TLS set-up: the operator's certificate, or
// certificates from the local CA for localhost, the loopback addresses, the
// public URL's host, the configured host names and, on demand, every other
// name the Host allow-list accepts (user pool domains created later).
func (a *App) tlsConfig(cfg *config.File, base string, sec *security) (*tls.Config, error) {
	if a.opts.TLSCert != "" {
		return tlsca.StaticConfig(a.opts.TLSCert, a.opts.TLSKey)
	}
	ca, err := tlsca.LoadOrCreate(tlsca.Dir(a.opts.DataDir), a.opts.Now())
	if err != nil {
		return nil, err
	}
	var names []string
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		names = append(names, u.Hostname())
	}
	extra := append([]string{}, a.opts.AllowedHosts...)
	if cfg.Security != nil {
		extra = append(extra, cfg.Security.AllowedHosts...)
	}
	for _, h := range extra {
		if !strings.HasPrefix(h, "*.") {
			names = append(names, h)
		}
	}
	is := tlsca.NewIssuer(ca, names, func(name string) bool {
		hs := sec.hosts.Load()
		return hs != nil && hs.allows(name)
	}, a.opts.Now)
	a.log.Info("TLS with the local CA", "ca", ca.CertPath, "names", is.Names())
	// Cognate's own outbound calls (federation with identity providers,
	// possibly another pool of this server) trust the local CA too.
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	roots.AddCert(ca.Certificate())
	a.parts.oauth.SetHTTPClient(&http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, Proxy: http.ProxyFromEnvironment}})
	return tlsca.AutoConfig(is), nil
}
