#!/usr/bin/env bash
# Load and faults, on loopback and bounded in time: wrk against a real
# lighttpd with LOAD_PROCS processes per program.
#   1. GET /api/profile with a valid token: every answer 2xx, no socket error.
#   2. MCP tools/call (get_api_profile) at /mcp: the same, and every result
#      without isError.
#   3. Reads, tool calls and writes (POST /api/users) at once while a random
#      FastCGI process is killed with SIGKILL every LOAD_KILL_INTERVAL
#      seconds: lighttpd restarts them; only requests in flight may fail
#      (502/503, at most the open connections per kill, never a 4xx or a
#      500 from a program); every acknowledged write is in the database;
#      a clean run right after has no error at all.
# LOAD_SECONDS per phase (default 60; make check and ./check.sh use 15),
# LOAD_CONNECTIONS (64), LOAD_THREADS (2), LOAD_PROCS (4), LOAD_KILL_INTERVAL (3).
set -u
. "$(dirname "$0")/lib.sh"
DURATION=${LOAD_SECONDS:-60}
CONNS=${LOAD_CONNECTIONS:-64}
THREADS=${LOAD_THREADS:-2}
PROCS=${LOAD_PROCS:-4}
KILL_EVERY=${LOAD_KILL_INTERVAL:-3}
LUA="$top_srcdir/tests/load/count.lua"

if ! command -v wrk >/dev/null; then
	not_ok "wrk is not installed (apt-get install wrk)"
	finish
	exit 1
fi
start_server "$PROCS" || { echo "0 passed, 1 failed"; exit 1; }
USER=$(login user@example.com password)
ADMIN=$(login admin@example.com admin)
DB="$MCPAUTH_STATE_DIR/mcpauth.db"
RPC='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_api_profile","arguments":{}}}'

# run_wrk NAME CONNECTIONS PATH [wrk args]: wrk for DURATION (LOAD_* in the
# environment shape the request); its output in $TMP_ROOT/NAME.wrk.
run_wrk() {
	local name=$1 conns=$2 path=$3
	shift 3
	wrk -t"$THREADS" -c"$conns" -d"${WRK_SECONDS:-$DURATION}s" --timeout 10s -s "$LUA" "$@" "$BASE$path" \
		>"$TMP_ROOT/$name.wrk" 2>&1
}

# parse NAME: sets N2 N4 N5 NOTHER NBAD SOCKERR RPS from NAME's wrk output.
parse() {
	local f="$TMP_ROOT/$1.wrk" line
	line=$(grep '^COUNTS' "$f")
	N2=$(echo "$line" | sed -E 's/.*2xx=([0-9]+).*/\1/')
	N4=$(echo "$line" | sed -E 's/.*4xx=([0-9]+).*/\1/')
	N5=$(echo "$line" | sed -E 's/.*5xx=([0-9]+).*/\1/')
	NOTHER=$(echo "$line" | sed -E 's/.*other=([0-9]+).*/\1/')
	NBAD=$(echo "$line" | sed -E 's/.*bad=([0-9]+).*/\1/')
	: "${N2:=0}" "${N4:=0}" "${N5:=0}" "${NOTHER:=0}" "${NBAD:=0}"
	# "Socket errors: connect 0, read 0, write 0, timeout 0", when there are any.
	SOCKERR=$(grep 'Socket errors' "$f" | grep -oE '[0-9]+' | awk '{ s += $1 } END { print s + 0 }')
	: "${SOCKERR:=0}"
	RPS=$(sed -n 's/^Requests\/sec: *//p' "$f")
	echo "# $1: ${RPS:-?} req/s; 2xx $N2, 4xx $N4, 5xx $N5, other $NOTHER, bad body $NBAD, socket errors $SOCKERR"
}

# clean_phase NAME: no answer but 2xx, no socket error, something answered.
clean_phase() {
	parse "$1"
	if [ "$N2" -gt 0 ] && [ $((N4 + N5 + NOTHER + NBAD + SOCKERR)) -eq 0 ]; then
		ok "$1: $N2 requests in ${WRK_SECONDS:-$DURATION} s at $CONNS connections (${RPS} req/s), all 2xx"
	else
		not_ok "$1: 4xx $N4, 5xx $N5, other $NOTHER, bad body $NBAD, socket errors $SOCKERR (2xx $N2)"
		tail -5 "$TMP_ROOT/$1.wrk"
	fi
}

# --- 1. GET /api/profile ------------------------------------------------------
LOAD_EXPECT='"id":"auth0|user123"' run_wrk profile "$CONNS" /api/profile -H "Authorization: Bearer $USER"
clean_phase profile

# --- 2. tools/call at /mcp ----------------------------------------------------
LOAD_METHOD=POST LOAD_BODY="$RPC" LOAD_EXPECT='"isError":false' run_wrk mcp "$CONNS" /mcp \
	-H "Authorization: Bearer $USER" -H 'Accept: application/json, text/event-stream'
clean_phase mcp
expect_clean_log

# --- 3. the same, and writes, while FastCGI processes are killed -------------
# The connections are shared out: reads, tool calls, writes.
C_READ=$((CONNS * 3 / 8)) C_MCP=$((CONNS * 3 / 8))
C_WRITE=$((CONNS - C_READ - C_MCP))
LOAD_EXPECT='"id":"auth0|user123"' run_wrk killed-profile "$C_READ" /api/profile \
	-H "Authorization: Bearer $USER" &
p1=$!
LOAD_METHOD=POST LOAD_BODY="$RPC" LOAD_EXPECT='"isError":false' run_wrk killed-mcp "$C_MCP" /mcp \
	-H "Authorization: Bearer $USER" -H 'Accept: application/json, text/event-stream' &
p2=$!
LOAD_METHOD=POST LOAD_BODY='{"name":"Load @SEQ@","email":"load-@SEQ@@example.com"}' LOAD_ACKED="$TMP_ROOT/acked" \
	run_wrk killed-writes "$C_WRITE" /api/users -H "Authorization: Bearer $ADMIN" &
p3=$!
kills=0
: >"$TMP_ROOT/victims"
end=$((SECONDS + DURATION - 1))
sleep 1
while [ "$SECONDS" -lt "$end" ]; do
	# Only this server's programs: lighttpd's own children.
	victim=$(pgrep -P "$SERVER_PID" | shuf -n 1)
	vname=$(ps -o comm= -p "$victim" 2>/dev/null)
	if [ -n "$victim" ] && kill -9 "$victim" 2>/dev/null; then
		kills=$((kills + 1))
		echo "${vname:-?}" >>"$TMP_ROOT/victims"
	fi
	sleep "$KILL_EVERY"
done
wait "$p1" "$p2" "$p3"
want_kills=$(((DURATION - 2) / KILL_EVERY))
if [ "$kills" -ge "$want_kills" ]; then
	ok "killed $kills FastCGI processes with SIGKILL, one every $KILL_EVERY s"
else
	not_ok "only $kills kills (want $want_kills)"
fi
total2=0 total4=0 total5=0 totalbad=0 totalother=0 totalsock=0
for name in killed-profile killed-mcp killed-writes; do
	parse "$name"
	total2=$((total2 + N2)) total4=$((total4 + N4)) total5=$((total5 + N5))
	totalbad=$((totalbad + NBAD)) totalother=$((totalother + NOTHER)) totalsock=$((totalsock + SOCKERR))
done
echo "# killed: $(sort "$TMP_ROOT/victims" | uniq -c | tr -s ' \n' ' ')"
expect_eq "$total4" 0 "under kills: no 4xx (the failures are the server's, not the request's)"
expect_eq "$totalbad" 0 "under kills: every 2xx body is the right one"
expect_eq "$((totalother + totalsock))" 0 "under kills: no socket error, no odd status"
# A killed process loses the request it was running and those lighttpd had
# already queued on its socket: at most every open connection's request.
bound=$((kills * CONNS))
if [ "$total5" -le "$bound" ]; then
	ok "under kills: $total5 failed of $((total2 + total5)) requests ($(awk "BEGIN { printf \"%.1f\", $total5 / ($kills ? $kills : 1) }") per kill, bound $CONNS per kill)"
else
	not_ok "under kills: $total5 failed, more than $bound ($CONNS per kill)"
fi
# No program answered 500 itself: it logs every 5xx answer it gives.
expect_eq "$(server_log | grep -c 'answered 500')" 0 "under kills: no program answered 500"
if [ "$total2" -gt 0 ]; then ok "under kills: $total2 requests answered 2xx"; else not_ok "nothing answered under kills"; fi

# Every acknowledged write is there.
acked=$(cat "$TMP_ROOT"/acked.* 2>/dev/null | sort -u)
nacked=$(printf '%s' "$acked" | grep -c . || true)
missing=0
if [ "$nacked" -gt 0 ]; then
	printf '%s\n' "$acked" >"$TMP_ROOT/acked.all"
	sqlite3 "$DB" "SELECT sub FROM users" | sort -u >"$TMP_ROOT/stored"
	missing=$(comm -23 "$TMP_ROOT/acked.all" "$TMP_ROOT/stored" | wc -l)
fi
if [ "$nacked" -gt 0 ] && [ "$missing" -eq 0 ]; then
	ok "under kills: all $nacked acknowledged POST /api/users are stored"
else
	not_ok "under kills: $missing of $nacked acknowledged writes missing"
fi
expect_eq "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok "under kills: PRAGMA integrity_check"
if server_log | grep -E 'AddressSanitizer|LeakSanitizer|runtime error' | head -3 | grep -q .; then
	not_ok "under kills: a sanitizer spoke: $(server_log | grep -E 'AddressSanitizer|runtime error' | head -2)"
else
	ok "under kills: no sanitizer report"
fi
bad_exits=$(server_log | grep -E 'child (exited|signall?ed)' | grep -vc 'signalled: 9')
expect_eq "$bad_exits" 0 "under kills: every process that died was one we killed"

# --- 4. right after: lighttpd restarted them all, no error at all -------------
sleep 2
WRK_SECONDS=5 LOAD_EXPECT='"id":"auth0|user123"' run_wrk recovered "$CONNS" /api/profile -H "Authorization: Bearer $USER"
clean_phase recovered
expect_eq "$(pgrep -P "$SERVER_PID" | wc -l)" $((4 * PROCS)) "lighttpd runs $PROCS processes of each of the 4 programs again"
finish
