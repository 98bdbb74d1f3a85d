#!/usr/bin/env bash
# The authorization server's flow against a real server, driven by curl as
# a browser and a client would: GET /authorize, the login and consent
# pages with their CSRF tokens and headers, codes (PKCE S256, single use,
# bound to client and redirect URI), POST /oauth/token (both grants, public
# and confidential clients), POST /oauth/revoke, remembered grants and
# `mcpauth grant`; every refusal the issue lists.
set -u
. "$(dirname "$0")/lib.sh"

mkdir_server "$TMP_ROOT/audit" # the programs' user writes it (under Apache or CGI: www-data)
AUDIT="$TMP_ROOT/audit/audit.log"
export MCPAUTH_AUDIT_LOG="$AUDIT" MCPAUTH_LOGIN_EMAIL_LIMIT=3 MCPAUTH_LOGIN_ADDR_LIMIT=1000
start_server 2 || { echo "0 passed, 1 failed"; exit 1; }
MCPAUTH="$top_builddir/tools/mcpauth"
JAR="$TMP_ROOT/jar"
FORM='Content-Type: application/x-www-form-urlencoded'
uri() { jq -rn --arg v "$1" '$v|@uri'; }
claims() {
	local p
	p=$(printf '%s' "$1" | cut -d. -f2 | tr '_-' '/+')
	while [ $((${#p} % 4)) -ne 0 ]; do p="$p="; done
	printf '%s' "$p" | base64 -d 2>/dev/null
}
# The issuer the programs sign with, as a login's token says.
ISS=$(claims "$(login user@example.com password)" | jq -r .iss)
RESOURCE="$BASE/mcp"
CB="http://127.0.0.1:9/callback"

# register JSON: a client by Dynamic Client Registration; its id in CID.
register() {
	req POST /oauth/register -d "$1"
	CID=$(jbody .client_id)
	SECRET=$(jbody '.client_secret // empty')
}
pkce() {
	VERIFIER=$(openssl rand -base64 48 | tr '+/' '-_' | tr -d '=\n')
	CHALLENGE=$(printf '%s' "$VERIFIER" | openssl dgst -sha256 -binary | b64url)
}
# authorize [name=value...]: GET /authorize as the browser of $JAR, with
# the defaults (client $CID, $CB, $CHALLENGE, state xyz) unless given.
authorize() {
	local -A p=([response_type]=code [client_id]="$CID" [redirect_uri]="$CB" [code_challenge]="$CHALLENGE"
		[code_challenge_method]=S256 [state]=xyz)
	local a q= k
	for a in "$@"; do p[${a%%=*}]=${a#*=}; done
	for k in "${!p[@]}"; do
		[ "${p[$k]}" = "-" ] && continue # "name=-": left out
		q="$q&$k=$(uri "${p[$k]}")"
	done
	req GET "/authorize?${q#&}" -b "$JAR" -c "$JAR"
}
field() { sed -n "s/.*name=\"$1\" value=\"\([^\"]*\)\".*/\1/p" "$TMP_ROOT/body" | head -1; }
# The page's hidden fields, kept for the next post.
keep_fields() { CSRF=$(field csrf_token); RID=$(field request_id); }
post_login() { req POST /authorize -H "$FORM" -b "$JAR" -c "$JAR" --data-urlencode "csrf_token=$CSRF" \
	--data-urlencode "request_id=$RID" --data-urlencode "email=$1" --data-urlencode "password=$2"; }
consent() { req POST /authorize/consent -H "$FORM" -b "$JAR" -c "$JAR" --data-urlencode "csrf_token=$CSRF" \
	--data-urlencode "request_id=$RID" --data-urlencode "decision=$1"; }
# A parameter of the redirect's Location ("" when absent).
loc() { header Location | tr '?&' '\n\n' | sed -n "s/^$1=//p" | head -1 | sed 's/%3A/:/g; s/%2F/\//g'; }
has_loc_param() { header Location | tr '?&' '\n\n' | grep -q "^$1="; }
token() { req POST /oauth/token -H "$FORM" "$@"; }
code_token() { token --data-urlencode grant_type=authorization_code --data-urlencode "code=$1" \
	--data-urlencode "redirect_uri=$CB" --data-urlencode "code_verifier=$2" --data-urlencode "client_id=$3" "${@:4}"; }
refresh_token() { token --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$1" \
	--data-urlencode "client_id=$2" "${@:3}"; }
expect_page() { # STATUS DESC: an HTML page, never a redirect
	expect_status "$1" "$2"
	expect_header Content-Type '^text/html' "$2: an HTML page"
	if [ -z "$(header Location)" ]; then ok "$2: not redirected"; else not_ok "$2: redirected to $(header Location)"; fi
}
expect_error_redirect() { # ERROR DESC [state]
	expect_status 302 "$2: redirected to the client"
	expect_eq "$(loc error)" "$1" "$2: error=$1"
	if has_loc_param error_description; then ok "$2: error_description"; else not_ok "$2: no error_description"; fi
	expect_eq "$(loc iss)" "$ISS" "$2: iss"
	expect_eq "$(loc state)" "${3:-xyz}" "$2: state echoed"
}
audit_has() { if jq -e "select($1)" "$AUDIT" >/dev/null 2>&1; then ok "$2"; else not_ok "$2: no audit line $1"; fi; }

register '{"redirect_uris":["'"$CB"'"],"client_name":"Test <b>Client</b>","token_endpoint_auth_method":"none"}'
expect_status 201 "a public client registers"
PUBLIC=$CID
pkce

# --- the login page --------------------------------------------------------
authorize "scope=openid read:profile offline_access"
expect_status 200 "GET /authorize: the login page"
expect_header Content-Type '^text/html; charset=utf-8$' "login page: HTML"
expect_header Content-Security-Policy "frame-ancestors 'none'" "CSP: frame-ancestors 'none'"
expect_header Content-Security-Policy "^default-src 'none';" "CSP: default-src 'none'"
expect_header Content-Security-Policy "form-action 'self' http://127.0.0.1:9;" "CSP: forms to this site and the client's redirect origin"
expect_header X-Frame-Options '^DENY$' "X-Frame-Options: DENY"
expect_header Cache-Control '^no-store$' "pages: Cache-Control: no-store"
expect_header Referrer-Policy '^no-referrer$' "Referrer-Policy: no-referrer"
expect_header Set-Cookie '^mcpauth_session=[A-Za-z0-9_-]{43}; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax$' "session cookie: HttpOnly, SameSite=Lax, Path=/"
page=$(body)
for want in '<form method="post" action="/authorize">' '<input id="email" name="email"' 'name="password" type="password"' \
	'<label for="email">' '<label for="password">' 'name="csrf_token" value="' 'name="request_id" value="' \
	'<button type="submit">' 'Test &lt;b&gt;Client&lt;/b&gt;'; do
	if printf '%s' "$page" | grep -qF -- "$want"; then ok "login page has $want"; else not_ok "login page lacks $want"; fi
done
if printf '%s' "$page" | grep -qF '<b>Client'; then not_ok "the client's name is not escaped"; else ok "the client's name is HTML-escaped"; fi
if printf '%s' "$page" | grep -qi '<script'; then not_ok "the page has a script"; else ok "no script on the page"; fi
expect_eq "$(printf '%s' "$page" | grep -c '<button')" 1 "one submit button"
keep_fields

# --- CSRF ------------------------------------------------------------------
req POST /authorize -H "$FORM" -b "$JAR" --data-urlencode "request_id=$RID" \
	--data-urlencode email=user@example.com --data-urlencode password=password
expect_page 403 "login without a CSRF token"
# Another token of the same shape: the last character changed.
[ "${CSRF: -1}" = A ] && WRONG="${CSRF%?}B" || WRONG="${CSRF%?}A"
req POST /authorize -H "$FORM" -b "$JAR" --data-urlencode "csrf_token=$WRONG" --data-urlencode "request_id=$RID" \
	--data-urlencode email=user@example.com --data-urlencode password=password
expect_page 403 "login with a wrong CSRF token"
req POST /authorize -H "$FORM" --data-urlencode "csrf_token=$CSRF" --data-urlencode "request_id=$RID" \
	--data-urlencode email=user@example.com --data-urlencode password=password
expect_page 403 "login with the token but without the browser's cookie"
audit_has '.event == "csrf_refused"' "CSRF refusals are audited"
req POST /authorize -b "$JAR" -H 'Content-Type: application/json' -d '{"email":"user@example.com"}'
expect_page 400 "login form as JSON"

# --- wrong password, rate limit --------------------------------------------
post_login user@example.com wrong
expect_page 401 "wrong password: the login page again"
if grep -q 'role="alert">Wrong email or password<' "$TMP_ROOT/body"; then ok "the error is shown with role=alert"; else not_ok "no alert: $(body)"; fi
if grep -qF 'value="user@example.com"' "$TMP_ROOT/body"; then ok "the email is kept"; else not_ok "email not kept"; fi
audit_has ".event == \"login_failure\" and .email == \"user@example.com\" and .client_id == \"$PUBLIC\"" "login_failure audited with the client_id"
keep_fields
for i in 1 2 3; do post_login nobody@example.com "wrong$i"; keep_fields; done
post_login nobody@example.com wrong4
expect_page 429 "too many failed logins: 429 page"
expect_header Retry-After '^[0-9]+$' "429: Retry-After"
if grep -q 'role="alert">Too many failed logins' "$TMP_ROOT/body"; then ok "429: the reason is shown"; else not_ok "429 alert"; fi
keep_fields

# --- login, consent, code --------------------------------------------------
post_login user@example.com password
expect_status 200 "login: the consent page"
expect_header Set-Cookie '^mcpauth_session=' "login: a new session cookie (no fixation)"
audit_has ".event == \"login_success\" and .sub == \"auth0|user123\" and .client_id == \"$PUBLIC\"" "login_success audited with the client_id"
page=$(body)
for want in '<form method="post" action="/authorize/consent">' '<button type="submit" name="decision" value="allow">' \
	'<button type="submit" name="decision" value="deny">' "<code>$PUBLIC</code>" "Read your profile (<code>read:profile</code>)" \
	"(<code>offline_access</code>)" "<code>$BASE/mcp</code>" 'Test &lt;b&gt;Client&lt;/b&gt;'; do
	if printf '%s' "$page" | grep -qF -- "$want"; then ok "consent page has $want"; else not_ok "consent page lacks $want"; fi
done
expect_header Content-Security-Policy "frame-ancestors 'none'" "consent page: CSP"
keep_fields
consent allow
expect_status 302 "allow: redirected to the client"
expect_header Location "^http://127\.0\.0\.1:9/callback\?code=[A-Za-z0-9_-]{43}&state=xyz&iss=" "redirect: code, state, iss"
expect_eq "$(loc iss)" "$ISS" "iss is the issuer (RFC 9207)"
CODE=$(loc code)
audit_has ".event == \"authorization_code\" and .client_id == \"$PUBLIC\" and .consent == \"given\"" "the consent is audited"

# --- the token endpoint ----------------------------------------------------
pkce_right=$VERIFIER
code_token "$CODE" "$(openssl rand -hex 32)" "$PUBLIC"
expect_status 400 "a wrong PKCE verifier"
expect_json .error invalid_grant "wrong verifier: invalid_grant"
expect_json .message "The code_verifier does not match the code_challenge" "wrong verifier: message = description"
expect_header Cache-Control '^no-store$' "token errors: Cache-Control: no-store"
req POST /oauth/token -d '{"grant_type":"authorization_code"}'
expect_status 400 "token request as JSON"
expect_json '.error + "|" + .message' "invalid_request|Content-Type must be application/x-www-form-urlencoded" "JSON body: invalid_request"
code_token "$CODE" "$pkce_right" "$PUBLIC"
expect_status 200 "code + verifier: tokens"
expect_header Cache-Control '^no-store$' "token answer: Cache-Control: no-store"
AT=$(jbody .access_token)
RT=$(jbody .refresh_token)
expect_json '.token_type + " " + (.expires_in|tostring) + " " + .scope' "Bearer 3600 openid read:profile offline_access" "token answer: type, lifetime, scope"
expect_json '.refresh_token | test("^[A-Za-z0-9_-]{43}$")' true "a refresh token always comes with the code grant"
c=$(claims "$AT")
expect_eq "$(printf '%s' "$c" | jq -r '[.iss, .sub, .client_id, .scope, (.permissions|join(" "))] | join("|")')" \
	"$ISS|auth0|user123|$PUBLIC|openid read:profile offline_access|read:profile" "claims: iss, sub, client_id, scope, granted permissions only"
expect_eq "$(printf '%s' "$c" | jq -r .aud)" "$(claims "$(login user@example.com password)" | jq -r .aud)" "no resource asked: aud is the audience"
req GET /api/profile -H "Authorization: Bearer $AT"
expect_status 200 "the access token works on the API"
req PUT /api/profile -H "Authorization: Bearer $AT" -d '{"name":"X"}'
expect_status 403 "write:profile, held but not granted, is not in the token"

# A code used twice: refused, and the tokens it gave are revoked.
code_token "$CODE" "$pkce_right" "$PUBLIC"
expect_status 400 "a code used twice"
expect_json .error invalid_grant "replayed code: invalid_grant"
audit_has '.event == "code_reuse_detected"' "the replay is audited"
refresh_token "$RT" "$PUBLIC"
expect_status 400 "the refresh token of a replayed code is dead"
expect_json .error invalid_grant "dead refresh token: invalid_grant"
req GET /api/profile -H "Authorization: Bearer $AT"
expect_status 401 "the access token of a replayed code is dead too"
audit_has '.event == "token_rejected" and .reason == "grant revoked"' "the refused token is audited: grant revoked"

# --- remembered grant, session, resource, scope the user lacks -------------
pkce
authorize "scope=openid read:profile" "resource=$RESOURCE"
expect_status 302 "same browser, scopes already granted: no login, no consent"
CODE=$(loc code)
code_token "$CODE" "$VERIFIER" "$PUBLIC" --data-urlencode "resource=$RESOURCE"
expect_status 200 "code with resource"
c=$(claims "$(jbody .access_token)")
expect_eq "$(printf '%s' "$c" | jq -r .aud)" "$RESOURCE" "aud is the resource asked for (RFC 8707)"
RT=$(jbody .refresh_token)

pkce
authorize "scope=read:profile write:profile admin:all" state=-
expect_status 200 "wider scope: consent again, without a login"
if grep -qF 'name="decision" value="allow"' "$TMP_ROOT/body"; then ok "it is the consent page"; else not_ok "not the consent page"; fi
if grep -qF 'admin:all' "$TMP_ROOT/body"; then not_ok "admin:all, which the user lacks, is offered"; else ok "a scope the user lacks is not offered"; fi
keep_fields
consent allow
expect_status 302 "allowed"
if has_loc_param state; then not_ok "state in the redirect though none was sent"; else ok "no state sent: none in the redirect"; fi
expect_eq "$(loc iss)" "$ISS" "iss without state too"
code_token "$(loc code)" "$VERIFIER" "$PUBLIC"
expect_json .scope "read:profile write:profile" "the scope the user lacks is dropped"
WIDE_AT=$(jbody .access_token)
expect_eq "$(claims "$(jbody .access_token)" | jq -r '.permissions|join(" ")')" "read:profile write:profile" "permissions: granted ones only"

# --- refresh ---------------------------------------------------------------
register '{"redirect_uris":["'"$CB"'"],"client_name":"Other","token_endpoint_auth_method":"none"}'
OTHER=$CID
CID=$PUBLIC
refresh_token "$RT" "$OTHER"
expect_status 400 "a refresh token presented by another client"
expect_json .error invalid_grant "other client's refresh token: invalid_grant"
refresh_token "$RT" "$PUBLIC" --data-urlencode "scope=read:profile"
expect_status 200 "refresh by its client (not burned by the other's attempt), narrower scope"
expect_json .scope "read:profile" "refresh: scope narrowed"
expect_eq "$(claims "$(jbody .access_token)" | jq -r '.aud + "|" + .client_id')" "$RESOURCE|$PUBLIC" "refresh: same resource and client"
RT2=$(jbody .refresh_token)
refresh_token "$RT2" "$PUBLIC"
expect_json .scope "openid read:profile" "the next refresh has the family's whole scope again"
RT3=$(jbody .refresh_token)
json_refresh=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "{\"refresh_token\":\"$RT3\"}" "$BASE/auth/refresh")
expect_eq "$json_refresh" 401 "an OAuth client's refresh token is refused at /auth/refresh"

# --- code bound to its client and redirect URI -----------------------------
pkce
authorize "scope=openid read:profile"
expect_status 302 "a covered request: the code at once"
CODE=$(loc code)
code_token "$CODE" "$VERIFIER" "$OTHER"
expect_status 400 "a code of another client"
expect_json .error invalid_grant "code of another client: invalid_grant"
token --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE" --data-urlencode "redirect_uri=http://127.0.0.1:9/other" \
	--data-urlencode "code_verifier=$VERIFIER" --data-urlencode "client_id=$PUBLIC"
expect_json .error invalid_grant "a code with another redirect_uri: invalid_grant"
code_token "$CODE" "$VERIFIER" "$PUBLIC"
expect_status 200 "the code still works for its own client"

# --- errors redirected to the client ---------------------------------------
authorize code_challenge=-
expect_error_redirect invalid_request "no code_challenge"
authorize code_challenge_method=plain code_challenge="$VERIFIER"
expect_error_redirect invalid_request "code_challenge_method=plain"
authorize code_challenge_method=-
expect_error_redirect invalid_request "no code_challenge_method"
authorize response_type=token
expect_error_redirect unsupported_response_type "response_type=token"
authorize "scope=openid bogus"
expect_error_redirect invalid_scope "an unknown scope"
authorize "resource=https://evil.example/mcp"
expect_error_redirect invalid_target "a resource that is not this server"
authorize "resource=$RESOURCE/other"
expect_error_redirect invalid_target "a path of this server that is no resource"

# --- errors shown, never redirected ----------------------------------------
authorize redirect_uri=http://127.0.0.1:9/not-registered
expect_page 400 "a redirect URI the client did not register"
authorize redirect_uri=https://evil.example/callback
expect_page 400 "open redirect: another host"
authorize "redirect_uri=http://127.0.0.1:9@evil.example/callback"
expect_page 400 "open redirect: userinfo"
authorize "redirect_uri=$CB#frag"
expect_page 400 "open redirect: a fragment"
authorize redirect_uri=-
expect_page 400 "no redirect_uri"
authorize client_id=no-such-client
expect_page 400 "an unknown client"
authorize client_id=-
expect_page 400 "no client_id"
req GET "/authorize?client_id=$PUBLIC&client_id=$OTHER" -b "$JAR"
expect_page 400 "a parameter given twice"
expect_header X-Frame-Options '^DENY$' "error pages carry the framing headers too"

# --- deny ------------------------------------------------------------------
pkce
authorize client_id="$OTHER" "scope=openid"
expect_status 200 "a new client: consent (the browser is still signed in)"
keep_fields
consent deny
expect_error_redirect access_denied "deny"
consent allow
expect_page 400 "the request is gone after deny"

# --- confidential clients --------------------------------------------------
register '{"redirect_uris":["'"$CB"'"],"client_name":"Confidential","token_endpoint_auth_method":"client_secret_basic"}'
CONF=$CID
CONF_SECRET=$SECRET
conf_code() {
	pkce
	authorize client_id="$CONF" "scope=openid read:profile"
	if [ "$STATUS" = 200 ]; then keep_fields; consent allow; fi
	CODE=$(loc code)
}
conf_code
basic=$(printf '%s:%s' "$(uri "$CONF")" "$(uri "${CONF_SECRET}x")" | base64 -w0)
token -H "Authorization: Basic $basic" --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE" \
	--data-urlencode "redirect_uri=$CB" --data-urlencode "code_verifier=$VERIFIER"
expect_status 401 "client_secret_basic with a wrong secret"
expect_json .error invalid_client "wrong secret: invalid_client"
expect_header WWW-Authenticate '^Basic' "Basic tried: WWW-Authenticate: Basic"
code_token "$CODE" "$VERIFIER" "$CONF"
expect_status 401 "a confidential client without its secret"
basic=$(printf '%s:%s' "$(uri "$CONF")" "$(uri "$CONF_SECRET")" | base64 -w0)
token -H "Authorization: Basic $basic" --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE" \
	--data-urlencode "redirect_uri=$CB" --data-urlencode "code_verifier=$VERIFIER"
expect_status 200 "client_secret_basic"
CRT=$(jbody .refresh_token)
refresh_token "$CRT" "$CONF" --data-urlencode "client_secret=$CONF_SECRET"
expect_status 200 "client_secret_post"
CRT=$(jbody .refresh_token)
CAT=$(jbody .access_token)
req GET /api/profile -H "Authorization: Bearer $CAT"
expect_status 200 "the confidential client's access token works"

# --- revocation ------------------------------------------------------------
req POST /oauth/revoke -H "$FORM" --data-urlencode "token=$CRT" --data-urlencode "client_id=$CONF"
expect_status 401 "revoke: the confidential client must authenticate"
req POST /oauth/revoke -H "$FORM" --data-urlencode "token=$CRT" --data-urlencode "client_id=$CONF" --data-urlencode "client_secret=$CONF_SECRET"
expect_status 200 "revoke a refresh token"
refresh_token "$CRT" "$CONF" --data-urlencode "client_secret=$CONF_SECRET"
expect_json .error invalid_grant "a revoked refresh token is dead"
req GET /api/profile -H "Authorization: Bearer $CAT"
expect_status 401 "and so is the access token issued under it"
expect_header WWW-Authenticate 'error="invalid_token"' "revoked grant: invalid_token challenge"
req POST /oauth/revoke -H "$FORM" --data-urlencode "token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" --data-urlencode "client_id=$PUBLIC"
expect_status 200 "revoke an unknown token: 200 (RFC 7009)"
token --data-urlencode grant_type=password --data-urlencode "client_id=$PUBLIC"
expect_json .error unsupported_grant_type "grant_type=password: unsupported_grant_type"
token --data-urlencode grant_type=authorization_code
expect_status 401 "no client_id: 401"
expect_json .error invalid_client "no client_id: invalid_client"

# --- mcpauth grant ---------------------------------------------------------
list=$("$MCPAUTH" grant list user@example.com)
if printf '%s\n' "$list" | grep -q "^user@example.com	$PUBLIC	openid read:profile offline_access write:profile	"; then
	ok "grant list: the user's grant to the client, widened by the second consent"
else
	not_ok "grant list: $list"
fi
expect_eq "$("$MCPAUTH" grant list | grep -c "	$OTHER	")" 0 "a denied client has no grant"
refresh_token "$RT3" "$PUBLIC"
expect_status 200 "the client refreshes before the revocation"
RT4=$(jbody .refresh_token)
req PUT /api/profile -H "Authorization: Bearer $WIDE_AT" -d '{"name":"John Doe"}'
expect_status 200 "before grant revoke the client's access token works (write:profile granted)"
"$MCPAUTH" grant revoke user@example.com "$PUBLIC" >/dev/null
expect_eq "$?" 0 "grant revoke"
refresh_token "$RT4" "$PUBLIC"
expect_json .error invalid_grant "after grant revoke the client's refresh tokens are dead"
req GET /api/profile -H "Authorization: Bearer $WIDE_AT"
expect_status 401 "after grant revoke its access tokens are dead (every process sees it)"
"$MCPAUTH" grant revoke user@example.com "$PUBLIC" 2>/dev/null
expect_eq "$?" 7 "grant revoke of no grant: exit 7"
pkce
authorize client_id="$PUBLIC" "scope=openid read:profile"
expect_status 200 "after grant revoke the client is asked for consent again"

# --- what is stored --------------------------------------------------------
if db_dump | grep -qF "$CODE"; then not_ok "a code is stored in clear"; else ok "codes are stored hashed"; fi
if db_dump | grep -qF "$CONF_SECRET"; then not_ok "a client secret is stored in clear"; else ok "no client secret in clear"; fi
if grep -qF "$CODE" "$AUDIT" || server_log | grep -qF "$CODE"; then not_ok "a code in the logs"; else ok "no code in the logs"; fi

expect_clean_log

# --- Auth0 mode: the tenant is the authorization server ---------------------
stop_server
cp "$top_srcdir/tests/fixtures/key1.jwks.json" "$TMP_ROOT/tenant-jwks.json"
AUTH0_DOMAIN=tenant.example.com MCPAUTH_JWKS_FILE="$TMP_ROOT/tenant-jwks.json" start_server 1 ||
	{ not_ok "server in Auth0 mode"; finish; exit 1; }
for r in "GET /authorize?response_type=code" "POST /authorize" "POST /authorize/consent" "POST /oauth/token" "POST /oauth/revoke"; do
	if [ "${r% *}" = GET ]; then req GET "${r#* }"; else req POST "${r#* }" -H "$FORM" -d x=1; fi
	expect_status 404 "Auth0 mode: ${r}"
	expect_json .message "The authorization server is the Auth0 tenant https://tenant.example.com/ (this suite verifies its tokens)" \
		"Auth0 mode: ${r} names the tenant"
done
finish
