#!/usr/bin/env bash
# The integration suites that exercise the store, unchanged, on PostgreSQL:
# one real PostgreSQL 15 cluster (tests/integration/pg.sh), and each suite
# run with MCPAUTH_TEST_PG_URL naming it, so that every server a suite starts
# gets a new database of its own there (tests/integration/lib.sh). Ends with
# the suites' totals, "N passed, N failed".
#
# Left out, and why:
#   durability.sh, load.sh  the SQLite file under power cuts and kills
#                           (PRAGMA integrity_check, the -wal file)
#   faults.sh, state.sh     the state directory's disk faults and modes, where
#                           SQLite keeps its file; PostgreSQL has its own disk
#   cli.sh                  the tool on several state directories, each its
#                           own SQLite store by design (init --user, owners)
#   fcgi.sh                 a program spoken to by hand, its users seeded with
#                           the sqlite3 shell
#   the other servers' and  the web servers and the install, not the store
#   under.sh, install.sh...
#   auth0.sh                Auth0 mode keeps no users (its rate limits run here
#                           in ratelimit.sh)
# PG_SUITES="a.sh b.sh" runs those instead.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }

# shellcheck source=tests/integration/pg.sh
. "$here/pg.sh"
pg_skip_unless_available
# A build without libpq cannot open a postgresql:// URL: nothing to run.
if [ -n "${top_builddir:-}" ] && [ -f "$top_builddir/config.h" ] &&
	! grep -q '^#define HAVE_LIBPQ 1' "$top_builddir/config.h"; then
	echo "# SKIP: a build without libpq (./configure --without-postgresql)"
	echo "0 passed, 0 failed"
	exit 77
fi

pg_plain_build_only

PG_FAST=1 pg_start || { not_ok "PostgreSQL 15 starts"; echo "$PASS passed, $FAIL failed"; exit 1; }
ok "PostgreSQL 15 started on 127.0.0.1:$PG_PORT"
# The admin URL: the suites make and drop their databases from there.
export MCPAUTH_TEST_PG_URL="${PG_URL%/*}/postgres"
pass=${PG_URL#postgresql://mcpauth:}
pass=${pass%%@*}
psql_admin() { PGPASSWORD=$pass "$PG_BINDIR/psql" -X -qAt -h 127.0.0.1 -p "$PG_PORT" -U mcpauth -d postgres -c "$1"; }

: "${PG_SUITES:=run.sh api.sh refresh.sh ratelimit.sh audit.sh grants.sh oauth-flow.sh oauth-clients.sh
accounts-mail.sh accounts-pass.sh accounts-mfa.sh resource.sh mcp.sh}"
leaked=
for suite in $PG_SUITES; do
	start=$(date +%s)
	out=$("$here/$suite" 2>&1)
	rc=$?
	# Prefixed with the suite; failures keep "not ok" in front.
	printf '%s\n' "$out" | sed -E "s|^not ok - |not ok - pg $suite: |; t; s|^|pg $suite: |"
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
	if [ -z "$line" ]; then
		not_ok "pg $suite: no summary line (exit $rc)"
		continue
	fi
	set -- $line
	PASS=$((PASS + $1))
	FAIL=$((FAIL + $3))
	echo "# pg $suite: $1 passed, $3 failed in $(($(date +%s) - start)) s"
	printf '%s' "$out" | grep -qF -- "$pass" && leaked="$leaked $suite"
done

if [ -z "$leaked" ]; then ok "the database password is in no suite's output"; else
	not_ok "the database password is in the output of:$leaked"
fi
left=$(psql_admin "SELECT count(*) FROM pg_database WHERE datname ~ '^mcpauth_t[0-9]+_'")
if [ "$left" = 0 ]; then ok "every suite dropped the databases it made"; else
	not_ok "$left test databases left in the cluster"
fi
# What PostgreSQL refused, with the statement (its log has both): the
# cause of a failure above, or a refusal the store expects (a unique key).
# Parameters are not logged, so no secret is printed.
if grep -q 'ERROR:' "$PG_DIR/server.log"; then
	echo "# PostgreSQL's errors (count, error, statement):"
	awk '/ERROR:/ { sub(/.*ERROR: +/, ""); e = $0; next }
		e != "" && /STATEMENT:/ { sub(/.*STATEMENT: +/, ""); n[e " | " $0]++; e = ""; next }
		e != "" { n[e " | (no statement)"]++; e = "" }
		END { for (k in n) printf "#   %d  %s\n", n[k], k }' "$PG_DIR/server.log" | sort -k2 -rn | cut -c1-400
fi
dir=$PG_DIR
pg_stop
if [ -d "$dir" ]; then not_ok "the cluster is removed"; else ok "the cluster is removed"; fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
