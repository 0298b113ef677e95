package idpclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Credentials are the access key the command line signs with: AWS_ACCESS_KEY_ID
// and AWS_SECRET_ACCESS_KEY, else COGNATE_ROOT_ACCESS_KEY_ID and
// COGNATE_ROOT_SECRET_ACCESS_KEY, else a placeholder that a server without
// credentials (loopback) accepts.
func Credentials() aws.Credentials {
	for _, pair := range [][2]string{{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}, {"COGNATE_ROOT_ACCESS_KEY_ID", "COGNATE_ROOT_SECRET_ACCESS_KEY"}} {
		if id, secret := os.Getenv(pair[0]), os.Getenv(pair[1]); id != "" && secret != "" {
			return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: os.Getenv("AWS_SESSION_TOKEN")}
		}
	}
	return aws.Credentials{AccessKeyID: "COGNATELOCALDEV0", SecretAccessKey: "cognate-local-development"}
}

// Region is AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1.
func Region() string {
	for _, name := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if v := os.Getenv(name); v != "" {
			return v
		}
	}
	return "us-east-1"
}

// Sign signs req (whose body, if any, is read and restored) with SigV4 for service.
func Sign(ctx context.Context, req *http.Request, service string) error {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return fmt.Errorf("read request body: %w", err)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, Credentials(), req, hex.EncodeToString(sum[:]), service, Region(), time.Now()); err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	return nil
}
