#!/usr/bin/env bash
# Two-factor login (TOTP, RFC 6238) against a real server: enrolment and
# its first code, the login's second step (mfa_token + code), a code used
# twice and a code of a past window refused, recovery codes once each, the
# login rate limit on codes, amr in tokens (kept through refresh), the
# RFC 9470 answer of a route that needs a second factor (directly and
# through /mcp/invoke), and `mcpauth user mfa reset`. Codes come from
# oathtool, an independent TOTP implementation.
set -u
. "$(dirname "$0")/lib.sh"

command -v oathtool >/dev/null || { echo "oathtool missing (apt-get install oathtool)"; echo "0 passed, 1 failed"; exit 1; }
start_server 2 || { echo "0 passed, 1 failed"; exit 1; }
MCPAUTH="$top_builddir/tools/mcpauth"
au() { printf 'Authorization: Bearer %s' "$1"; }
json() { req POST "$1" -H 'Content-Type: application/json' -d "$2" "${@:3}"; }
claims() {
	local p
	p=$(printf '%s' "$1" | cut -d. -f2 | tr '_-' '/+')
	while [ $(( ${#p} % 4 )) -ne 0 ]; do p="$p="; done
	printf '%s' "$p" | base64 -d 2>/dev/null
}
# code SECRET OFFSET: the TOTP code of now + OFFSET seconds.
T0=$(date +%s)
code() { oathtool --totp -b "$1" -N "@$((T0 + $2))"; }
# mfa_login EMAIL PASSWORD [SCOPE]: the first step; MFA_TOKEN from its answer.
mfa_login() {
	json /auth/login "{\"email\":\"$1\",\"password\":\"$2\"${3:+,\"scope\":\"$3\"}}"
	MFA_TOKEN=$(jbody .mfa_token)
}
second() { json /auth/login/mfa "{\"mfa_token\":\"$MFA_TOKEN\",$1}"; }

AT_PWD=$(login user@example.com password)
expect_eq "$(claims "$AT_PWD" | jq -c .amr)" '["pwd"]' "a password login's token has amr [\"pwd\"]"

# --- enrolment --------------------------------------------------------------
req GET /auth/mfa -H "$(au "$AT_PWD")"
expect_json '.state + " " + (.enabled | tostring)' "off false" "GET /auth/mfa: off before enrolment"
req POST /auth/mfa/enroll -d "{}"
expect_status 401 "enrolment needs a token"
req POST /auth/mfa/enroll -d "{}" -H "$(au "$AT_PWD")"
expect_status 200 "enrol"
SECRET=$(jbody .secret)
URI=$(jbody .barcode_uri)
expect_eq "$(printf '%s' "$SECRET" | grep -cE '^[A-Z2-7]{32}$')" 1 "the secret: 160 bits in base32"
expect_eq "$URI" "otpauth://totp/127.0.0.1%3A$MCPAUTH_PORT:user%40example.com?secret=$SECRET&issuer=127.0.0.1%3A$MCPAUTH_PORT&algorithm=SHA1&digits=6&period=30" \
	"the otpauth:// URI: issuer the site, account the email"
expect_header Cache-Control 'no-store' "the secret's answer is not cached"
req GET /auth/mfa -H "$(au "$AT_PWD")"
expect_json .state pending "pending until confirmed"
json /auth/login '{"email":"user@example.com","password":"password"}'
expect_status 200 "a pending enrolment does not change the login"

json /auth/mfa/confirm '{"otp":"000000"}' -H "$(au "$AT_PWD")"
[ "$(code "$SECRET" 0)" != 000000 ] || json /auth/mfa/confirm '{"otp":"999999"}' -H "$(au "$AT_PWD")"
expect_status 400 "confirm with a wrong code"
expect_json .error "Invalid code" "wrong confirmation code: error"
C0=$(code "$SECRET" 0)
json /auth/mfa/confirm "{\"otp\":\"$C0\"}" -H "$(au "$AT_PWD")"
expect_status 200 "confirm with the current code"
expect_json '.recovery_codes | length' 10 "ten recovery codes"
R1=$(jbody '.recovery_codes[0]') R2=$(jbody '.recovery_codes[1]') R3=$(jbody '.recovery_codes[2]')
expect_eq "$(printf '%s' "$R1" | grep -cE '^[a-z0-9]{5}-[a-z0-9]{5}$')" 1 "a recovery code reads xxxxx-xxxxx"
json /auth/mfa/confirm "{\"otp\":\"$C0\"}" -H "$(au "$AT_PWD")"
expect_status 409 "a second confirmation: already on"
req POST /auth/mfa/enroll -d "{}" -H "$(au "$AT_PWD")"
expect_status 409 "enrolling again while on: 409"
req GET /auth/mfa -H "$(au "$AT_PWD")"
expect_json '.state + " " + (.recovery_codes_left | tostring)' "on 10" "on, ten recovery codes left"
rows=$(db_sql "SELECT count(*) FROM mfa_recovery WHERE sub='auth0|user123' AND length(hash)=32")
expect_eq "$rows" 10 "recovery codes stored as SHA-256"
if db_dump | grep -qF "$R1"; then not_ok "a recovery code is in the database"; else ok "no recovery code in the database"; fi

# --- login: two steps -------------------------------------------------------
mfa_login user@example.com password
expect_status 403 "the right password of a user with TOTP: 403"
expect_json '.error + " " + (.expires_in | tostring)' "mfa_required 300" "mfa_required with expires_in 300 (Auth0's answer)"
expect_json 'has("access_token")' false "no token before the code"
expect_eq "$(printf '%s' "$MFA_TOKEN" | grep -cE '^[A-Za-z0-9_-]{43}$')" 1 "mfa_token: 43 base64url characters"
second "\"otp\":\"$C0\""
expect_status 401 "the confirmation's code again: refused (one use per time step)"
expect_json .message "This code was already used; wait for the next one" "reused code: message"
second "\"otp\":\"$(code "$SECRET" -60)\""
expect_status 401 "a code from two steps ago (outside the window): refused"
expect_json .message "The code is wrong or expired" "past window: message"
C1=$(code "$SECRET" 30)
second "\"otp\":\"$C1\""
expect_status 200 "the next step's code (within the window) gives the tokens"
AT_OTP=$(jbody .access_token)
expect_eq "$(claims "$AT_OTP" | jq -c .amr)" '["pwd","otp"]' "the token has amr [\"pwd\",\"otp\"]"
second "\"otp\":\"$(code "$SECRET" 30)\""
expect_status 401 "the mfa_token is single use"
mfa_login user@example.com password
second "\"otp\":\"$C1\""
expect_status 401 "the same code on a new login: refused"
json /auth/login/mfa '{"mfa_token":"nope","otp":"123456"}'
expect_status 401 "an unknown mfa_token"
expect_json .error "Invalid mfa_token" "unknown mfa_token: error"
json /auth/login/mfa "{\"mfa_token\":\"$MFA_TOKEN\"}"
expect_status 400 "no code at all"

# --- recovery codes ---------------------------------------------------------
mfa_login user@example.com password "openid email offline_access"
second "\"recovery_code\":\"$(printf '%s' "$R1" | tr a-z A-Z)\""
expect_status 200 "a recovery code (typed in capitals) gives the tokens"
expect_eq "$(claims "$(jbody .access_token)" | jq -c .amr)" '["pwd","otp"]' "amr of a recovery-code login"
RT=$(jbody .refresh_token)
json /auth/refresh "{\"refresh_token\":\"$RT\"}"
expect_status 200 "refresh after a second-factor login"
expect_eq "$(claims "$(jbody .access_token)" | jq -c .amr)" '["pwd","otp"]' "refreshed tokens keep amr otp"
mfa_login user@example.com password
second "\"recovery_code\":\"$R1\""
expect_status 401 "a recovery code used twice: refused"
req GET /auth/mfa -H "$(au "$AT_OTP")"
expect_json .recovery_codes_left 9 "nine recovery codes left"

# --- RFC 9470: a route that needs a second factor ---------------------------
json /auth/mfa/disable "{\"recovery_code\":\"$R2\"}" -H "$(au "$AT_PWD")"
expect_status 401 "disable with a password-only token: 401"
expect_json .error insufficient_user_authentication "error insufficient_user_authentication"
expect_header WWW-Authenticate 'error="insufficient_user_authentication"' "RFC 9470 challenge"
json /mcp/invoke "{\"toolName\":\"POST_/auth/mfa/disable\",\"args\":{\"recovery_code\":\"$R2\"}}" -H "$(au "$AT_PWD")"
expect_status 401 "through /mcp/invoke: 401"
expect_json .result.error insufficient_user_authentication "through /mcp/invoke: the route's error"
expect_header WWW-Authenticate 'error="insufficient_user_authentication"' "through /mcp/invoke: the challenge"
req GET /auth/mfa -H "$(au "$AT_OTP")"
expect_json .recovery_codes_left 9 "the refused disable spent no recovery code"
req GET / 
expect_json '[.endpoints.protected[] | select(.path == "/auth/mfa/disable") | .requires][0]' "valid token, second factor" \
	"the index names the requirement"

# --- rate limit: wrong codes count as failed logins ------------------------
export MCPAUTH_LOGIN_EMAIL_LIMIT=3 MCPAUTH_LOGIN_ADDR_LIMIT=100
restart_server 1 || { echo "$PASS passed, $((FAIL + 1)) failed"; exit 1; }
mfa_login user@example.com password
for i in 1 2 3; do second '"otp":"000001"'; done
expect_status 401 "three wrong codes: 401 each"
second "\"recovery_code\":\"$R3\""
expect_status 429 "the fourth attempt, even a right code: 429 (MCPAUTH_LOGIN_EMAIL_LIMIT=3)"
expect_header Retry-After '^[0-9]+$' "429 with Retry-After"
json /auth/login '{"email":"user@example.com","password":"password"}'
expect_status 429 "the password login of that email is limited too"
unset MCPAUTH_LOGIN_EMAIL_LIMIT MCPAUTH_LOGIN_ADDR_LIMIT
db_sql "DELETE FROM login_failures"

# --- disable with a second-factor token and a code --------------------------
json /auth/mfa/disable "{\"recovery_code\":\"$R3\"}" -H "$(au "$AT_OTP")"
expect_status 200 "disable with an otp token and a recovery code"
json /auth/login '{"email":"user@example.com","password":"password"}'
expect_status 200 "after disabling, the password alone logs in"
expect_eq "$(db_sql "SELECT count(*) FROM mfa_recovery WHERE sub='auth0|user123'")" 0 "its recovery codes are gone"

# --- mcpauth user mfa reset -------------------------------------------------
AT_ADMIN=$(login admin@example.com admin)
req POST /auth/mfa/enroll -d "{}" -H "$(au "$AT_ADMIN")"
S2=$(jbody .secret)
json /auth/mfa/confirm "{\"otp\":\"$(code "$S2" 0)\"}" -H "$(au "$AT_ADMIN")"
expect_status 200 "a second user turns TOTP on"
json /auth/login '{"email":"admin@example.com","password":"admin"}'
expect_status 403 "which its login then asks for"

# --- the pages: /authorize's second form, /account/mfa ----------------------
JAR="$TMP_ROOT/jar"
FORM='Content-Type: application/x-www-form-urlencoded'
field() { sed -n "s/.*name=\"$1\" value=\"\([^\"]*\)\".*/\1/p" "$TMP_ROOT/body" | head -1; }
page() { req POST "$1" -H "$FORM" -b "$JAR" -c "$JAR" "${@:2}"; }
has() { if grep -qF -- "$1" "$TMP_ROOT/body"; then ok "$2"; else not_ok "$2: no '$1' in the page"; fi; }
req POST /oauth/register -d '{"redirect_uris":["http://127.0.0.1:9/callback"],"token_endpoint_auth_method":"none"}'
CID=$(jbody .client_id)
VERIFIER=$(openssl rand -base64 48 | tr '+/' '-_' | tr -d '=\n')
CHALLENGE=$(printf '%s' "$VERIFIER" | openssl dgst -sha256 -binary | b64url)
req GET "/authorize?response_type=code&client_id=$CID&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&code_challenge=$CHALLENGE&code_challenge_method=S256&state=xyz" -b "$JAR" -c "$JAR"
CSRF=$(field csrf_token) RID=$(field request_id)
page /authorize --data-urlencode "csrf_token=$CSRF" --data-urlencode "request_id=$RID" \
	--data-urlencode email=admin@example.com --data-urlencode password=admin
expect_status 200 "the sign-in page: the right password of a user with TOTP"
has 'autocomplete="one-time-code"' "the second form: a code field"
has "Two-factor sign-in" "the second form's title"
TICKET=$(field mfa_token)
expect_eq "${#TICKET}" 43 "the second form carries the login ticket"
page /authorize --data-urlencode "csrf_token=$CSRF" --data-urlencode "request_id=$RID" \
	--data-urlencode "mfa_token=$TICKET" --data-urlencode otp=000002
expect_status 401 "a wrong code on the page"
has 'role="alert">The code is wrong or expired' "the page says so (role=alert)"
expect_eq "$(field mfa_token)" "$TICKET" "and shows the second form again"
req GET /account/mfa -b "$JAR" -c "$JAR"
has "Sign in first" "not signed in before the code"
page /authorize --data-urlencode "csrf_token=$CSRF" --data-urlencode "request_id=$RID" \
	--data-urlencode "mfa_token=$TICKET" --data-urlencode "otp=$(code "$S2" 30)"
expect_status 200 "the right code: signed in (the consent page)"
has "Allow access?" "the consent page follows"
page /authorize/consent --data-urlencode "csrf_token=$(field csrf_token)" --data-urlencode "request_id=$RID" \
	--data-urlencode decision=allow
CODE=$(header Location | tr '?&' '\n\n' | sed -n 's/^code=//p')
req POST /oauth/token -H "$FORM" --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE" \
	--data-urlencode redirect_uri=http://127.0.0.1:9/callback --data-urlencode "code_verifier=$VERIFIER" \
	--data-urlencode "client_id=$CID"
expect_status 200 "the code of the second-factor sign-in is exchanged"
expect_eq "$(claims "$(jbody .access_token)" | jq -c .amr)" '["pwd","otp"]' "its token (OAuth flow) has amr [\"pwd\",\"otp\"]"
req POST /oauth/token -H "$FORM" --data-urlencode grant_type=refresh_token \
	--data-urlencode "refresh_token=$(jbody .refresh_token)" --data-urlencode "client_id=$CID"
expect_eq "$(claims "$(jbody .access_token)" | jq -c .amr)" '["pwd","otp"]' "and its refreshed token too"
req GET /account/mfa -b "$JAR" -c "$JAR"
expect_status 200 "GET /account/mfa"
has "Two-factor login is <strong>on</strong>" "the page: on"
has "Recovery codes left: 10" "the page: recovery codes left"
has 'name="action" value="disable"' "the page: the form to turn it off"
expect_header Content-Security-Policy "default-src 'none'" "the page's CSP allows no script"
out=$("$MCPAUTH" user mfa reset admin@example.com 2>&1)
expect_eq "$?:$out" "0:admin@example.com: two-factor login is off; the next login asks for the password only" "mcpauth user mfa reset"
json /auth/login '{"email":"admin@example.com","password":"admin"}'
expect_status 200 "after the reset the password alone logs in"
req GET /account/mfa -b "$JAR" -c "$JAR"
has "Two-factor login is <strong>off</strong>" "the page after the reset: off"
CSRF=$(field csrf_token)
page /account/mfa --data-urlencode "csrf_token=$CSRF" --data-urlencode action=enroll
expect_status 200 "the page: set up"
has '<svg xmlns="http://www.w3.org/2000/svg" role="img"' "the page shows the QR code as inline SVG"
S3=$(sed -n 's/.*<code id="secret">\([A-Z2-7]*\)<.*/\1/p' "$TMP_ROOT/body")
expect_eq "${#S3}" 32 "and the key to type in"
page /account/mfa --data-urlencode "csrf_token=nope" --data-urlencode action=confirm --data-urlencode "otp=$(code "$S3" 0)"
expect_status 403 "the page's form without its CSRF token: 403"
page /account/mfa --data-urlencode "csrf_token=$CSRF" --data-urlencode action=confirm --data-urlencode "otp=$(code "$S3" 0)"
expect_status 200 "the page: confirm with the first code"
has "Two-factor login is on" "the page: on after confirming"
expect_eq "$(grep -c '<li><code>[a-z0-9]\{5\}-[a-z0-9]\{5\}</code></li>' "$TMP_ROOT/body")" 10 "the page shows ten recovery codes"
"$MCPAUTH" user mfa reset admin@example.com >/dev/null
"$MCPAUTH" user mfa reset nobody@example.com >/dev/null 2>&1
expect_eq "$?" 3 "reset of an unknown user: exit 3"
"$MCPAUTH" user mfa wipe admin@example.com >/dev/null 2>&1
expect_eq "$?" 2 "user mfa without reset: usage, exit 2"

# --- nothing secret in the logs ---------------------------------------------
if server_log | grep -qF -e "$SECRET" -e "$S2" -e "$S3" -e "$R1" -e "$MFA_TOKEN" -e "$TICKET"; then
	not_ok "a secret, recovery code or mfa_token is in the logs"
else ok "no secret, recovery code or mfa_token in the logs"; fi
expect_clean_log
finish
