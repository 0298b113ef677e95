package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

const importRole = "arn:aws:iam::000000000000:role/CognitoImport"

// importUsers is how many users TestUserImportJob imports:
// COGNATE_IMPORT_USERS, default 5,000 (docs/PERFORMANCE.md records a
// 100,000-user run).
func importUsers(t *testing.T) int {
	n := 5000
	if v := os.Getenv("COGNATE_IMPORT_USERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10 {
			t.Fatalf("COGNATE_IMPORT_USERS=%q: want a number >= 10", v)
		}
	}
	return n
}

// importCSV writes a CSV file in the pool's GetCSVHeader format with users
// prefix000000 ... (verified emails), then the extra rows as given.
func importCSV(t *testing.T, header []string, prefix string, n int, extra ...map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(header)
	row := func(vals map[string]string) {
		rec := make([]string, len(header))
		for i, h := range header {
			rec[i] = vals[h]
		}
		w.Write(rec)
	}
	for i := range n {
		name := fmt.Sprintf("%s%06d", prefix, i)
		row(map[string]string{"cognito:username": name, "email": name + "@example.com", "email_verified": "true",
			"cognito:mfa_enabled": "false", "given_name": "Imported"})
	}
	for _, e := range extra {
		row(e)
	}
	w.Flush()
	return b.Bytes()
}

func putCSV(t *testing.T, url string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("x-amz-server-side-encryption", "aws:kms")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(res.Body)
	return res.StatusCode, out.String()
}

// waitJob describes the job until it leaves Pending/InProgress/Stopping.
func waitJob(t *testing.T, idp *cip.Client, poolID, jobID string) *ciptypes.UserImportJobType {
	t.Helper()
	var job *ciptypes.UserImportJobType
	eventually(t, 10*time.Minute, "import job "+jobID+" finished", func() (bool, string) {
		out, err := idp.DescribeUserImportJob(context.Background(), &cip.DescribeUserImportJobInput{UserPoolId: aws.String(poolID), JobId: aws.String(jobID)})
		if err != nil {
			t.Fatal(err)
		}
		job = out.UserImportJob
		switch job.Status {
		case ciptypes.UserImportJobStatusTypePending, ciptypes.UserImportJobStatusTypeInProgress, ciptypes.UserImportJobStatusTypeStopping:
			return false, string(job.Status)
		}
		return true, ""
	})
	return job
}

// TestUserImportJob imports a CSV file of COGNATE_IMPORT_USERS users (with
// a row that fails and one whose user exists) through the whole job API,
// then signs an imported user in: SRP answers PasswordResetRequiredException
// until ForgotPassword / ConfirmForgotPassword set a password.
func TestUserImportJob(t *testing.T) {
	srv := startServer(t, "")
	idp := newIDP(srv.URL)
	ctx := t.Context()
	n := importUsers(t)
	pool, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("import"),
		AutoVerifiedAttributes: []ciptypes.VerifiedAttributeType{ciptypes.VerifiedAttributeTypeEmail}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	client, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("app"),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserSrpAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	d := &demo{srv: srv, idp: idp, poolID: poolID, clientID: aws.ToString(client.UserPoolClient.ClientId)}
	d.createUser(t, "imp000003", "existing@example.com", "Ex1sting-Passw0rd!")

	// Documented errors of CreateUserImportJob (a missing
	// CloudWatchLogsRoleArn the SDK itself refuses).
	_, err = idp.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: aws.String(poolID), JobName: aws.String("bad/name"), CloudWatchLogsRoleArn: aws.String(importRole)})
	wantAPIErrorContaining(t, err, "InvalidParameterException", "at 'jobName' failed to satisfy constraint")
	_, err = idp.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: aws.String(poolID), JobName: aws.String("j"), CloudWatchLogsRoleArn: aws.String("not-an-arn-at-all-really")})
	wantAPIErrorContaining(t, err, "InvalidParameterException", "at 'cloudWatchLogsRoleArn' failed to satisfy constraint")
	_, err = idp.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: aws.String("us-east-1_nope"), JobName: aws.String("j"), CloudWatchLogsRoleArn: aws.String(importRole)})
	wantAPIError(t, err, "ResourceNotFoundException", "User pool us-east-1_nope does not exist.")

	created, err := idp.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: aws.String(poolID), JobName: aws.String("migration 1"),
		CloudWatchLogsRoleArn: aws.String(importRole)})
	if err != nil {
		t.Fatal(err)
	}
	job := created.UserImportJob
	jobID := aws.ToString(job.JobId)
	if !regexp.MustCompile(`^import-[0-9a-zA-Z-]{10}$`).MatchString(jobID) || aws.ToString(job.JobName) != "migration 1" ||
		aws.ToString(job.UserPoolId) != poolID || aws.ToString(job.CloudWatchLogsRoleArn) != importRole ||
		job.Status != ciptypes.UserImportJobStatusTypeCreated || job.CreationDate == nil || job.StartDate != nil || job.CompletionDate != nil ||
		job.ImportedUsers != 0 || job.SkippedUsers != 0 || job.FailedUsers != 0 || job.CompletionMessage != nil ||
		!strings.HasPrefix(aws.ToString(job.PreSignedUrl), srv.URL+"/_cognate/user-import/"+jobID+"?token=") {
		t.Fatalf("created job: %+v", job)
	}
	described, err := idp.DescribeUserImportJob(ctx, &cip.DescribeUserImportJobInput{UserPoolId: aws.String(poolID), JobId: aws.String(jobID)})
	if err != nil || aws.ToString(described.UserImportJob.PreSignedUrl) != aws.ToString(job.PreSignedUrl) {
		t.Fatalf("describe: %v %+v", err, described)
	}
	_, err = idp.DescribeUserImportJob(ctx, &cip.DescribeUserImportJobInput{UserPoolId: aws.String(poolID), JobId: aws.String("import-0000000000")})
	wantAPIError(t, err, "ResourceNotFoundException", "Job with id import-0000000000 not found.")
	_, err = idp.DescribeUserImportJob(ctx, &cip.DescribeUserImportJobInput{UserPoolId: aws.String(poolID), JobId: aws.String("job-1")})
	wantAPIErrorContaining(t, err, "InvalidParameterException", "at 'jobId' failed to satisfy constraint")
	_, err = idp.StopUserImportJob(ctx, &cip.StopUserImportJobInput{UserPoolId: aws.String(poolID), JobId: aws.String(jobID)})
	wantAPIError(t, err, "PreconditionNotMetException", "Import job "+jobID+" is in status Created and cannot be stopped.")

	// The upload: refused without the token, stored with it.
	header, err := idp.GetCSVHeader(ctx, &cip.GetCSVHeaderInput{UserPoolId: aws.String(poolID)})
	if err != nil {
		t.Fatal(err)
	}
	file := importCSV(t, header.CSVHeader, "imp", n,
		map[string]string{"cognito:username": "", "email": "nobody@example.com", "cognito:mfa_enabled": "false"},
		map[string]string{"cognito:username": "bad-mfa", "email": "bad@example.com", "cognito:mfa_enabled": "maybe"})
	if st, body := putCSV(t, srv.URL+"/_cognate/user-import/"+jobID+"?token=wrong", file); st != 403 || !strings.Contains(body, "<Code>AccessDenied</Code>") {
		t.Fatalf("upload with a wrong token: %d %s", st, body)
	}
	if st, body := putCSV(t, aws.ToString(job.PreSignedUrl), file); st != 200 {
		t.Fatalf("upload: %d %s", st, body)
	}

	started, err := idp.StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: aws.String(poolID), JobId: aws.String(jobID)})
	if err != nil || started.UserImportJob.StartDate == nil ||
		!slices.Contains([]ciptypes.UserImportJobStatusType{ciptypes.UserImportJobStatusTypePending, ciptypes.UserImportJobStatusTypeInProgress}, started.UserImportJob.Status) {
		t.Fatalf("start: %v %+v", err, started)
	}
	_, err = idp.StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: aws.String(poolID), JobId: aws.String(jobID)})
	wantAPIErrorContaining(t, err, "PreconditionNotMetException", "cannot be started")
	// The URL takes no upload once the job started.
	if st, _ := putCSV(t, aws.ToString(job.PreSignedUrl), file); st != 403 {
		t.Fatalf("upload after start: %d", st)
	}
	done := waitJob(t, idp, poolID, jobID)
	if done.Status != ciptypes.UserImportJobStatusTypeSucceeded || done.ImportedUsers != int64(n-1) || done.SkippedUsers != 1 || done.FailedUsers != 2 ||
		done.CompletionDate == nil || aws.ToString(done.CompletionMessage) != "Import Job Completed Successfully." {
		t.Fatalf("finished job: %+v", done)
	}
	t.Logf("imported %d users in %s (StartDate to CompletionDate)", done.ImportedUsers, done.CompletionDate.Sub(*done.StartDate))
	_, err = idp.StopUserImportJob(ctx, &cip.StopUserImportJobInput{UserPoolId: aws.String(poolID), JobId: aws.String(jobID)})
	wantAPIError(t, err, "PreconditionNotMetException", "Import job "+jobID+" is in status Succeeded and cannot be stopped.")

	// The existing user is untouched; imported users are RESET_REQUIRED.
	ex, err := idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("imp000003")})
	if err != nil || ex.UserStatus != ciptypes.UserStatusTypeConfirmed {
		t.Fatalf("existing user: %v %+v", err, ex)
	}
	last := fmt.Sprintf("imp%06d", n-1)
	u, err := idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(last)})
	if err != nil || u.UserStatus != ciptypes.UserStatusTypeResetRequired || attr(u.UserAttributes, "email") != last+"@example.com" ||
		attr(u.UserAttributes, "email_verified") != "true" || attr(u.UserAttributes, "given_name") != "Imported" || attr(u.UserAttributes, "sub") == "" {
		t.Fatalf("imported user: %v %+v", err, u)
	}
	dp, err := idp.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	if err != nil || dp.UserPool.EstimatedNumberOfUsers != int32(n) {
		t.Fatalf("EstimatedNumberOfUsers after the import: %v %d, want %d", err, dp.UserPool.EstimatedNumberOfUsers, n)
	}

	// SRP: reset required, then ForgotPassword and a local sign-in.
	_, err = d.trySRP(last, "Any-Passw0rd!1")
	wantAPIError(t, err, "PasswordResetRequiredException", "Password reset required for the user")
	fp, err := idp.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(d.clientID), Username: aws.String(last)})
	if err != nil || fp.CodeDeliveryDetails == nil || fp.CodeDeliveryDetails.DeliveryMedium != ciptypes.DeliveryMediumTypeEmail {
		t.Fatalf("forgot password: %v %+v", err, fp)
	}
	if _, err := idp.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(d.clientID), Username: aws.String(last),
		ConfirmationCode: aws.String(lastCode(t, srv, last, "forgot")), Password: aws.String("Imp0rted-Passw0rd!")}); err != nil {
		t.Fatal(err)
	}
	tok := d.loginSRP(t, last, "Imp0rted-Passw0rd!")
	if claimsOf(t, aws.ToString(tok.IdToken))["cognito:username"] != last {
		t.Fatalf("signed in as %v", claimsOf(t, aws.ToString(tok.IdToken))["cognito:username"])
	}

	// A second job, stopped (or already done when Stop comes), then the list.
	second, err := idp.CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{UserPoolId: aws.String(poolID), JobName: aws.String("migration 2"),
		CloudWatchLogsRoleArn: aws.String(importRole)})
	if err != nil {
		t.Fatal(err)
	}
	secondID := aws.ToString(second.UserImportJob.JobId)
	if st, body := putCSV(t, aws.ToString(second.UserImportJob.PreSignedUrl), importCSV(t, header.CSVHeader, "two", 20_000)); st != 200 {
		t.Fatalf("upload: %d %s", st, body)
	}
	if _, err := idp.StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: aws.String(poolID), JobId: aws.String(secondID)}); err != nil {
		t.Fatal(err)
	}
	stopped, err := idp.StopUserImportJob(ctx, &cip.StopUserImportJobInput{UserPoolId: aws.String(poolID), JobId: aws.String(secondID)})
	final := waitJob(t, idp, poolID, secondID)
	switch {
	case err == nil && stopped.UserImportJob.Status == ciptypes.UserImportJobStatusTypeStopping:
		if final.Status != ciptypes.UserImportJobStatusTypeStopped || final.ImportedUsers >= 20_000 || final.CompletionDate == nil {
			t.Fatalf("stopped job: %+v", final)
		}
	case err != nil && strings.Contains(err.Error(), "in status Succeeded"):
		t.Logf("the second job finished before StopUserImportJob: %+v", final)
	default:
		t.Fatalf("stop: %v %+v", err, stopped)
	}
	_, err = idp.ListUserImportJobs(ctx, &cip.ListUserImportJobsInput{UserPoolId: aws.String(poolID), MaxResults: aws.Int32(0)})
	wantAPIErrorContaining(t, err, "InvalidParameterException", "at 'maxResults' failed to satisfy constraint")
	var ids []string
	var token *string
	for range 5 {
		page, err := idp.ListUserImportJobs(ctx, &cip.ListUserImportJobsInput{UserPoolId: aws.String(poolID), MaxResults: aws.Int32(1), PaginationToken: token})
		if err != nil || len(page.UserImportJobs) > 1 {
			t.Fatalf("list: %v %+v", err, page)
		}
		for _, j := range page.UserImportJobs {
			ids = append(ids, aws.ToString(j.JobId))
		}
		if token = page.PaginationToken; token == nil {
			break
		}
	}
	slices.Sort(ids)
	want := []string{jobID, secondID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("listed jobs %v, want %v", ids, want)
	}
}
