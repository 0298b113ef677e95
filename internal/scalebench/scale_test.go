package scalebench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestScaleSmall builds 1,000-user and 20,000-user pools and checks that
// real users sign in with SRP at both sizes (by username, and by email in
// the email pool), that the Cognito authorizer
// lets their fresh tokens through (and names the right user), and that the
// user-administration calls the benchmark measures answer correctly. It
// asserts no timing.
func TestScaleSmall(t *testing.T) {
	root := t.TempDir()
	var fixtures []*fixture
	for _, n := range []int{1000, 20_000} {
		f := openFixture(t, root, n, 10)
		if len(f.Users) != 10 || len(f.EmailUsers) != 10 {
			t.Fatalf("N=%d: %d real users, want 10", n, len(f.Users))
		}
		fixtures = append(fixtures, f)
	}
	// A cached fixture is found again, with the same users.
	if again := openFixture(t, root, 1000, 10); again.PoolID != fixtures[0].PoolID || again.Users[3] != fixtures[0].Users[3] {
		t.Fatalf("cached fixture differs: %+v vs %+v", again, fixtures[0])
	}
	insts := startInstances(t, fixtures)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, in := range insts {
		for range 3 {
			if _, err := in.round(rng); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, op := range extraOps {
		op.reps = 1
		if _, _, err := runExtra(insts, op, rng); err != nil {
			t.Fatal(err)
		}
	}
}

// envInts parses a comma-separated list of sizes, or returns def.
func envInts(name string, def []int) ([]int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	var out []int
	for _, s := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(strings.ReplaceAll(s, "_", "")))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%s: bad size %q", name, s)
		}
		out = append(out, n)
	}
	return out, nil
}

// BenchmarkScale measures, in one run and interleaved (each iteration visits
// every pool size, in a rotating order), for pools of 1 k, 100 k and 1 M
// users: the server time of an SRP login (InitiateAuth + RespondToAuthChallenge
// round trips over loopback; the client's SRP math is excluded), the
// Cognito-authorizer GET with a fresh token (verified) and again (cached);
// then, with fewer repetitions, an SRP login by email address in a second
// pool (UsernameAttributes [email]) and a few user-administration calls. It
// reports medians per size and the ratio of each size's median to the
// smallest size's (target ≤ 1.2 for login and authorization), and for the
// extra operations also the process CPU time per call and its ratio.
//
//	COGNATE_SCALE_BENCH=1 go test -run '^$' -bench BenchmarkScale -benchtime 200x -timeout 60m -v ./internal/scalebench/
//
// COGNATE_SCALE_SIZES (default 1000,100000,1000000), COGNATE_SCALE_REAL
// (real users per pool, default 500) and COGNATE_SCALE_DIR (cache, default
// $TMPDIR/cognate-scalebench) adjust it.
func BenchmarkScale(b *testing.B) {
	if os.Getenv("COGNATE_SCALE_BENCH") != "1" {
		b.Skip("set COGNATE_SCALE_BENCH=1 to build (or reuse) the 1 M-user pool and run the scale benchmark")
	}
	sizes, err := envInts("COGNATE_SCALE_SIZES", []int{1000, 100_000, 1_000_000})
	if err != nil {
		b.Fatal(err)
	}
	real := 500
	if v := os.Getenv("COGNATE_SCALE_REAL"); v != "" {
		if real, err = strconv.Atoi(v); err != nil || real <= 0 {
			b.Fatalf("COGNATE_SCALE_REAL: %q", v)
		}
	}
	root := os.Getenv("COGNATE_SCALE_DIR")
	if root == "" {
		root = filepath.Join(os.TempDir(), "cognate-scalebench")
	}
	var fixtures []*fixture
	for _, n := range sizes {
		fixtures = append(fixtures, openFixture(b, root, n, real))
	}
	insts := startInstances(b, fixtures)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for range 20 { // warm-up: connections, key caches, SQLite pages
		for _, in := range insts {
			if _, err := in.round(rng); err != nil {
				b.Fatal(err)
			}
		}
	}

	res := make([][]sample, len(insts))
	i := 0
	for b.Loop() {
		for k := range insts {
			j := (k + i) % len(insts)
			s, err := insts[j].round(rng)
			if err != nil {
				b.Fatal(err)
			}
			res[j] = append(res[j], s)
		}
		i++
	}
	b.StopTimer()
	extra, extraCPU := map[string][]series{}, map[string][]series{}
	for _, op := range extraOps {
		if extra[op.name], extraCPU[op.name], err = runExtra(insts, op, rng); err != nil {
			b.Fatal(err)
		}
	}
	report(b, insts, res, extra, extraCPU)
}

// report logs the per-size table and reports the headline metrics.
func report(b *testing.B, insts []*instance, res [][]sample, extra, extraCPU map[string][]series) {
	pick := func(j int, f func(sample) time.Duration) series {
		var s series
		for _, x := range res[j] {
			s = append(s, f(x))
		}
		return s
	}
	metrics := []struct {
		name string
		get  func(sample) time.Duration
	}{
		{"login", func(s sample) time.Duration { return s.login }},
		{"authz", func(s sample) time.Duration { return s.authz }},
		{"authz-cached", func(s sample) time.Duration { return s.authzCached }},
		{"srp-client-math", func(s sample) time.Duration { return s.client }},
	}
	base := sizeLabel(insts[0].f.N)
	rows := [][]string{{"operation", "N", "samples", "median ms", "p90 ms", "ratio vs " + base}}
	for _, m := range metrics {
		first := pick(0, m.get).median()
		for j, in := range insts {
			s := pick(j, m.get)
			label := sizeLabel(in.f.N)
			r := ratio(s.median(), first)
			rows = append(rows, []string{m.name, label, strconv.Itoa(len(s)), ms(s.median()), ms(s.quantile(0.9)), fmt.Sprintf("%.3f", r)})
			if m.name != "srp-client-math" {
				b.ReportMetric(float64(s.median())/1e6, m.name+"-ms-"+label)
				if j > 0 {
					b.ReportMetric(r, m.name+"-ratio-"+label+"/"+base)
				}
			}
		}
	}
	for _, op := range extraOps {
		ss := extra[op.name]
		first := ss[0].median()
		for j, in := range insts {
			rows = append(rows, []string{op.name, sizeLabel(in.f.N), strconv.Itoa(len(ss[j])), ms(ss[j].median()),
				ms(ss[j].quantile(0.9)), fmt.Sprintf("%.3f", ratio(ss[j].median(), first))})
		}
	}
	// CPU per call of the extra operations: the process's CPU time (client
	// and server; the client's share does not depend on the pool size),
	// mean over the calls since single calls are below the clock's tick.
	cpuRows := [][]string{{"operation", "N", "calls", "CPU ms/call", "ratio vs " + base}}
	for _, op := range extraOps {
		cs := extraCPU[op.name]
		first := cs[0].mean()
		for j, in := range insts {
			r := ratio(cs[j].mean(), first)
			cpuRows = append(cpuRows, []string{op.name, sizeLabel(in.f.N), strconv.Itoa(len(cs[j])), ms(cs[j].mean()), fmt.Sprintf("%.3f", r)})
			if j > 0 {
				b.ReportMetric(r, "cpu-ratio-"+strings.NewReplacer(" ", "", "(", "-", ")", "", "=", "", "+", "-").Replace(op.name)+"-"+sizeLabel(in.f.N)+"/"+base)
			}
		}
	}
	b.ReportMetric(0, "ns/op")
	b.Logf("scale benchmark, %d rounds per size (medians; login = server time of both round trips):\n%s", len(res[0]), table(rows))
	b.Logf("CPU per call of the operations above (process CPU, mean):\n%s", table(cpuRows))
}
