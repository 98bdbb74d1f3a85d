#!/usr/bin/env bash
# Passwords and sessions of issue 17 against a real server: POST
# /auth/password (wrong current password, weak and common new ones, the
# rate limit, success ending every refresh token, OAuth grant and browser
# session of the user), the password rules in the operator's tool, and
# GET/DELETE /api/sessions over HTTP and as MCP tools (another user's
# session is a 404); the /account page's forms driven by curl as a browser.
set -u
. "$(dirname "$0")/lib.sh"

mkdir_server "$TMP_ROOT/audit" # the programs' user writes it (under Apache or CGI: www-data)
AUDIT="$TMP_ROOT/audit/audit.log"
export MCPAUTH_AUDIT_LOG="$AUDIT" MCPAUTH_LOGIN_EMAIL_LIMIT=4 MCPAUTH_LOGIN_ADDR_LIMIT=1000
start_server 2 || { echo "0 passed, 1 failed"; exit 1; }
MCPAUTH="$top_builddir/tools/mcpauth"
JAR="$TMP_ROOT/jar"
FORM='Content-Type: application/x-www-form-urlencoded'
CB="http://127.0.0.1:9/callback"
au() { printf 'Authorization: Bearer %s' "$1"; }
json() { req POST "$1" -H 'Content-Type: application/json' -d "$2" "${@:3}"; }
claims() {
	local p
	p=$(printf '%s' "$1" | cut -d. -f2 | tr '_-' '/+')
	while [ $((${#p} % 4)) -ne 0 ]; do p="$p="; done
	printf '%s' "$p" | base64 -d 2>/dev/null
}
uri() { jq -rn --arg v "$1" '$v|@uri'; }
field() { sed -n "s/.*name=\"$1\" value=\"\([^\"]*\)\".*/\1/p" "$TMP_ROOT/body" | head -1; }
loc() { header Location | tr '?&' '\n\n' | sed -n "s/^$1=//p" | head -1; }
audited() {
	if [ "$(jq -c "select($1)" "$AUDIT" 2>/dev/null | wc -l)" -ge 1 ]; then ok "$2"; else
		not_ok "$2: no audit line $1"
	fi
}
call() { # call TOOL ARGS_JSON TOKEN: MCP tools/call at /mcp
	req POST /mcp -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H "$(au "$3")" --data-binary "$(jq -nc --arg t "$1" --argjson a "$2" \
			'{jsonrpc:"2.0",id:7,method:"tools/call",params:{name:$t,arguments:$a}}')"
}
# login_rt EMAIL PASSWORD: a login with a refresh token; ACCESS and RT set.
login_rt() {
	json /auth/login "{\"email\":\"$1\",\"password\":\"$2\",\"scope\":\"openid offline_access\"}"
	ACCESS=$(jbody .access_token)
	RT=$(jbody .refresh_token)
}
# oauth_tokens EMAIL PASSWORD: an OAuth client's tokens through /authorize
# as a browser would (login form, consent); OACCESS and ORT set.
oauth_tokens() {
	local verifier challenge
	verifier=$(openssl rand -base64 48 | tr '+/' '-_' | tr -d '=\n')
	challenge=$(printf '%s' "$verifier" | openssl dgst -sha256 -binary | b64url)
	rm -f "$JAR"
	req GET "/authorize?response_type=code&client_id=$CID&redirect_uri=$(uri "$CB")&code_challenge=$challenge&code_challenge_method=S256&scope=$(uri 'read:profile offline_access')" \
		-b "$JAR" -c "$JAR"
	local csrf rid
	csrf=$(field csrf_token) rid=$(field request_id)
	req POST /authorize -H "$FORM" -b "$JAR" -c "$JAR" --data-urlencode "csrf_token=$csrf" \
		--data-urlencode "request_id=$rid" --data-urlencode "email=$1" --data-urlencode "password=$2"
	if [ "$STATUS" = 200 ]; then
		csrf=$(field csrf_token) # the session signed in anew, with a token of its own
		req POST /authorize/consent -H "$FORM" -b "$JAR" -c "$JAR" --data-urlencode "csrf_token=$csrf" \
			--data-urlencode "request_id=$rid" --data-urlencode decision=allow
	fi
	req POST /oauth/token -H "$FORM" --data-urlencode grant_type=authorization_code \
		--data-urlencode "code=$(loc code)" --data-urlencode "redirect_uri=$CB" \
		--data-urlencode "code_verifier=$verifier" --data-urlencode "client_id=$CID"
	OACCESS=$(jbody .access_token)
	ORT=$(jbody .refresh_token)
}

PW='Orig-Pass-Word-42'
NEWPW='Brand-New-Secret-77'
# --- the operator's tool applies the same rules ---------------------------
if printf 'short-1\n' | "$MCPAUTH" user add weak@example.com >"$TMP_ROOT/out" 2>&1; then
	not_ok "mcpauth user add refuses a short password"
else
	grep -q "at least 10 characters" "$TMP_ROOT/out" && ok "mcpauth user add refuses a short password, saying why" ||
		not_ok "mcpauth user add: the reason: $(cat "$TMP_ROOT/out")"
fi
if printf 'basketball\n' | "$MCPAUTH" user add weak@example.com >"$TMP_ROOT/out" 2>&1; then
	not_ok "mcpauth user add refuses a common password"
else
	grep -q "most common" "$TMP_ROOT/out" && ok "mcpauth user add refuses a common password, saying why" ||
		not_ok "mcpauth user add, common: $(cat "$TMP_ROOT/out")"
fi
printf '%s\n' "$PW" | "$MCPAUTH" user add pass@example.com --permissions 'read:profile write:profile' \
	--scope 'openid offline_access' >"$TMP_ROOT/out" 2>&1 && ok "mcpauth user add with a good password" ||
	not_ok "mcpauth user add with a good password: $(cat "$TMP_ROOT/out")"
if printf 'qwertyuiop\n' | "$MCPAUTH" passwd pass@example.com >"$TMP_ROOT/out" 2>&1; then
	not_ok "mcpauth passwd refuses a common password"
else
	ok "mcpauth passwd refuses a common password"
fi
printf 'Other-Pass-Word-9\n' | "$MCPAUTH" user add other@example.com --permissions 'read:profile write:profile' \
	--scope 'openid offline_access' >/dev/null 2>&1
login_rt pass@example.com "$PW"
expect_status 200 "the password the rules let through logs in"
# An administrator's POST /api/users is held to them as well.
ADMIN=$(login admin@example.com admin)
json /api/users '{"name":"Weak","email":"weak@example.com","password":"1234567890","permissions":["read:profile"]}' \
	-H "$(au "$ADMIN")"
expect_status 400 "POST /api/users with a common password"
expect_json '.error + "|" + .message' "Weak password|Password is one of the most common passwords" \
	"POST /api/users: the 400 names the rule"
json /api/users '{"name":"Weak","email":"weak@example.com","password":"Weak-But-Long-7","permissions":["read:profile"]}' \
	-H "$(au "$ADMIN")"
expect_status 201 "POST /api/users with a password the rules accept"

# --- an OAuth client's grant, and sessions ---------------------------------
req POST /oauth/register -d "{\"client_name\":\"Pass Test\",\"redirect_uris\":[\"$CB\"],\"token_endpoint_auth_method\":\"none\"}"
CID=$(jbody .client_id)
oauth_tokens pass@example.com "$PW"
expect_status 200 "an OAuth client gets tokens through the pages"
GRANT=$(claims "$OACCESS" | jq -r '.grant_id // empty')
[ -n "$GRANT" ] && ok "its access token names its grant (grant_id)" || not_ok "no grant_id in $(claims "$OACCESS")"
req GET /api/profile -H "$(au "$OACCESS")"
expect_status 200 "the OAuth access token works before the change"

req GET /api/sessions -H "$(au "$ACCESS")"
expect_status 200 "GET /api/sessions"
expect_json '[.sessions[].type] | sort | join(",")' "oauth_grant,refresh_token,refresh_token" \
	"the sessions: the login's family, the client's family and its grant"
expect_json '[.sessions[] | select(.type == "refresh_token" and .client_id == null)][0].created_address' "127.0.0.1" \
	"a login's address is recorded at issue"
expect_json "[.sessions[] | select(.client_id == \"$CID\") | .last_address] | unique | join(\",\")" "127.0.0.1" \
	"the client's family and grant show the address of the last use"
expect_json '[.sessions[] | select(.created_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$"))] | length' 3 \
	"times are ISO 8601"
LOGIN_ID=$(jbody '[.sessions[] | select(.type == "refresh_token" and .client_id == null)][0].id')
GRANT_ID=$(jbody '[.sessions[] | select(.type == "oauth_grant")][0].id')
req GET /api/sessions -H "$(au "$OACCESS")"
expect_json "[.sessions[] | select(.current)] | map(.id) | join(\",\")" "rt_$GRANT" \
	"the OAuth token's own family is marked current"
req GET /api/sessions
expect_status 401 "GET /api/sessions without a token"

# Rotation records the address of the use.
json /auth/refresh "{\"refresh_token\":\"$RT\"}"
expect_status 200 "the login's refresh token rotates"
RT=$(jbody .refresh_token)

# Another user's session ids are not found, over HTTP and MCP alike.
OTHER=$(login other@example.com Other-Pass-Word-9)
req DELETE "/api/sessions/$LOGIN_ID" -H "$(au "$OTHER")"
expect_status 404 "another user's login session: 404, not 403"
expect_json '.error + "|" + (.message | length > 0 | tostring)' "Session not found|true" "the 404 body has error and message"
req DELETE "/api/sessions/$GRANT_ID" -H "$(au "$OTHER")"
expect_status 404 "another user's grant: 404"
call delete_api_sessions_id "{\"id\":\"$LOGIN_ID\"}" "$OTHER"
expect_json '.result.isError' true "tools/call delete_api_sessions_id on another's session: an error result"
expect_json '.result.content[0].text | fromjson | .error' "Session not found" "tools/call: the 404 body"
req DELETE /api/sessions/rt_nosuchfamilyxxxxxxxxxx -H "$(au "$ACCESS")"
expect_status 404 "an unknown id: 404"
json /auth/refresh "{\"refresh_token\":\"$RT\"}"
expect_status 200 "the login survived the other user's attempts"
RT=$(jbody .refresh_token)

# MCP: the caller's own list and end.
call get_api_sessions '{}' "$ACCESS"
expect_json '.result.structuredContent.sessions | length' 3 "tools/call get_api_sessions lists the caller's sessions"
call delete_api_sessions_id "{\"id\":\"$LOGIN_ID\"}" "$ACCESS"
expect_json '.result.isError // false' false "tools/call delete_api_sessions_id ends the caller's own login"
json /auth/refresh "{\"refresh_token\":\"$RT\"}"
expect_status 401 "the ended login's refresh token is refused"
audited ".event == \"session_ended\" and .session == \"$LOGIN_ID\"" "session_ended is audited"

# HTTP: ending the grant revokes the client's tokens.
req DELETE "/api/sessions/$GRANT_ID" -H "$(au "$ACCESS")"
expect_status 200 "DELETE /api/sessions/:id ends the caller's grant"
req GET /api/profile -H "$(au "$OACCESS")"
expect_status 401 "the ended grant's access token (grant_id) is refused"
req GET /api/sessions -H "$(au "$ACCESS")"
expect_json '.sessions | length' 0 "no session is left"

# --- POST /auth/password -----------------------------------------------------
login_rt pass@example.com "$PW"
oauth_tokens pass@example.com "$PW"
req POST /auth/password -H 'Content-Type: application/json' -d "{\"old_password\":\"$PW\",\"new_password\":\"$NEWPW\"}"
expect_status 401 "POST /auth/password without a token"
json /auth/password "{\"old_password\":\"not-it-at-all\",\"new_password\":\"$NEWPW\"}" -H "$(au "$ACCESS")"
expect_status 403 "a wrong current password"
expect_json '.error + "|" + .message' "Invalid credentials|The current password is wrong" "it says the current password is wrong"
json /auth/password "{\"old_password\":\"$PW\",\"new_password\":\"too-short\"}" -H "$(au "$ACCESS")"
expect_status 400 "a short new password"
expect_json '.error + "|" + .message' "Weak password|Password must be at least 10 characters" "the 400 names the rule"
json /auth/password "{\"old_password\":\"$PW\",\"new_password\":\"1234567890\"}" -H "$(au "$ACCESS")"
expect_status 400 "a common new password"
expect_json .message "Password is one of the most common passwords" "the 400 says it is common"
json /auth/password "{\"old_password\":\"$PW\",\"new_password\":\"PASS@example.com\"}" -H "$(au "$ACCESS")"
expect_json .message "Password must not be the email address" "the email as a password is refused"
if grep -q "$PW\|too-short\|not-it-at-all" "$AUDIT"; then not_ok "no password in the audit log"; else ok "no password in the audit log"; fi
req GET /api/profile -H "$(au "$OACCESS")"
expect_status 200 "refused changes revoked nothing"

json /auth/password "{\"old_password\":\"$PW\",\"new_password\":\"$NEWPW\"}" -H "$(au "$ACCESS")"
expect_status 200 "the change"
expect_json .revoked true "the answer says everything was revoked"
audited '.event == "password_changed" and .email == "pass@example.com"' "password_changed is audited"
json /auth/refresh "{\"refresh_token\":\"$RT\"}"
expect_status 401 "after the change: the login's old refresh token is refused"
req GET /api/profile -H "$(au "$OACCESS")"
expect_status 401 "after the change: the OAuth access token with grant_id is refused"
req POST /oauth/token -H "$FORM" --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$ORT" \
	--data-urlencode "client_id=$CID"
expect_status 400 "after the change: the OAuth refresh token is refused"
# The browser signed in for the client is signed out: /authorize asks again.
req GET "/authorize?response_type=code&client_id=$CID&redirect_uri=$(uri "$CB")&code_challenge=$(printf x%.0s {1..43})&code_challenge_method=S256" \
	-b "$JAR" -c "$JAR"
if grep -q 'name="password"' "$TMP_ROOT/body"; then ok "after the change: the browser must sign in again"; else
	not_ok "after the change: the browser session survived ($STATUS)"
fi
json /auth/login "{\"email\":\"pass@example.com\",\"password\":\"$PW\"}"
expect_status 401 "the old password no longer logs in"
login_rt pass@example.com "$NEWPW"
expect_status 200 "the new password logs in"

# The current password is rate limited like a login.
for i in 1 2 3 4; do
	json /auth/password "{\"old_password\":\"wrong-guess-$i\",\"new_password\":\"$NEWPW-x\"}" -H "$(au "$ACCESS")"
done
json /auth/password "{\"old_password\":\"$NEWPW\",\"new_password\":\"$NEWPW-x\"}" -H "$(au "$ACCESS")"
expect_status 429 "past MCPAUTH_LOGIN_EMAIL_LIMIT wrong passwords: 429, even with the right one"
expect_header Retry-After '^[0-9]+$' "the 429 says when to retry"

# --- the /account page, as a browser ----------------------------------------
printf 'Page-Pass-Word-5\n' | "$MCPAUTH" user add page@example.com --permissions 'read:profile' \
	--scope 'openid offline_access' >/dev/null 2>&1
rm -f "$JAR"
req GET /account -b "$JAR" -c "$JAR"
expect_status 200 "GET /account"
expect_header Content-Security-Policy "default-src 'none'" "the page carries the pages' CSP"
CSRF=$(field csrf_token)
[ ${#CSRF} -eq 43 ] && ok "the sign-in form carries a CSRF token" || not_ok "no CSRF token on /account"
req POST /account/login -H "$FORM" -b "$JAR" -c "$JAR" --data-urlencode "csrf_token=wrong$CSRF" \
	--data-urlencode email=page@example.com --data-urlencode password=Page-Pass-Word-5
expect_status 403 "a sign-in without the page's CSRF token"
req POST /account/login -H "$FORM" -b "$JAR" -c "$JAR" --data-urlencode "csrf_token=$CSRF" \
	--data-urlencode email=page@example.com --data-urlencode password=wrong-password
expect_status 401 "a wrong password on the account page"
grep -q 'role="alert">Wrong email or password' "$TMP_ROOT/body" && ok "the page says so, as an alert" ||
	not_ok "no alert on the account page"
req POST /account/login -H "$FORM" -b "$JAR" -c "$JAR" --data-urlencode "csrf_token=$CSRF" \
	--data-urlencode email=page@example.com --data-urlencode password=Page-Pass-Word-5
expect_status 303 "the account sign-in redirects to /account"
audited '.event == "login_success" and .email == "page@example.com"' "the page's sign-in is audited as a login"
login_rt page@example.com Page-Pass-Word-5
PAGE_RT=$RT
req GET /account -b "$JAR" -c "$JAR"
grep -q 'Signed in as <strong>page@example.com' "$TMP_ROOT/body" && ok "the signed-in page names the user" ||
	not_ok "the signed-in page: $(head -c 300 "$TMP_ROOT/body")"
grep -q 'href="/account/mfa"' "$TMP_ROOT/body" && ok "the page links to /account/mfa" || not_ok "no link to /account/mfa"
CSRF=$(field csrf_token)
SID=$(field id)
[ "${SID:0:3}" = rt_ ] && ok "the page lists the login with an end button" || not_ok "no session on the page"
req POST /account/sessions/end -H "$FORM" -b "$JAR" -c "$JAR" --data-urlencode "csrf_token=$CSRF" \
	--data-urlencode "id=$LOGIN_ID"
expect_status 404 "the page cannot end another user's session"
req POST /account/sessions/end -H "$FORM" -b "$JAR" -c "$JAR" --data-urlencode "csrf_token=$CSRF" \
	--data-urlencode "id=$SID"
expect_status 200 "the page ends a session"
json /auth/refresh "{\"refresh_token\":\"$PAGE_RT\"}"
expect_status 401 "the session ended on the page: its refresh token is refused"
req POST /account/password -H "$FORM" -b "$JAR" -c "$JAR" --data-urlencode "csrf_token=$CSRF" \
	--data-urlencode old_password=Page-Pass-Word-5 --data-urlencode new_password=password1
expect_status 400 "the page refuses a common password"
grep -q 'role="alert">Password' "$TMP_ROOT/body" && ok "the page says why, as an alert" || not_ok "no alert for a weak password"
req POST /account/password -H "$FORM" -b "$JAR" -c "$JAR" --data-urlencode "csrf_token=$CSRF" \
	--data-urlencode old_password=Page-Pass-Word-5 --data-urlencode new_password=Page-Pass-Word-6
expect_status 200 "the page changes the password"
grep -q 'Password changed' "$TMP_ROOT/body" && ok "the page says the password changed" || not_ok "no notice"
req GET /account -b "$JAR" -c "$JAR"
grep -q 'Signed in as' "$TMP_ROOT/body" && ok "the browser that changed it stays signed in" ||
	not_ok "the changing browser was signed out"
json /auth/login '{"email":"page@example.com","password":"Page-Pass-Word-6"}'
expect_status 200 "the page's new password logs in"

expect_clean_log
finish
