package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/cognate-dev/cognate/internal/idpclient"
)

func runLogin(ctx context.Context, args []string, std stdio) error {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	fs.SetOutput(std.err)
	endpoint := fs.String("endpoint", "http://127.0.0.1:4566", "Cognate (or Cognito) endpoint URL")
	poolID := fs.String("pool-id", "", "user pool id (required)")
	clientID := fs.String("client-id", "", "app client id (required)")
	clientSecret := fs.String("client-secret", os.Getenv("COGNATE_CLIENT_SECRET"), "app client secret, if the client has one (default $COGNATE_CLIENT_SECRET)")
	username := fs.String("username", "", "user name (required)")
	passwordStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	call := fs.String("call", "", "after signing in, GET this URL with the id token in Authorization and print the answer")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *poolID == "" || *clientID == "" || *username == "" {
		fmt.Fprintln(std.err, "login: -pool-id, -client-id and -username are required")
		fs.Usage()
		return errUsage
	}
	password, err := readPassword(*passwordStdin, std)
	if err != nil {
		return err
	}
	c := idpclient.New(*endpoint)
	res, err := c.LoginSRP(ctx, idpclient.Login{
		PoolID: *poolID, ClientID: *clientID, ClientSecret: *clientSecret, Username: *username, Password: password,
	})
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	enc := json.NewEncoder(std.out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"AuthenticationResult": res}); err != nil {
		return err
	}
	if *call == "" {
		return nil
	}
	return callWithToken(ctx, *call, res.IDToken, std.out)
}

func readPassword(fromStdin bool, std stdio) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(std.in).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", fmt.Errorf("read password from stdin: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	f, ok := std.in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", errors.New("no terminal to prompt for the password: use -password-stdin")
	}
	fmt.Fprint(std.err, "Password: ")
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(std.err)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return string(b), nil
}

func callWithToken(ctx context.Context, url, token string, out io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("call: %w", err)
	}
	req.Header.Set("Authorization", token)
	resp, err := (&http.Client{Timeout: 35 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("call: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 10<<20))
	if err != nil {
		return fmt.Errorf("call: %w", err)
	}
	fmt.Fprintf(out, "%s %s\n%s\n", resp.Proto, resp.Status, body)
	return nil
}
