#!/usr/bin/env bash
# bench-gateway.sh — load benchmark of the API gateway (DESIGN.md, performance
# targets): an authorized GET through Cognate (cached TOKEN authorizer,
# HTTP_PROXY to a trivial Go backend) against a tuned bare
# httputil.ReverseProxy in front of the same backend, in the same run, with
# wrk. Target: gateway req/s >= 0.8 x proxy req/s.
#
# Everything listens on 127.0.0.1 ephemeral ports inside one helper process
# (scripts/loadbench), which this script builds, starts and always stops.
#
# Throttling: like AWS, Cognate throttles each stage at 10,000 req/s (burst
# 5,000) and answers 429 beyond. To measure the gateway's own cost rather than
# that limit, APIS identical APIs (stage dev each) are deployed and wrk spreads
# its requests over their Hosts ({apiId}.execute-api.localhost), sending the
# same requests (path, Host, Authorization) to the proxy, so both targets get
# byte-identical requests. Only 2xx/3xx answers count as throughput.
#
# Tunables (environment): ROUNDS (3), THREADS (2), CONNECTIONS (64),
# DURATION (10s), WARMUP (3s), APIS (4; 1 = a single stage, throttled),
# LOG_LEVEL (warn; "info" adds Cognate's access log, written to /dev/null),
# OUT_DIR (keep raw wrk outputs there).
set -euo pipefail

ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
APIS=${APIS:-4}
LOG_LEVEL=${LOG_LEVEL:-warn}
OUT_DIR=${OUT_DIR:-}
TARGET_RATIO=0.8

cd "$(dirname "$0")/.."

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# wrk from Debian's package.
if ! command -v wrk >/dev/null 2>&1; then
	[ "$(id -u)" -eq 0 ] || die "wrk is missing; install it with: sudo apt-get install -y wrk"
	log "installing wrk (apt-get)"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
command -v curl >/dev/null 2>&1 || die "curl is required for the pre-flight checks"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-gateway.XXXXXX")
LB_PID=""
cleanup() {
	if [ -n "$LB_PID" ] && kill -0 "$LB_PID" 2>/dev/null; then
		kill -TERM "$LB_PID" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$LB_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$LB_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building scripts/loadbench"
go build -o "$WORK/loadbench" ./scripts/loadbench

LB_FLAGS=(-max-run 10m -log-level "$LOG_LEVEL" -apis "$APIS")
[ "$LOG_LEVEL" = warn ] || LB_FLAGS+=(-log-discard)
"$WORK/loadbench" "${LB_FLAGS[@]}" >"$WORK/loadbench.out" 2>"$WORK/loadbench.err" &
LB_PID=$!

for _ in $(seq 1 120); do
	grep -q '^READY=1' "$WORK/loadbench.out" 2>/dev/null && break
	kill -0 "$LB_PID" 2>/dev/null || { cat "$WORK/loadbench.err" >&2; die "loadbench exited early"; }
	sleep 0.5
done
grep -q '^READY=1' "$WORK/loadbench.out" || die "loadbench not ready after 60 s"

value() { sed -n "s/^$1=//p" "$WORK/loadbench.out"; }
GATEWAY_URL=$(value GATEWAY_URL)
PROXY_URL=$(value PROXY_URL)
TOKEN=$(value TOKEN)
REQUEST_PATH=$(value REQUEST_PATH)
HOSTS=$(value HOSTS)
for u in "$GATEWAY_URL" "$PROXY_URL"; do
	case "$u" in http://127.0.0.1:*) ;; *) die "not a loopback URL: $u" ;; esac
done
[ -n "$TOKEN" ] && [ -n "$REQUEST_PATH" ] && [ -n "$HOSTS" ] || die "no token, path or hosts from loadbench"

# Pre-flight: for every API the gateway must authorize the token and refuse
# its absence; the proxy must answer.
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
IFS=, read -r -a HOST_LIST <<<"$HOSTS"
for h in "${HOST_LIST[@]}"; do
	[ "$(status -H "Host: $h" -H "Authorization: $TOKEN" "$GATEWAY_URL$REQUEST_PATH")" = 200 ] ||
		die "gateway ($h) with token did not answer 200"
	[ "$(status -H "Host: $h" "$GATEWAY_URL$REQUEST_PATH")" = 401 ] || die "gateway ($h) without token did not answer 401"
	[ "$(status -H "Host: $h" -H "Authorization: $TOKEN" "$PROXY_URL$REQUEST_PATH")" = 200 ] || die "proxy did not answer 200"
done
log "pre-flight ok for ${#HOST_LIST[@]} API(s): gateway 200 with token, 401 without; proxy 200"

# The wrk script cycles through the Hosts with requests built once (the same
# cost for both targets); each carries wrk's -H headers (Authorization).
{
	echo 'local hosts = {'
	for h in "${HOST_LIST[@]}"; do printf '  "%s",\n' "$h"; done
	echo '}'
	echo 'local reqs, i = {}, 0'
	echo 'function init(args)'
	echo '  for k, host in ipairs(hosts) do'
	echo '    local h = {}'
	echo '    for name, v in pairs(wrk.headers) do h[name] = v end'
	echo '    h["Host"] = host'
	printf '    reqs[k] = wrk.format("GET", "%s", h)\n' "$REQUEST_PATH"
	echo '  end'
	echo 'end'
	echo 'function request() i = i % #reqs + 1; return reqs[i] end'
} >"$WORK/hosts.lua"

# cpu_ticks prints loadbench's user+system CPU time so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$LB_PID/stat"; }
CLK_TCK=$(getconf CLK_TCK)

run_wrk() { # name baseurl duration outfile
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"$3" --latency -s "$WORK/hosts.lua" \
		-H "Authorization: $TOKEN" "$2" >"$4" 2>&1 ||
		die "wrk failed against $1: $(cat "$4")"
}

log "warm-up: $WARMUP each"
run_wrk proxy "$PROXY_URL" "$WARMUP" "$WORK/warm-proxy.txt"
run_wrk gateway "$GATEWAY_URL" "$WARMUP" "$WORK/warm-gateway.txt"

# parse FILE -> "ok_req/s p50_ms p99_ms non2xx" (ok_req/s counts 2xx/3xx only)
parse() {
	awk '
	function ms(v) {
		if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
		if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
		if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
		return v + 0
	}
	/requests in/ { total = $1 }
	/^Requests\/sec:/ { rps = $2 }
	/^ +50%/ { p50 = ms($2) }
	/^ +99%/ { p99 = ms($2) }
	/Non-2xx or 3xx responses:/ { bad = $NF }
	/Socket errors:/ { bad = bad "+sock" }
	END {
		ok = rps
		if (bad + 0 > 0 && total > 0) ok = rps * (total - bad) / total
		printf "%.0f %.3f %.3f %s\n", ok, p50, p99, (bad == "" ? 0 : bad)
	}
	' "$1"
}

RESULTS="$WORK/results.txt"
: >"$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
	for target in proxy gateway; do
		url=$PROXY_URL
		[ "$target" = gateway ] && url=$GATEWAY_URL
		out="$WORK/round$round-$target.txt"
		log "round $round/$ROUNDS: $target (wrk -t$THREADS -c$CONNECTIONS -d$DURATION)"
		c0=$(cpu_ticks)
		run_wrk "$target" "$url" "$DURATION" "$out"
		c1=$(cpu_ticks)
		total=$(awk '/requests in/ { print $1 }' "$out")
		# Server-side CPU per request (backend + proxy or gateway, one process).
		cpu_us=$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v n="$total" 'BEGIN { printf "%.1f", (n > 0 ? d / hz * 1e6 / n : 0) }')
		echo "$round $target $(parse "$out") $cpu_us" >>"$RESULTS"
	done
done

if [ -n "$OUT_DIR" ]; then
	mkdir -p "$OUT_DIR"
	cp "$WORK"/round*.txt "$RESULTS" "$OUT_DIR"/
	log "raw wrk outputs kept in $OUT_DIR"
fi

echo
echo "Gateway load benchmark — wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS rounds, alternating"
echo "GET $REQUEST_PATH over $APIS API(s) by Host, Authorization: <id token, ${#TOKEN} bytes>; Cognate log level $LOG_LEVEL"
echo "machine: $(nproc) CPU(s) shared by wrk, backend, proxy and gateway; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
awk -v target="$TARGET_RATIO" '
{
	printf "round %s  %-8s %8s req/s  p50 %7.3f ms  p99 %7.3f ms  server CPU %6.1f us/req  non-2xx %s\n", $1, $2, $3, $4, $5, $7, $6
	n[$2]++; rps[$2] += $3; p50[$2] += $4; p99[$2] += $5; cpu[$2] += $7
	r[$1, $2] = $3
	if ($6 != "0") bad = 1
}
END {
	print ""
	printf "%-8s %12s %12s %12s %18s\n", "(means)", "req/s", "p50 ms", "p99 ms", "server CPU us/req"
	for (t = 0; t < 2; t++) {
		k = (t == 0 ? "proxy" : "gateway")
		printf "%-8s %12.0f %12.3f %12.3f %18.1f\n", k, rps[k] / n[k], p50[k] / n[k], p99[k] / n[k], cpu[k] / n[k]
	}
	ratio = (rps["gateway"] / n["gateway"]) / (rps["proxy"] / n["proxy"])
	printf "\nper-round ratios:"
	for (i = 1; i <= n["proxy"]; i++) {
		q[i] = r[i, "gateway"] / r[i, "proxy"]
		printf " %.3f", q[i]
	}
	m = n["proxy"]
	for (i = 2; i <= m; i++) for (j = i; j > 1 && q[j - 1] > q[j]; j--) { t = q[j]; q[j] = q[j - 1]; q[j - 1] = t }
	printf "  (median %.3f)", (m % 2 ? q[(m + 1) / 2] : (q[m / 2] + q[m / 2 + 1]) / 2)
	printf "\nserver CPU per request, proxy/gateway: %.3f (noise-robust; includes the backend on both sides)", (cpu["proxy"] / n["proxy"]) / (cpu["gateway"] / n["gateway"])
	printf "\nratio gateway/proxy (mean 2xx req/s): %.3f  (target >= %s: %s)\n", ratio, target, (ratio >= target ? "MET" : "NOT MET")
	if (bad) print "WARNING: some responses were not 2xx/3xx (429 = stage throttle) or sockets failed; req/s counts 2xx/3xx only"
}' "$RESULTS"
