#!/usr/bin/env bash
# scale-bench.sh — DESIGN.md's scale target: login and authorization latency
# flat (<= 1.2x) from 1 k to 1 M users in a pool; idle RSS <= 40 MB.
#
# 1. Runs BenchmarkScale (internal/scalebench) COUNT times: pools of 1 k,
#    100 k and 1 M users, interleaved in one process; SRP login server time,
#    Cognito-authorizer GET (fresh token, then cached), SRP login by email in
#    a UsernameAttributes=[email] pool, and some admin calls. The first run
#    builds the databases (about a minute for 1 M) and caches them under
#    $COGNATE_SCALE_DIR (default $TMPDIR/cognate-scalebench, ~2.5 GB).
#    Prints each run's table and the median over runs of every ratio.
# 2. Builds cmd/cognate and measures the idle RSS (VmRSS after RSS_WAIT
#    seconds) of `cognate up` with the notes demo, RSS_REPS times each, on an
#    empty data directory and on the cached database of the largest size
#    (1 M users); prints medians.
#
# Tunables (environment): COUNT (3), ROUNDS (200 benchmark rounds per run),
# SIZES (1000,100000,1000000), RSS_REPS (3), RSS_WAIT (5), SKIP_BENCH=1
# (RSS only; the 1 M-user database must exist).
set -euo pipefail

COUNT=${COUNT:-3}
ROUNDS=${ROUNDS:-200}
SIZES=${SIZES:-1000,100000,1000000}
RSS_REPS=${RSS_REPS:-3}
RSS_WAIT=${RSS_WAIT:-5}
SKIP_BENCH=${SKIP_BENCH:-}
export COGNATE_SCALE_DIR=${COGNATE_SCALE_DIR:-${TMPDIR:-/tmp}/cognate-scalebench}

cd "$(dirname "$0")/.."

log() { printf '[scale] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

work=$(mktemp -d)
pid=
cleanup() {
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# median reads numbers, one per line, and prints their median.
median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

log "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ -z $SKIP_BENCH ]]; then
	log "BenchmarkScale: sizes $SIZES, $ROUNDS rounds, $COUNT runs (cache: $COGNATE_SCALE_DIR)"
	COGNATE_SCALE_BENCH=1 COGNATE_SCALE_SIZES=$SIZES go test -run '^$' -bench '^BenchmarkScale$' \
		-benchtime "${ROUNDS}x" -count "$COUNT" -timeout 120m -v ./internal/scalebench/ | tee "$work/bench.txt"
	# Every "value unit" pair of the result lines whose unit is a ratio or a latency.
	awk '/^BenchmarkScale/ {for (i = 3; i < NF; i += 2) print $(i + 1), $i}' "$work/bench.txt" |
		grep -E -- '-(ratio|ms)-' >"$work/metrics.txt" || die "no benchmark results"
	printf '\nmedian over %s runs:\n' "$COUNT"
	for unit in $(cut -d' ' -f1 "$work/metrics.txt" | sort -u); do
		printf '  %-32s %s\n' "$unit" "$(awk -v u="$unit" '$1 == u {print $2}' "$work/metrics.txt" | median)"
	done
fi

largest=$(tr ',' '\n' <<<"$SIZES" | tr -d ' _' | sort -n | tail -n 1)
big=$(ls -d "$COGNATE_SCALE_DIR"/v*-n"$largest"-r* 2>/dev/null | sort -V | tail -n 1 || true)
[[ -n $big && -f $big/fixture.json ]] || die "no cached $largest-user database under $COGNATE_SCALE_DIR (run without SKIP_BENCH first)"

log "building cmd/cognate"
go build -o "$work/cognate" ./cmd/cognate

# rss DIR prints the VmRSS (kB) of `cognate up` on DIR after RSS_WAIT seconds.
rss() {
	"$work/cognate" up -addr 127.0.0.1:0 -data "$1" -log-level warn >"$work/up.log" 2>&1 &
	pid=$!
	sleep "$RSS_WAIT"
	kill -0 "$pid" 2>/dev/null || { cat "$work/up.log" >&2; die "cognate up exited"; }
	awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"
	kill -TERM "$pid"
	wait "$pid" || true
	pid=
}

printf '\nidle RSS of cognate up (notes demo), %s runs, after %ss:\n' "$RSS_REPS" "$RSS_WAIT"
for label in empty "$largest"; do
	: >"$work/rss.txt"
	for _ in $(seq "$RSS_REPS"); do
		if [[ $label == empty ]]; then
			dir=$(mktemp -d "$work/empty.XXXX")
		else
			dir=$big
		fi
		rss "$dir" >>"$work/rss.txt"
	done
	printf '  %-8s median %6.1f MB   (runs, kB: %s)\n' "$label" \
		"$(median <"$work/rss.txt" | awk '{print $1 / 1024}')" "$(tr '\n' ' ' <"$work/rss.txt")"
done
