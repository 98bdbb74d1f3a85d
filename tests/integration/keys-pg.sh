#!/bin/bash
# Signing keys shared by two nodes through one PostgreSQL 15
# (tests/integration/pg.sh): two lighttpd servers, each with its own state
# directory and two processes per program, on one database. The first
# start makes one key; `mcpauth rotate-key` on one node is published by
# the other within a second and signs only after that, on both; the old
# key's tokens verify on both until its retire time and are refused on
# both from then on; a key dropped with --keep 0 is refused everywhere
# within about a second. No restart anywhere. Skipped when the PostgreSQL
# server binaries are missing or the build has no libpq.
set -u
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/pg.sh
. "$top_srcdir/tests/integration/pg.sh"

pg_skip_unless_available
pg_plain_build_only
grep -q 'HAVE_LIBPQ=1' "$top_builddir/Makefile" || pg_skip "a build without libpq (./configure --without-postgresql)"

MCPAUTH="$top_builddir/tools/mcpauth"
B_PID=
stop_b() {
	[ -n "$B_PID" ] || return 0
	kill "$B_PID" 2>/dev/null
	wait "$B_PID" 2>/dev/null
	B_PID=
}
trap 'stop_b; pg_stop; cleanup' EXIT

PG_FAST=1 pg_start || { echo "not ok - PostgreSQL 15 starts"; echo "0 passed, 1 failed"; exit 1; }
export MCPAUTH_DATABASE_URL=$PG_URL
# Both nodes answer for one issuer, as behind a load balancer.
export MCPAUTH_ISSUER=https://auth.example.test
psql_one() { "$PG_BINDIR/psql" -qAt "$PG_URL" -c "$1"; }
now_ms() { date +%s%3N; }
segment() { printf '%s' "$1" | tr '_-' '/+' | { p=$(cat); while [ $(( ${#p} % 4 )) -ne 0 ]; do p="$p="; done; printf '%s' "$p"; } | base64 -d; }
claims_of() { segment "$(printf '%s' "$1" | cut -d. -f2)"; }
kid_of() { printf '%s' "${1%%.*}" | tr '_-' '/+' | { p=$(cat); while [ $(( ${#p} % 4 )) -ne 0 ]; do p="$p="; done; printf '%s' "$p"; } | base64 -d | jq -r .kid; }
jwks_kids() { curl -s --max-time 5 "$1/.well-known/jwks.json" | jq -r '.keys[].kid' | sort | tr '\n' ' '; }
# status BASE TOKEN: the status of GET /api/profile with the token.
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $2" "$1/api/profile"; }
PW='correct horse battery staple'
login_at() {
	curl -s --max-time 20 -H 'Content-Type: application/json' \
		-d "{\"email\":\"kim@example.com\",\"password\":\"$PW\"}" "$1/auth/login" | jq -r .access_token
}

# --- node A (lib.sh's server) and node B (a second lighttpd) ----------------
# No mcpauth init first: node A's programs, two processes each, start at
# once on an empty database and race to make the first key.
MCPAUTH_TEST_DEMO_USERS=0 start_server 2 || { echo "not ok - node A starts"; echo "$PASS passed, $((FAIL + 1)) failed"; exit 1; }
A=$BASE
A_STATE=$MCPAUTH_STATE_DIR
B_STATE=$TMP_ROOT/b-state
B_LOG=$TMP_ROOT/b-error.log
mkdir -m 700 "$B_STATE"
for _ in 1 2 3 4 5 6 7 8; do
	B_PORT=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
	MCPAUTH_STATE_DIR=$B_STATE MCPAUTH_PORT=$B_PORT MCPAUTH_ERRORLOG=$B_LOG \
		"$LIGHTTPD" -D -f "$top_srcdir/lighttpd-conf/mcpauth.conf" 2>>"$TMP_ROOT/b-stderr" &
	B_PID=$!
	B="http://127.0.0.1:$B_PORT"
	for _ in $(seq 1 100); do
		kill -0 "$B_PID" 2>/dev/null || break
		curl -s -o /dev/null --max-time 2 "$B/" && break 2
		sleep 0.1
	done
	stop_b
done
if [ -n "$B_PID" ]; then ok "node B started"; else not_ok "node B started: $(cat "$TMP_ROOT/b-stderr" "$B_LOG" 2>/dev/null | tail -5)"; fi

# --- the first start: one key for both --------------------------------------
KA=$(jwks_kids "$A")
KB=$(jwks_kids "$B")
K1=${KA% }
if [ -n "$K1" ] && [ "$K1" = "${KB% }" ] && [ "${K1#* }" = "$K1" ]; then
	ok "both nodes publish the same one key"
else
	not_ok "both nodes publish the same one key: A '$KA', B '$KB'"
fi
expect_eq "$(psql_one 'SELECT count(*) FROM signing_keys')" 1 "every program's processes started at once on an empty database, one key row"
expect_eq "$(server_log | grep -c 'generated a new RS256 signing key in the database')" 1 "one process says it made the key"
if [ ! -e "$A_STATE/signing-key.pem" ] && [ ! -e "$A_STATE/jwks.json" ] && [ ! -e "$B_STATE/signing-key.pem" ] &&
	[ ! -e "$B_STATE/jwks.json" ]; then
	ok "no key file on either node"
else
	not_ok "no key file on either node: $(ls "$A_STATE" "$B_STATE" | tr '\n' ' ')"
fi

# The tool reads the same keys: init names the key, keys lists it, a
# minted token verifies on both nodes and offline.
tool() { "$MCPAUTH" --state-dir "$A_STATE" "$@"; }
printf '%s\n' "$PW" | tool user add kim@example.com --permissions 'read:profile' >/dev/null 2>&1
expect_eq "$?" 0 "a user added on node A"
expect_eq "$(tool init 2>/dev/null | sed -n 's/^signing key kid //p')" "$K1" "mcpauth init names the store's key"
expect_eq "$(tool keys 2>/dev/null)" "$K1	signing" "mcpauth keys lists the store's key"
M=$(tool mint kim@example.com 2>/dev/null)
expect_eq "$(kid_of "$M") $(status "$A" "$M") $(status "$B" "$M")" "$K1 200 200" "a minted token verifies on both nodes"
if tool verify "$M" 2>/dev/null | tail -1 | grep -q '^valid:'; then ok "mcpauth verify checks it with the store's keys"; else
	not_ok "mcpauth verify checks it with the store's keys: $(tool verify "$M" 2>&1 | tail -1)"
fi

T1=$(login_at "$A")
expect_eq "$(kid_of "$T1")" "$K1" "node A signs with the store's key"
expect_eq "$(status "$B" "$T1")" 200 "node B accepts node A's token"

# --- rotation on A: published everywhere before it signs ---------------------
# B's JWKS watched from before the rotation: when it first holds two keys.
(
	end=$(($(now_ms) + 20000))
	while [ "$(now_ms)" -lt "$end" ]; do
		[ "$(curl -s --max-time 5 "$B/.well-known/jwks.json" | jq '.keys | length')" = 2 ] &&
			{ now_ms >"$TMP_ROOT/b-published"; exit 0; }
		sleep 0.05
	done
) &
WATCH=$!
KEEP=12
K2=$("$MCPAUTH" --state-dir "$A_STATE" rotate-key --keep $KEEP 2>"$TMP_ROOT/rotate.err")
rc=$?
# From the commit (the tool's key generation comes before it).
t0=$(now_ms)
expect_eq "$rc" 0 "mcpauth rotate-key on node A"
if grep -q 'Restart the programs' "$TMP_ROOT/rotate.err"; then not_ok "no restart asked for: $(cat "$TMP_ROOT/rotate.err")"; else
	ok "no restart asked for"
fi
sign_from=$(psql_one "SELECT sign_from FROM signing_keys WHERE kid = '$K2'")
retire=$(psql_one "SELECT retire_at FROM signing_keys WHERE kid = '$K1'")
expect_eq "$retire" $((sign_from + KEEP)) "the old key retires --keep seconds after the new one's sign_from"
listed=$(tool keys 2>/dev/null)
# (Asked after its sign_from, on a slow machine, it would rightly say signing.)
if [ "$(date +%s)" -lt "$sign_from" ]; then
	case "$listed" in
	*"$K2	published, signing from $sign_from"*) ok "mcpauth keys shows the new key before it signs" ;;
	*) not_ok "mcpauth keys shows the new key before it signs: $listed" ;;
	esac
fi
# Every token either node signs is the new key's exactly when its iat (the
# node's clock when it signed) has reached sign_from: published on every
# node first, then signing everywhere at that second.
wrong=
seen=
signed_a=
signed_b=
while [ $(($(now_ms) - t0)) -lt 15000 ] && { [ -z "$signed_a" ] || [ -z "$signed_b" ]; }; do
	for n in A B; do
		if [ $n = A ]; then T=$(login_at "$A"); else T=$(login_at "$B"); fi
		kid=$(kid_of "$T")
		iat=$(claims_of "$T" | jq -r .iat)
		seen="$seen $n"
		if [ "$iat" -ge "$sign_from" ]; then want=$K2; else want=$K1; fi
		[ "$kid" = "$want" ] || wrong="$wrong $n:iat=$iat,sign_from=$sign_from"
		if [ "$kid" = "$K2" ]; then
			[ $n = A ] && [ -z "$signed_a" ] && signed_a=$(($(now_ms) - t0)) && T2=$T
			[ $n = B ] && [ -z "$signed_b" ] && signed_b=$(($(now_ms) - t0))
		fi
	done
done
expect_eq "${wrong:-none}" none "$(echo $seen | wc -w) logins: the new key signs from its sign_from on, on both nodes, never before"
if [ -n "$signed_a" ] && [ -n "$signed_b" ]; then
	ok "both nodes sign with the new key (first tokens back ${signed_a} ms and ${signed_b} ms after the commit)"
else
	not_ok "both nodes sign with the new key within 15 s: A ${signed_a:-no}, B ${signed_b:-no}"
fi
wait "$WATCH"
if [ -s "$TMP_ROOT/b-published" ]; then
	seen_b=$(($(cat "$TMP_ROOT/b-published") - t0))
	if [ "$seen_b" -le 2000 ]; then ok "node B publishes the new key ${seen_b} ms after the commit"; else
		not_ok "node B publishes the new key within 2 s of the commit: $seen_b ms"
	fi
else
	not_ok "node B publishes the new key"
fi
expect_eq "$(status "$B" "$T2")" 200 "node B accepts node A's first token of the new key"
# The old key's token verifies on both until its retire time (asserted
# when the answers came before it: a loaded machine may be past it).
st="$(status "$A" "$T1") $(status "$B" "$T1")"
if [ "$(date +%s)" -lt "$retire" ]; then expect_eq "$st" "200 200" "the old key's token still verifies on both"; fi

# --- the old key's retire time: refused on both, unpublished -----------------
while [ "$(date +%s)" -le "$retire" ]; do sleep 0.2; done
expect_eq "$(status "$A" "$T1") $(status "$B" "$T1")" "401 401" "from its retire time the old key's token is refused on both"
case " $(jwks_kids "$A") $(jwks_kids "$B") " in
*" $K1 "*) not_ok "the retired key is unpublished on both" ;;
*) ok "the retired key is unpublished on both" ;;
esac

# --- a leaked key: dropped at once, from node B ------------------------------
K3=$("$MCPAUTH" --state-dir "$B_STATE" rotate-key --keep 0 2>/dev/null)
t0=$(now_ms)
# It signs from now: each process takes it within a second.
T3=
while [ $(($(now_ms) - t0)) -lt 3000 ]; do
	T3=$(login_at "$B")
	[ "$(kid_of "$T3")" = "$K3" ] && break
	sleep 0.05
done
expect_eq "$(kid_of "$T3")" "$K3" "with --keep 0 node B signs with the new key within 3 s"
expect_eq "$(status "$A" "$T3")" 200 "node A accepts it at once"
gone=
while [ $(($(now_ms) - t0)) -lt 4000 ]; do
	# Four requests: both processes of the profile program on each node.
	s="$(status "$A" "$T2")$(status "$A" "$T2")$(status "$B" "$T2")$(status "$B" "$T2")"
	[ "$s" = 401401401401 ] && { gone=$(($(now_ms) - t0)); break; }
	sleep 0.05
done
if [ -n "$gone" ] && [ "$gone" -le 2500 ]; then ok "the dropped key's token is refused on both ${gone} ms after the rotation"; else
	not_ok "the dropped key's token is refused on both within 2.5 s: ${gone:-not in 4 s: $s}"
fi
expect_eq "$(psql_one "SELECT count(*) FROM signing_keys WHERE kid = '$K2'")" 0 "the dropped key's row is deleted"

# --- secrets --------------------------------------------------------------------
pass=${PG_URL#postgresql://mcpauth:}
pass=${pass%%@*}
if cat "$MCPAUTH_ERRORLOG" "$B_LOG" "$TMP_ROOT/server.stderr" "$TMP_ROOT/b-stderr" "$TMP_ROOT/rotate.err" 2>/dev/null |
	grep -qF -e "$pass" -e "PRIVATE KEY"; then
	not_ok "no password or private key in the logs"
else
	ok "no password or private key in the logs"
fi
if grep -qE 'child exited|child signall?ed|AddressSanitizer|LeakSanitizer|runtime error' "$B_LOG" "$TMP_ROOT/b-stderr" 2>/dev/null; then
	not_ok "no program of node B crashed"
else
	ok "no program of node B crashed"
fi
expect_clean_log
stop_b
finish
