package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// errUsage reports a usage error that has already been printed.
var errUsage = errors.New("usage")

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, io stdio) error
}

// stdio is the process's standard streams, injectable for tests.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

var commands = map[string]command{
	"up":         {"serve the stack (the notes demo without --config)", runUp},
	"login":      {"sign in to a user pool with SRP and print the tokens", runLogin},
	"admin":      {"manage users of a running Cognate (create-user, set-password, list-pools ...)", runAdmin},
	"logs":       {"print a function's recent log lines from a running Cognate (-follow to stream)", runLogs},
	"apply":      {"make a running Cognate match its configuration file again (-dry-run prints the plan)", runApply},
	"outbox":     {"print the messages (codes, invitations) a pool sent, from a running Cognate", runOutbox},
	"ca":         {"print the path of the local CA certificate that --tls auto uses (creating it if needed)", runCA},
	"version":    {"print the version", runVersion},
	"server-key": {"move an older install's DATA/server.key out of the data directory (server-key move)", runServerKey},
}

func run(ctx context.Context, args []string) error {
	std := stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(std.err)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(std.err, "cognate: unknown command %q\n\n", args[0])
		usage(std.err)
		return errUsage
	}
	return cmd.run(ctx, args[1:], std)
}

func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("Usage: cognate <command> [flags]\n\nCommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", n, commands[n].summary)
	}
	b.WriteString("\nRun 'cognate <command> -h' for a command's flags.\n")
	io.WriteString(w, b.String())
}
