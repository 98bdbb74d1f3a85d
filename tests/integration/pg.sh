# A real PostgreSQL 15 for the tests: a new cluster made with Debian's
# postgresql-15 binaries in a temporary directory, on a free loopback port,
# as an unprivileged user (PostgreSQL refuses to run as root), with a
# password (scram-sha-256) and a database of its own.
#
# Sourced: pg_available says whether the binaries are there; pg_start makes
# and starts the cluster and sets PG_URL (postgresql://...); it is stopped
# and removed at exit (pg_stop). Run: prints the URL and keeps the cluster
# until interrupted (for bench/db and trying things by hand).
# PG_FAST=1 turns fsync off (tests that do not measure durability).
# pg_halt and pg_resume stop the server as a crash would and start it
# again on the same port and data (the outage tests).
# shellcheck shell=bash

: "${PG_BINDIR:=/usr/lib/postgresql/15/bin}"
PG_DIR=
PG_URL=
PG_PORT=
PG_OPTS=

pg_available() {
	[ -x "$PG_BINDIR/initdb" ] && [ -x "$PG_BINDIR/pg_ctl" ] && [ -x "$PG_BINDIR/postgres" ] &&
		[ -x "$PG_BINDIR/psql" ]
}

# pg_as CMD...: CMD as the cluster's owner (nobody when we are root), from
# the cluster's directory: the caller's may be one that user cannot enter
# (a clone under root's 0700 home), which initdb and pg_ctl refuse.
pg_as() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd "$PG_DIR" && runuser -u "${PG_USER:-nobody}" -- "$@")
	else
		"$@"
	fi
}

# pg_skip REASON: the suite ends here, skipped (exit 77, "0 passed, 0 failed").
pg_skip() {
	echo "# SKIP: $*"
	echo "0 passed, 0 failed"
	exit 77
}

# pg_plain_build_only: the two-node, outage and suites-on-PostgreSQL
# scripts run in the plain build; in the sanitizer build (check.sh runs
# both side by side) the PostgreSQL code runs under ASan through db-pg.sh
# and db-outage.sh. PG_SANITIZED=1 runs them there too.
pg_plain_build_only() {
	[ -z "${MCPAUTH_SANITIZERS:-}" ] || [ -n "${PG_SANITIZED:-}" ] ||
		pg_skip "the sanitizer build (PG_SANITIZED=1 runs it here too)"
}

# pg_skip_unless_available: a suite that needs the server is skipped when
# the binaries are missing.
pg_skip_unless_available() {
	pg_available || pg_skip "no PostgreSQL server binaries in $PG_BINDIR (apt-get install postgresql-15)"
}

pg_stop() {
	[ -n "$PG_DIR" ] || return 0
	[ ! -f "$PG_DIR/data/postmaster.pid" ] ||
		pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1
	rm -rf "$PG_DIR"
	PG_DIR=
}

pg_start() {
	local pass
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mcpauth-pg.XXXXXX") || return 1
	# The owner must reach it: a mktemp -d is 0700 and root's.
	chmod 755 "$PG_DIR"
	[ "$(id -u)" -ne 0 ] || chown "${PG_USER:-nobody}" "$PG_DIR"
	pass=$(openssl rand -hex 16)
	printf '%s\n' "$pass" >"$PG_DIR/pwfile"
	[ "$(id -u)" -ne 0 ] || chown "${PG_USER:-nobody}" "$PG_DIR/pwfile"
	if ! pg_as "$PG_BINDIR/initdb" -D "$PG_DIR/data" -U mcpauth --pwfile="$PG_DIR/pwfile" \
		--auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1; then
		echo "initdb failed:" >&2
		cat "$PG_DIR/initdb.log" >&2
		return 1
	fi
	rm -f "$PG_DIR/pwfile"
	PG_OPTS="-c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_DIR"
	[ -z "${PG_FAST:-}" ] || PG_OPTS="$PG_OPTS -c fsync=off -c full_page_writes=off"
	for _ in 1 2 3 4 5 6 7 8; do
		PG_PORT=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		if pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
			-o "-p $PG_PORT $PG_OPTS" start >/dev/null 2>&1; then
			PG_URL="postgresql://mcpauth:$pass@127.0.0.1:$PG_PORT/mcpauth_test"
			if PGPASSWORD=$pass "$PG_BINDIR/psql" -qAt -h 127.0.0.1 -p "$PG_PORT" -U mcpauth \
				-d postgres -c 'CREATE DATABASE mcpauth_test' >>"$PG_DIR/server.log" 2>&1; then
				return 0
			fi
			break
		fi
	done
	echo "could not start PostgreSQL; its log:" >&2
	cat "$PG_DIR/server.log" >&2
	return 1
}

# pg_halt: the server stops at once, as in a crash or a pulled cable
# (immediate mode: no checkpoint, every connection cut); the port then
# refuses connections until pg_resume.
pg_halt() {
	pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1
}

# pg_resume: the same cluster again on the same port (crash recovery runs).
pg_resume() {
	pg_as "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
		-o "-p $PG_PORT $PG_OPTS" start >/dev/null 2>&1
}

# Runs before the exit handler the sourcing script had (lib.sh's cleanup).
PG_PREV_EXIT=$(trap -p EXIT | sed -n "s/^trap -- '\(.*\)' EXIT$/\1/p")
# shellcheck disable=SC2064
trap "pg_stop; $PG_PREV_EXIT" EXIT

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	pg_available || { echo "no PostgreSQL binaries in $PG_BINDIR (apt-get install postgresql-15)" >&2; exit 1; }
	trap 'exit 0' INT TERM
	pg_start || exit 1
	echo "$PG_URL"
	while :; do
		sleep 3600 &
		wait $!
	done
fi
