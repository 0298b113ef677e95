// Package scalebench checks the scale target of docs/PERFORMANCE.md: SRP login and
// Cognito-authorizer latency stay flat (≤ 1.2×) from 1 k to 1 M users in a
// pool. It holds only tests and benchmarks; this file is the package doc.
//
// Each pool size gets a data directory served by app.Start with the built-in
// notes demo, plus a second pool whose users sign in by email
// (UsernameAttributes [email]). In both pools the client and a few hundred
// real users are created through the public API, then the remaining
// "filler" users are inserted straight into the SQLite file in large
// transactions (a copy of a real
// user's row with its own username, sub and email; the filler's sealed
// credentials are bound to another username, so fillers cannot sign in:
// they only make the tables and indexes big). Logins pick a real user at
// random; the real users are spread evenly over the username key space.
//
// TestScaleSmall runs in every `go test` (1,000 vs 20,000 users) and asserts
// only correctness. BenchmarkScale measures 1 k, 100 k and 1 M users in one
// run, interleaved, and is skipped unless COGNATE_SCALE_BENCH=1; the
// generated databases are cached under $COGNATE_SCALE_DIR (default
// $TMPDIR/cognate-scalebench) between runs:
//
//	COGNATE_SCALE_BENCH=1 go test -run '^$' -bench BenchmarkScale -benchtime 200x -timeout 60m -v ./internal/scalebench/
//
// scripts/scale-bench.sh wraps it and also measures the idle RSS of
// `cognate up` on an empty data directory and on the 1 M-user one.
package scalebench
