package scalebench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/app"
)

// fixtureVersion names the layout of cached data directories; bump it when
// the way they are built changes.
const fixtureVersion = 2

// password is every real user's password (it satisfies AWS's default policy).
const password = "Sc4le-Bench!"

// demoPool and demoClient are the names the built-in notes demo gives its
// pool and app client.
const (
	demoPool   = "notes-users"
	demoClient = "notes-client"
)

// emailPool names the second pool of a fixture, where users sign in with
// their email address (UsernameAttributes [email]; stored usernames are subs).
const emailPool = "scale-email"

// fixture is a data directory holding the demo pool and an email-sign-in
// pool with N users each, of which Users (resp. EmailUsers, by email) can
// sign in with password.
type fixture struct {
	N        int      `json:"n"`
	PoolID   string   `json:"poolId"`
	ClientID string   `json:"clientId"`
	Users    []string `json:"users"`

	EmailPoolID   string   `json:"emailPoolId"`
	EmailClientID string   `json:"emailClientId"`
	EmailUsers    []string `json:"emailUsers"`
	// emailTemplate is the stored username of EmailUsers[0].
	EmailTemplate string `json:"emailTemplate"`
	dir           string
}

// dbPath is the fixture's SQLite file.
func (f *fixture) dbPath() string { return filepath.Join(f.dir, "cognate.db") }

// username names user i of a pool; real users and fillers share the scheme,
// so the real ones sit evenly through the primary key.
func username(i int) string { return fmt.Sprintf("user%07d", i) }

// realIndexes spreads r real users evenly over n.
func realIndexes(n, r int) []int {
	r = min(r, n)
	out := make([]int, r)
	for k := range out {
		out[k] = k*n/r + n/(2*r)
	}
	return out
}

// openFixture returns the cached fixture of n users (r real) under root,
// building it when missing. A cached one has its sessions, refresh tokens
// and lockouts cleared, so every run starts from the same state.
func openFixture(tb testing.TB, root string, n, r int) *fixture {
	tb.Helper()
	dir := filepath.Join(root, fmt.Sprintf("v%d-n%d-r%d", fixtureVersion, n, r))
	f, err := loadFixture(dir)
	if err == nil {
		if err := resetState(f.dbPath()); err != nil {
			tb.Fatalf("reset %s: %v", dir, err)
		}
		return f
	}
	if !errors.Is(err, fs.ErrNotExist) {
		tb.Logf("rebuilding %s: %v", dir, err)
	}
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	f, err = buildFixture(tmp, n, r)
	if err != nil {
		tb.Fatalf("build fixture of %d users: %v", n, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		tb.Fatal(err)
	}
	f.dir = dir
	tb.Logf("built %d-user fixture (%d real) in %s: %s", n, len(f.Users), time.Since(start).Round(time.Millisecond), dir)
	return f
}

// loadFixture reads a finished fixture's manifest.
func loadFixture(dir string) (*fixture, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "fixture.json"))
	if err != nil {
		return nil, err
	}
	var f fixture
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("decode manifest: %w", err)
	}
	f.dir = dir
	return &f, nil
}

// buildFixture creates the pool, client and real users through the API of a
// running Cognate, then bulk-inserts the fillers and writes the manifest.
func buildFixture(dir string, n, r int) (*fixture, error) {
	ctx := context.Background()
	a, err := startApp(ctx, dir)
	if err != nil {
		return nil, err
	}
	f := &fixture{N: n, dir: dir}
	err = func() error {
		c := newClient(a.URL)
		defer c.close()
		if f.PoolID, f.ClientID, err = discover(c); err != nil {
			return err
		}
		for _, i := range realIndexes(n, r) {
			name := username(i)
			if _, err := createUser(c, f.PoolID, name); err != nil {
				return err
			}
			f.Users = append(f.Users, name)
		}
		if f.EmailPoolID, f.EmailClientID, err = createEmailPool(c); err != nil {
			return err
		}
		for _, i := range realIndexes(n, r) {
			email := username(i) + "@example.com"
			stored, err := createUser(c, f.EmailPoolID, email)
			if err != nil {
				return err
			}
			if f.EmailTemplate == "" {
				f.EmailTemplate = stored
			}
			f.EmailUsers = append(f.EmailUsers, email)
		}
		return nil
	}()
	if serr := a.Shutdown(ctx); err == nil && serr != nil {
		err = fmt.Errorf("shut down: %w", serr)
	}
	if err != nil {
		return nil, err
	}
	real := map[int]bool{}
	for _, i := range realIndexes(n, r) {
		real[i] = true
	}
	if err := fill(f.dbPath(), fillSpec{poolID: f.PoolID, template: f.Users[0], real: real, n: n}); err != nil {
		return nil, err
	}
	if err := fill(f.dbPath(), fillSpec{poolID: f.EmailPoolID, template: f.EmailTemplate, real: real, n: n, bySub: true}); err != nil {
		return nil, err
	}
	raw, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return f, os.WriteFile(filepath.Join(dir, "fixture.json"), raw, 0o600)
}

// startApp serves the notes demo from dir on a free loopback port.
func startApp(ctx context.Context, dir string) (*app.App, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return app.Start(ctx, app.Options{
		Addr: "127.0.0.1:0", DataDir: dir, DrainTimeout: 10 * time.Second,
		Logger: slog.New(slog.DiscardHandler),
	})
}

// discover finds the demo pool's and client's ids.
func discover(c *client) (poolID, clientID string, err error) {
	var pools struct{ UserPools []struct{ Id, Name string } }
	if err := c.call("ListUserPools", map[string]any{"MaxResults": 60}, &pools); err != nil {
		return "", "", err
	}
	for _, p := range pools.UserPools {
		if p.Name == demoPool {
			poolID = p.Id
		}
	}
	if poolID == "" {
		return "", "", fmt.Errorf("no pool %s", demoPool)
	}
	var clients struct {
		UserPoolClients []struct{ ClientId, ClientName string }
	}
	if err := c.call("ListUserPoolClients", map[string]any{"UserPoolId": poolID, "MaxResults": 60}, &clients); err != nil {
		return "", "", err
	}
	for _, cl := range clients.UserPoolClients {
		if cl.ClientName == demoClient {
			return poolID, cl.ClientId, nil
		}
	}
	return "", "", fmt.Errorf("no client %s in %s", demoClient, poolID)
}

// createUser creates a CONFIRMED user with a verified email and password
// and returns its stored username. A name containing "@" is the email.
func createUser(c *client, poolID, name string) (string, error) {
	email := name
	if !strings.Contains(name, "@") {
		email = name + "@example.com"
	}
	var out struct{ User struct{ Username string } }
	err := c.call("AdminCreateUser", map[string]any{"UserPoolId": poolID, "Username": name, "MessageAction": "SUPPRESS",
		"UserAttributes": []map[string]string{{"Name": "email", "Value": email},
			{"Name": "email_verified", "Value": "true"}}}, &out)
	if err != nil {
		return "", err
	}
	return out.User.Username, c.call("AdminSetUserPassword", map[string]any{"UserPoolId": poolID, "Username": name,
		"Password": password, "Permanent": true}, nil)
}

// createEmailPool creates the pool whose users sign in with their email,
// and its SRP client.
func createEmailPool(c *client) (poolID, clientID string, err error) {
	var p struct{ UserPool struct{ Id string } }
	if err := c.call("CreateUserPool", map[string]any{"PoolName": emailPool, "UsernameAttributes": []string{"email"}}, &p); err != nil {
		return "", "", err
	}
	var cl struct{ UserPoolClient struct{ ClientId string } }
	if err := c.call("CreateUserPoolClient", map[string]any{"UserPoolId": p.UserPool.Id, "ClientName": "app",
		"ExplicitAuthFlows": []string{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}}, &cl); err != nil {
		return "", "", err
	}
	return p.UserPool.Id, cl.UserPoolClient.ClientId, nil
}
