#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests.
#
#   eval "$(bash .ci/postgres.sh)"            # start (default command: start)
#   ... go test ./internal/store/postgres/ ... # uses $COGNATE_TEST_POSTGRES
#   bash .ci/postgres.sh stop "$COGNATE_TEST_POSTGRES_DIR"
#
# start: installs PostgreSQL from Debian's packages when no initdb is found
#   (apt-get; needs root), creates a cluster in a new temp directory, starts
#   it listening on 127.0.0.1 only, on a free port, with its unix socket in
#   that directory, creates the database "cognate" owned by role "cognate"
#   (random password, scram-sha-256 over TCP), and prints on stdout exactly:
#     export COGNATE_TEST_POSTGRES='postgres://cognate:...@127.0.0.1:PORT/cognate?sslmode=disable'
#     export COGNATE_TEST_POSTGRES_DIR='/tmp/cognate-pg.XXXXXX'
#   Everything else goes to stderr. When run as root the cluster runs as the
#   OS user "postgres" (created if missing), since postgres refuses root.
# stop DIR: stops the cluster in DIR (fast shutdown) and deletes DIR.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }

# find_bin NAME: prints the path of a PostgreSQL server binary, newest first.
find_bin() {
	local name=$1 dir
	for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
		if [[ -x $dir/$name ]]; then
			echo "$dir/$name"
			return 0
		fi
	done
	command -v "$name" 2>/dev/null
}

install_postgres() {
	if [[ $(id -u) -ne 0 ]]; then
		log "PostgreSQL is not installed and installing it needs root"
		exit 1
	fi
	log "installing PostgreSQL from Debian packages"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq postgresql >&2
}

# as_owner CMD...: runs CMD as the cluster's owner.
as_owner() {
	if [[ $(id -u) -eq 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# port_free PORT: true when nothing accepts connections on 127.0.0.1:PORT.
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
	local initdb pg_ctl dir pass port started=0
	cd /
	initdb=$(find_bin initdb || true)
	if [[ -z $initdb ]]; then
		install_postgres
		initdb=$(find_bin initdb || true)
		[[ -n $initdb ]] || { log "initdb not found after installing"; exit 1; }
	fi
	pg_ctl=$(dirname "$initdb")/pg_ctl
	[[ -x $pg_ctl ]] || pg_ctl=$(find_bin pg_ctl)

	dir=$(mktemp -d "${TMPDIR:-/tmp}/cognate-pg.XXXXXX")
	chmod 700 "$dir"
	if [[ $(id -u) -eq 0 ]]; then
		if ! id postgres >/dev/null 2>&1; then
			log "creating OS user postgres"
			useradd --system --home-dir "$dir" --no-create-home --shell /usr/sbin/nologin postgres
		fi
		chown postgres: "$dir"
	fi
	pass=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	printf '%s\n' "$pass" >"$dir/pwfile"
	[[ $(id -u) -eq 0 ]] && chown postgres: "$dir/pwfile"

	as_owner "$initdb" -D "$dir/data" -U cognate --pwfile="$dir/pwfile" -E UTF8 --no-locale \
		--auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	rm -f "$dir/pwfile"

	for _ in 1 2 3 4 5 6 7 8; do
		port=$((20000 + RANDOM % 40000))
		port_free "$port" || continue
		if as_owner "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -p $port -k $dir" start >&2; then
			started=1
			break
		fi
		log "start on port $port failed; retrying"
	done
	if [[ $started -ne 1 ]]; then
		cat "$dir/server.log" >&2 || true
		exit 1
	fi
	as_owner "$(dirname "$pg_ctl")/psql" -h "$dir" -p "$port" -U cognate -d postgres -v ON_ERROR_STOP=1 -qc \
		"CREATE DATABASE cognate OWNER cognate" >&2
	log "cluster in $dir listening on 127.0.0.1:$port"
	echo "export COGNATE_TEST_POSTGRES='postgres://cognate:$pass@127.0.0.1:$port/cognate?sslmode=disable'"
	echo "export COGNATE_TEST_POSTGRES_DIR='$dir'"
}

stop() {
	local dir=${1:?usage: postgres.sh stop DIR} pg_ctl
	[[ -d $dir/data ]] || { log "$dir holds no cluster"; exit 1; }
	pg_ctl=$(find_bin pg_ctl)
	as_owner "$pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
	rm -rf "$dir"
	log "stopped and removed $dir"
}

case ${1:-start} in
start) start ;;
stop) stop "${2:-}" ;;
*)
	log "usage: postgres.sh [start] | postgres.sh stop DIR"
	exit 2
	;;
esac
