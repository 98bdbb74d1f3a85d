#!/bin/bash
# One lib/store/db.c handle through a real PostgreSQL outage
# (tests/integration/db_outage.c): the server stopped at once (pg_ctl -m
# immediate) answers DB_UNAVAILABLE in milliseconds, a dead server costs one
# connect a second, the same handle works again once the server is back
# and hears notifications again, and a commit on a lost connection is
# neither retried nor committed. As root, the test runs in a network
# namespace of its own, whose loopback it takes down and up again: a
# partition (no answer, no refusal), which the TCP user timeout and the
# keepalives bound. Skipped only when the PostgreSQL server binaries are
# not installed.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }

# shellcheck source=tests/integration/pg.sh
. "$top_srcdir/tests/integration/pg.sh"
pg_skip_unless_available

# A namespace of its own: taking its loopback down touches no other test.
if [ -z "${DB_OUTAGE_NETNS:-}" ] && [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null &&
	unshare -n true 2>/dev/null; then
	DB_OUTAGE_NETNS=1 exec unshare -n bash "$0" "$@"
fi
if [ -n "${DB_OUTAGE_NETNS:-}" ]; then
	ip link set lo up || { not_ok "the namespace's loopback comes up"; echo "$PASS passed, $FAIL failed"; exit 1; }
	export DB_OUTAGE_CUT="ip link set lo down" DB_OUTAGE_HEAL="ip link set lo up"
fi

PG_FAST=1 pg_start || { not_ok "PostgreSQL 15 starts"; echo "$PASS passed, $FAIL failed"; exit 1; }
ok "PostgreSQL 15 started on 127.0.0.1:$PG_PORT"

# The program stops and starts the cluster through pg.sh's own pg_halt and
# pg_resume (as its owner, on the port and settings pg_start gave it).
export -f pg_as pg_halt pg_resume
export PG_DIR PG_BINDIR PG_USER PG_PORT PG_OPTS
export DB_OUTAGE_STOP=pg_halt DB_OUTAGE_START=pg_resume

out=$("$top_builddir/tests/integration/db_outage" "$PG_URL" "$PG_PORT" 2>&1)
rc=$?
[ "$rc" -ne 77 ] || pg_skip "a build without libpq (./configure --without-postgresql)"
while IFS= read -r line; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) not_ok "${line#not ok - }" ;;
	*) echo "$line" ;;
	esac
done <<<"$out"
if [ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q '^ok - nothing was committed'; then
	ok "db_outage ran to its end"
else
	not_ok "db_outage: exit $rc, did not run to its end"
fi
# Its password is in the URL; nothing the program printed holds it.
pass=${PG_URL#postgresql://mcpauth:}
pass=${pass%%@*}
if printf '%s' "$out" | grep -qF "$pass"; then not_ok "the password appears in the output"; else
	ok "the password appears nowhere in the output"
fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
