#!/usr/bin/env bash
# Auth0 mode against a stand-in tenant (tests/auth0/standin.js): real HTTPS
# with a CA made here, a real JWKS, tokens signed with the stand-in's own
# keys, its /oauth/token and Management API. The suite runs under a real
# lighttpd with AUTH0_DOMAIN=127.0.0.1:<port> and MCPAUTH_CA_FILE.
set -u
. "$(dirname "$0")/lib.sh"

: "${NODE:=}"
[ -n "$NODE" ] || NODE=$(command -v node || command -v nodejs || true)
if [ -z "$NODE" ]; then
	echo "node not found: the stand-in tenant needs Node.js (apt-get install nodejs)"
	echo "0 passed, 1 failed"
	exit 1
fi

T="$TMP_ROOT/tenant"
mkdir -p "$T/keys"
STANDIN_PID=
TENANT_PORT=0
TENANT_HTTP_PORT=0
SECRET="s3cret-$(openssl rand -hex 12)"
API=https://api.mcpauth.test
NS=https://mcpauth.test/
REALM=Username-Password-Authentication
trap 'stop_standin; [ -n "${KEEP_LOGS:-}" ] && cp -r "$TMP_ROOT" "$KEEP_LOGS"; cleanup' EXIT

# --- the stand-in tenant ----------------------------------------------------
# A test CA, a server certificate for 127.0.0.1 signed by it, three signing keys.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 \
	-subj "/CN=mcpauth test CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$T/server.key" -out "$T/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$T/ext"
openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -days 2 \
	-extfile "$T/ext" -out "$T/server.pem" 2>/dev/null
for k in kid-A kid-B kid-C; do
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/keys/$k.pem" 2>/dev/null
done

# start_standin PUBLISH_JSON SIGN_KID: on the port it had before, if any.
start_standin() {
	rm -f "$T/port" "$T/httpport"
	jq -n --argjson port "$TENANT_PORT" --argjson hport "$TENANT_HTTP_PORT" --arg dir "$T" \
		--argjson publish "$1" --arg sign "$2" --arg aud "$API" --arg secret "$SECRET" \
		--arg realm "$REALM" --arg ns "$NS" '{
		port: $port, httpPort: $hport, cert: ($dir + "/server.pem"), key: ($dir + "/server.key"),
		keysDir: ($dir + "/keys"), publish: $publish, sign: $sign, audience: $aud,
		clientId: "test-client", clientSecret: $secret, realm: $realm, namespace: $ns,
		users: {
			"auth0|standin-1": {sub: "auth0|standin-1", email: "jane@tenant.test", name: "Jane Tenant",
				password: "hunter2-tenant", permissions: ["read:profile", "read:users"]},
			"auth0|standin-2": {sub: "auth0|standin-2", email: "joe@tenant.test", name: "Joe Tenant",
				password: "joe-pass", permissions: ["read:profile"]}
		}}' >"$T/config.json"
	"$NODE" "$top_srcdir/tests/auth0/standin.js" "$T" 2>>"$TMP_ROOT/standin.log" &
	STANDIN_PID=$!
	local i
	for i in $(seq 1 100); do
		[ -s "$T/port" ] && break
		sleep 0.1
	done
	TENANT_PORT=$(cat "$T/port" 2>/dev/null || echo 0)
	TENANT_HTTP_PORT=$(cat "$T/httpport" 2>/dev/null || echo 0)
	[ "$TENANT_PORT" != 0 ]
}

stop_standin() {
	if [ -n "$STANDIN_PID" ]; then
		kill "$STANDIN_PID" 2>/dev/null
		wait "$STANDIN_PID" 2>/dev/null
		STANDIN_PID=
	fi
}

# tenant METHOD PATH [JSON]: a control request to the stand-in; prints the body.
tenant() {
	curl -s --max-time 10 --cacert "$T/ca.pem" -X "$1" -H 'Content-Type: application/json' \
		${3:+-d "$3"} "https://127.0.0.1:$TENANT_PORT$2"
}
# mint JSON: a token signed by the stand-in ({"claims":{...},"kid":..,"key":..}).
mint() { tenant POST /_control/sign "${1:-{\}}"; }
counted() { tenant GET /_control/counts | jq -r --arg p "$1" '.[$p] // 0'; }
au() { printf 'Authorization: Bearer %s' "$1"; }
# code TOKEN [PATH]: the status of a GET with the token.
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 20 -H "$(au "$1")" "$BASE${2:-/api/profile}"; }

# Empties what lighttpd and the programs logged so far.
reset_log() {
	cat "$MCPAUTH_ERRORLOG" "$TMP_ROOT/lighttpd.stderr" >>"$TMP_ROOT/earlier.log" 2>/dev/null
	: >"$MCPAUTH_ERRORLOG"
	: >"$TMP_ROOT/lighttpd.stderr"
}

# Settings every phase shares.
suite_env() {
	unset MCPAUTH_JWKS_REFRESH MCPAUTH_JWKS_MIN_INTERVAL AUTH0_LOGIN_REALM MCPAUTH_JWKS_URL \
		MCPAUTH_ALLOW_INSECURE_LOCALHOST
	export AUTH0_DOMAIN="127.0.0.1:$TENANT_PORT" AUTH0_AUDIENCE="$API" MCPAUTH_CA_FILE="$T/ca.pem" \
		AUTH0_CLIENT_ID=test-client AUTH0_CLIENT_SECRET="$SECRET" MCPAUTH_CLAIM_NAMESPACE="$NS" \
		MCPAUTH_HTTP_TIMEOUT=2
}

start_standin '["kid-A"]' kid-A || { echo "the stand-in did not start"; cat "$TMP_ROOT/standin.log"; echo "0 passed, 1 failed"; exit 1; }
ISS="https://127.0.0.1:$TENANT_PORT/"
suite_env

# --- a bad setting stops a program at start with one clear line -----------
# bad_setting DESC GREP VAR=VALUE...: runs a program directly with the settings.
bad_setting() {
	local desc=$1 want=$2 rc lines
	shift 2
	env "$@" MCPAUTH_STATE_DIR="$TMP_ROOT/direct" "$top_builddir/cgi-bin/profile" </dev/null >/dev/null \
		2>"$TMP_ROOT/direct.err"
	rc=$?
	lines=$(grep -c . "$TMP_ROOT/direct.err")
	if [ "$rc" -ne 0 ] && [ "$lines" = 1 ] && grep -q -- "$want" "$TMP_ROOT/direct.err"; then
		ok "$desc"
	else
		not_ok "$desc: exit $rc, stderr: $(head -c 300 "$TMP_ROOT/direct.err")"
	fi
}
bad_setting "MCPAUTH_JWKS_REFRESH=0 refused" "MCPAUTH_JWKS_REFRESH must be" MCPAUTH_JWKS_REFRESH=0
bad_setting "MCPAUTH_JWKS_MIN_INTERVAL=abc refused" "MCPAUTH_JWKS_MIN_INTERVAL must be" MCPAUTH_JWKS_MIN_INTERVAL=abc
bad_setting "MCPAUTH_HTTP_TIMEOUT=0 refused" "MCPAUTH_HTTP_TIMEOUT must be" MCPAUTH_HTTP_TIMEOUT=0
bad_setting "plain-http JWKS URL refused without MCPAUTH_ALLOW_INSECURE_LOCALHOST" "MCPAUTH_JWKS_URL must be" \
	MCPAUTH_JWKS_URL=http://127.0.0.1:1/.well-known/jwks.json
bad_setting "plain-http JWKS URL refused for a host other than 127.0.0.1" "MCPAUTH_JWKS_URL must be" \
	MCPAUTH_JWKS_URL=http://example.com/.well-known/jwks.json MCPAUTH_ALLOW_INSECURE_LOCALHOST=1
bad_setting "a JWKS URL whose host is not 127.0.0.1 behind userinfo refused" "MCPAUTH_JWKS_URL must be" \
	MCPAUTH_JWKS_URL=http://127.0.0.1:80@evil.example/.well-known/jwks.json MCPAUTH_ALLOW_INSECURE_LOCALHOST=1
bad_setting "a JWKS URL naming 127.0.0.1.evil.example refused" "MCPAUTH_JWKS_URL must be" \
	MCPAUTH_JWKS_URL=http://127.0.0.1.evil.example/.well-known/jwks.json MCPAUTH_ALLOW_INSECURE_LOCALHOST=1
bad_setting "unreadable MCPAUTH_CA_FILE refused" "MCPAUTH_CA_FILE" MCPAUTH_CA_FILE=/nonexistent/ca.pem
bad_setting "AUTH0_CLIENT_SECRET without AUTH0_CLIENT_ID refused" "AUTH0_CLIENT_ID" AUTH0_CLIENT_ID=
if grep -q -- "$SECRET" "$TMP_ROOT/direct.err"; then not_ok "secret in a start-up error"; else ok "no secret in the start-up error"; fi
bad_setting "AUTH0_LOGIN_REALM without AUTH0_DOMAIN refused" "AUTH0_LOGIN_REALM needs AUTH0_DOMAIN" \
	AUTH0_DOMAIN= AUTH0_LOGIN_REALM="$REALM"

# === phase 1: default intervals, 2 processes per program ===================
start_server 2 || { echo "0 passed, 1 failed"; exit 1; }
STATE=$MCPAUTH_STATE_DIR
expect_eq "$(counted /.well-known/jwks.json)" 1 "six processes of three programs started with one JWKS fetch"
expect_eq "$(jq -r '[.keys[].kid] | join(",")' "$STATE/auth0-jwks.json" 2>/dev/null)" kid-A "the shared cache file holds the tenant's key"
read -r NPROGS NCURL <<<"$(programs_mapping 'libcurl\.so')"
if [ "$NPROGS" -ge 6 ] && [ "$NCURL" -eq "$NPROGS" ]; then
	ok "all $NPROGS programs loaded libcurl in Auth0 mode"
else
	not_ok "libcurl mapped by $NCURL of $NPROGS programs in Auth0 mode"
fi

# --- a stand-in token is accepted -------------------------------------------
TOKEN=$(mint)
req GET /api/profile -H "$(au "$TOKEN")"
expect_status 200 "a token signed by the tenant is accepted"
expect_json '.profile.id + "|" + .profile.email + "|" + .profile.name' "auth0|standin-1|jane@tenant.test|Jane Tenant" \
	"email and name from the namespaced claims"
expect_json '.permissions | join(",")' "read:profile,read:users" "permissions from the tenant's token"
TOKEN=$(mint "{\"claims\":{\"aud\":\"$API\"}}")
expect_eq "$(code "$TOKEN")" 200 "aud as a plain string"
TOKEN=$(mint "{\"claims\":{\"aud\":[\"${ISS}userinfo\",\"$API\"]}}")
expect_eq "$(code "$TOKEN")" 200 "aud array with ours second (Auth0's /userinfo audience first)"
TOKEN=$(mint "{\"claims\":{\"${NS}email\":null,\"${NS}name\":null,\"sub\":\"auth0|standin-9\"}}")
req GET /api/profile -H "$(au "$TOKEN")"
expect_status 200 "a token with no email anywhere is still accepted"
expect_json '.profile.email + "|" + (.profile.name | tostring)' "|null" "no email or name anywhere: null"
TOKEN=$(mint "{\"claims\":{\"${NS}email\":null,\"${NS}name\":null,\"sub\":\"auth0|user123\"}}")
req GET /api/profile -H "$(au "$TOKEN")"
expect_json '.profile.email + "|" + .profile.name' "user@example.com|John Doe" "no email claim: the local user store by sub"
req GET /api/email -H "$(au "$TOKEN")"
expect_json .email "user@example.com" "/api/email for a tenant user known locally"

# --- what an MCP client sees: the tenant is the authorization server ------------
for p in /.well-known/oauth-protected-resource /.well-known/oauth-protected-resource/mcp; do
	req GET "$p"
	expect_json '.authorization_servers | join(",")' "$ISS" "$p names the tenant"
done
expect_json .resource "$BASE/mcp" "the /mcp form describes /mcp"
for p in /.well-known/oauth-authorization-server /.well-known/openid-configuration; do
	req GET "$p"
	expect_status 404 "$p: not this suite's in Auth0 mode"
	expect_json '.message | contains("'"$ISS"'")' true "$p: the 404 names the tenant"
done
req GET /api/profile
expect_header WWW-Authenticate '^Bearer realm="mcpauth", scope="read:profile offline_access", resource_metadata="[^"]*/oauth-protected-resource"$' \
	"a route's challenge: its scope and the root metadata"
req POST /mcp -H 'Accept: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_api_users"}}'
expect_status 401 "tools/call without a token"
expect_header WWW-Authenticate 'scope="openid profile email offline_access read:profile write:profile read:users write:users admin:all", resource_metadata="[^"]*/oauth-protected-resource/mcp"' \
	"/mcp's challenge: every tool's scope and the /mcp metadata"
# The tenant's API identifier may be the MCP resource URL itself.
TOKEN=$(mint "{\"claims\":{\"aud\":\"$BASE/mcp\"}}")
expect_eq "$(code "$TOKEN")" 200 "aud = the MCP resource URL (the tenant's API identifier)"
req POST /mcp -H 'Accept: application/json' -H "$(au "$TOKEN")" -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_api_profile"}}'
expect_json .result.structuredContent.profile.id "auth0|standin-1" "that token through /mcp"
TOKEN=$(mint '{"claims":{"exp":1}}')
req GET / -H "$(au "$TOKEN")"
expect_status 401 "an expired tenant token on a public route"
expect_header WWW-Authenticate 'error="invalid_token"' "its challenge"

# --- refusals -----------------------------------------------------------------
reset_log
TOKEN=$(mint '{"claims":{"iss":"https://mcpauth.local/"}}')
req GET /api/profile -H "$(au "$TOKEN")"
expect_status 401 "a token with the local issuer's iss is refused"
if server_log | grep -q 'wrong iss'; then ok "refused for its iss"; else not_ok "refused for its iss: $(server_log | tail -2)"; fi
TOKEN=$(mint "{\"claims\":{\"iss\":\"https://127.0.0.1:$TENANT_PORT\"}}")
expect_eq "$(code "$TOKEN")" 401 "iss without Auth0's trailing slash refused"
TOKEN=$(mint '{"claims":{"aud":"https://other-api.test"}}')
expect_eq "$(code "$TOKEN")" 401 "wrong audience refused"
TOKEN=$(mint "{\"claims\":{\"aud\":[\"${ISS}userinfo\",\"https://other-api.test\"]}}")
expect_eq "$(code "$TOKEN")" 401 "aud array without ours refused"
TOKEN=$(mint "{\"claims\":{\"exp\":$(($(date +%s) - 120))}}")
req GET /api/profile -H "$(au "$TOKEN")"
expect_json .error "Token expired" "expired tenant token"
TOKEN=$(mint '{"claims":{"permissions":["read:users"]}}')
expect_eq "$(code "$TOKEN")" 403 "tenant token without the permission: 403"
expect_eq "$(counted /.well-known/jwks.json)" 1 "no JWKS fetch for any of these (the keys are cached)"

# --- login happens at the tenant ------------------------------------------------
req POST /auth/login -H 'Content-Type: application/json' -d '{"email":"user@example.com","password":"password"}'
expect_status 404 "local login disabled in Auth0 mode"
expect_json '.message | test("tenant")' true "the 404 says login happens at the tenant"
req GET /
expect_json .auth0.domain "127.0.0.1:$TENANT_PORT" "index shows the tenant"

# --- key rotation, and a burst of unknown kids --------------------------------
tenant POST /_control/config '{"publish":["kid-A","kid-B"],"sign":"kid-B"}' >/dev/null
: >"$TMP_ROOT/burst"
# Only these: a bare wait would also wait for lighttpd and the stand-in.
pids=()
for i in $(seq 1 10); do
	TB=$(mint '{"kid":"kid-B"}')
	TG=$(mint "{\"kid\":\"ghost-$i\"}")
	(echo "B $(code "$TB")" >>"$TMP_ROOT/burst") &
	pids+=($!)
	(echo "B $(code "$TB" /api/users)" >>"$TMP_ROOT/burst") &
	pids+=($!)
	(echo "G $(code "$TG")" >>"$TMP_ROOT/burst") &
	pids+=($!)
	(echo "G $(code "$TG" /api/users)" >>"$TMP_ROOT/burst") &
	pids+=($!)
done
wait "${pids[@]}"
expect_eq "$(counted /.well-known/jwks.json)" 2 "40 requests with unknown kids (2 programs, 4 processes): one JWKS fetch"
expect_eq "$(grep -c '^B 200$' "$TMP_ROOT/burst")" 20 "every token of the new key accepted, without restarting lighttpd"
[ "$(grep -c '^B 200$' "$TMP_ROOT/burst")" = 20 ] || server_log | grep -E 'jwks|kid|DEBUG' | head -60
expect_eq "$(grep -c '^G 401$' "$TMP_ROOT/burst")" 20 "every token with a kid the tenant does not publish refused"
pids=()
for i in $(seq 11 30); do
	TG=$(mint "{\"kid\":\"ghost-$i\"}")
	(code "$TG" >/dev/null) &
	pids+=($!)
done
wait "${pids[@]}"
expect_eq "$(counted /.well-known/jwks.json)" 2 "20 more unknown kids within the minute: no fetch"
expect_eq "$(code "$(mint '{"key":"kid-A","kid":"kid-A"}')")" 200 "the old key, still published, still verifies"
expect_eq "$(jq -r '[.keys[].kid] | join(",")' "$STATE/auth0-jwks.json")" "kid-A,kid-B" "the cache file follows the rotation"
req GET /.well-known/jwks.json
expect_json '[.keys[].kid] | join(",")' "kid-A,kid-B" "/.well-known/jwks.json shows the tenant's keys the suite trusts"

# --- the Management API -----------------------------------------------------------
ADMIN=$(mint)
for i in 1 2 3 4 5 6; do
	req GET /api/auth0/user/auth0%7Cstandin-1 -H "$(au "$ADMIN")"
	[ "$STATUS" = 200 ] || break
done
expect_status 200 "user read from the Management API"
expect_json '.user_id + "|" + .email + "|" + .name' "auth0|standin-1|jane@tenant.test|Jane Tenant" "the tenant's user"
expect_json '.identities[0].connection' "$REALM" "the tenant's user object, as the Management API gives it"
expect_eq "$(counted /oauth/token)" 1 "six lookups from two processes: one client-credentials token"
expect_eq "$(counted /api/v2/users)" 6 "six lookups reached the Management API"
expect_eq "$(stat -c %a "$STATE/auth0-mgmt-token.json" 2>/dev/null)" 600 "the cached management token file is 0600"
expect_eq "$(find "$STATE" -maxdepth 1 -type f ! -perm 600 -printf '%f %m ')" "" \
	"every file of the state directory is 0600 (the tenant's JWKS cache, its stamps and locks, the database)"
req GET /api/auth0/user/auth0%7Cnobody -H "$(au "$ADMIN")"
expect_status 404 "unknown tenant user"
expect_json '.error + "|" + .message' "User not found|No user has this id" "unknown tenant user body"
tenant POST /_control/config '{"mgmt429":{"count":1}}' >/dev/null
req GET /api/auth0/user/auth0%7Cstandin-1 -H "$(au "$ADMIN")"
expect_status 503 "tenant rate limit: 503"
expect_header Retry-After '^[1-8]$' "Retry-After from the tenant's X-RateLimit-Reset"
expect_json .error "Service unavailable" "rate limit body"
tenant POST /_control/config '{"mgmt429":{"count":1,"retryAfter":5}}' >/dev/null
req GET /api/auth0/user/auth0%7Cstandin-1 -H "$(au "$ADMIN")"
expect_header Retry-After '^5$' "Retry-After passed on"
tenant POST /_control/revoke >/dev/null
req GET /api/auth0/user/auth0%7Cstandin-2 -H "$(au "$ADMIN")"
expect_status 200 "a revoked management token is replaced once"
expect_json .email "joe@tenant.test" "the other user"
expect_eq "$(counted /oauth/token)" 2 "one new client-credentials token after the revocation"
req GET /api/auth0/user/auth0%7Cstandin-1 -H "$(au "$(mint '{"claims":{"permissions":["read:profile"]}}')")"
expect_status 403 "the lookup still needs read:users"

# --- the tenant goes down ---------------------------------------------------------
TA=$(mint '{"key":"kid-A","kid":"kid-A"}')
stop_standin
expect_eq "$(code "$TA")" 200 "tenant down: a cached key still verifies"
expect_eq "$(code "$TB")" 200 "tenant down: the rotated key still verifies"
req GET /api/profile -H "$(au "$TG")"
expect_status 401 "tenant down: unknown kid refused"
req GET /api/auth0/user/auth0%7Cstandin-1 -H "$(au "$ADMIN")"
expect_status 502 "tenant down: Management API lookup answers 502"
expect_json '.error + "|" + .message' "Bad gateway|The Auth0 tenant cannot be reached" "502 body"
if server_log | grep -q -- "$SECRET" || grep -rq -- "$SECRET" "$STATE"; then
	not_ok "the client secret appears in a log or the state directory"
else
	ok "the client secret is in no log and no state file"
fi
expect_clean_log
stop_server

# === phase 2: short intervals, login proxied ==================================
start_standin '["kid-A","kid-B"]' kid-B || not_ok "stand-in restarts on its port"
export MCPAUTH_JWKS_REFRESH=2 MCPAUTH_JWKS_MIN_INTERVAL=1 AUTH0_LOGIN_REALM="$REALM"
reset_log
start_server 2 || { echo "0 passed, 1 failed"; exit 1; }
TA=$(mint '{"key":"kid-A","kid":"kid-A"}')
TB=$(mint '{"key":"kid-B","kid":"kid-B"}')
TC=$(mint '{"key":"kid-C","kid":"kid-C"}')
expect_eq "$(code "$TA")" 200 "key A verifies while published"
tenant POST /_control/config '{"publish":["kid-B","kid-C"],"sign":"kid-C","jwksExtra":true}' >/dev/null
sleep 2.2
expect_eq "$(code "$TA")" 401 "key A, removed by the tenant, stops verifying after the refresh"
expect_eq "$(code "$TC")" 200 "key C, added by the tenant, verifies"
expect_eq "$(code "$TB")" 200 "key B, still published, verifies"
if server_log | grep -q 'skipped: kty is not RSA' && server_log | grep -q 'skipped: not an RS256 signing key' &&
	server_log | grep -q 'skipped: modulus of 1024 bits'; then
	ok "EC, encryption and 1024-bit keys of the JWKS skipped with a log line"
else
	not_ok "unusable keys logged: $(server_log | grep jwks | tail -3)"
fi
for mode in garbage huge error; do
	tenant POST /_control/config "{\"jwksMode\":\"$mode\"}" >/dev/null
	sleep 2.2
	expect_eq "$(code "$TC")" 200 "JWKS answer '$mode' refused: the last good set still verifies"
done
if server_log | grep -q 'not a JSON object' && server_log | grep -q 'larger than' && server_log | grep -q 'HTTP status 500'; then
	ok "each refused JWKS answer logged"
else
	not_ok "refused JWKS answers logged: $(server_log | grep jwks | tail -3)"
fi
expect_eq "$(jq -r '[.keys[].kid] | join(",")' "$STATE/auth0-jwks.json")" "kid-B,kid-C" "refused answers left the cache file alone"
tenant POST /_control/config '{"jwksMode":"normal"}' >/dev/null

req POST /auth/login -H 'Content-Type: application/json' -d '{"email":"jane@tenant.test","password":"hunter2-tenant"}'
expect_status 200 "login proxied to the tenant's password-realm grant"
expect_json '.token_type + "|" + (.expires_in | tostring)' "Bearer|86400" "the tenant's token response"
expect_header Cache-Control no-store "proxied token response not cached"
if grep -q -- "$SECRET" "$TMP_ROOT/body"; then not_ok "secret in the login answer"; else ok "no secret in the login answer"; fi
LOGIN_TOKEN=$(jbody .access_token)
req GET /api/profile -H "$(au "$LOGIN_TOKEN")"
expect_status 200 "the token from the proxied login is accepted"
expect_json .profile.email jane@tenant.test "proxied login: the tenant's user"
req POST /auth/login -H 'Content-Type: application/json' -d '{"email":"jane@tenant.test","password":"wrong"}'
expect_status 401 "proxied login with a wrong password"
expect_json '.error + "|" + .message' "Invalid credentials|Authentication failed" "wrong password: the suite's error shape"
# The local login limits stand in front of the tenant: the email's fifth
# failure is the tenant's answer, the sixth try is refused here with 429
# and never reaches the tenant; another email still logs in.
for i in 1 2 3 4 5; do
	req POST /auth/login -H 'Content-Type: application/json' -d "{\"email\":\"guess@tenant.test\",\"password\":\"wrong-$i\"}"
done
expect_status 401 "proxied login: the fifth wrong password is the tenant's 401"
asked=$(counted /oauth/token)
req POST /auth/login -H 'Content-Type: application/json' -d '{"email":"guess@tenant.test","password":"wrong-6"}'
expect_status 429 "proxied login: the sixth try within the window is rate limited"
expect_json .error "Too many attempts" "proxied login 429: the suite's error shape"
expect_header Retry-After '^[1-9][0-9]*$' "proxied login 429 says when to retry"
expect_eq "$(counted /oauth/token)" "$asked" "a rate-limited login never reaches the tenant"
req POST /auth/login -H 'Content-Type: application/json' -d '{"email":"jane@tenant.test","password":"hunter2-tenant"}'
expect_status 200 "another email still logs in through the tenant"

# Tenant down with a 2 s refresh: every request still verifies, the log has one line a second at most.
stop_standin
before=$(server_log | grep -c 'jwks: fetching .* failed')
sleep 2.1
n=0
t0=$(date +%s)
for i in $(seq 1 30); do
	[ "$(code "$TC")" = 200 ] && n=$((n + 1))
	sleep 0.1
done
expect_eq "$n" 30 "tenant down past the refresh: 30 requests over 3 s all verify with the last good set"
secs=$(($(date +%s) - t0 + 1))
lines=$(($(server_log | grep -c 'jwks: fetching .* failed') - before))
# MCPAUTH_JWKS_MIN_INTERVAL=1: at most one line in each second the requests spanned.
if [ "$lines" -ge 1 ] && [ "$lines" -le "$secs" ] && [ "$lines" -lt 30 ]; then
	ok "the failure is logged once per interval ($lines lines in $secs s, 30 requests)"
else
	not_ok "failure logged $lines times in $secs s for 30 requests"
fi
req POST /auth/login -H 'Content-Type: application/json' -d '{"email":"jane@tenant.test","password":"hunter2-tenant"}'
expect_status 502 "proxied login with the tenant down: 502"
expect_clean_log
stop_server

# === phase 3: the tenant is down when the suite first starts ==================
rm -rf "$TMP_ROOT/state"
unset MCPAUTH_JWKS_REFRESH AUTH0_LOGIN_REALM
export MCPAUTH_JWKS_MIN_INTERVAL=1
reset_log
start_server 2 || { echo "0 passed, 1 failed"; exit 1; }
req GET /
expect_status 200 "tenant down at first start: the suite starts and answers"
req GET /api/profile -H "$(au "$TC")"
expect_status 503 "tenant down at first start: a token gets 503"
expect_json '.error + "|" + (.message | test("signing keys") | tostring)' "Service unavailable|true" "503 JSON body"
expect_header Retry-After '^1$' "503 says when to retry"
req GET /api/profile
expect_status 401 "no token is still a 401"
start_standin '["kid-B","kid-C"]' kid-C || not_ok "stand-in restarts"
tenant POST /_control/config '{"jwksMode":"hang"}' >/dev/null
sleep 1.1
SECS=$(curl -s -o "$TMP_ROOT/body" -w '%{http_code} %{time_total}' --max-time 20 -H "$(au "$TC")" "$BASE/api/profile")
expect_eq "${SECS%% *}" 503 "a tenant that never answers: 503"
if awk -v t="${SECS#* }" 'BEGIN { exit !(t >= 1.5 && t < 4.5) }'; then
	ok "the JWKS fetch gave up after MCPAUTH_HTTP_TIMEOUT=2 (request took ${SECS#* } s)"
else
	not_ok "bounded JWKS fetch: request took ${SECS#* } s"
fi
tenant POST /_control/config '{"jwksMode":"normal"}' >/dev/null
sleep 1.1
expect_eq "$(code "$TC")" 200 "once the tenant answers, its tokens are accepted without a restart"
expect_clean_log
stop_server

# === phase 4: certificate verification is on ===================================
rm -rf "$TMP_ROOT/state"
unset MCPAUTH_CA_FILE
reset_log
FETCHED=$(counted /.well-known/jwks.json)
start_server 1 || { echo "0 passed, 1 failed"; exit 1; }
expect_eq "$(code "$TC")" 503 "without MCPAUTH_CA_FILE the test CA is not trusted: no keys"
if server_log | grep -qi 'certificate'; then ok "the log says the certificate was refused"; else not_ok "certificate error logged: $(server_log | tail -2)"; fi
expect_eq "$(counted /.well-known/jwks.json)" "$FETCHED" "nothing was fetched over the unverified connection"
stop_server

# === phase 5: plain http JWKS on 127.0.0.1, allowed for tests ==================
rm -rf "$TMP_ROOT/state"
suite_env
export MCPAUTH_JWKS_URL="http://127.0.0.1:$TENANT_HTTP_PORT/.well-known/jwks.json" MCPAUTH_ALLOW_INSECURE_LOCALHOST=1
start_server 1 || { echo "0 passed, 1 failed"; exit 1; }
expect_eq "$(code "$TC")" 200 "MCPAUTH_ALLOW_INSECURE_LOCALHOST=1: keys from http://127.0.0.1"
expect_clean_log

finish
