// Package functions runs Lambda-style functions for Cognate.
//
// A function is builtin (a Go handler compiled into the binary and called
// in-process), a process speaking the Lambda Runtime API ("provided": for
// example a binary built with aws-lambda-go), or a Node.js module with an
// exports.handler ("nodejs"), run by node through the bootstrap embedded in
// package nodeboot.
//
// Flow of one invocation: Invoke takes one of the function's concurrency
// slots (ReservedConcurrency); when none is free it waits in a bounded queue
// and fails with ErrTooManyRequests when the queue is full or the wait is
// too long. A process invocation then takes the most recently used idle
// instance, or starts a new one: a process in its own process group with its
// own loopback Runtime API server (package runtimeapi), so every /next call
// belongs to exactly one instance. The event is delivered on the instance's
// next /next call; the runner waits for /response or /error, the instance's
// exit, or the function's timeout, whichever comes first. A timeout or a
// crash kills the instance's whole process group; the next invocation starts
// a fresh one. Idle instances are stopped after Options.IdleTimeout.
//
// Every line an instance writes to stdout or stderr is tagged with the
// function name and the current request id, logged through slog and kept in
// a bounded per-function buffer, together with Lambda's START, END and
// REPORT lines (see Runner.Logs and Runner.LogsHandler).
//
// Runner.Handler serves the Lambda Invoke API, so aws-sdk-go-v2's lambda
// client and `aws lambda invoke --endpoint-url` work against Cognate.
package functions
