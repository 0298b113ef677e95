package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/idpclient"
	"github.com/cognate-dev/cognate/internal/messages"
)

func runOutbox(ctx context.Context, args []string, std stdio) error {
	fs := flag.NewFlagSet("outbox", flag.ContinueOnError)
	fs.SetOutput(std.err)
	endpoint := fs.String("endpoint", "http://127.0.0.1:4566", "Cognate endpoint URL")
	user := fs.String("user", "", "only this user's messages")
	limit := fs.Int("limit", 0, "at most this many messages (newest first)")
	asJSON := fs.Bool("json", false, "print the API's JSON answer")
	codeOnly := fs.Bool("code", false, "print only the newest message's code (with -user: that user's)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(std.err, "Usage: cognate outbox [-endpoint URL] [-user NAME] [-limit N] [-json | -code] POOL_ID")
		return errUsage
	}
	q := url.Values{}
	if *user != "" {
		q.Set("username", *user)
	}
	if *codeOnly {
		*limit = 1
	}
	if *limit > 0 {
		q.Set("limit", strconv.Itoa(*limit))
	}
	u := strings.TrimRight(*endpoint, "/") + "/_cognate/outbox/" + url.PathEscape(fs.Arg(0))
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if err := idpclient.Sign(ctx, req, "cognate"); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("outbox: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if *asJSON {
		_, err := std.out.Write(body)
		return err
	}
	var page messages.ListResponse
	if err := json.Unmarshal(body, &page); err != nil {
		return fmt.Errorf("outbox: decode answer: %w", err)
	}
	if *codeOnly {
		if len(page.Messages) == 0 {
			return errors.New("outbox: no message")
		}
		fmt.Fprintln(std.out, page.Messages[0].Code)
		return nil
	}
	for _, m := range page.Messages {
		fmt.Fprintf(std.out, "%s %-5s %-9s %s %s code=%s %q\n", m.SentAt.Format(time.RFC3339), m.Medium, m.Kind,
			m.Username, m.Destination, m.Code, firstLine(m.Subject, m.Body))
	}
	return nil
}

func firstLine(subject, body string) string {
	if subject != "" {
		return subject
	}
	line, _, _ := strings.Cut(body, "\n")
	return line
}
