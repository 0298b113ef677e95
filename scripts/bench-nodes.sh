#!/usr/bin/env bash
# bench-nodes.sh — SRP logins/s and authorized gateway requests/s of Cognate on
# SQLite (one node) versus PostgreSQL (one node, two nodes sharing the
# database), issue 6.
#
# For each round and each configuration it starts the node(s) with the notes
# demo (`cognate up --addr 127.0.0.1:0 --public-url http://bench.local`, log
# level warn, stage throttling off: see THROTTLING; PostgreSQL runs get their
# own schema via search_path; two nodes share COGNATE_SERVER_KEY, public URL
# and store),
# creates USERS users through the JSON API (scripts/nodebench setup, which
# also checks a login on every node and, with two nodes, InitiateAuth on one
# node answered on the other), then measures:
#   login_cN       nodebench: N concurrent SRP login loops for LOGIN_D, logins
#                  spread round-robin over the nodes
#   login_xN       (two nodes) the same, each login started on one node and
#                  finished on the other
#   gw_cognito     wrk GET /dev/cognito/notes (COGNITO_USER_POOLS authorizer)
#   gw_custom      wrk GET /dev/notes (custom TOKEN authorizer, cached 300 s)
# wrk: -t2 -c32 on one node; with two nodes one wrk per node, -t1 -c16 each
# (req/s summed, latency percentiles: the worse node).
# CPU per operation is read from /proc: the node processes, PostgreSQL (the
# postmaster and its backends) and, for logins, the client (nodebench's own
# rusage; its SRP math is also timed alone after each run).
#
# Everything runs on loopback; PostgreSQL is a throwaway cluster
# (.ci/postgres.sh); nodes and the cluster are always stopped on exit.
#
# Tunables (environment): ROUNDS (3), CONFIGS ("sqlite1 pg1 pg2"),
# LOGIN_C ("4 8"), LOGIN_D (15s), CROSS_C (8; empty = no cross-node run),
# WRK_D (10s), WRK_C (32), WRK_T (2), WARMUP (2s), USERS (16),
# THROTTLING (off: the demo file with `throttling: {rateLimit: -1}` and
# `authThrottling: {rateLimit: -1}`, since the per-node 10,000 req/s stage
# throttle would cap the gateway figures and the per-source 50 req/s bucket
# on Cognito's public operations the login figures (every client is on
# loopback); demo: the built-in demo, no --config), OUT_DIR (docs/bench/nodes; raw outputs).
set -euo pipefail

ROUNDS=${ROUNDS:-3}
CONFIGS=${CONFIGS:-sqlite1 pg1 pg2}
LOGIN_C=${LOGIN_C:-4 8}
LOGIN_D=${LOGIN_D:-15s}
CROSS_C=${CROSS_C-8}
WRK_D=${WRK_D:-10s}
WRK_C=${WRK_C:-32}
WRK_T=${WRK_T:-2}
WARMUP=${WARMUP:-2s}
USERS=${USERS:-16}
OUT_DIR=${OUT_DIR:-docs/bench/nodes}
THROTTLING=${THROTTLING:-off}
PASSWORD='Bench-Passw0rd!1'

cd "$(dirname "$0")/.."
ROOT=$PWD

log() { printf '[bench-nodes %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- summary -----------------------------------------------------------------
summarize() {
	awk -v configs="$CONFIGS" '
	function median(s,   a, n, i, j, t) {
		n = split(s, a, " ")
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{
		k = $3 SUBSEP $2
		rate[k] = rate[k] " " $4; p50[k] = p50[k] " " $5; p99[k] = p99[k] " " $6; errs[k] += $7
		nodecpu[k] = nodecpu[k] " " $8; pgcpu[k] = pgcpu[k] " " $9; busy[k] = busy[k] " " $12
		if ($10 != "-") { cl[k] = cl[k] " " $10; math[k] = math[k] " " $11 }
		if (!($3 in seen)) { seen[$3] = 1; metrics[++nm] = $3 }
	}
	END {
		printf "%-11s %-8s %9s  %-26s %8s %8s %6s %10s %10s %10s %10s %5s\n", "metric", "config", "median/s",
			"rounds (/s)", "p50 ms", "p99 ms", "errors", "node us/op", "pg us/op", "client us", "SRP math", "busy"
		for (m = 1; m <= nm; m++) {
			nc = split(configs, cs, " ")
			for (c = 1; c <= nc; c++) {
				k = metrics[m] SUBSEP cs[c]
				if (!(k in rate)) continue
				printf "%-11s %-8s %9.1f  %-26s %8.2f %8.2f %6d %10.0f %10.0f %10s %10s %5.2f\n", metrics[m], cs[c],
					median(rate[k]), substr(rate[k], 2), median(p50[k]), median(p99[k]), errs[k],
					median(nodecpu[k]), median(pgcpu[k]), (k in cl ? median(cl[k]) : "-"),
					(k in math ? median(math[k]) : "-"), median(busy[k])
			}
		}
	}' "$@"
}

# `bench-nodes.sh summary RESULTS...` prints the table of medians over the
# rounds of one or more earlier runs' results.txt files, and exits.
if [ "${1:-}" = summary ]; then
	shift
	[ $# -gt 0 ] || die "usage: bench-nodes.sh summary RESULTS.txt..."
	summarize "$@"
	exit 0
fi

if ! command -v wrk >/dev/null 2>&1; then
	[ "$(id -u)" -eq 0 ] || die "wrk is missing; install it with: sudo apt-get install -y wrk"
	log "installing wrk (apt-get)"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
command -v curl >/dev/null 2>&1 || die "curl is required for the pre-flight checks"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-nodes.XXXXXX")
NODE_PIDS=()
PG_DIR=""
stop_nodes() {
	local p
	for p in "${NODE_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${NODE_PIDS[@]}"; do
		for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$p" 2>/dev/null || true
	done
	NODE_PIDS=()
}
cleanup() {
	stop_nodes
	if [ -n "$PG_DIR" ]; then bash "$ROOT/.ci/postgres.sh" stop "$PG_DIR" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building cognate and scripts/nodebench"
go build -o "$WORK/cognate" ./cmd/cognate
go build -o "$WORK/nodebench" ./scripts/nodebench
NB="$WORK/nodebench"

case " $CONFIGS " in
*" pg"*)
	log "starting a throwaway PostgreSQL (.ci/postgres.sh)"
	eval "$(bash .ci/postgres.sh)"
	PG_DIR=$COGNATE_TEST_POSTGRES_DIR
	;;
esac

# The stage throttle (10,000 req/s, burst 5,000, per node) would cap the
# gateway figures: by default the nodes serve the built-in demo file itself
# (internal/demo/demo.yaml) with throttling off; THROTTLING=demo serves the
# built-in demo (no --config) with its default throttle.
DEMO_CONFIG=""
case $THROTTLING in
off)
	DEMO_CONFIG="$WORK/demo-unthrottled.yaml"
	{ echo 'throttling: {rateLimit: -1}'; echo 'authThrottling: {rateLimit: -1}'; cat internal/demo/demo.yaml; } >"$DEMO_CONFIG"
	;;
demo) ;;
*) die "THROTTLING must be off or demo" ;;
esac

mkdir -p "$OUT_DIR"
OUT_DIR=$(cd "$OUT_DIR" && pwd)
rm -f "$OUT_DIR"/r[0-9]*-*.txt "$OUT_DIR"/{results,checks,summary,run-info}.txt
RESULTS="$OUT_DIR/results.txt"
: >"$RESULTS"

# --- CPU accounting (clock ticks) -------------------------------------------
ticks_of() { # PID...: utime+stime of these processes
	local p s=0 t
	for p in "$@"; do
		t=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)
		s=$((s + t))
	done
	echo "$s"
}
node_ticks() { ticks_of "${NODE_PIDS[@]}"; }
pg_ticks() { # the postmaster (with its reaped children) and its live children
	[ -n "$PG_DIR" ] || { echo 0; return; }
	local pm kids self
	pm=$(head -n1 "$PG_DIR/data/postmaster.pid" 2>/dev/null) || { echo 0; return; }
	self=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat" 2>/dev/null || echo 0)
	kids=$(ticks_of $(ps -o pid= --ppid "$pm" 2>/dev/null))
	echo $((self + kids))
}
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)

# --- nodes -------------------------------------------------------------------
URLS=()
start_node() { # name store-url-or-empty
	local name=$1 store=$2 dir="$WORK/r$round-$1" args=() # a fresh data directory per run
	mkdir -p "$dir"
	args=(up --addr 127.0.0.1:0 --data "$dir/data" --public-url http://bench.local --log-level warn)
	[ -z "$store" ] || args+=(--store "$store")
	[ -z "$DEMO_CONFIG" ] || args+=(--config "$DEMO_CONFIG")
	COGNATE_SERVER_KEY=$SERVER_KEY "$WORK/cognate" "${args[@]}" >"$dir/out" 2>"$dir/err" &
	local pid=$!
	NODE_PIDS+=("$pid")
	for _ in $(seq 1 300); do
		grep -q '^Press Ctrl-C to stop' "$dir/out" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || { tail -n 20 "$dir/err" >&2; die "node $name exited at start"; }
		sleep 0.2
	done
	grep -q '^Press Ctrl-C to stop' "$dir/out" || die "node $name did not start in 60 s"
	local url
	url=$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$dir/out" | head -n1 | cut -d' ' -f3)
	[ -n "$url" ] || die "node $name printed no loopback URL"
	URLS+=("$url")
	log "node $name: $url ($(grep -o 'store: [a-z]*' "$dir/out" | head -n1))"
}

# --- measurements ------------------------------------------------------------
# record ROUND CONFIG METRIC RATE P50 P99 ERRORS OPS DT NODE0 NODE1 PG0 PG1 BUSY0 BUSY1 CLIENT_US MATH_US
record() {
	awk -v r="$1" -v cfg="$2" -v m="$3" -v rate="$4" -v p50="$5" -v p99="$6" -v err="$7" -v ops="$8" \
		-v n="$((${11} - ${10}))" -v pg="$((${13} - ${12}))" -v busy="$((${15} - ${14}))" -v dt="$9" \
		-v cl="${16}" -v math="${17}" -v hz="$CLK_TCK" -v ncpu="$NCPU" 'BEGIN {
		per = (ops > 0 ? 1e6 / hz / ops : 0)
		printf "%s %s %s %.1f %.2f %.2f %s %.0f %.0f %s %s %.2f\n", r, cfg, m, rate, p50, p99, err,
			n * per, pg * per, cl, math, busy / hz / (dt * ncpu)
	}' >>"$RESULTS"
}

now_s() { date +%s.%N; }

kv() { sed -n "s/\(^\|.* \)$1=\([^ ]*\).*/\2/p" "$2" | head -n1; } # KEY FILE

run_logins() { # round config metric c cross(0/1)
	local out="$OUT_DIR/r$1-$2-$3.txt" flags=() ep
	ep=$(IFS=,; echo "${URLS[*]}")
	[ "$5" = 1 ] && flags+=(-cross)
	log "round $1 $2: $3 (nodebench logins -c $4 -d $LOGIN_D${flags[*]:+ ${flags[*]}})"
	local n0 p0 b0 t0 n1 p1 b1 t1
	n0=$(node_ticks); p0=$(pg_ticks); b0=$(busy_ticks); t0=$(now_s)
	"$NB" logins -endpoints "$ep" -pool "$POOL_ID" -client "$CLIENT_ID" -users "$USERS" \
		-password "$PASSWORD" -c "$4" -d "$LOGIN_D" "${flags[@]}" >"$out" 2>&1 ||
		die "nodebench logins failed: $(cat "$out")"
	n1=$(node_ticks); p1=$(pg_ticks); b1=$(busy_ticks); t1=$(now_s)
	# The client's SRP math alone, after the load (outside the CPU window).
	"$NB" srpmath -endpoints "$ep" -pool "$POOL_ID" -client "$CLIENT_ID" -password "$PASSWORD" -n 50 >>"$out" 2>&1 ||
		die "nodebench srpmath failed: $(cat "$out")"
	[ "$(kv errors "$out")" = 0 ] || log "warning: $(kv errors "$out") login errors; $(grep last_error "$out" || true)"
	record "$1" "$2" "$3" "$(kv rate "$out")" "$(kv p50_ms "$out")" "$(kv p99_ms "$out")" \
		"$(kv errors "$out")" "$(kv logins "$out")" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
		"$n0" "$n1" "$p0" "$p1" "$b0" "$b1" "$(kv client_cpu_us "$out")" "$(kv srp_math_us "$out")"
}

wrk_one() { # url path threads conns duration outfile
	wrk -t"$3" -c"$4" -d"$5" --latency -H "Authorization: $TOKEN" "$1$2" >"$6" 2>&1 ||
		die "wrk failed: $(cat "$6")"
}

# wrk_parse FILE -> "req/s p50_ms p99_ms non2xx requests"
wrk_parse() {
	awk '
	function ms(v) {
		if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
		if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
		if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
		return v + 0
	}
	/requests in/ { n = $1 }
	/^Requests\/sec:/ { rps = $2 }
	/^ +50%/ { p50 = ms($2) }
	/^ +99%/ { p99 = ms($2) }
	/Non-2xx or 3xx responses:/ { bad += $NF }
	/Socket errors:/ { gsub(/,/, ""); bad += $4 + $6 + $8 + $10 }
	END { printf "%s %.3f %.3f %d %d\n", rps, p50, p99, bad, n }' "$1"
}

run_wrk() { # round config metric path
	local i nn=${#URLS[@]} t=$WRK_T c=$WRK_C pids=()
	if [ "$nn" -gt 1 ]; then t=$((WRK_T / nn > 0 ? WRK_T / nn : 1)); c=$((WRK_C / nn)); fi
	for i in "${!URLS[@]}"; do wrk_one "${URLS[$i]}" "$4" "$t" "$c" "$WARMUP" "$WORK/warm$i.txt" & pids+=($!); done
	wait "${pids[@]}"
	log "round $1 $2: $3 (wrk -t$t -c$c -d$WRK_D x $nn node(s), GET $4)"
	local n0 p0 b0 t0 n1 p1 b1 t1
	pids=()
	n0=$(node_ticks); p0=$(pg_ticks); b0=$(busy_ticks); t0=$(now_s)
	for i in "${!URLS[@]}"; do
		wrk_one "${URLS[$i]}" "$4" "$t" "$c" "$WRK_D" "$OUT_DIR/r$1-$2-$3-node$((i + 1)).txt" & pids+=($!)
	done
	wait "${pids[@]}"
	n1=$(node_ticks); p1=$(pg_ticks); b1=$(busy_ticks); t1=$(now_s)
	local sum
	sum=$(for i in "${!URLS[@]}"; do wrk_parse "$OUT_DIR/r$1-$2-$3-node$((i + 1)).txt"; done |
		awk '{ rps += $1; if ($2 > p50) p50 = $2; if ($3 > p99) p99 = $3; bad += $4; n += $5 }
		END { printf "%.1f %.3f %.3f %d %d", rps, p50, p99, bad, n }')
	set -- "$1" "$2" "$3" $sum
	# ok req/s: 2xx/3xx only
	local okrate
	okrate=$(awk -v r="$4" -v bad="$7" -v n="$8" 'BEGIN { printf "%.1f", (n > 0 ? r * (n - bad) / n : 0) }')
	record "$1" "$2" "$3" "$okrate" "$5" "$6" "$7" "$8" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
		"$n0" "$n1" "$p0" "$p1" "$b0" "$b1" - -
}

status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }

# --- the runs ------------------------------------------------------------------
{
	echo "machine: $NCPU CPU(s) shared by the node(s), PostgreSQL, nodebench/wrk and anything else running"
	echo "started: $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "THROTTLING=$THROTTLING ROUNDS=$ROUNDS CONFIGS='$CONFIGS' LOGIN_C='$LOGIN_C' LOGIN_D=$LOGIN_D CROSS_C=$CROSS_C WRK_D=$WRK_D WRK_C=$WRK_C WRK_T=$WRK_T WARMUP=$WARMUP USERS=$USERS"
} >"$OUT_DIR/run-info.txt"

read -r -a CFG_LIST <<<"$CONFIGS"
for round in $(seq 1 "$ROUNDS"); do
	# Each round starts with the next configuration, so no configuration
	# always runs first (or right after another's load).
	order=()
	for i in "${!CFG_LIST[@]}"; do order+=("${CFG_LIST[$(((i + round - 1) % ${#CFG_LIST[@]}))]}"); done
	for cfg in "${order[@]}"; do
		log "round $round/$ROUNDS: $cfg (load average $(cut -d' ' -f1-3 /proc/loadavg))"
		echo "round $round $cfg: load average $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT_DIR/run-info.txt"
		SERVER_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
		URLS=()
		case $cfg in
		sqlite1) start_node "$cfg-a" "" ;;
		pg1 | pg2)
			store=$("$NB" pgschema -base "$COGNATE_TEST_POSTGRES" -schema "nb_r${round}_$cfg")
			start_node "$cfg-a" "$store"
			# the second node starts after the first applied the demo: it
			# finds the same pool, client and API by name
			[ "$cfg" = pg1 ] || start_node "$cfg-b" "$store"
			;;
		*) die "unknown configuration $cfg (sqlite1, pg1, pg2)" ;;
		esac
		ep=$(IFS=,; echo "${URLS[*]}")
		"$NB" setup -endpoints "$ep" -users "$USERS" -password "$PASSWORD" >"$WORK/setup.txt" 2>&1 ||
			die "setup failed: $(cat "$WORK/setup.txt")"
		grep '^CHECK=' "$WORK/setup.txt" | sed "s/^CHECK=/round $round $cfg: /" >>"$OUT_DIR/checks.txt"
		POOL_ID=$(sed -n 's/^POOL_ID=//p' "$WORK/setup.txt")
		CLIENT_ID=$(sed -n 's/^CLIENT_ID=//p' "$WORK/setup.txt")
		TOKEN=$(sed -n 's/^TOKEN=//p' "$WORK/setup.txt")
		for u in "${URLS[@]}"; do
			for p in /dev/cognito/notes /dev/notes; do
				[ "$(status -H "Authorization: $TOKEN" "$u$p")" = 200 ] || die "$u$p with token did not answer 200"
				[ "$(status "$u$p")" = 401 ] || die "$u$p without token did not answer 401"
			done
		done
		echo "round $round $cfg: pre-flight ok on ${#URLS[@]} node(s): 200 with the token, 401 without, both paths" >>"$OUT_DIR/checks.txt"

		for c in $LOGIN_C; do run_logins "$round" "$cfg" "login_c$c" "$c" 0; done
		if [ "${#URLS[@]}" -gt 1 ] && [ -n "$CROSS_C" ]; then
			run_logins "$round" "$cfg" "login_x$CROSS_C" "$CROSS_C" 1
		fi
		run_wrk "$round" "$cfg" gw_cognito /dev/cognito/notes
		run_wrk "$round" "$cfg" gw_custom /dev/notes
		stop_nodes
	done
done
echo "finished: $(date -u +%FT%TZ)" >>"$OUT_DIR/run-info.txt"

{
	echo "Cognate nodes benchmark — SQLite vs PostgreSQL, one and two nodes ($ROUNDS rounds, medians)"
	cat "$OUT_DIR/run-info.txt"
	echo
	echo "login_cN: N concurrent SRP login loops (nodebench, $LOGIN_D), round-robin over the nodes; login_xN: InitiateAuth on one node,"
	echo "RespondToAuthChallenge on the other. gw_*: wrk -t$WRK_T -c$WRK_C -d$WRK_D --latency (two nodes: one wrk per node, half each;"
	echo "req/s summed, p50/p99 of the worse node); req/s counts 2xx only. node/pg us/op: CPU time of the node processes / of"
	echo "PostgreSQL per login or request; client us: nodebench's CPU per login (HTTP + SRP math); SRP math: the client's"
	echo "NewClient+Respond alone, one goroutine, idle machine; busy: share of all $NCPU CPUs busy during the run (everything)."
	echo
	summarize "$RESULTS"
} | tee "$OUT_DIR/summary.txt"
