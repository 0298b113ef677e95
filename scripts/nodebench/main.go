// Command nodebench is the client side of scripts/bench-nodes.sh, the
// benchmark of Cognate on SQLite versus PostgreSQL with one and two nodes.
//
//	nodebench pgschema -base URL -schema NAME
//	    creates schema NAME and prints the store URL with search_path=NAME
//	nodebench setup -endpoints URL[,URL] -users N -password P
//	    finds the demo pool and client, creates N users with a permanent
//	    password, checks that a login works on every node and across nodes
//	    (InitiateAuth on one, RespondToAuthChallenge on the other), and
//	    prints POOL_ID=, CLIENT_ID=, TOKEN= (an id token) and CHECK= lines
//	nodebench logins -endpoints URL[,URL] -pool ID -client ID ... -c C -d D
//	    runs C concurrent SRP login loops for D, spread round-robin over the
//	    endpoints (or -cross: each login starts on one node and finishes on
//	    the next), and prints one line of key=value results, including the
//	    client's own CPU time per login
//	nodebench srpmath -endpoints URL -pool ID -client ID -password P -n N
//	    times the client's SRP math of one login (srp.NewClient, AHex,
//	    Respond) alone, N times in one goroutine, against a real challenge
//
// Everything it talks to must be on loopback; every loop is bounded.
package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cognate-dev/cognate/internal/idpclient"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute) // hard limit for any subcommand
	defer cancel()
	var err error
	switch os.Args[1] {
	case "pgschema":
		err = pgSchemaCmd(ctx, os.Args[2:])
	case "setup":
		err = setupCmd(ctx, os.Args[2:])
	case "logins":
		err = loginsCmd(ctx, os.Args[2:])
	case "srpmath":
		err = srpMathCmd(ctx, os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "nodebench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: nodebench pgschema|setup|logins|srpmath [flags] (see the package doc)")
	os.Exit(2)
}

// parseEndpoints splits a comma-separated list of loopback base URLs.
func parseEndpoints(list string) ([]string, error) {
	var out []string
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		u, err := url.Parse(e)
		if err != nil {
			return nil, fmt.Errorf("endpoint %q: %w", e, err)
		}
		if u.Scheme != "http" || u.Hostname() != "127.0.0.1" {
			return nil, fmt.Errorf("endpoint %q is not http://127.0.0.1:PORT", e)
		}
		out = append(out, strings.TrimRight(e, "/"))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no endpoints")
	}
	return out, nil
}

// newClients returns one idpclient per endpoint sharing a transport that keeps
// enough idle connections for every worker (the default keeps 2 per host).
func newClients(endpoints []string, conns int) []*idpclient.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 4 * conns
	tr.MaxIdleConnsPerHost = 2 * conns
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	out := make([]*idpclient.Client, len(endpoints))
	for i, e := range endpoints {
		out[i] = idpclient.New(e)
		out[i].HTTP = hc
	}
	return out
}
