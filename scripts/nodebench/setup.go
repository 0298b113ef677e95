package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net/url"
	"regexp"

	"github.com/cognate-dev/cognate/internal/idpclient"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,40}$`)

// pgSchemaCmd creates a schema and prints the store URL that selects it.
func pgSchemaCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("pgschema", flag.ExitOnError)
	base := fs.String("base", "", "PostgreSQL URL (e.g. $COGNATE_TEST_POSTGRES)")
	schema := fs.String("schema", "", "schema to create (lowercase letters, digits, _)")
	fs.Parse(args)
	if !schemaName.MatchString(*schema) {
		return fmt.Errorf("bad schema name %q", *schema)
	}
	u, err := url.Parse(*base)
	if err != nil || u.Scheme != "postgres" {
		return fmt.Errorf("-base is not a postgres:// URL")
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" {
		return fmt.Errorf("-base is not on loopback")
	}
	db, err := sql.Open("pgx", *base)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+*schema); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	q := u.Query()
	q.Set("search_path", *schema)
	u.RawQuery = q.Encode()
	fmt.Println(u.String())
	return nil
}

// setupCmd prepares the demo pool's users and checks logins on every node.
func setupCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("setup", flag.ExitOnError)
	list := fs.String("endpoints", "", "comma-separated node URLs")
	users := fs.Int("users", 16, "users to create (bench01..benchNN)")
	password := fs.String("password", "", "their password")
	fs.Parse(args)
	endpoints, err := parseEndpoints(*list)
	if err != nil {
		return err
	}
	if *users < 1 || *users > 200 || *password == "" {
		return fmt.Errorf("need -users 1..200 and -password")
	}
	cls := newClients(endpoints, 4)
	poolID, clientID, err := findDemo(ctx, cls[0])
	if err != nil {
		return err
	}
	for i := range *users {
		// Users are created round-robin over the nodes, so logins on one
		// node use users another node wrote.
		c := cls[i%len(cls)]
		name := userName(i)
		err := c.Call(ctx, "AdminCreateUser", map[string]any{
			"UserPoolId": poolID, "Username": name, "MessageAction": "SUPPRESS",
			"UserAttributes": []map[string]string{{"Name": "email", "Value": name + "@bench.local"}},
		}, nil)
		if err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
		err = c.Call(ctx, "AdminSetUserPassword", map[string]any{
			"UserPoolId": poolID, "Username": name, "Password": *password, "Permanent": true,
		}, nil)
		if err != nil {
			return fmt.Errorf("set password of %s: %w", name, err)
		}
	}
	fmt.Printf("POOL_ID=%s\nCLIENT_ID=%s\n", poolID, clientID)

	// Every node signs in a user created on node 0, and logins split across
	// nodes (InitiateAuth on i, RespondToAuthChallenge on i+1) succeed.
	var token string
	for i, c := range cls {
		acc := account{poolID, clientID, userName(0), *password}
		res, _, err := login(ctx, c, c, acc)
		if err != nil {
			return fmt.Errorf("login on node %d: %w", i+1, err)
		}
		token = res.IDToken
		fmt.Printf("CHECK=login on node %d ok\n", i+1)
		if len(cls) > 1 {
			next := cls[(i+1)%len(cls)]
			acc.username = userName(i + 1)
			if _, _, err := login(ctx, c, next, acc); err != nil {
				return fmt.Errorf("InitiateAuth on node %d, RespondToAuthChallenge on node %d: %w", i+1, (i+1)%len(cls)+1, err)
			}
			fmt.Printf("CHECK=InitiateAuth on node %d, RespondToAuthChallenge on node %d ok\n", i+1, (i+1)%len(cls)+1)
		}
	}
	fmt.Printf("TOKEN=%s\n", token)
	return nil
}

// userName is the i-th benchmark user.
func userName(i int) string { return fmt.Sprintf("bench%02d", i+1) }

// findDemo returns the ids of the demo pool notes-users and its client.
func findDemo(ctx context.Context, c *idpclient.Client) (poolID, clientID string, err error) {
	var pools struct {
		UserPools []struct{ Id, Name string }
	}
	if err := c.Call(ctx, "ListUserPools", map[string]any{"MaxResults": 60}, &pools); err != nil {
		return "", "", err
	}
	for _, p := range pools.UserPools {
		if p.Name == "notes-users" {
			poolID = p.Id
		}
	}
	if poolID == "" {
		return "", "", fmt.Errorf("demo pool notes-users not found")
	}
	var clients struct {
		UserPoolClients []struct{ ClientId, ClientName string }
	}
	if err := c.Call(ctx, "ListUserPoolClients", map[string]any{"UserPoolId": poolID, "MaxResults": 60}, &clients); err != nil {
		return "", "", err
	}
	for _, cl := range clients.UserPoolClients {
		if cl.ClientName == "notes-client" {
			clientID = cl.ClientId
		}
	}
	if clientID == "" {
		return "", "", fmt.Errorf("demo client notes-client not found")
	}
	return poolID, clientID, nil
}
