#!/usr/bin/env bash
# The documentation's curl examples really run: every ```sh block marked
# <!-- readme-test --> in README.md and docs/*.md is run against a real
# server, in that order (README first, then docs/ by name), with the
# documented address replaced by the test server's.
set -u
. "$(dirname "$0")/lib.sh"

# docs/accounts.md's sign-up and reset examples: sign-up open, and a mail
# command that drops the mail (those blocks show only what needs no link).
export MCPAUTH_SIGNUP=1 MCPAUTH_MAIL_COMMAND=/bin/true
start_server 1 || { echo "0 passed, 1 failed"; exit 1; }
hostport=${BASE#http://}

# extract FILE: writes each marked block of FILE to $TMP_ROOT/block<N>.sh,
# numbering on from the blocks already written, and its file to .from.
n=0
extract() {
	local f=$1 before=$n
	n=$(awk '/^<!-- readme-test -->[ \t]*$/ { want = 1; next }
	     want && /^```sh$/ { inblock = 1; n++; printf "" > (dir "/block" n ".sh"); print file > (dir "/block" n ".from"); next }
	     want && !inblock && !/^[ \t]*$/ { want = 0 }
	     inblock && /^```$/ { inblock = 0; want = 0; next }
	     inblock { print > (dir "/block" n ".sh") }
	     END { print n + 0 }' n="$n" dir="$TMP_ROOT" file="$f" "$top_srcdir/$f")
	found[$f]=$((n - before))
}
declare -A found
files="README.md $(cd "$top_srcdir" && ls docs/*.md)"
for f in $files; do extract "$f"; done

for i in $(seq 1 "$n"); do
	block="$TMP_ROOT/block$i.sh"
	from=$(cat "$TMP_ROOT/block$i.from")
	sed -i "s#127\.0\.0\.1:3009#$hostport#g" "$block"
	if bash -e "$block" >"$TMP_ROOT/out" 2>&1; then ok "$from block $i runs"; else not_ok "$from block $i fails: $(tail -3 "$TMP_ROOT/out")"; fi
	# Every answer the block printed is JSON, none is an error page.
	if jq -e . "$TMP_ROOT/out" >/dev/null 2>&1; then ok "$from block $i prints JSON"; else not_ok "$from block $i prints non-JSON: $(head -c 300 "$TMP_ROOT/out")"; fi
	cp "$TMP_ROOT/out" "$TMP_ROOT/out$i"
done
# The blocks the documentation had when they moved out of the README are
# all still found (other sections may add more).
for want in README.md:1 docs/api.md:3 docs/security.md:2; do
	f=${want%:*} min=${want#*:}
	if [ "${found[$f]:-0}" -ge "$min" ]; then ok "$f: ${found[$f]} blocks (at least $min)"; else not_ok "$f: ${found[$f]:-0} blocks, expected at least $min"; fi
done
echo "# $n blocks run: $(for f in $files; do [ "${found[$f]:-0}" -gt 0 ] && printf '%s %s, ' "$f" "${found[$f]}"; done)"

all=$(cat "$TMP_ROOT"/out[0-9]*)
for want in '"message":"Profile updated"' '"verified":true' '"total":' '"message":"Permissions updated"' \
	'"user_id":"auth0|user123"' '"error":"No token provided"' '"error":"Invalid token"' \
	"Permission 'admin:all' required" '"ok":true' \
	'"scope":"openid profile email offline_access","token_type":"Bearer","refresh_token_length":43' '"rotated":true' \
	'"message":"The refresh token was already used; every token of its login is now revoked"' \
	'"message":"The refresh token was revoked; log in again"' '"message":"Logged out"' \
	'"error":"Too many attempts"' '"error":"Misdirected request"' '"resource":"http://localhost:8080/mcp"' \
	'"error":"Invalid credentials"' '"error":"Unsupported media type"' \
	'{"amr":["pwd","otp"]}' '"error":"insufficient_user_authentication"' '"message":"Two-factor login is off"' '"keys":[' '"email":"user@example.com"' \
	'"message":"Check your email: we sent a link to finish signing up"' '"error":"Invalid link"'; do
	if printf '%s' "$all" | grep -qF "$want"; then ok "documentation output has $want"; else not_ok "documentation output lacks $want"; fi
done
if printf '%s' "$all" | grep -qF "\"error\":\"Permission not held\""; then ok "docs: write:users cannot mint an admin"; else not_ok "docs: write:users cannot mint an admin"; fi
finish
