package app

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cognate-dev/cognate/internal/config"
)

// printBanner tells a person what is being served and how to use it.
func printBanner(w io.Writer, a *App, base string, cfg *config.File, sum *summary) {
	var b strings.Builder
	fmt.Fprintf(&b, "Cognate listening on %s (store: %s, pid %d)\n", a.URL, a.store.Name(), os.Getpid())
	if a.OpsURL != "" {
		fmt.Fprintf(&b, "Health, readiness and metrics (unauthenticated) on %s/_cognate/{health,ready,metrics}\n", a.OpsURL)
	}
	if a.opts.ConfigPath == "" {
		b.WriteString("No --config: serving the built-in notes demo.\n")
	} else {
		fmt.Fprintf(&b, "Configuration: %s\n", a.opts.ConfigPath)
	}
	fmt.Fprintf(&b, "Function isolation: %s\n", a.parts.runner.Isolation())
	if a.parts.sec.open {
		b.WriteString("\nWARNING: no credentials configured: the AWS APIs accept ANY well-formed SigV4 signature (loopback only).\n" +
			"         Set COGNATE_ROOT_ACCESS_KEY_ID and COGNATE_ROOT_SECRET_ACCESS_KEY to check signatures and policies.\n")
	} else {
		fmt.Fprintf(&b, "Authentication: SigV4 signatures and IAM policies checked (%d access keys)\n", a.parts.sec.keys.Len())
	}
	fmt.Fprintf(&b, "\nCognito user pools   POST %s/ (X-Amz-Target: AWSCognitoIdentityProviderService.*)\n", a.URL)
	for _, p := range sum.pools {
		fmt.Fprintf(&b, "  pool %-20s id %s\n", p.name, p.id)
		fmt.Fprintf(&b, "    issuer %s\n    jwks   %s/%s/.well-known/jwks.json\n", tokensIssuer(a, p.id), base, p.id)
		for _, c := range p.clients {
			fmt.Fprintf(&b, "    client %-16s id %s\n", c[0], c[1])
		}
	}
	if len(sum.functions) > 0 {
		fmt.Fprintf(&b, "\nFunctions            POST %s/2015-03-31/functions/{name}/invocations\n", a.URL)
		for _, f := range sum.functions {
			fmt.Fprintf(&b, "  %-22s %s\n", f.Name, f.Runtime)
		}
	}
	if len(sum.routes) > 0 {
		b.WriteString("\nAPI routes\n")
		for _, r := range sum.routes {
			prefix := fmt.Sprintf("%s/restapis/%s/%s/_user_request_", a.URL, r.APIID, r.Stage)
			if r.Default {
				prefix = a.URL + "/" + r.Stage
			}
			fmt.Fprintf(&b, "  %-6s %s%s\n", r.Method, prefix, r.Path)
		}
	}
	if len(sum.httpRoutes) > 0 {
		b.WriteString("\nHTTP API routes (also at Host {apiId}.execute-api." + a.parts.cfg.Region + ".amazonaws.com)\n")
		for _, r := range sum.httpRoutes {
			fmt.Fprintf(&b, "  %s/restapis/%s/%s/_user_request_  %s\n", a.URL, r[0], r[1], r[2])
		}
	}
	if a.opts.ConfigPath == "" && len(sum.pools) == 1 && len(sum.pools[0].clients) == 1 {
		p := sum.pools[0]
		fmt.Fprintf(&b, `
Try it:
  cognate admin create-user -endpoint %[1]s -pool-id %[2]s -username alice -attributes email=alice@example.com -password 'Passw0rd!'
  echo 'Passw0rd!' | cognate login -endpoint %[1]s -pool-id %[2]s -client-id %[3]s -username alice -password-stdin -call %[1]s/dev/notes
  (or: aws cognito-idp admin-create-user --endpoint-url %[1]s --user-pool-id %[2]s --username alice ...)
`, a.URL, p.id, p.clients[0][1])
	}
	fmt.Fprintf(&b, "\nPress Ctrl-C to stop (kill -HUP %d, or cognate apply, re-applies --config).\n", os.Getpid())
	io.WriteString(w, b.String())
}

func tokensIssuer(a *App, poolID string) string { return a.parts.issuer(poolID) }
