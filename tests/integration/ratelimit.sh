#!/usr/bin/env bash
# Login rate limiting against a real server with several processes: 5
# failures for one email or 20 from one address within the window give
# 429 with Retry-After, even for the right password; a success resets the
# email's counter; the window passes. Unknown and known emails get the
# same answers and take the same time (measured).
set -u
. "$(dirname "$0")/lib.sh"

# login_as EMAIL PASSWORD [curl args]: the answer in the body file.
login_as() {
	local email=$1 password=$2
	shift 2
	req POST /auth/login -H 'Content-Type: application/json' \
		-d "{\"email\":\"$email\",\"password\":\"$password\"}" "$@"
}
# fail_n N EMAIL [curl args]: N wrong passwords; every answer must be 401.
fail_n() {
	local n=$1 email=$2 i bad=0
	shift 2
	for i in $(seq 1 "$n"); do
		login_as "$email" "wrong-$i" "$@"
		[ "$STATUS" = 401 ] || bad=$((bad + 1))
	done
	expect_eq "$bad" 0 "$n wrong passwords for $email: each 401"
}
# Messages carry the seconds; compare them without.
message_shape() { jbody .message | sed -E 's/[0-9]+ seconds/N seconds/'; }

# --- defaults: 5 per email, 20 per address, 15 minutes ---------------------
start_server 2 || { echo "0 passed, 1 failed"; exit 1; }
fail_n 5 user@example.com
login_as user@example.com wrong-again
expect_status 429 "the 6th failed login for one email: 429"
expect_json .error "Too many attempts" "429 error"
expect_header Retry-After '^[0-9]+$' "429 has Retry-After in seconds"
ra=$(header Retry-After)
if [ "$ra" -ge 880 ] && [ "$ra" -le 900 ]; then ok "Retry-After ($ra) is what is left of the 15 minutes"; else not_ok "Retry-After $ra not in 880..900"; fi
expect_json .message "Too many failed logins; try again in $ra seconds" "429 message names the same seconds"
expect_header Cache-Control '^no-store$' "429 from the token endpoint: no-store"
expect_header X-Content-Type-Options '^nosniff$' "429: nosniff"
known_shape=$(message_shape)
login_as user@example.com password
expect_status 429 "even the right password is refused while blocked"
expect_json 'has("access_token")' false "no token while blocked"
login_as USER@Example.COM password
expect_status 429 "the email is compared case-insensitively"

# Unknown email: the very same behaviour and message.
login_as ghost@example.com wrong
expect_json '.error + "|" + .message' "Invalid credentials|Authentication failed" "unknown email: the same 401 body"
fail_n 4 ghost@example.com
login_as ghost@example.com wrong
expect_status 429 "unknown email: 429 after 5 failures too"
expect_eq "$(message_shape)" "$known_shape" "unknown email: the same 429 message"

# The address: 10 failures so far (refused attempts do not count).
login_as admin@example.com admin
expect_status 200 "another email from the same address still logs in"
fail_n 5 a1@example.com
fail_n 5 a2@example.com
login_as admin@example.com admin
expect_status 429 "20 failures from one address: even another user's right password gets 429"
login_as viewer@example.com readonly --interface 127.0.0.2
expect_status 200 "the same login from another address (127.0.0.2) works"
login_as user@example.com password --interface 127.0.0.2
expect_status 429 "but the blocked email stays blocked from any address"

# The MCP program runs the same handler with the same counters.
req POST /mcp/invoke -H 'Content-Type: application/json' \
	-d '{"toolName":"POST_/auth/login","args":{"email":"admin@example.com","password":"admin"}}'
expect_status 429 "login as an MCP tool is limited too"
expect_json .result.error "Too many attempts" "tool result: 429 body"
expect_header Retry-After '^[0-9]+$' "tool answer keeps Retry-After"
expect_clean_log
stop_server

# --- a small window: success resets the email, the window passes -----------
rm -rf "$TMP_ROOT/state"
export MCPAUTH_LOGIN_EMAIL_LIMIT=3 MCPAUTH_LOGIN_ADDR_LIMIT=100 MCPAUTH_LOGIN_WINDOW=4
start_server 2 || { echo "$PASS passed, $((FAIL + 1)) failed"; exit 1; }
fail_n 2 user@example.com
login_as user@example.com password
expect_status 200 "2 failures then the right password"
fail_n 3 user@example.com
login_as user@example.com password
expect_status 429 "after the reset, 3 new failures block (MCPAUTH_LOGIN_EMAIL_LIMIT=3)"
ra=$(header Retry-After)
if [ "$ra" -ge 1 ] && [ "$ra" -le 4 ]; then ok "Retry-After ($ra) within MCPAUTH_LOGIN_WINDOW=4"; else not_ok "Retry-After $ra"; fi
sleep $((ra + 1))
login_as user@example.com password
expect_status 200 "once Retry-After has passed, the right password works"

# Concurrent failures: the check and the count are not one transaction, so
# with 2 processes at most one attempt beyond the limit gets through.
pids=()
for i in $(seq 1 12); do
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 -H 'Content-Type: application/json' \
		-d "{\"email\":\"viewer@example.com\",\"password\":\"wrong-$i\"}" "$BASE/auth/login" >"$TMP_ROOT/code.$i" &
	pids+=($!)
done
wait "${pids[@]}"
cat "$TMP_ROOT"/code.* >"$TMP_ROOT/codes"
n401=$(grep -c '^401$' "$TMP_ROOT/codes")
n429=$(grep -c '^429$' "$TMP_ROOT/codes")
if [ "$n401" -ge 3 ] && [ "$n401" -le 4 ]; then ok "12 concurrent failures: $n401 checked (limit 3, 2 processes)"; else not_ok "12 concurrent failures: $n401 got 401"; fi
expect_eq "$((n401 + n429))" 12 "the rest got 429"
expect_clean_log
stop_server

# --- timing: unknown and known emails cost the same ------------------------
rm -rf "$TMP_ROOT/state"
export MCPAUTH_LOGIN_EMAIL_LIMIT=1000 MCPAUTH_LOGIN_ADDR_LIMIT=1000 MCPAUTH_LOGIN_WINDOW=900
start_server 1 || { echo "$PASS passed, $((FAIL + 1)) failed"; exit 1; }
login_as user@example.com wrong >/dev/null # warm up
N=31
time_login() { curl -s -o /dev/null -w '%{time_total}\n' --max-time 30 -H 'Content-Type: application/json' -d "$1" "$BASE/auth/login"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# measure: N failed logins for a known and for an unknown email, and a
# control; sets mk, mu (medians), md (median paired difference), mb.
measure() {
	local i
	: >"$TMP_ROOT/t.known"
	: >"$TMP_ROOT/t.unknown"
	: >"$TMP_ROOT/t.bad"
	for i in $(seq 1 $N); do
		# One of each, back to back, in turns first: a pair shares the machine's load.
		if [ $((i % 2)) -eq 1 ]; then
			time_login "{\"email\":\"user@example.com\",\"password\":\"wrong-$i\"}" >>"$TMP_ROOT/t.known"
			time_login "{\"email\":\"nobody-$i@example.com\",\"password\":\"wrong-$i\"}" >>"$TMP_ROOT/t.unknown"
		else
			time_login "{\"email\":\"nobody-$i@example.com\",\"password\":\"wrong-$i\"}" >>"$TMP_ROOT/t.unknown"
			time_login "{\"email\":\"user@example.com\",\"password\":\"wrong-$i\"}" >>"$TMP_ROOT/t.known"
		fi
		# The control: a request refused before any hash, to show that the
		# measurement would see a login that skipped the hash.
		time_login "{\"email\":\"user@example.com\"}" >>"$TMP_ROOT/t.bad"
	done
	mk=$(median <"$TMP_ROOT/t.known")
	mu=$(median <"$TMP_ROOT/t.unknown")
	mb=$(median <"$TMP_ROOT/t.bad")
	# The median of the pairs' differences cancels most of the load of the
	# rest of the machine, which the two medians alone do not.
	md=$(paste "$TMP_ROOT/t.known" "$TMP_ROOT/t.unknown" | awk '{ print $1 - $2 }' | median)
	echo "# timing over $N failed logins each: median known ${mk}s, unknown ${mu}s," \
		"median paired difference ${md}s; control (400, no hash) ${mb}s"
}
same_time() { awk -v a="$mk" -v b="$mu" -v d="$md" 'BEGIN { if (d < 0) d = -d; m = a > b ? a : b; exit !(d <= 0.2 * m) }'; }
measure
# On a machine busy with other work one run can be skewed; a real
# difference (a skipped hash: about 100%) fails both.
same_time || { echo "# over 20%: measuring once more"; measure; }
if same_time; then
	ok "known and unknown emails take the same time: paired difference $md s, within 20% of $mk s"
else
	not_ok "known and unknown emails: median paired difference $md s is over 20% (medians $mk s, $mu s)"
fi
if awk -v a="$mk" -v b="$mu" -v c="$mb" 'BEGIN { m = a < b ? a : b; exit !(c < 0.5 * m) }'; then
	ok "the measurement resolves a skipped hash: the control ($mb s) is under half of both"
else
	not_ok "the control ($mb s) is not clearly faster than the logins ($mk s, $mu s): the timing test proves nothing"
fi
expect_clean_log
unset MCPAUTH_LOGIN_EMAIL_LIMIT MCPAUTH_LOGIN_ADDR_LIMIT MCPAUTH_LOGIN_WINDOW
finish
