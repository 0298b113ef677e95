package functions

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

func newLambdaClient(t *testing.T, r *Runner) (*lambda.Client, string) {
	t.Helper()
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(srv.Close)
	client := lambda.New(lambda.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	})
	return client, srv.URL
}

func TestInvokeAPIWithSDK(t *testing.T) {
	r := newTestRunner(t, Options{})
	if err := register(r, goFunction("goecho", nil)); err != nil {
		t.Fatal(err)
	}
	fail := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		return nil, errors.New("Unauthorized")
	}
	if err := registerBuiltin(r, "deny", fail, FunctionConfig{}); err != nil {
		t.Fatal(err)
	}
	client, _ := newLambdaClient(t, r)
	ctx := context.Background()

	t.Run("request response with log tail", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{
			FunctionName: aws.String("goecho"),
			Payload:      []byte(`{"action":"log","message":"from the sdk"}`),
			LogType:      types.LogTypeTail,
		})
		if err != nil {
			t.Fatal(err)
		}
		if out.StatusCode != 200 || string(out.Payload) != `"logged"` || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
			t.Fatalf("got %d %s %v %v", out.StatusCode, out.Payload, out.FunctionError, out.ExecutedVersion)
		}
		tail, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(tail), "from the sdk") || !strings.Contains(string(tail), "REPORT RequestId: ") {
			t.Fatalf("log tail:\n%s", tail)
		}
	})
	t.Run("function error by ARN", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{
			FunctionName: aws.String("arn:aws:lambda:us-east-1:000000000000:function:deny"),
			Payload:      []byte(`{}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), `"errorMessage":"Unauthorized"`) {
			t.Fatalf("got %v %s", out.FunctionError, out.Payload)
		}
	})
	t.Run("unknown function", func(t *testing.T) {
		_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("ghost")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) || !strings.Contains(nf.ErrorMessage(), "function:ghost") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("dry run", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("goecho"), InvocationType: types.InvocationTypeDryRun})
		if err != nil || out.StatusCode != 204 {
			t.Fatalf("got %v %v", out, err)
		}
	})
	t.Run("event", func(t *testing.T) {
		before := len(r.Logs("goecho"))
		out, err := client.Invoke(ctx, &lambda.InvokeInput{
			FunctionName: aws.String("goecho"), InvocationType: types.InvocationTypeEvent,
			Payload: []byte(`{"action":"log","message":"async event"}`),
		})
		if err != nil || out.StatusCode != 202 {
			t.Fatalf("got %v %v", out, err)
		}
		waitFor(t, "the event to run", func() bool { return hasLine(r.Logs("goecho")[before:], StreamStdout, "async event") })
	})
	t.Run("payload too large", func(t *testing.T) {
		_, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("goecho"), Payload: bytes.Repeat([]byte(" "), MaxRequestSize+1)})
		var tl *types.RequestTooLargeException
		if !errors.As(err, &tl) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestInvokeAPIThrottling(t *testing.T) {
	r := newTestRunner(t, Options{QueueSize: 1, QueueTimeout: 50 * time.Millisecond})
	gate := make(chan struct{})
	h := func(context.Context, json.RawMessage) (json.RawMessage, error) {
		<-gate
		return json.RawMessage(`1`), nil
	}
	if err := registerBuiltin(r, "one", h, FunctionConfig{ReservedConcurrency: 1, Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	defer close(gate)
	f := r.lookup("one")
	client, url := newLambdaClient(t, r)
	go func() { _, _ = r.Invoke(context.Background(), "one", nil) }()
	waitFor(t, "the slot to be taken", func() bool { return len(f.slots) == 1 })
	// The queued invocation gives up after QueueTimeout: throttled.
	_, err := client.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("one")})
	var tm *types.TooManyRequestsException
	if !errors.As(err, &tm) || aws.ToString(tm.Type) != "User" || tm.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded {
		t.Fatalf("got %v", err)
	}

	resp, err := http.Post(url+"/2015-03-31/functions/one/invocations", "application/json", strings.NewReader(`{"not json`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-ErrorType") != "InvalidRequestContentException" {
		t.Fatalf("invalid json: %d %s %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body)
	}
}
