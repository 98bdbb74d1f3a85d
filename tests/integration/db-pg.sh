#!/bin/bash
# tests/unit/test_db, test_keystore and test_keyring against a real PostgreSQL 15
# (tests/integration/pg.sh): the same cases they run on SQLite, on a new
# cluster on a free loopback port.
# Skipped only when the PostgreSQL server binaries are not installed.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }

# shellcheck source=tests/integration/pg.sh
. "$top_srcdir/tests/integration/pg.sh"
pg_skip_unless_available

PG_FAST=1 pg_start || { not_ok "PostgreSQL 15 starts"; echo "$PASS passed, $FAIL failed"; exit 1; }
ok "PostgreSQL 15 started on 127.0.0.1:$PG_PORT"

# Each program's cases, on the same cluster (each makes its own tables).
all=
for prog in test_db test_keystore test_keyring; do
	out=$(MCPAUTH_TEST_DATABASE_URL=$PG_URL "$top_builddir/tests/unit/$prog" 2>&1)
	rc=$?
	echo "$out"
	all="$all$out"
	[ "$rc" -ne 77 ] || pg_skip "a build without libpq (./configure --without-postgresql)"
	summary=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -1)
	checks=$(printf '%s' "$summary" | sed -n 's/.*Checks: \([0-9]*\).*/\1/p')
	failures=$(printf '%s' "$summary" | sed -n 's/.*Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1+\2/p')
	if [ "$rc" -eq 0 ] && [ -n "$checks" ] && [ "$checks" -ge 5 ]; then
		ok "$prog: $checks cases pass on PostgreSQL"
		PASS=$((PASS + checks - 1))
	else
		# One failure per failed case (at least one).
		not_ok "$prog on PostgreSQL: exit $rc, ${summary:-no summary}"
		failed=$((${failures:-1}))
		[ "$failed" -le 1 ] || FAIL=$((FAIL + failed - 1))
	fi
done
# Its password is in the URL; nothing the program printed holds it.
pass=${PG_URL#postgresql://mcpauth:}
pass=${pass%%@*}
if printf '%s' "$all" | grep -qF "$pass"; then not_ok "the password appears in the output"; else
	ok "the password appears nowhere in the output"
fi
dir=$PG_DIR
pg_stop
if [ -d "$dir" ]; then not_ok "the cluster is removed"; else ok "the cluster is removed"; fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
