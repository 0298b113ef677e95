package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/idpclient"
)

// adminCommands are the subcommands of `cognate admin`; each maps its flags to
// one or two Cognito admin operations on a running server.
var adminCommands = map[string]string{
	"create-user":  "AdminCreateUser (and, with -password, AdminSetUserPassword -permanent)",
	"set-password": "AdminSetUserPassword",
	"get-user":     "AdminGetUser",
	"delete-user":  "AdminDeleteUser",
	"list-users":   "ListUsers",
	"list-pools":   "ListUserPools",
	"list-clients": "ListUserPoolClients",
	"rotate-keys":  "give the pool new signing keys (old ones stay published until their tokens expire)",
}

func runAdmin(ctx context.Context, args []string, std stdio) error {
	if len(args) == 0 || adminCommands[args[0]] == "" {
		fmt.Fprintln(std.err, "Usage: cognate admin <subcommand> [flags]\n\nSubcommands:")
		for _, n := range []string{"create-user", "set-password", "get-user", "delete-user", "list-users", "list-pools", "list-clients", "rotate-keys"} {
			fmt.Fprintf(std.err, "  %-13s %s\n", n, adminCommands[n])
		}
		return errUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("admin "+sub, flag.ContinueOnError)
	fs.SetOutput(std.err)
	ep := addEndpointFlags(fs)
	poolID := fs.String("pool-id", "", "user pool id")
	username := fs.String("username", "", "user name")
	password := fs.String("password", "", "password (create-user: set as permanent; set-password: the new password)")
	attrs := fs.String("attributes", "", "user attributes as name=value,name=value (create-user)")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	needPool := sub != "list-pools"
	needUser := sub == "create-user" || sub == "set-password" || sub == "get-user" || sub == "delete-user"
	if (needPool && *poolID == "") || (needUser && *username == "") || (sub == "set-password" && *password == "") {
		fmt.Fprintf(std.err, "admin %s: missing required flags\n", sub)
		fs.Usage()
		return errUsage
	}
	endpoint := ep.resolve()
	c := idpclient.New(endpoint)
	var out any
	var err error
	switch sub {
	case "create-user":
		in := map[string]any{"UserPoolId": *poolID, "Username": *username, "MessageAction": "SUPPRESS"}
		if list, perr := parseAttributes(*attrs); perr != nil {
			return perr
		} else if len(list) > 0 {
			in["UserAttributes"] = list
		}
		if err = c.Call(ctx, "AdminCreateUser", in, &out); err == nil && *password != "" {
			err = c.Call(ctx, "AdminSetUserPassword", map[string]any{
				"UserPoolId": *poolID, "Username": *username, "Password": *password, "Permanent": true,
			}, nil)
		}
	case "set-password":
		err = c.Call(ctx, "AdminSetUserPassword", map[string]any{
			"UserPoolId": *poolID, "Username": *username, "Password": *password, "Permanent": true,
		}, &out)
	case "get-user":
		err = c.Call(ctx, "AdminGetUser", map[string]any{"UserPoolId": *poolID, "Username": *username}, &out)
	case "delete-user":
		err = c.Call(ctx, "AdminDeleteUser", map[string]any{"UserPoolId": *poolID, "Username": *username}, &out)
	case "list-users":
		err = c.Call(ctx, "ListUsers", map[string]any{"UserPoolId": *poolID}, &out)
	case "list-pools":
		err = c.Call(ctx, "ListUserPools", map[string]any{"MaxResults": 60}, &out)
	case "list-clients":
		err = c.Call(ctx, "ListUserPoolClients", map[string]any{"UserPoolId": *poolID, "MaxResults": 60}, &out)
	case "rotate-keys":
		out, err = rotateKeys(ctx, endpoint, *poolID)
	}
	if err != nil {
		return fmt.Errorf("admin %s: %w", sub, err)
	}
	enc := json.NewEncoder(std.out)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// parseAttributes turns "email=a@b,name=Al" into Cognito's AttributeType list.
func parseAttributes(s string) ([]map[string]string, error) {
	var list []map[string]string
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("attribute %q is not name=value", kv)
		}
		list = append(list, map[string]string{"Name": name, "Value": value})
	}
	return list, nil
}

// rotateKeys calls Cognate's own key-rotation endpoint (Cognito has no such operation).
func rotateKeys(ctx context.Context, endpoint, poolID string) (any, error) {
	u := strings.TrimRight(endpoint, "/") + "/_cognate/pools/" + url.PathEscape(poolID) + "/rotate-keys"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return nil, err
	}
	if err := idpclient.Sign(ctx, req, "cognate"); err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("decode answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %v", resp.Status, out["message"])
	}
	return out, nil
}
