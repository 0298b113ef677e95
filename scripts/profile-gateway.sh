#!/usr/bin/env bash
# profile-gateway.sh — CPU and allocation profiles of the gateway's hot path
# (authorized GET, cached TOKEN authorizer, HTTP_PROXY, access log on) under
# wrk load: starts the backend and scripts/loadbench -pprof as
# bench-gateway.sh does, runs wrk against the gateway for SECONDS (20) and
# takes a CPU profile and an allocation delta over the middle of it. Prints
# pprof's top 10 (flat) of each; OUT_DIR (default a temp dir, removed) keeps
# cpu.pprof, allocs.pprof and the loadbench binary for `go tool pprof`.
# PATH_KIND=gateway|cognito|function picks the route (default gateway).
set -euo pipefail
SECONDS_=${SECONDS_:-20}
PATH_KIND=${PATH_KIND:-gateway}
OUT_DIR=${OUT_DIR:-}
cd "$(dirname "$0")/.."
log() { printf '[profile] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
command -v wrk >/dev/null || die "wrk is missing (apt-get install -y wrk)"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/profile-gateway.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done; done
	rm -rf "$WORK"
}
trap cleanup EXIT
go build -o "$WORK/loadbench" ./scripts/loadbench
ready() { for _ in $(seq 1 120); do grep -q '^READY=1' "$1" 2>/dev/null && return 0; sleep 0.5; done; die "not ready: $1"; }
"$WORK/loadbench" -backend-only -max-run 10m >"$WORK/be.out" 2>&1 &
PIDS+=($!)
ready "$WORK/be.out"
BE=$(sed -n 's/^BACKEND_URL=//p' "$WORK/be.out")
"$WORK/loadbench" -backend "$BE" -apis 4 -log-level info -log-discard -pprof -max-run 10m >"$WORK/lb.out" 2>"$WORK/lb.err" &
PIDS+=($!)
ready "$WORK/lb.out"
v() { sed -n "s/^$1=//p" "$WORK/lb.out"; }
case $PATH_KIND in gateway) P=$(v REQUEST_PATH) ;; cognito) P=$(v COGNITO_PATH) ;; function) P=$(v FUNCTION_PATH) ;; *) die "PATH_KIND?" ;; esac
PP=$(v PPROF_URL)
{
	echo 'local hosts = {'
	v HOSTS | tr , '\n' | sed 's/.*/  "&",/'
	echo '}'
	echo 'local reqs, i = {}, 0'
	echo 'function init(args)'
	echo '  for k, host in ipairs(hosts) do'
	echo '    local h = {}'
	echo '    for name, v in pairs(wrk.headers) do h[name] = v end'
	echo '    h["Host"] = host'
	printf '    reqs[k] = wrk.format("GET", "%s", h)\n' "$P"
	echo '  end'
	echo 'end'
	echo 'function request() i = i % #reqs + 1; return reqs[i] end'
} >"$WORK/req.lua"
wrk -t2 -c64 -d3s -s "$WORK/req.lua" -H "Authorization: $(v TOKEN)" "$(v GATEWAY_URL)" >/dev/null
wrk -t2 -c64 -d"${SECONDS_}s" -s "$WORK/req.lua" -H "Authorization: $(v TOKEN)" "$(v GATEWAY_URL)" >"$WORK/wrk.txt" &
WRK=$!
sleep 2
curl -s -o "$WORK/allocs0.pprof" "${PP}allocs"
curl -s -o "$WORK/cpu.pprof" "${PP}profile?seconds=$((SECONDS_ - 5))"
curl -s -o "$WORK/allocs.pprof" "${PP}allocs"
wait "$WRK"
grep -E 'Requests/sec|Non-2xx' "$WORK/wrk.txt" >&2 || true
echo "== CPU, top 10 flat (load average $(cut -d' ' -f1-3 /proc/loadavg))"
go tool pprof -top -nodecount=10 "$WORK/loadbench" "$WORK/cpu.pprof" 2>/dev/null | sed -n '1,20p'
echo "== CPU, top 15 cumulative in the gateway"
go tool pprof -top -cum -nodecount=15 -focus='gateway' "$WORK/loadbench" "$WORK/cpu.pprof" 2>/dev/null | sed -n '6,25p'
echo "== allocations during the profile (alloc_space), top 10"
go tool pprof -top -nodecount=10 -sample_index=alloc_space -base "$WORK/allocs0.pprof" "$WORK/loadbench" "$WORK/allocs.pprof" 2>/dev/null | sed -n '1,20p'
echo "== allocation count, top 10"
go tool pprof -top -nodecount=10 -sample_index=alloc_objects -base "$WORK/allocs0.pprof" "$WORK/loadbench" "$WORK/allocs.pprof" 2>/dev/null | sed -n '1,20p'
if [ -n "$OUT_DIR" ]; then mkdir -p "$OUT_DIR"; cp "$WORK"/cpu.pprof "$WORK"/allocs0.pprof "$WORK"/allocs.pprof "$WORK"/loadbench "$WORK"/wrk.txt "$OUT_DIR"/; fi
