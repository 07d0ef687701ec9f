#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, in a temporary directory and
# reachable only through a unix socket there.
#
#   eval "$(scripts/pg-test-env.sh start)"   # prints exports: SAFETRACE_TEST_POSTGRES, SAFETRACE_PG_DIR
#   scripts/pg-test-env.sh stop "$SAFETRACE_PG_DIR"
#   scripts/pg-test-env.sh run CMD ARGS...    # start, run CMD with the exports, stop (make test-pg)
#
# Tests give every store a schema of its own (search_path in the DSN).
# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# system user postgres (created if missing). initdb, pg_ctl and postgres come
# from PATH or /usr/lib/postgresql/*/bin.
set -euo pipefail

pgbin() {
	if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		dirname "$(command -v initdb)"
		return
	fi
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] || { echo "pg-test-env: no initdb found; install postgresql" >&2; exit 1; }
	echo "$d"
}

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

case "${1:-}" in
start)
	bin=$(pgbin)
	if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin postgres
	fi
	dir=$(mktemp -d /tmp/safetrace-pg.XXXXXX)
	chmod 0755 "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	port=$(( 20000 + RANDOM % 10000 ))
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
		-o "-c listen_addresses='' -c unix_socket_directories=$dir -p $port -c max_connections=300 -c shared_buffers=128MB" \
		start >/dev/null || { cat "$dir/postgres.log" >&2; exit 1; }
	echo "export SAFETRACE_TEST_POSTGRES='postgres:///postgres?host=$dir&port=$port&user=postgres'"
	echo "export SAFETRACE_PG_DIR='$dir'"
	;;
stop)
	dir=${2:-${SAFETRACE_PG_DIR:-}}
	[ -n "$dir" ] && [ -d "$dir/data" ] || exit 0
	as_owner "$(pgbin)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$dir"
	;;
run)
	shift
	eval "$("$0" start)"
	trap '"$0" stop "$SAFETRACE_PG_DIR"' EXIT
	"$@"
	;;
*)
	echo "usage: $0 start | stop DIR | run CMD..." >&2
	exit 2
	;;
esac
