#!/usr/bin/env bash
# Two nodes, one PostgreSQL: two lighttpd fronts, each with its own programs
# and state directory (tests/integration/nodes-lib.sh), one store. A login
# on A refreshes on B, and the old refresh token on A is reuse that revokes
# the family on both; failed logins spread over both nodes hit the limit at
# the configured count; a permission change made on B is in A's next token;
# a key rotated on A is published by B before A signs with it, and its
# tokens verify on B; a write on one node is seen by the next request on the
# other within one second (measured, over several rounds); SIGKILL of A's
# programs under write load loses no acknowledged write (checked through B
# and psql); nginx in front of both, as docs/operations.md shows it,
# reaches both and keeps serving with A stopped. Skipped only when the
# PostgreSQL binaries are missing.
set -u
export LC_ALL=C # sort and comm agree on the order
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

# A limit that is not the default, so that the count is the configured one.
export MCPAUTH_LOGIN_EMAIL_LIMIT=6 MCPAUTH_LOGIN_ADDR_LIMIT=100000
for n in 1 2; do
	node_start "$n" 2 || { not_ok "node $n starts"; finish; exit 1; }
done
ok "node A on ${NODE_BASE[1]}, node B on ${NODE_BASE[2]}, one store"
A=1
B=2

# on N METHOD PATH [curl args]: req against node N.
on() {
	local n=$1
	shift
	BASE=${NODE_BASE[$n]} req "$@"
}
# json_on N METHOD PATH DATA [curl args]
json_on() {
	local n=$1 method=$2 path=$3 data=$4
	shift 4
	on "$n" "$method" "$path" -H 'Content-Type: application/json' -d "$data" "$@"
}
au() { printf 'Authorization: Bearer %s' "$1"; }
login_on() { BASE=${NODE_BASE[$1]} login "$2" "$3"; }
# login_scope_on N EMAIL PASSWORD SCOPE: the answer in the body file.
login_scope_on() { json_on "$1" POST /auth/login "{\"email\":\"$2\",\"password\":\"$3\",\"scope\":\"$4\"}"; }
refresh_on() { json_on "$1" POST /auth/refresh "{\"refresh_token\":\"$2\"}"; }
# seg N TOKEN: segment N (1 header, 2 claims) of a JWT, decoded.
seg() {
	local p
	p=$(printf '%s' "$2" | cut -d. -f"$1" | tr '_-' '/+')
	while [ $((${#p} % 4)) -ne 0 ]; do p="$p="; done
	printf '%s' "$p" | base64 -d 2>/dev/null
}
kid_of() { seg 1 "$1" | jq -r .kid; }
perms_of() { seg 2 "$1" | jq -r '.permissions // [] | join(" ")'; }
jwks_kids() { curl -s --max-time 5 "${NODE_BASE[$1]}/.well-known/jwks.json" | jq -c '[.keys[].kid] | sort'; }
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}
sql() { "$PG_BINDIR/psql" -qAt -d "$PG_URL" -c "$1" 2>&1; }
sha256hex() { printf '%s' "$1" | openssl dgst -sha256 -r | cut -d' ' -f1; }
PW='Node-Horse-Battery-7'

# --- one store -----------------------------------------------------------------
declare -a ADMIN USER
for n in $A $B; do
	ADMIN[$n]=$(login_on "$n" admin@example.com admin)
	USER[$n]=$(login_on "$n" user@example.com password)
done
json_on $B POST /api/users '{"name":"Made On B","email":"made-on-b@example.com"}' -H "$(au "${ADMIN[$B]}")"
expect_status 201 "B creates a user"
made=$(jbody .id)
on $A GET "/api/user/$made" -H "$(au "${ADMIN[$A]}")"
expect_status 200 "A finds the user B created"
expect_json .email made-on-b@example.com "A reads B's user from the one store"
expect_eq "$(sql "SELECT count(*) FROM users WHERE email = 'made-on-b@example.com'")" 1 "the user is in PostgreSQL"

# --- one set of keys -------------------------------------------------------------
expect_eq "$(jwks_kids $B)" "$(jwks_kids $A)" "both nodes publish the same keys"
on $B GET /api/profile -H "$(au "${USER[$A]}")"
expect_status 200 "a token A signed is good on B"
on $A GET /api/profile -H "$(au "${USER[$B]}")"
expect_status 200 "a token B signed is good on A"

# --- refresh across nodes: reuse detected, the family revoked on both ---------------
login_scope_on $A user@example.com password "openid offline_access"
expect_status 200 "login on A with offline_access"
RT1=$(jbody .refresh_token)
refresh_on $B "$RT1"
expect_status 200 "A's refresh token refreshes on B"
RT2=$(jbody .refresh_token)
AT2=$(jbody .access_token)
on $A GET /api/profile -H "$(au "$AT2")"
expect_status 200 "the token B gave on refresh is good on A"
refresh_on $A "$RT1"
expect_status 401 "the old refresh token presented on A: 401"
expect_json .message "The refresh token was already used; every token of its login is now revoked" \
	"A detects the reuse of a token B rotated"
refresh_on $B "$RT2"
expect_status 401 "the family's newest token is revoked on B"
expect_json .message "The refresh token was revoked; log in again" "B: the revoked message"
refresh_on $A "$RT2"
expect_status 401 "and on A"
fam=$(sql "SELECT count(*) || ' ' || sum(revoked) FROM refresh_tokens WHERE family =
	(SELECT family FROM refresh_tokens WHERE hash = decode('$(sha256hex "$RT1")', 'hex'))")
expect_eq "$fam" "2 2" "PostgreSQL holds the family's two tokens, both revoked"

# --- failed logins spread over both nodes ---------------------------------------------
# limit_round EMAIL NODES...: one failed login on each node named, in order
# (6, the limit), then the right password on both: 429 on both.
limit_round() {
	local email=$1 n i=0 bad=0 seq=
	shift
	for n in "$@"; do
		i=$((i + 1))
		json_on "$n" POST /auth/login "{\"email\":\"$email\",\"password\":\"wrong-$i\"}"
		[ "$STATUS" = 401 ] || bad=$((bad + 1))
		seq="$seq$([ "$n" = $A ] && echo A || echo B)"
	done
	expect_eq "$bad" 0 "$email: $i wrong passwords ($seq), each 401: under the limit"
	for n in $A $B; do
		json_on "$n" POST /auth/login "{\"email\":\"$email\",\"password\":\"readonly\"}"
		expect_status 429 "$email: the next login on $([ "$n" = $A ] && echo A || echo B) is refused, right password or not"
		expect_header Retry-After '^[0-9]+$' "$email: the 429 has Retry-After"
	done
}
limit_round viewer@example.com $A $B $A $B $A $B
limit_round spread-1@example.com $A $A $A $A $A $B
limit_round spread-2@example.com $B $B $B $B $B $A

# --- a permission change on B is in A's next token -----------------------------------
json_on $B POST /api/users "{\"name\":\"Perm\",\"email\":\"perm@example.com\",\"password\":\"$PW\",\"permissions\":[\"read:profile\"]}" \
	-H "$(au "${ADMIN[$B]}")"
expect_status 201 "B creates perm@ with read:profile"
perm_id=$(jbody .id)
login_scope_on $A perm@example.com "$PW" "openid offline_access"
expect_eq "$(perms_of "$(jbody .access_token)")" "read:profile" "A's token for perm@: read:profile"
PERM_RT=$(jbody .refresh_token)
json_on $B POST /api/admin/permissions "{\"userId\":\"$perm_id\",\"permissions\":[\"read:profile\",\"write:profile\"]}" \
	-H "$(au "${ADMIN[$B]}")"
expect_status 200 "B changes perm@'s permissions"
tok=$(login_on $A perm@example.com "$PW")
expect_eq "$(perms_of "$tok")" "read:profile write:profile" "A's next login token carries B's change"
refresh_on $A "$PERM_RT"
expect_status 200 "A refreshes perm@'s older login"
expect_eq "$(perms_of "$(jbody .access_token)")" "read:profile write:profile" "A's refreshed token carries B's change"
json_on $A PUT /api/profile '{"name":"Perm Written"}' -H "$(au "$tok")"
expect_status 200 "the new permission works on A"

# --- a key rotated on A: published by B first, then verified on B ----------------------
OLD=$(login_on $A user@example.com password)
old_kid=$(kid_of "$OLD")
kids_before=$(jwks_kids $B)
if node_tool $A rotate-key >"$TMP_ROOT/rotate.out" 2>&1; then ok "mcpauth rotate-key on A"; else
	not_ok "mcpauth rotate-key on A: $(cat "$TMP_ROOT/rotate.out")"
fi
t0=$(now_ms)
published=
while [ $(($(now_ms) - t0)) -lt 5000 ]; do
	kids=$(jwks_kids $B)
	if [ -n "$kids" ] && [ "$kids" != "$kids_before" ]; then published=$(($(now_ms) - t0)); break; fi
	sleep 0.02
done
echo "# key rotated on A: in B's JWKS after ${published:-(never, 5000+)} ms"
if [ -n "$published" ] && [ "$published" -lt 1000 ]; then ok "B publishes the new key within 1 s ($published ms)"; else
	not_ok "B publishes the new key within 1 s: ${published:-not in 5 s}"
fi
signed=
while [ $(($(now_ms) - t0)) -lt 8000 ]; do
	NEW=$(login_on $A user@example.com password)
	new_kid=$(kid_of "$NEW")
	if [ -n "$new_kid" ] && [ "$new_kid" != null ] && [ "$new_kid" != "$old_kid" ]; then signed=$(($(now_ms) - t0)); break; fi
	sleep 0.1
done
echo "# A signs with the new key after ${signed:-(never, 8000+)} ms"
if [ -n "$signed" ] && [ -n "$published" ] && [ "$signed" -ge "$published" ] && [ "$signed" -ge 1000 ]; then
	ok "A signs with the new key only once it is published ($signed ms, publish delay kept)"
else
	not_ok "A signs with the new key after B publishes it and after the delay: signed ${signed:-never}, published ${published:-never}"
fi
if printf '%s' "$(jwks_kids $B)" | jq -e --arg k "${new_kid:-}" 'index($k) != null' >/dev/null; then
	ok "the kid A signs with is in B's JWKS"
else not_ok "the kid A signs with (${new_kid:-none}) is in B's JWKS"; fi
on $B GET /api/profile -H "$(au "${NEW:-}")"
expect_status 200 "a token of the rotated key verifies on B"
on $B GET /api/profile -H "$(au "$OLD")"
expect_status 200 "a token of the old key still verifies on B"
tokb=$(login_on $B user@example.com password)
expect_eq "$(kid_of "$tokb")" "${new_kid:-new}" "B signs with the new key too"

# --- a write on one node, seen by the next request on the other --------------------------
# Each round writes the name on one node and polls the other until it shows;
# then four requests at once (every process of the program) show it too.
ROUNDS=${NODES_ROUNDS:-10}
times=
ends=
first=0
slow=0
stale=0
for r in $(seq 1 "$ROUNDS"); do
	w=$((1 + r % 2))
	rd=$((3 - w))
	name="Round $r $RANDOM"
	json_on $w PUT /api/profile "{\"name\":\"$name\"}" -H "$(au "${USER[$w]}")"
	[ "$STATUS" = 200 ] || { not_ok "round $r: the write answers 200 (got $STATUS)"; continue; }
	t0=$(now_ms)
	seen=
	answered=
	polls=0
	while ts=$(now_ms) && [ $((ts - t0)) -lt 3000 ]; do
		polls=$((polls + 1))
		got=$(curl -s --max-time 2 -H "$(au "${USER[$rd]}")" "${NODE_BASE[$rd]}/api/profile" | jq -r .profile.name)
		if [ "$got" = "$name" ]; then
			seen=$((ts - t0))
			answered=$(($(now_ms) - t0))
			break
		fi
	done
	times="$times ${seen:-3000+}"
	ends="$ends ${answered:-3000+}"
	[ "$polls" -gt 1 ] || first=$((first + 1))
	# The bound is on when the request that saw it was sent: how long it
	# then took is the machine's load, not the cache's staleness.
	{ [ -n "$seen" ] && [ "$seen" -lt 1000 ]; } || slow=$((slow + 1))
	u="${NODE_BASE[$rd]}/api/profile"
	n_ok=$(curl -s --no-progress-meter --max-time 5 -Z -H "$(au "${USER[$rd]}")" "$u" "$u" "$u" "$u" |
		jq -r .profile.name | grep -cxF "$name")
	[ "$n_ok" = 4 ] || stale=$((stale + 1))
done
max=$(printf '%s\n' $times | sed 's/+$//' | sort -n | tail -1)
max_end=$(printf '%s\n' $ends | sed 's/+$//' | sort -n | tail -1)
echo "# cross-node visibility: ms from a write's answer on one node to the sending of the first read on the other" \
	"that saw it:$times (max $max); to that read's answer:$ends (max $max_end);" \
	"the very next request saw it in $first of $ROUNDS rounds"
expect_eq "$slow" 0 "every one of $ROUNDS writes was seen on the other node within 1 s"
expect_eq "$stale" 0 "after it was seen, four requests at once all saw it (no stale process)"

# --- SIGKILL of A's programs under write load -----------------------------------------
# Writers create users on A as fast as A answers; all of A's programs are
# killed with SIGKILL twice, at a third and at two thirds of the run. Every
# write A acknowledged must be stored.
WRITERS=4
LOAD_MS=${NODES_LOAD_MS:-9000}
writer() {
	local k=$1 end=$2 i=0 code body t
	while t=${EPOCHREALTIME/./} && [ $((t / 1000)) -lt "$end" ]; do
		i=$((i + 1))
		code=$(curl -s -o "$TMP_ROOT/w$k.body" -w '%{http_code}' --max-time 10 -H 'Content-Type: application/json' \
			-H "$(au "${ADMIN[$A]}")" -d "{\"name\":\"W\",\"email\":\"w$k-$i@example.com\"}" "${NODE_BASE[$A]}/api/users")
		body=
		read -r body <"$TMP_ROOT/w$k.body"
		t=${EPOCHREALTIME/./}
		# time, status, email, and whether the answer is a JSON error (no fork: the load is curl's)
		case $body in
		'{"error":"'*) echo "$((t / 1000)) $code w$k-$i@example.com error" ;;
		*) echo "$((t / 1000)) $code w$k-$i@example.com -" ;;
		esac
	done >"$TMP_ROOT/writes.$k"
}
start=$(now_ms)
wpids=
for k in $(seq 1 $WRITERS); do
	writer "$k" $((start + LOAD_MS)) &
	wpids="$wpids $!"
done
victims=
kills=
for kill in 1 2; do
	while [ $(($(now_ms) - start)) -lt $((LOAD_MS * kill / 3)) ]; do sleep 0.05; done
	batch=$(node_programs $A | tr '\n' ' ')
	kills="$kills $(now_ms)"
	# shellcheck disable=SC2086
	kill -9 $batch 2>/dev/null
	n=$(echo $batch | wc -w)
	if [ "$n" -ge 4 ]; then ok "kill $kill: SIGKILL to A's $n programs under load"; else not_ok "kill $kill: A's programs to kill: $n"; fi
	victims="$victims $batch"
done
# shellcheck disable=SC2086
wait $wpids
cat "$TMP_ROOT"/writes.* >"$TMP_ROOT/writes"
acked=$(awk '$2 ~ /^2/ { print $3 }' "$TMP_ROOT/writes" | sort)
n_acked=$(printf '%s\n' $acked | grep -c .)
# acked_between FROM TO: writes acknowledged in that span (ms).
acked_between() { awk -v f="$1" -v t="$2" '$2 ~ /^2/ && $1 >= f && $1 < t' "$TMP_ROOT/writes" | wc -l; }
set -- $kills
spans="$(acked_between 0 "$1") $(acked_between $(($1 + 500)) "$2") $(acked_between $(($2 + 500)) 99999999999999)"
echo "# writes: $(wc -l <"$TMP_ROOT/writes") sent, $n_acked acknowledged ($spans before the first kill," \
	"between the kills, after the second, leaving 0.5 s after each);" \
	"answers: $(awk '{ print $2 }' "$TMP_ROOT/writes" | sort | uniq -c | awk '{ printf "%s x%s ", $2, $1 }')"
set -- $spans
if [ "$1" -gt 0 ] && [ "$2" -gt 0 ] && [ "$3" -gt 0 ]; then ok "writes acknowledged before, between and after the kills"; else
	not_ok "writes acknowledged before, between and after the kills: $spans"
fi
# Every answer that is no 2xx is a JSON error (the programs' or lighttpd's).
nonjson=$(awk '$2 !~ /^2/ && $4 == "-"' "$TMP_ROOT/writes" | wc -l)
expect_eq "$nonjson" 0 "every refused write got a JSON error"
stored=$(sql 'SELECT email FROM users' | grep '^w[0-9]' | sort)
lost=$(comm -23 <(printf '%s\n' "$acked") <(printf '%s\n' "$stored") | grep -c .)
expect_eq "$lost" 0 "every acknowledged write is in PostgreSQL ($n_acked acknowledged)"
on $B GET /api/admin/users -H "$(au "${ADMIN[$B]}")"
via_b=$(jbody '.users[].email' | sort)
lost_b=$(comm -23 <(printf '%s\n' "$acked") <(printf '%s\n' "$via_b") | grep -c .)
expect_eq "$lost_b" 0 "every acknowledged write is listed by B"
on $A GET /api/profile -H "$(au "${USER[$A]}")"
expect_status 200 "A serves again after the kill"
survivors=0
for p in $victims; do ! kill -0 "$p" 2>/dev/null || survivors=$((survivors + 1)); done
expect_eq "$survivors" 0 "every killed program is gone"
if [ -n "$(node_programs $A)" ]; then ok "A's programs are new processes"; else not_ok "A has programs again"; fi

# --- behind nginx, as docs/operations.md puts a balancer in front ------------------------
# The documented upstream and location over both nodes: requests reach both,
# a login, its refresh and the reuse work through it, and with A stopped
# every request is served by B.
lb_start() {
	local dir=$TMP_ROOT/lb try
	mkdir -p "$dir/tmp"
	if [ "$(id -u)" -eq 0 ]; then # nginx's workers run as nobody
		chmod 711 "$TMP_ROOT" "$dir"
		chown nobody "$dir/tmp"
	fi
	for try in 1 2 3 4 5; do
		LB_PORT=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		cat >"$dir/nginx.conf" <<-CONF
			daemon off;
			worker_processes 1;
			pid $dir/nginx.pid;
			error_log $dir/error.log warn;
			events { worker_connections 256; }
			http {
			    log_format node '\$status \$upstream_addr';
			    access_log $dir/access.log node;
			    client_body_temp_path $dir/tmp/body;
			    proxy_temp_path $dir/tmp/proxy;
			    fastcgi_temp_path $dir/tmp/fastcgi;
			    uwsgi_temp_path $dir/tmp/uwsgi;
			    scgi_temp_path $dir/tmp/scgi;
			    upstream mcpauth_nodes {
			        server 127.0.0.1:${NODE_PORT[$A]} max_fails=2 fail_timeout=5s;
			        server 127.0.0.1:${NODE_PORT[$B]} max_fails=2 fail_timeout=5s;
			        keepalive 16;
			    }
			    server {
			        listen 127.0.0.1:$LB_PORT;
			        server_name 127.0.0.1;
			        client_max_body_size 64k;
			        large_client_header_buffers 4 32k;
			        location / {
			            proxy_pass http://mcpauth_nodes;
			            proxy_http_version 1.1;
			            proxy_set_header Connection "";
			            proxy_set_header Host \$host;
			            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
			            proxy_next_upstream error timeout;
			            proxy_next_upstream_tries 2;
			        }
			    }
			}
		CONF
		"$NGINX" -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" 2>>"$dir/stderr" &
		LB_PID=$!
		# shellcheck disable=SC2064
		[ "$try" -gt 1 ] || trap "lb_stop; $(trap -p EXIT | sed -n "s/^trap -- '\(.*\)' EXIT$/\1/p")" EXIT
		for _ in $(seq 1 50); do
			kill -0 "$LB_PID" 2>/dev/null || break
			curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$LB_PORT/" && return 0
			sleep 0.1
		done
		lb_stop
	done
	return 1
}
lb_stop() {
	[ -n "${LB_PID:-}" ] || return 0
	kill "$LB_PID" 2>/dev/null
	wait "$LB_PID" 2>/dev/null
	LB_PID=
}
if [ ! -x "$NGINX" ]; then
	echo "# no nginx: the balancer part is left out"
elif lb_start; then
	ok "nginx balances over both nodes on 127.0.0.1:$LB_PORT"
	LB=3
	NODE_BASE[$LB]="http://127.0.0.1:$LB_PORT"
	fails=0
	for i in 1 2 3 4 5 6; do
		on $LB GET /api/profile -H "$(au "${USER[$A]}")"
		[ "$STATUS" = 200 ] || fails=$((fails + 1))
	done
	expect_eq "$fails" 0 "six reads through the balancer, each 200"
	served=$(awk '{ print $2 }' "$TMP_ROOT/lb/access.log" | sort -u | grep -c .)
	expect_eq "$served" 2 "the balancer sent requests to both nodes"
	login_scope_on $LB user@example.com password "openid offline_access"
	expect_status 200 "login through the balancer"
	LRT=$(jbody .refresh_token)
	refresh_on $LB "$LRT"
	expect_status 200 "refresh through the balancer"
	refresh_on $LB "$LRT"
	expect_status 401 "reuse through the balancer is detected"
	node_stop $A
	fails=0
	for i in 1 2 3 4 5 6 7 8; do
		on $LB GET /api/profile -H "$(au "${USER[$A]}")"
		[ "$STATUS" = 200 ] || fails=$((fails + 1))
	done
	expect_eq "$fails" 0 "with A stopped, every request through the balancer is served (by B)"
	lb_stop
else
	not_ok "nginx starts in front of both nodes: $(cat "$TMP_ROOT/lb/stderr" "$TMP_ROOT/lb/error.log" 2>/dev/null | head -3)"
fi

# --- logs ------------------------------------------------------------------------------
pass=${PG_URL#postgresql://mcpauth:}
pass=${pass%%@*}
for n in $A $B; do
	label=$([ "$n" = $A ] && echo A || echo B)
	bad=$(node_log "$n" | grep -E 'AddressSanitizer|LeakSanitizer|runtime error' | head -2)
	expect_eq "$bad" "" "node $label: no sanitizer report"
	if node_log "$n" | grep -qF "$pass"; then not_ok "node $label logged the database password"; else
		ok "node $label: the database password is in no log"
	fi
done
died=$(node_log $B | grep -E 'child exited|child signall?ed|exit signal' | head -2)
expect_eq "$died" "" "node B: no program died"
finish
