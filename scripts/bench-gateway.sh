#!/usr/bin/env bash
# bench-gateway.sh — load benchmark of the API gateway (issue 16, DESIGN.md
# performance targets). In the same interleaved rounds, with byte-identical
# requests (wrk -t2 -c64 by default), it measures:
#
#   nginx    Debian's nginx, proxy_pass to the backend over a keep-alive
#            upstream, access log on (to /dev/null)  — the reference
#   proxy    a tuned bare Go httputil.ReverseProxy to the same backend
#   gateway  Cognate: cached TOKEN authorizer + HTTP_PROXY to the backend
#            (the target route: CPU/request <= 1.2 x nginx, req/s >= 0.8 x)
#   cognito  Cognate: Cognito user-pool authorizer + HTTP_PROXY
#   function Cognate: TOKEN authorizer + AWS (non-proxy) integration of a
#            builtin function with the "Method Request passthrough" template
#
# CPU per request comes from /proc/<pid>/stat (utime+stime) of each server
# process: nginx's master and workers; scripts/loadbench (bare proxy and
# Cognate in one process, only one of them loaded at a time); the trivial
# backend runs as its own process (loadbench -backend-only) and is reported
# separately, so "proxy CPU" is the proxy's own work and "server CPU" adds
# the backend's. Only 2xx/3xx answers count as throughput.
#
# Throttling: like AWS, Cognate throttles each stage at 10,000 req/s (burst
# 5,000). To measure the gateway's cost rather than that limit, APIS identical
# APIs are deployed and wrk spreads its requests over their Hosts
# ({apiId}.execute-api.localhost); every target gets the same requests.
#
# Tunables (environment): ROUNDS (3), THREADS (2), CONNECTIONS (64),
# DURATION (10s), WARMUP (3s), APIS (4), LOG_LEVEL (info: Cognate's access
# log on, written to /dev/null; "warn" turns it off), TARGETS ("nginx proxy
# gateway cognito function"), NGINX_WORKERS (auto), OUT_DIR (keep raw
# outputs), PPROF (1: also serve pprof from loadbench, PPROF_URL in OUT_DIR).
set -euo pipefail

ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
APIS=${APIS:-4}
LOG_LEVEL=${LOG_LEVEL:-info}
TARGETS=${TARGETS:-nginx proxy gateway cognito function}
NGINX_WORKERS=${NGINX_WORKERS:-auto}
OUT_DIR=${OUT_DIR:-}
PPROF=${PPROF:-}

cd "$(dirname "$0")/.."

log() { printf '[bench] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# wrk and nginx from Debian's packages.
need_pkg() { # command package...
	command -v "$1" >/dev/null 2>&1 && return 0
	[ "$(id -u)" -eq 0 ] || die "$1 is missing; install it with: sudo apt-get install -y ${*:2}"
	log "installing ${*:2} (apt-get)"
	[ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }
	local p
	for p in "${@:2}"; do
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null && break
	done
	command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || die "could not install $1"
}
need_pkg wrk wrk
case " $TARGETS " in *" nginx "*) PATH=$PATH:/usr/sbin need_pkg nginx nginx-light nginx ;; esac
NGINX=$(PATH=$PATH:/usr/sbin command -v nginx || true)
command -v curl >/dev/null 2>&1 || die "curl is required for the pre-flight checks"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-gateway.XXXXXX")
PIDS=()
stop_pid() {
	local pid=$1
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_ready() { # pid outfile errfile what
	for _ in $(seq 1 120); do
		grep -q '^READY=1' "$2" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || { cat "$3" >&2; die "$4 exited early"; }
		sleep 0.5
	done
	die "$4 not ready after 60 s"
}

log "building scripts/loadbench"
go build -o "$WORK/loadbench" ./scripts/loadbench

"$WORK/loadbench" -backend-only -max-run 30m >"$WORK/backend.out" 2>"$WORK/backend.err" &
BE_PID=$!
PIDS+=("$BE_PID")
wait_ready "$BE_PID" "$WORK/backend.out" "$WORK/backend.err" backend
BACKEND_URL=$(sed -n 's/^BACKEND_URL=//p' "$WORK/backend.out")
case "$BACKEND_URL" in http://127.0.0.1:*) ;; *) die "not a loopback URL: $BACKEND_URL" ;; esac

LB_FLAGS=(-max-run 30m -log-level "$LOG_LEVEL" -apis "$APIS" -backend "$BACKEND_URL")
[ "$LOG_LEVEL" = warn ] || LB_FLAGS+=(-log-discard)
[ -z "$PPROF" ] || LB_FLAGS+=(-pprof)
"$WORK/loadbench" "${LB_FLAGS[@]}" >"$WORK/loadbench.out" 2>"$WORK/loadbench.err" &
LB_PID=$!
PIDS+=("$LB_PID")
wait_ready "$LB_PID" "$WORK/loadbench.out" "$WORK/loadbench.err" loadbench

value() { sed -n "s/^$1=//p" "$WORK/loadbench.out"; }
GATEWAY_URL=$(value GATEWAY_URL)
PROXY_URL=$(value PROXY_URL)
TOKEN=$(value TOKEN)
REQUEST_PATH=$(value REQUEST_PATH)
COGNITO_PATH=$(value COGNITO_PATH)
FUNCTION_PATH=$(value FUNCTION_PATH)
HOSTS=$(value HOSTS)
for u in "$GATEWAY_URL" "$PROXY_URL"; do
	case "$u" in http://127.0.0.1:*) ;; *) die "not a loopback URL: $u" ;; esac
done
[ -n "$TOKEN" ] && [ -n "$REQUEST_PATH" ] && [ -n "$HOSTS" ] || die "no token, path or hosts from loadbench"
[ -z "$PPROF" ] || { [ -z "$OUT_DIR" ] || { mkdir -p "$OUT_DIR"; value PPROF_URL >"$OUT_DIR/pprof-url"; }; log "pprof: $(value PPROF_URL)"; }

# nginx: an unprivileged master (as nobody when run by root) on a free
# loopback port, configured as an operator would put it in front of an API:
# one worker per core, keep-alive to the clients and to the upstream
# (HTTP/1.1, Connection cleared), X-Forwarded-For, access log on.
NGINX_URL=""
if [ -n "$NGINX" ]; then
	free_port() {
		python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
			echo $((20000 + RANDOM % 30000))
	}
	NG=$WORK/nginx
	mkdir -p "$NG/tmp"
	NGINX_PORT=$(free_port)
	cat >"$NG/nginx.conf" <<-EOF
	worker_processes $NGINX_WORKERS;
	daemon off;
	pid $NG/nginx.pid;
	error_log $NG/error.log warn;
	events { worker_connections 4096; }
	http {
	    access_log /dev/null combined;
	    client_body_temp_path $NG/tmp/body;
	    proxy_temp_path $NG/tmp/proxy;
	    fastcgi_temp_path $NG/tmp/fastcgi;
	    uwsgi_temp_path $NG/tmp/uwsgi;
	    scgi_temp_path $NG/tmp/scgi;
	    keepalive_timeout 120s;
	    keepalive_requests 10000;
	    upstream backend {
	        server ${BACKEND_URL#http://};
	        keepalive 128;
	        keepalive_requests 10000;
	        keepalive_timeout 90s;
	    }
	    server {
	        listen 127.0.0.1:$NGINX_PORT;
	        location / {
	            proxy_pass http://backend;
	            proxy_http_version 1.1;
	            proxy_set_header Connection "";
	            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
	        }
	    }
	}
	EOF
	AS=()
	if [ "$(id -u)" -eq 0 ]; then
		chmod 711 "$WORK"
		chown -R nobody "$NG"
		AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
	fi
	"${AS[@]}" "$NGINX" -t -q -p "$NG" -c "$NG/nginx.conf" 2>"$WORK/nginx-t.err" || { cat "$WORK/nginx-t.err" >&2; die "nginx -t failed"; }
	"${AS[@]}" "$NGINX" -p "$NG" -c "$NG/nginx.conf" 2>"$WORK/nginx.err" &
	NGINX_PID=$!
	PIDS+=("$NGINX_PID")
	NGINX_URL=http://127.0.0.1:$NGINX_PORT
	for _ in $(seq 1 50); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$NGINX_URL$REQUEST_PATH" || true)" = 200 ] && break; sleep 0.1; done
	log "nginx $("$NGINX" -v 2>&1 | sed 's/.*version: //') on $NGINX_URL (master $NGINX_PID, workers $(pgrep -P "$NGINX_PID" | tr '\n' ' '))"
fi

url_of() {
	case $1 in
	nginx) echo "$NGINX_URL$REQUEST_PATH" ;;
	proxy) echo "$PROXY_URL$REQUEST_PATH" ;;
	gateway) echo "$GATEWAY_URL$REQUEST_PATH" ;;
	cognito) echo "$GATEWAY_URL$COGNITO_PATH" ;;
	function) echo "$GATEWAY_URL$FUNCTION_PATH" ;;
	*) die "unknown target $1" ;;
	esac
}
# pids_of prints the server processes of a target (nginx: master + workers).
pids_of() {
	case $1 in
	nginx) echo "$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')" ;;
	*) echo "$LB_PID" ;;
	esac
}
for t in $TARGETS; do [ "$t" != nginx ] || [ -n "$NGINX_URL" ] || die "nginx is not available"; done

# Pre-flight: for every API each target must answer 200 with the token; the
# gateway must refuse a missing token.
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
IFS=, read -r -a HOST_LIST <<<"$HOSTS"
for h in "${HOST_LIST[@]}"; do
	for t in $TARGETS; do
		[ "$(status -H "Host: $h" -H "Authorization: $TOKEN" "$(url_of "$t")")" = 200 ] || die "$t ($h) with token did not answer 200"
	done
	[ "$(status -H "Host: $h" "$GATEWAY_URL$REQUEST_PATH")" = 401 ] || die "gateway ($h) without token did not answer 401"
done
log "pre-flight ok for ${#HOST_LIST[@]} API(s): every target 200 with the token, gateway 401 without"

# One wrk script per path: it cycles through the Hosts with requests built
# once (the same cost for every target); each carries wrk's -H headers.
lua_for() { # path -> file
	local f
	f="$WORK/req-$(echo "$1" | tr -c 'a-zA-Z0-9\n' '_').lua"
	if [ ! -f "$f" ]; then
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
			printf '    reqs[k] = wrk.format("GET", "%s", h)\n' "$1"
			echo '  end'
			echo 'end'
			echo 'function request() i = i % #reqs + 1; return reqs[i] end'
		} >"$f"
	fi
	echo "$f"
}

# ticks PID... prints the processes' user+system CPU time so far, in clock ticks.
ticks() { local p s=0; for p in "$@"; do s=$((s + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo "$s"; }
CLK_TCK=$(getconf CLK_TCK)

run_wrk() { # target duration outfile
	local url path
	url=$(url_of "$1")
	path=/${url#http://*/}
	wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2" --latency -s "$(lua_for "$path")" \
		-H "Authorization: $TOKEN" "${url%"$path"}" >"$3" 2>&1 ||
		die "wrk failed against $1: $(cat "$3")"
}

log "warm-up: $WARMUP each"
for t in $TARGETS; do run_wrk "$t" "$WARMUP" "$WORK/warm-$t.txt"; done

# parse FILE -> "ok_req/s p50_ms p99_ms non2xx total" (ok_req/s counts 2xx/3xx only)
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
		printf "%.0f %.3f %.3f %s %d\n", ok, p50, p99, (bad == "" ? 0 : bad), total
	}
	' "$1"
}

RESULTS="$WORK/results.txt"
: >"$RESULTS"
read -r -a TL <<<"$TARGETS"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq 1 "$ROUNDS"); do
	# Rotate the order every round so that no target always follows another.
	n=${#TL[@]}
	for k in $(seq 0 $((n - 1))); do
		t=${TL[$(((k + round - 1) % n))]}
		out="$WORK/round$round-$t.txt"
		log "round $round/$ROUNDS: $t (wrk -t$THREADS -c$CONNECTIONS -d$DURATION; load $(cut -d' ' -f1 /proc/loadavg))"
		# shellcheck disable=SC2046
		set -- $(pids_of "$t")
		own0=$(ticks "$@")
		be0=$(ticks "$BE_PID")
		run_wrk "$t" "$DURATION" "$out"
		own1=$(ticks "$@")
		be1=$(ticks "$BE_PID")
		read -r okrps p50 p99 bad total <<<"$(parse "$out")"
		us() { awk -v d="$1" -v hz="$CLK_TCK" -v n="$total" 'BEGIN { printf "%.1f", (n > 0 ? d / hz * 1e6 / n : 0) }'; }
		echo "$round $t $okrps $p50 $p99 $bad $(us $((own1 - own0))) $(us $((be1 - be0))) $(cut -d' ' -f1 /proc/loadavg)" >>"$RESULTS"
	done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

if [ -n "$OUT_DIR" ]; then
	mkdir -p "$OUT_DIR"
	cp "$WORK"/round*.txt "$RESULTS" "$OUT_DIR"/
	[ ! -f "$WORK/nginx/nginx.conf" ] || cp "$WORK/nginx/nginx.conf" "$OUT_DIR"/
	log "raw wrk outputs kept in $OUT_DIR"
fi

echo
echo "Gateway load benchmark — wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS rounds, order rotated each round"
echo "GET over $APIS API(s) by Host, Authorization: <id token, ${#TOKEN} bytes>; Cognate log level $LOG_LEVEL (info = access log on)"
echo "paths: nginx/proxy/gateway $REQUEST_PATH, cognito $COGNITO_PATH, function $FUNCTION_PATH"
echo "machine: $(nproc) CPU(s) shared by wrk, backend and servers; load average before $LOAD_BEFORE, after $LOAD_AFTER"
echo "CPU us/req: own = the proxy's processes (nginx: master+workers); +backend = plus the backend process"
echo
awk -v targets="$TARGETS" '
function median(a, m,   i, j, t) {
	for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return (m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2)
}
{
	printf "round %s  %-8s %8s req/s  p50 %7.3f ms  p99 %7.3f ms  CPU own %6.1f  +backend %6.1f us/req  non-2xx %s  load %s\n", $1, $2, $3, $4, $5, $7, $7 + $8, $6, $9
	n[$2]++; rps[$2] += $3; p50[$2] += $4; p99[$2] += $5; own[$2] += $7; srv[$2] += $7 + $8
	r[$1, $2] = $3; o[$1, $2] = $7; s[$1, $2] = $7 + $8
	if ($6 != "0") bad = 1
	if ($1 > rounds) rounds = $1
}
END {
	nt = split(targets, T, " ")
	print ""
	printf "%-9s %10s %9s %9s %14s %18s\n", "(means)", "req/s", "p50 ms", "p99 ms", "CPU own us/req", "CPU +backend us/req"
	for (t = 1; t <= nt; t++) {
		k = T[t]
		printf "%-9s %10.0f %9.3f %9.3f %14.1f %18.1f\n", k, rps[k] / n[k], p50[k] / n[k], p99[k] / n[k], own[k] / n[k], srv[k] / n[k]
	}
	for (b = 1; b <= 2; b++) {
		base = (b == 1 ? "nginx" : "proxy")
		if (!(base in n)) continue
		printf "\nratios to %s (median of per-round ratios; rounds: %d)\n", base, rounds
		printf "%-9s %14s %16s %20s\n", "", "req/s", "CPU own", "CPU +backend"
		for (t = 1; t <= nt; t++) {
			k = T[t]
			if (k == base) continue
			for (i = 1; i <= rounds; i++) { q1[i] = r[i, k] / r[i, base]; q2[i] = o[i, k] / o[i, base]; q3[i] = s[i, k] / s[i, base] }
			printf "%-9s %14.3f %16.3f %20.3f\n", k, median(q1, rounds), median(q2, rounds), median(q3, rounds)
		}
	}
	if ("nginx" in n && "gateway" in n) {
		for (i = 1; i <= rounds; i++) { q1[i] = r[i, "gateway"] / r[i, "nginx"]; q3[i] = s[i, "gateway"] / s[i, "nginx"]; q2[i] = o[i, "gateway"] / o[i, "nginx"] }
		tr = median(q1, rounds); tc = median(q3, rounds); to = median(q2, rounds)
		printf "\ntargets (gateway vs nginx): req/s %.3f (>= 0.8: %s); server CPU/req %.3f (<= 1.2: %s); own CPU/req %.3f\n",
			tr, (tr >= 0.8 ? "MET" : "NOT MET"), tc, (tc <= 1.2 ? "MET" : "NOT MET"), to
	}
	if (bad) print "WARNING: some responses were not 2xx/3xx (429 = stage throttle) or sockets failed; req/s counts 2xx/3xx only"
}' "$RESULTS"
