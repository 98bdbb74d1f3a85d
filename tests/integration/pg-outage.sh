#!/usr/bin/env bash
# PostgreSQL stopped under a running node (tests/integration/nodes-lib.sh):
# the server is halted as a crash would stop it (pg_halt), twice. While it
# is gone, reads of what the programs hold (a token, the profile row, the
# keys) keep answering 200 and fast; writes and logins answer 503, a JSON
# error with Retry-After, at once; when it is back, the same processes
# (no restart) serve writes again within a few seconds (measured). The
# database's password appears in no answer and no log. Skipped only when
# the PostgreSQL binaries are missing.
set -u
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/pg.sh
. "$top_srcdir/tests/integration/pg.sh"
pg_skip_unless_available
pg_plain_build_only
PG_FAST=1 pg_start || { not_ok "PostgreSQL 15 starts"; finish; exit 1; }
ok "PostgreSQL 15 started on 127.0.0.1:$PG_PORT"
NODES_DATABASE_URL=$PG_URL
# shellcheck source=tests/integration/nodes-lib.sh
. "$top_srcdir/tests/integration/nodes-lib.sh"
node_start 1 2 || { not_ok "the node starts"; finish; exit 1; }
BASE=${NODE_BASE[1]}
ok "the node on $BASE"

au() { printf 'Authorization: Bearer %s' "$1"; }
json() {
	local method=$1 path=$2 data=$3
	shift 3
	req "$method" "$path" -H 'Content-Type: application/json' -d "$data" "$@"
}
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}
pass=${PG_URL#postgresql://mcpauth:}
pass=${pass%%@*}
# timed CMD...: runs CMD, its time in ms in MS.
timed() {
	local t0
	t0=$(now_ms)
	"$@"
	MS=$(($(now_ms) - t0))
}
# profile_reads TOKEN: how many of eight profile reads, four at a time (every
# process of the program), answer 200 with the user's profile.
profile_reads() {
	local u="$BASE/api/profile"
	curl -s --no-progress-meter --max-time 5 -Z -H "$(au "$1")" "$u" "$u" "$u" "$u" "$u" "$u" "$u" "$u" |
		jq -r '.profile.email // empty' 2>/dev/null | grep -c '@'
}
# refused_503 DESC MAX_MS: the last answer is a fast 503, a JSON error with
# Retry-After, without the password.
refused_503() {
	expect_status 503 "$1"
	expect_json '(.error | type) + " " + (.message | type)' "string string" "$1: a JSON error and message"
	expect_header Retry-After '^[1-9][0-9]*$' "$1: Retry-After in seconds"
	echo "# $1: $STATUS in $MS ms"
	if [ "$MS" -lt "$2" ]; then ok "$1: answered in $MS ms (< $2)"; else not_ok "$1: took $MS ms (>= $2)"; fi
	if grep -qF "$pass" "$TMP_ROOT/body" "$TMP_ROOT/headers"; then not_ok "$1: the answer holds the database password"; else
		ok "$1: no password in the answer"
	fi
}

TOKEN=$(login user@example.com password)
json POST /auth/login '{"email":"user@example.com","password":"password","scope":"openid offline_access"}'
expect_status 200 "login with offline_access before the outage"
RT=$(jbody .refresh_token)
# Every process reads the profile once, so that it holds the row.
expect_eq "$(profile_reads "$TOKEN")" 8 "profile reads before the outage"
programs_before=$(node_programs 1 | sort | tr '\n' ' ')
server_before=${NODE_PID[1]}

for round in 1 2; do
	echo "# outage $round"
	pg_halt || not_ok "round $round: PostgreSQL halts"
	sleep 0.3
	# Reads of what the node holds keep answering.
	timed profile_reads "$TOKEN" >"$TMP_ROOT/reads"
	expect_eq "$(cat "$TMP_ROOT/reads")" 8 "round $round: with PostgreSQL down, the profile reads still answer 200"
	echo "# round $round: eight profile reads, four at a time, in $MS ms with PostgreSQL down"
	if [ "$MS" -lt 2000 ]; then ok "round $round: eight reads in $MS ms"; else not_ok "round $round: eight reads took $MS ms"; fi
	timed req GET /.well-known/jwks.json
	expect_status 200 "round $round: the JWKS still answers"
	# Writes are refused, at once, in the API's shape.
	timed json PUT /api/profile "{\"name\":\"Outage $round\"}" -H "$(au "$TOKEN")"
	refused_503 "round $round: a profile write" 3000
	timed json PUT /api/profile "{\"name\":\"Outage $round again\"}" -H "$(au "$TOKEN")"
	refused_503 "round $round: a second write (no reconnect wait)" 3000
	timed json POST /auth/login '{"email":"admin@example.com","password":"admin"}'
	refused_503 "round $round: a login" 3000
	timed json POST /auth/refresh "{\"refresh_token\":\"$RT\"}"
	refused_503 "round $round: a refresh" 3000

	pg_resume || not_ok "round $round: PostgreSQL starts again"
	t0=$(now_ms)
	back=
	while [ $(($(now_ms) - t0)) -lt 15000 ]; do
		json PUT /api/profile "{\"name\":\"Back $round\"}" -H "$(au "$TOKEN")"
		if [ "$STATUS" = 200 ]; then back=$(($(now_ms) - t0)); break; fi
		sleep 0.1
	done
	echo "# round $round: writes answer again ${back:-(not in 15 s)} ms after PostgreSQL is back"
	if [ -n "$back" ] && [ "$back" -lt 5000 ]; then ok "round $round: a write succeeds within 5 s of the return ($back ms)"; else
		not_ok "round $round: a write succeeds within 5 s of the return: ${back:-no}"
	fi
	req GET /api/profile -H "$(au "$TOKEN")"
	expect_json .profile.name "Back $round" "round $round: the write after the outage is read back"
	json POST /auth/refresh "{\"refresh_token\":\"$RT\"}"
	expect_status 200 "round $round: the refresh token from before the outage refreshes"
	RT=$(jbody .refresh_token)
	tok=$(login admin@example.com admin)
	if [ -n "$tok" ] && [ "$tok" != null ]; then ok "round $round: logins work again"; else not_ok "round $round: logins work again"; fi
	# Every process reconnected, not only the one the write reached.
	writes=0
	for i in 1 2 3 4 5 6; do
		json PUT /api/profile "{\"name\":\"Back $round $i\"}" -H "$(au "$TOKEN")"
		[ "$STATUS" != 200 ] || writes=$((writes + 1))
	done
	expect_eq "$writes" 6 "round $round: six writes in a row succeed"
done

expect_eq "$(node_programs 1 | sort | tr '\n' ' ')" "$programs_before" "the same program processes served throughout (no restart)"
expect_eq "${NODE_PID[1]}" "$server_before" "the same lighttpd throughout"
if node_log 1 | grep -qF "$pass"; then not_ok "the node logged the database password"; else
	ok "the database password is in no log"
fi
bad=$(node_log 1 | grep -E 'child exited|child signall?ed|exit signal|AddressSanitizer|LeakSanitizer|runtime error' | head -2)
expect_eq "$bad" "" "no program crashed"
finish
