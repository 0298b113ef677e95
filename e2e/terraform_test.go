package e2e

import (
	"archive/zip"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requireTerraform finds the Terraform and AWS provider build of
// scripts/terraform-tools.sh (TERRAFORM_TOOLS_DIR, else its default cache
// directory). Locally a missing build skips; under CI=true it fails.
func requireTerraform(t *testing.T) (terraform, plugins string) {
	t.Helper()
	dir := os.Getenv("TERRAFORM_TOOLS_DIR")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(cache, "cognate-test", "terraform")
	}
	terraform, plugins = filepath.Join(dir, "terraform"), filepath.Join(dir, "plugins")
	matches, _ := filepath.Glob(filepath.Join(plugins, "terraform-provider-aws_*"))
	if _, err := os.Stat(terraform); err != nil || len(matches) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Terraform and the AWS provider are required in CI (scripts/test runs scripts/terraform-tools.sh); none in %s", dir)
		}
		t.Skipf("Terraform not built (run scripts/terraform-tools.sh): none in %s", dir)
	}
	return terraform, plugins
}

// TestTerraformApplyDestroy deploys the tutorial's stack — IAM role, the two
// functions from zips (their aws-lambda-go versions: provider 1.60 knows no
// nodejs20.x), the API with /notes GET, the Cognito and TOKEN
// authorizers, the non-proxy integration with the passthrough +
// policyContext template, method and integration responses, permissions, a
// deployment to staging_name — with Terraform and the AWS provider, whose
// endpoints block points at Cognate; amazon-cognito-identity-js then signs
// in and the stage answers "Notes for alice"; terraform destroy removes it
// all, and a second plan finds nothing to change.
func TestTerraformApplyDestroy(t *testing.T) {
	terraform, plugins := requireTerraform(t)
	aws := requireAWSCLI(t)
	node, nodeDir := requireNode(t)
	srv := startEmptyServer(t)
	c := cli{t, aws, srv.URL}
	const account, region = "000000000000", "us-east-1"

	// The pool comes from the AWS CLI: provider 1.60 cannot point cognito-idp elsewhere.
	poolID, clientID := seedNotesPool(c)

	work := t.TempDir()
	notesZip := filepath.Join(work, "notes.zip")
	bootstrapZip(t, filepath.Join(repoRoot(), "examples", "notes", "go-notes"), notesZip)
	authZip := filepath.Join(work, "authorizer.zip")
	bootstrapZip(t, filepath.Join(repoRoot(), "e2e", "testdata", "terraform", "authorizer"), authZip)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	template := filepath.Join(work, "template.vtl")
	if err := os.WriteFile(template, []byte(notesTemplate(t)), 0o644); err != nil {
		t.Fatal(err)
	}

	stack := filepath.Join(work, "stack")
	copyDir(t, filepath.Join(repoRoot(), "e2e", "testdata", "terraform"), stack)
	vars := []string{
		"-var", "endpoint=" + srv.URL,
		"-var", "pool_arn=arn:aws:cognito-idp:" + region + ":" + account + ":userpool/" + poolID,
		"-var", "issuer=" + srv.URL + "/" + poolID,
		"-var", "notes_zip=" + notesZip,
		"-var", "authorizer_zip=" + authZip,
		"-var", "template_file=" + template,
	}
	tf := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, terraform, args...)
		cmd.Dir = stack
		cmd.Env = append(os.Environ(), "TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1",
			"TF_DATA_DIR="+filepath.Join(work, ".terraform"), "TF_LOG=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("terraform %s: %v\n%s", args[0], err, out)
		}
		return string(out)
	}
	tf("init", "-input=false", "-plugin-dir="+plugins, "-get-plugins=false")
	tf(append([]string{"apply", "-input=false", "-auto-approve"}, vars...)...)
	var outputs map[string]struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal([]byte(tf("output", "-json")), &outputs); err != nil {
		t.Fatal(err)
	}
	apiID := outputs["api_id"].Value
	if outputs["account_id"].Value != account || apiID == "" {
		t.Fatalf("outputs = %v", outputs)
	}

	cmd := exec.CommandContext(ctx, node, filepath.Join("replay", "login.js"))
	cmd.Dir = nodeDir
	cmd.Env = append(os.Environ(), "COGNATE_URL="+srv.URL, "POOL_ID="+poolID, "CLIENT_ID="+clientID,
		"COGNATE_USERNAME=alice", "COGNATE_PASSWORD=Alice-Passw0rd!")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	idToken, err := cmd.Output()
	if err != nil || len(idToken) == 0 {
		t.Fatalf("amazon-cognito-identity-js sign-in: %v\n%s", err, stderr.String())
	}
	stageURL := srv.URL + "/restapis/" + apiID + "/staging_name/_user_request_/notes"
	if status, body, _ := get(t, stageURL, string(idToken)); status != 200 || !strings.Contains(body, `"title":"Notes for alice"`) {
		t.Fatalf("GET /notes through the Terraform-made stage: %d %s", status, body)
	}
	if status, body, _ := get(t, stageURL, ""); status != 401 || body != `{"message":"Unauthorized"}` {
		t.Fatalf("no token: %d %s", status, body)
	}
	if plan := tf(append([]string{"plan", "-input=false", "-detailed-exitcode"}, vars...)...); !strings.Contains(plan, "No changes") {
		t.Fatalf("plan after apply is not empty:\n%s", plan)
	}

	tf(append([]string{"destroy", "-input=false", "-auto-approve"}, vars...)...)
	if apis := c.run("apigateway", "get-rest-apis"); len(apis["items"].([]any)) != 0 {
		t.Fatalf("get-rest-apis after destroy = %v", apis)
	}
	if fns := c.run("lambda", "list-functions"); len(fns["Functions"].([]any)) != 0 {
		t.Fatalf("list-functions after destroy = %v", fns)
	}
	if status, _, _ := get(t, stageURL, string(idToken)); status == 200 {
		t.Fatal("the stage still answers after destroy")
	}
}

// bootstrapZip builds the aws-lambda-go command in dir and zips it as
// "bootstrap", the layout of a provided-runtime function.
func bootstrapZip(t *testing.T, dir, dst string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", dir, err, out)
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err == nil {
		_, err = w.Write(exe)
	}
	if err == nil {
		err = zw.Close()
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
}
