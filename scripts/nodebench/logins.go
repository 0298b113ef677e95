package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/cognate-dev/cognate/internal/idpclient"
)

// workerResult is what one login loop measured.
type workerResult struct {
	latencies []time.Duration
	math      time.Duration
	errors    int
	lastErr   error
}

// loginsCmd runs the concurrent SRP login loops and prints one result line.
func loginsCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("logins", flag.ExitOnError)
	list := fs.String("endpoints", "", "comma-separated node URLs")
	poolID := fs.String("pool", "", "pool id")
	clientID := fs.String("client", "", "app client id")
	users := fs.Int("users", 16, "users bench01..benchNN to sign in (worker i uses user i mod N)")
	password := fs.String("password", "", "their password")
	conc := fs.Int("c", 4, "concurrent login loops")
	dur := fs.Duration("d", 15*time.Second, "how long to run")
	cross := fs.Bool("cross", false, "InitiateAuth on one node, RespondToAuthChallenge on the next")
	fs.Parse(args)
	endpoints, err := parseEndpoints(*list)
	if err != nil {
		return err
	}
	if *conc < 1 || *conc > 256 || *dur <= 0 || *dur > 5*time.Minute || *users < 1 {
		return errors.New("need -c 1..256, -d in (0, 5m], -users >= 1")
	}
	cls := newClients(endpoints, *conc)

	var ru0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	runCtx, cancel := context.WithTimeout(ctx, *dur)
	defer cancel()
	results := make([]workerResult, *conc)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acc := account{*poolID, *clientID, userName(w % *users), *password}
			results[w] = loop(runCtx, cls, w, *cross, acc)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)

	var all []time.Duration
	var mathSum time.Duration
	errs := 0
	var lastErr error
	for _, r := range results {
		all = append(all, r.latencies...)
		mathSum += r.math
		errs += r.errors
		if r.lastErr != nil {
			lastErr = r.lastErr
		}
	}
	if len(all) == 0 {
		return fmt.Errorf("no successful login (%d errors, last: %v)", errs, lastErr)
	}
	slices.Sort(all)
	n := len(all)
	cpu := cpuTime(ru1) - cpuTime(ru0)

	mode := "rr"
	if *cross {
		mode = "cross"
	}
	fmt.Printf("mode=%s nodes=%d c=%d seconds=%.2f logins=%d rate=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d "+
		"client_cpu_us=%.0f client_math_wall_us=%.0f client_cpu_share=%.3f\n",
		mode, len(endpoints), *conc, elapsed.Seconds(), n, float64(n)/elapsed.Seconds(),
		ms(all[n/2]), ms(all[min(n-1, n*99/100)]), errs,
		float64(cpu.Microseconds())/float64(n), float64(mathSum.Microseconds())/float64(n),
		cpu.Seconds()/(elapsed.Seconds()*float64(runtime.NumCPU())))
	if lastErr != nil {
		fmt.Printf("last_error=%q\n", lastErr.Error())
	}
	return nil
}

// loop signs in acc until ctx ends; worker w starts its logins on node
// w+i (round-robin over the nodes), and with cross finishes them on the next.
func loop(ctx context.Context, cls []*idpclient.Client, w int, cross bool, acc account) workerResult {
	var r workerResult
	for i := w; ctx.Err() == nil; i++ {
		first := cls[i%len(cls)]
		second := first
		if cross {
			second = cls[(i+1)%len(cls)]
		}
		_, t, err := login(ctx, first, second, acc)
		if err != nil {
			if ctx.Err() == nil { // a login cut short by the deadline is not an error
				r.errors++
				r.lastErr = err
			}
			continue
		}
		r.latencies = append(r.latencies, t.total)
		r.math += t.math
	}
	return r
}

// srpMathCmd times the client's SRP math of one login alone and prints
// srp_math_us= (run it when the nodes are idle).
func srpMathCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("srpmath", flag.ExitOnError)
	list := fs.String("endpoints", "", "node URL(s); the first answers one challenge")
	poolID := fs.String("pool", "", "pool id")
	clientID := fs.String("client", "", "app client id")
	password := fs.String("password", "", "password of bench01")
	n := fs.Int("n", 50, "logins' worth of client math to time")
	fs.Parse(args)
	endpoints, err := parseEndpoints(*list)
	if err != nil {
		return err
	}
	if *n < 1 || *n > 10000 {
		return errors.New("need -n 1..10000")
	}
	acc := account{*poolID, *clientID, userName(0), *password}
	challenge, err := oneChallenge(ctx, newClients(endpoints, 1)[0], acc)
	if err != nil {
		return err
	}
	mean, err := clientMathOnly(ctx, acc, challenge, *n)
	if err != nil {
		return fmt.Errorf("client math: %w", err)
	}
	fmt.Printf("srp_math_us=%.0f n=%d\n", float64(mean.Microseconds()), *n)
	return nil
}

// oneChallenge fetches a PASSWORD_VERIFIER challenge for the math-only
// timing (the session is left to expire).
func oneChallenge(ctx context.Context, c *idpclient.Client, acc account) (map[string]string, error) {
	var ch challenge
	err := c.Call(ctx, "InitiateAuth", map[string]any{
		"AuthFlow": "USER_SRP_AUTH", "ClientId": acc.clientID,
		"AuthParameters": map[string]string{"USERNAME": acc.username, "SRP_A": "02"},
	}, &ch)
	if err != nil {
		return nil, fmt.Errorf("challenge for the math-only timing: %w", err)
	}
	return ch.ChallengeParameters, nil
}

func cpuTime(ru syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
