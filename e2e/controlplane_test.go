package e2e

import (
	"archive/zip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// zipDir writes dir's files (node_modules included) into a zip at dst.
func zipDir(t *testing.T, dir, dst string) {
	t.Helper()
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		h, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		h.Name, h.Method = filepath.ToSlash(rel), zip.Deflate
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			_, err = io.WriteString(w, target)
			return err
		}
		src, err := os.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(w, src)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// copyDir copies src's regular files to dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// notesTemplate is the tutorial's request template (method request
// passthrough plus policyContext), as examples/notes/notes-api.yaml has it.
func notesTemplate(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(), "examples", "notes", "notes-api.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Integration struct {
				RequestTemplates map[string]string `yaml:"requestTemplates"`
			} `yaml:"x-amazon-apigateway-integration"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	tpl := doc.Paths["/notes"]["get"].Integration.RequestTemplates["application/json"]
	if !strings.Contains(tpl, "policyContext") {
		t.Fatalf("template without policyContext:\n%s", tpl)
	}
	return tpl
}

// cli is the AWS CLI bound to one server, decoding JSON answers.
type cli struct {
	t        *testing.T
	aws, url string
}

func (c cli) run(args ...string) map[string]any {
	c.t.Helper()
	out, err := awsCLI(c.t, c.aws, c.url, args...)
	if err != nil {
		c.t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	var v map[string]any
	if strings.TrimSpace(out) != "" {
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			c.t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return v
}

func str(v map[string]any, k string) string { s, _ := v[k].(string); return s }

// startEmptyServer starts a server whose configuration names only the
// region, with a data directory that functions running as nobody can reach.
func startEmptyServer(t *testing.T) *server {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(cfg, []byte("region: us-east-1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	// Functions may run as nobody: the code cache next to the data directory must be reachable.
	for _, d := range []string{filepath.Dir(dataDir), filepath.Dir(filepath.Dir(dataDir))} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return startServer(t, dataDir, "--config", cfg)
}

// seedNotesPool makes the tutorial's pool and SRP client with the AWS CLI,
// and alice with a permanent password; it returns the pool and client ids.
func seedNotesPool(c cli) (poolID, clientID string) {
	c.t.Helper()
	pool := c.run("cognito-idp", "create-user-pool", "--pool-name", "notes-users", "--auto-verified-attributes", "email")
	poolID = str(pool["UserPool"].(map[string]any), "Id")
	client := c.run("cognito-idp", "create-user-pool-client", "--user-pool-id", poolID, "--client-name", "notes-client",
		"--explicit-auth-flows", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
	clientID = str(client["UserPoolClient"].(map[string]any), "ClientId")
	c.run("cognito-idp", "admin-create-user", "--user-pool-id", poolID, "--username", "alice",
		"--user-attributes", "Name=email,Value=alice@example.com", "--message-action", "SUPPRESS")
	c.run("cognito-idp", "admin-set-user-password", "--user-pool-id", poolID, "--username", "alice", "--password", "Alice-Passw0rd!", "--permanent")
	return poolID, clientID
}

// TestControlPlaneSeedReplay builds the tutorial's system step by step with
// the AWS CLI only, against a fresh server with an empty configuration:
// user pool and client, IAM role, the two Node functions from zips, the
// API with /notes GET, first a Cognito authorizer, then the custom TOKEN
// authorizer, the non-proxy integration with the passthrough + policyContext
// template, method and integration responses, a deployment to stage
// staging_name; then amazon-cognito-identity-js signs in and the stage
// answers "Notes for alice", and 401 without a token.
func TestControlPlaneSeedReplay(t *testing.T) {
	aws := requireAWSCLI(t)
	node, nodeDir := requireNode(t)
	npm, err := exec.LookPath("npm")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("npm is required in CI: %v", err)
		}
		t.Skip("npm not installed")
	}
	srv := startEmptyServer(t)
	c := cli{t, aws, srv.URL}
	const account, region = "000000000000", "us-east-1"

	// Identity: the caller, the pool, its client and alice.
	if id := c.run("sts", "get-caller-identity"); str(id, "Account") != account {
		t.Fatalf("get-caller-identity = %v", id)
	}
	poolID, clientID := seedNotesPool(c)

	// The execution role and the two functions.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role := c.run("iam", "create-role", "--role-name", "notes-lambda", "--assume-role-policy-document", trust)
	roleARN := str(role["Role"].(map[string]any), "Arn")
	c.run("iam", "attach-role-policy", "--role-name", "notes-lambda", "--policy-arn", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")

	work := t.TempDir()
	notesZip := filepath.Join(work, "notes.zip")
	zipDir(t, filepath.Join(repoRoot(), "examples", "notes", "functions", "list-account-notes"), notesZip)
	authDir := filepath.Join(work, "authorizer")
	copyDir(t, filepath.Join(repoRoot(), "examples", "notes", "functions", "authorizer"), authDir)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	npmCI := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	npmCI.Dir = authDir
	if out, err := npmCI.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}
	authZip := filepath.Join(work, "authorizer.zip")
	zipDir(t, authDir, authZip)

	fn := c.run("lambda", "create-function", "--function-name", "listAccountNotes", "--runtime", "nodejs20.x",
		"--handler", "index.handler", "--role", roleARN, "--zip-file", "fileb://"+notesZip, "--timeout", "5")
	if str(fn, "State") != "Active" || str(fn, "CodeSha256") == "" {
		t.Fatalf("create-function = %v", fn)
	}
	issuer := srv.URL + "/" + poolID
	c.run("lambda", "create-function", "--function-name", "notesAuthorizer", "--runtime", "nodejs20.x",
		"--handler", "index.handler", "--role", roleARN, "--zip-file", "fileb://"+authZip, "--timeout", "5",
		"--environment", "Variables={ISSUER="+issuer+"}")

	// The API, its /notes resource and GET method with a Cognito authorizer.
	api := c.run("apigateway", "create-rest-api", "--name", "notes")
	apiID := str(api, "id")
	resources := c.run("apigateway", "get-resources", "--rest-api-id", apiID)
	items := resources["items"].([]any)
	rootID := str(items[0].(map[string]any), "id")
	notes := c.run("apigateway", "create-resource", "--rest-api-id", apiID, "--parent-id", rootID, "--path-part", "notes")
	notesID := str(notes, "id")
	if str(notes, "path") != "/notes" {
		t.Fatalf("create-resource = %v", notes)
	}
	poolAuth := c.run("apigateway", "create-authorizer", "--rest-api-id", apiID, "--name", "notes-pool", "--type", "COGNITO_USER_POOLS",
		"--provider-arns", "arn:aws:cognito-idp:"+region+":"+account+":userpool/"+poolID, "--identity-source", "method.request.header.Authorization")
	c.run("apigateway", "put-method", "--rest-api-id", apiID, "--resource-id", notesID, "--http-method", "GET",
		"--authorization-type", "COGNITO_USER_POOLS", "--authorizer-id", str(poolAuth, "id"))
	fnURI := func(name string) string {
		return "arn:aws:apigateway:" + region + ":lambda:path/2015-03-31/functions/arn:aws:lambda:" + region + ":" + account + ":function:" + name + "/invocations"
	}
	templates := filepath.Join(work, "templates.json")
	tb, _ := json.Marshal(map[string]string{"application/json": notesTemplate(t)})
	if err := os.WriteFile(templates, tb, 0o644); err != nil {
		t.Fatal(err)
	}
	integ := c.run("apigateway", "put-integration", "--rest-api-id", apiID, "--resource-id", notesID, "--http-method", "GET",
		"--type", "AWS", "--integration-http-method", "POST", "--uri", fnURI("listAccountNotes"),
		"--passthrough-behavior", "WHEN_NO_TEMPLATES", "--request-templates", "file://"+templates)
	if str(integ, "type") != "AWS" || str(integ, "passthroughBehavior") != "WHEN_NO_TEMPLATES" {
		t.Fatalf("put-integration = %v", integ)
	}
	c.run("apigateway", "put-method-response", "--rest-api-id", apiID, "--resource-id", notesID, "--http-method", "GET",
		"--status-code", "200", "--response-models", "application/json=Empty")
	c.run("apigateway", "put-integration-response", "--rest-api-id", apiID, "--resource-id", notesID, "--http-method", "GET",
		"--status-code", "200", "--selection-pattern", "")
	c.run("lambda", "add-permission", "--function-name", "listAccountNotes", "--statement-id", "apigateway-notes",
		"--action", "lambda:InvokeFunction", "--principal", "apigateway.amazonaws.com",
		"--source-arn", "arn:aws:execute-api:"+region+":"+account+":"+apiID+"/*/GET/notes")
	dep := c.run("apigateway", "create-deployment", "--rest-api-id", apiID, "--stage-name", "staging_name")
	if str(dep, "id") == "" {
		t.Fatalf("create-deployment = %v", dep)
	}

	stageURL := srv.URL + "/restapis/" + apiID + "/staging_name/_user_request_/notes"
	login := func() string {
		t.Helper()
		cmd := exec.CommandContext(ctx, node, filepath.Join("replay", "login.js"))
		cmd.Dir = nodeDir
		cmd.Env = append(os.Environ(), "COGNATE_URL="+srv.URL, "POOL_ID="+poolID, "CLIENT_ID="+clientID,
			"COGNATE_USERNAME=alice", "COGNATE_PASSWORD=Alice-Passw0rd!")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || len(out) == 0 {
			t.Fatalf("amazon-cognito-identity-js sign-in: %v\n%s", err, stderr.String())
		}
		return string(out)
	}
	idToken := login()
	if status, body, _ := get(t, stageURL, idToken); status != 200 || !strings.Contains(body, `"notes"`) {
		t.Fatalf("Cognito-authorized GET /notes: %d %s", status, body)
	}
	if status, body, _ := get(t, stageURL, ""); status != 401 || body != `{"message":"Unauthorized"}` {
		t.Fatalf("no token with the Cognito authorizer: %d %s", status, body)
	}

	// The tutorial's final state: the custom TOKEN authorizer on the method.
	tokenAuth := c.run("apigateway", "create-authorizer", "--rest-api-id", apiID, "--name", "notesAuthorizer", "--type", "TOKEN",
		"--authorizer-uri", fnURI("notesAuthorizer"), "--identity-source", "method.request.header.Authorization",
		"--authorizer-result-ttl-in-seconds", "300")
	c.run("lambda", "add-permission", "--function-name", "notesAuthorizer", "--statement-id", "apigateway-authorizer",
		"--action", "lambda:InvokeFunction", "--principal", "apigateway.amazonaws.com",
		"--source-arn", "arn:aws:execute-api:"+region+":"+account+":"+apiID+"/authorizers/"+str(tokenAuth, "id"))
	tested := c.run("apigateway", "test-invoke-authorizer", "--rest-api-id", apiID, "--authorizer-id", str(tokenAuth, "id"),
		"--headers", "Authorization="+idToken)
	if tested["clientStatus"] != float64(200) || !strings.Contains(str(tested, "policy"), "Allow") {
		t.Fatalf("test-invoke-authorizer = %v", tested)
	}
	m := c.run("apigateway", "update-method", "--rest-api-id", apiID, "--resource-id", notesID, "--http-method", "GET",
		"--patch-operations", "op=replace,path=/authorizationType,value=CUSTOM", "op=replace,path=/authorizerId,value="+str(tokenAuth, "id"))
	if str(m, "authorizationType") != "CUSTOM" {
		t.Fatalf("update-method = %v", m)
	}
	c.run("apigateway", "create-deployment", "--rest-api-id", apiID, "--stage-name", "staging_name", "--description", "custom authorizer")

	idToken = login()
	if status, body, _ := get(t, stageURL, idToken); status != 200 || !strings.Contains(body, `"title":"Notes for alice"`) {
		t.Fatalf("TOKEN-authorized GET /notes: %d %s", status, body)
	}
	if status, body, _ := get(t, stageURL, ""); status != 401 || body != `{"message":"Unauthorized"}` {
		t.Fatalf("no token: %d %s", status, body)
	}
	stages := c.run("apigateway", "get-stages", "--rest-api-id", apiID)
	if items := stages["item"].([]any); len(items) != 1 || str(items[0].(map[string]any), "stageName") != "staging_name" {
		t.Fatalf("get-stages = %v", stages)
	}
	deps := c.run("apigateway", "get-deployments", "--rest-api-id", apiID)
	if items := deps["items"].([]any); len(items) != 2 {
		t.Fatalf("get-deployments = %v, want the two deployments", deps)
	}
}
