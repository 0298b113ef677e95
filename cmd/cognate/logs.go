package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/idpclient"
)

func runLogs(ctx context.Context, args []string, std stdio) error {
	fs := flag.NewFlagSet("logs", flag.ContinueOnError)
	fs.SetOutput(std.err)
	endpoint := fs.String("endpoint", "http://127.0.0.1:4566", "Cognate endpoint URL")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(std.err, "Usage: cognate logs [-endpoint URL] FUNCTION")
		return errUsage
	}
	u := strings.TrimRight(*endpoint, "/") + "/_cognate/functions/" + url.PathEscape(fs.Arg(0)) + "/logs"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("logs: %w", err)
	}
	if err := idpclient.Sign(ctx, req, "cognate"); err != nil {
		return fmt.Errorf("logs: %w", err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("logs: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("logs: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	var page struct {
		Lines []struct {
			Time      time.Time `json:"time"`
			RequestID string    `json:"requestId"`
			Stream    string    `json:"stream"`
			Message   string    `json:"message"`
		} `json:"lines"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&page); err != nil {
		return fmt.Errorf("logs: decode answer: %w", err)
	}
	for _, l := range page.Lines {
		fmt.Fprintf(std.out, "%s %s %s\n", l.Time.Format(time.RFC3339Nano), l.RequestID, l.Message)
	}
	return nil
}
