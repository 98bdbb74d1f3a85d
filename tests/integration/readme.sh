#!/usr/bin/env bash
# The README's curl examples really run: every ```sh block marked
# <!-- readme-test --> is run against a real server, with the README's
# address replaced by the test server's.
set -u
. "$(dirname "$0")/lib.sh"

start_server 1 || { echo "0 passed, 1 failed"; exit 1; }
hostport=${BASE#http://}
n=0
awk '/<!-- readme-test -->/ { want = 1; next }
     want && /^```sh$/ { inblock = 1; n++; next }
     inblock && /^```$/ { inblock = 0; want = 0; next }
     inblock { print > (dir "/block" n ".sh") }' dir="$TMP_ROOT" "$top_srcdir/README.md"
for block in "$TMP_ROOT"/block*.sh; do
	n=$((n + 1))
	sed -i "s#127\.0\.0\.1:3009#$hostport#g" "$block"
	if bash -e "$block" >"$TMP_ROOT/out" 2>&1; then ok "README block $n runs"; else not_ok "README block $n fails: $(tail -3 "$TMP_ROOT/out")"; fi
	# Every answer the block printed is JSON, none is an error page.
	if jq -e . "$TMP_ROOT/out" >/dev/null 2>&1; then ok "README block $n prints JSON"; else not_ok "README block $n prints non-JSON: $(head -c 300 "$TMP_ROOT/out")"; fi
	cp "$TMP_ROOT/out" "$TMP_ROOT/out$n"
done
expect_eq "$n" 4 "four README blocks found"
all=$(cat "$TMP_ROOT"/out[0-9]*)
for want in '"message":"Profile updated"' '"verified":true' '"total":' '"message":"Permissions updated"' \
	'"user_id":"auth0|user123"' '"error":"No token provided"' '"error":"Invalid token"' \
	"Permission 'admin:all' required" '"ok":true' \
	'"scope":"openid profile email offline_access","token_type":"Bearer","refresh_token_length":43' '"rotated":true' \
	'"message":"The refresh token was already used; every token of its login is now revoked"' \
	'"message":"The refresh token was revoked; log in again"' '"message":"Logged out"' \
	'"error":"Too many attempts"' '"error":"Misdirected request"' '"resource":"http://localhost:8080/mcp"'; do
	if printf '%s' "$all" | grep -qF "$want"; then ok "README output has $want"; else not_ok "README output lacks $want"; fi
done
if printf '%s' "$all" | grep -qF "\"error\":\"Permission not held\""; then ok "README: write:users cannot mint an admin"; else not_ok "README: write:users cannot mint an admin"; fi
finish
