// Package idpclient is a minimal client of the Cognito user-pool JSON-1.1
// protocol, used by the cognate command line (login, admin). Tests drive the
// server with the real AWS SDKs instead.
package idpclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// MaxResponse bounds a response body.
const MaxResponse = 4 << 20

// APIError is an error answered by the service (`__type` and `message`).
type APIError struct {
	Status  int
	Type    string
	Message string
}

// Error formats the error as the AWS CLI does.
func (e *APIError) Error() string {
	return fmt.Sprintf("%s: %s", e.Type, e.Message)
}

// Client calls one endpoint.
type Client struct {
	Endpoint string
	HTTP     *http.Client
}

// New returns a client for endpoint (e.g. http://127.0.0.1:4566).
func New(endpoint string) *Client {
	return &Client{Endpoint: strings.TrimRight(endpoint, "/") + "/", HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// Call invokes op (e.g. "InitiateAuth") with in and decodes the answer into out (may be nil).
func (c *Client) Call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode %s: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+op)
	if err := Sign(ctx, req, "cognito-idp"); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse))
	if err != nil {
		return fmt.Errorf("%s: read answer: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &e) != nil || e.Type == "" {
			return &APIError{Status: resp.StatusCode, Type: "HTTP" + resp.Status, Message: strings.TrimSpace(string(data))}
		}
		if i := strings.LastIndexByte(e.Type, '#'); i >= 0 {
			e.Type = e.Type[i+1:]
		}
		return &APIError{Status: resp.StatusCode, Type: e.Type, Message: e.Message}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s: decode answer: %w", op, err)
	}
	return nil
}
