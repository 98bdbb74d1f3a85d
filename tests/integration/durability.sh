#!/usr/bin/env bash
# Durability and concurrency: several processes of several programs write
# one SQLite database at once; every acknowledged write must be there, also
# when FastCGI processes are killed with SIGKILL in the middle of writing.
set -u
. "$(dirname "$0")/lib.sh"

CLIENTS=4
WRITES=${DURABILITY_WRITES:-200}
start_server 3 || { echo "0 passed, 1 failed"; exit 1; }
ADMIN=$(login admin@example.com admin)
DB="$MCPAUTH_STATE_DIR/mcpauth.db"

# One user per client, so that each client's PUTs have a known last value.
for c in $(seq 1 $CLIENTS); do
	curl -s -o /dev/null -H "Authorization: Bearer $ADMIN" \
		-d "{\"name\":\"Client $c\",\"email\":\"client$c@example.com\",\"password\":\"pw-client-$c\",\"permissions\":[\"read:profile\",\"write:profile\"]}" \
		"$BASE/api/users"
done

# client N OUTDIR: WRITES rounds of PUT /api/profile (own user) and POST
# /api/users; logs "status kind value" per request.
client() {
	local c=$1 out=$2 tok i st id
	tok=$(login "client$c@example.com" "pw-client-$c")
	: >"$out/client$c"
	for i in $(seq 1 "$WRITES"); do
		st=$(curl -s -o "$out/put$c" -w '%{http_code}' --max-time 30 -X PUT -H "Authorization: Bearer $tok" \
			-d "{\"name\":\"c$c-$i\"}" "$BASE/api/profile")
		echo "$st put c$c-$i" >>"$out/client$c"
		st=$(curl -s -o "$out/post$c" -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $ADMIN" \
			-d "{\"name\":\"u$c-$i\",\"email\":\"$(basename "$out")-u$c-$i@example.com\"}" "$BASE/api/users")
		id=$(jq -r '.id // "-"' "$out/post$c" 2>/dev/null)
		echo "$st post ${id:--}" >>"$out/client$c"
	done
}

# verify OUTDIR LABEL: every acknowledged write is in the database.
verify() {
	local out=$1 label=$2 c missing=0 acked=0 id last want got
	for c in $(seq 1 $CLIENTS); do
		while read -r st kind id; do
			[ "$kind" = post ] && [ "$st" = 201 ] || continue
			acked=$((acked + 1))
			got=$(sqlite3 "$DB" "SELECT count(*) FROM users WHERE sub = '$id'")
			[ "$got" = 1 ] || missing=$((missing + 1))
		done <"$out/client$c"
		last=$(awk '$1 == 200 && $2 == "put" { v = $3 } END { print v }' "$out/client$c")
		got=$(sqlite3 "$DB" "SELECT name FROM users WHERE email = 'client$c@example.com'")
		expect_eq "$got" "$last" "$label: client $c's last acknowledged PUT is the stored name"
	done
	expect_eq "$missing" 0 "$label: all $acked acknowledged POST /api/users are stored"
	expect_eq "$(sqlite3 "$DB" 'PRAGMA integrity_check')" ok "$label: PRAGMA integrity_check"
}

# --- concurrent writers -------------------------------------------------------
OUT="$TMP_ROOT/concurrent"
mkdir -p "$OUT"
pids=()
for c in $(seq 1 $CLIENTS); do client "$c" "$OUT" & pids+=($!); done
wait "${pids[@]}"
all=$(cat "$OUT"/client* | wc -l)
good=$(cat "$OUT"/client* | awk '($2 == "put" && $1 == 200) || ($2 == "post" && $1 == 201)' | wc -l)
expect_eq "$all" $((CLIENTS * WRITES * 2)) "concurrent: every request answered"
expect_eq "$good" "$all" "concurrent: every write acknowledged (no 5xx, no busy errors)"
verify "$OUT" concurrent
expect_clean_log

# --- SIGKILL during writes ---------------------------------------------------
OUT="$TMP_ROOT/killed"
mkdir -p "$OUT"
WRITES=$((WRITES / 2))
pids=()
for c in $(seq 1 $CLIENTS); do client "$c" "$OUT" & pids+=($!); done
kills=0
for k in $(seq 1 8); do
	sleep 0.5
	victims=$(pgrep -f "$MCPAUTH_BINDIR/(admin|profile)$" | shuf -n 1)
	[ -n "$victims" ] && kill -9 $victims 2>/dev/null && kills=$((kills + 1))
done
wait "${pids[@]}"
if [ "$kills" -ge 4 ]; then ok "killed FastCGI processes $kills times during writes"; else not_ok "only $kills kills"; fi
acked=$(cat "$OUT"/client* | awk '($2 == "put" && $1 == 200) || ($2 == "post" && $1 == 201)' | wc -l)
# Requests in flight when their process died may fail, and lighttpd may
# refuse a few while it restarts one.
if [ "$acked" -ge $((CLIENTS * WRITES * 2 - 3 * kills)) ]; then ok "writes acknowledged despite the kills ($acked of $((CLIENTS * WRITES * 2)))"; else not_ok "only $acked of $((CLIENTS * WRITES * 2)) writes acknowledged"; fi
verify "$OUT" killed
req GET /api/users -H "Authorization: Bearer $ADMIN"
expect_status 200 "lighttpd restarted the killed programs"
expect_eq "$(jq '.users | length' "$TMP_ROOT/body")" "$(sqlite3 "$DB" 'SELECT count(*) FROM users')" "the API sees every stored user"

finish
