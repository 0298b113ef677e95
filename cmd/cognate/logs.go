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

	"github.com/cognate-dev/cognate/internal/functions"
	"github.com/cognate-dev/cognate/internal/idpclient"
)

// followInterval is how often `cognate logs -follow` asks for new lines.
const followInterval = 500 * time.Millisecond

func runLogs(ctx context.Context, args []string, std stdio) error {
	fs := flag.NewFlagSet("logs", flag.ContinueOnError)
	fs.SetOutput(std.err)
	ep := addEndpointFlags(fs)
	follow := fs.Bool("follow", false, "keep printing new lines as the function writes them (Ctrl-C stops)")
	fs.BoolVar(follow, "f", false, "shorthand for -follow")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(std.err, "Usage: cognate logs [-follow] [-endpoint URL | -data DIR] FUNCTION")
		return errUsage
	}
	base := strings.TrimRight(ep.resolve(), "/") + "/_cognate/functions/" + url.PathEscape(fs.Arg(0)) + "/logs"
	client := &http.Client{Timeout: 10 * time.Second}
	var since uint64
	for {
		page, err := fetchLogs(ctx, client, base, since)
		if err != nil {
			if *follow && ctx.Err() != nil {
				return nil // Ctrl-C
			}
			return err
		}
		for _, l := range page.Lines {
			fmt.Fprintf(std.out, "%s %s %s\n", l.Time.Format(time.RFC3339Nano), l.RequestID, l.Message)
			since = max(since, l.Seq)
		}
		if !*follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(followInterval):
		}
	}
}

func fetchLogs(ctx context.Context, client *http.Client, base string, since uint64) (*functions.LogsPage, error) {
	u := base
	if since > 0 {
		u += "?since=" + strconv.FormatUint(since, 10)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	if err := idpclient.Sign(ctx, req, "cognate"); err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("logs: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	var page functions.LogsPage
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&page); err != nil {
		return nil, fmt.Errorf("logs: decode answer: %w", err)
	}
	return &page, nil
}

func runApply(ctx context.Context, args []string, std stdio) error {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	fs.SetOutput(std.err)
	ep := addEndpointFlags(fs)
	dry := fs.Bool("dry-run", false, "print what would change without changing anything")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(std.err, "Usage: cognate apply [-dry-run] [-endpoint URL | -data DIR]\n\nThe server re-reads the --config file it was started with.")
		return errUsage
	}
	u := strings.TrimRight(ep.resolve(), "/") + "/_cognate/apply"
	if *dry {
		u += "?dryRun=true"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	if err := idpclient.Sign(ctx, req, "cognate"); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Minute}).Do(req)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		Message string `json:"message"`
		Plan    *struct {
			Create, Update, Remove, Unchanged []string
		} `json:"plan"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&out); err != nil {
		return fmt.Errorf("apply: %s: decode answer: %w", resp.Status, err)
	}
	if p := out.Plan; p != nil {
		verb := map[bool]string{true: "would ", false: ""}[*dry]
		for _, g := range []struct {
			sign, what string
			items      []string
		}{{"+", "create", p.Create}, {"~", "update", p.Update}, {"-", "remove", p.Remove}} {
			for _, it := range g.items {
				fmt.Fprintf(std.out, "%s %s%s %s\n", g.sign, verb, g.what, it)
			}
		}
		fmt.Fprintf(std.out, "%d to create, %d to update, %d to remove, %d unchanged\n", len(p.Create), len(p.Update), len(p.Remove), len(p.Unchanged))
	}
	if resp.StatusCode != http.StatusOK {
		if out.Message == "" {
			out.Message = resp.Status
		}
		return errors.New("apply: " + out.Message)
	}
	return nil
}
