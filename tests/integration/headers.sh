#!/usr/bin/env bash
# CORS and the security headers against a real server: preflights for
# allowed origins only, with the path's own methods; the exact origin,
# never "*"; the MCP endpoints' own Origin list kept consistent; nosniff on
# every answer and no-store on every token answer.
set -u
. "$(dirname "$0")/lib.sh"

APP=https://app.example.com
DEV=http://localhost:5173
AGENT=https://agent.example.com
EVIL=https://evil.example.com
export MCPAUTH_CORS_ORIGINS="$APP, $DEV" MCPAUTH_ALLOWED_ORIGINS="$AGENT"
start_server 2 || { echo "0 passed, 1 failed"; exit 1; }
au() { printf 'Authorization: Bearer %s' "$1"; }
TOKEN=$(login user@example.com password)
ADMIN=$(login admin@example.com admin)
no_header() {
	if grep -qi "^$1:" "$TMP_ROOT/headers"; then not_ok "$2: has $(grep -i "^$1:" "$TMP_ROOT/headers" | tr -d '\r')"; else ok "$2"; fi
}
# preflight PATH ORIGIN [METHOD]
preflight() {
	req OPTIONS "$1" -H "Origin: $2" -H "Access-Control-Request-Method: ${3:-GET}" \
		-H 'Access-Control-Request-Headers: authorization, content-type'
}

# --- preflight, allowed origin ---------------------------------------------------
preflight /api/profile "$APP" PUT
expect_status 204 "preflight /api/profile from an allowed origin: 204"
expect_header Access-Control-Allow-Origin "^https://app\.example\.com$" "Allow-Origin is the exact origin"
expect_header Access-Control-Allow-Methods '^GET, PUT$' "Allow-Methods: the path's methods"
expect_header Access-Control-Allow-Headers '^Authorization, Content-Type, MCP-Protocol-Version, Mcp-Method, Mcp-Name$' "Allow-Headers"
expect_header Access-Control-Max-Age '^600$' "Max-Age"
expect_header Vary '^Origin$' "Vary: Origin"
expect_header X-Content-Type-Options '^nosniff$' "preflight: nosniff"
no_header Access-Control-Allow-Credentials "no credentials mode (bearer tokens, not cookies)"
expect_eq "$(wc -c <"$TMP_ROOT/body")" 0 "204 has no body"
for p in "/auth/login POST" "/auth/refresh POST" "/api/users GET, POST" "/api/user/auth0%7Cuser123 GET" \
	"/api/admin/permissions POST" "/ GET" "/.well-known/jwks.json GET"; do
	path=${p%% *}
	preflight "$path" "$DEV"
	expect_eq "$STATUS $(header Access-Control-Allow-Methods)" "204 ${p#* }" "preflight $path: ${p#* }"
done
expect_header Access-Control-Allow-Origin "^http://localhost:5173$" "the second listed origin is echoed exactly"

# --- preflight, other origins -----------------------------------------------------
for o in "$EVIL" "https://app.example.com.evil.com" "http://app.example.com" "null" "$AGENT"; do
	preflight /api/profile "$o"
	expect_status 403 "preflight /api/profile from $o: 403"
	no_header Access-Control-Allow-Origin "  no Allow-Origin for $o"
	no_header Access-Control-Allow-Methods "  no Allow-Methods for $o"
done
expect_json '.error + "|" + .message' "Origin not allowed|This Origin may not call this API from a browser" "403 preflight body"
preflight /api/nothing "$APP"
expect_status 404 "preflight of an unknown path: 404"
expect_json .error "Not found" "404 preflight body"
req OPTIONS /api/profile
expect_status 204 "OPTIONS without Origin: 204"
expect_header Allow '^GET, PUT, OPTIONS$' "OPTIONS without Origin: Allow"
no_header Access-Control-Allow-Origin "OPTIONS without Origin: no CORS headers"

# --- actual requests -----------------------------------------------------------------
req GET /api/profile -H "$(au "$TOKEN")" -H "Origin: $APP"
expect_status 200 "GET from an allowed origin"
expect_header Access-Control-Allow-Origin "^https://app\.example\.com$" "actual request: Allow-Origin"
expect_header Vary '^Origin$' "actual request: Vary: Origin"
expect_header Access-Control-Expose-Headers 'WWW-Authenticate' "WWW-Authenticate is readable by the page"
req GET /api/profile -H "Origin: $APP"
expect_status 401 "401 from an allowed origin"
expect_header Access-Control-Allow-Origin "^https://app\.example\.com$" "the page may read the 401 too"
req GET /api/profile -H "$(au "$TOKEN")" -H "Origin: $EVIL"
expect_status 200 "the server answers other origins (the browser withholds the answer)"
no_header Access-Control-Allow-Origin "no Allow-Origin for another origin"
expect_header Vary '^Origin$' "Vary: Origin even then"
req GET /api/profile -H "$(au "$TOKEN")"
no_header Access-Control-Allow-Origin "no Origin: no Allow-Origin"
expect_header Vary '^Origin$' "no Origin: Vary: Origin (caches keep answers apart)"
req POST /auth/login -H 'Content-Type: application/json' -H "Origin: $APP" \
	-d '{"email":"viewer@example.com","password":"readonly"}'
expect_status 200 "login from an allowed origin"
expect_header Access-Control-Allow-Origin "^https://app\.example\.com$" "login: Allow-Origin"
if grep -i '^access-control-allow-origin:' "$TMP_ROOT/headers" | grep -q '\*'; then not_ok "a * origin"; else ok "never *"; fi

# --- the MCP endpoints: both lists, one rule -------------------------------------------
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
preflight /mcp "$AGENT" POST
expect_status 204 "preflight /mcp from an MCPAUTH_ALLOWED_ORIGINS origin"
expect_header Access-Control-Allow-Methods '^POST$' "/mcp: POST only"
req POST /mcp -H 'Content-Type: application/json' -H "Origin: $AGENT" -d "$INIT"
expect_status 200 "POST /mcp from the MCP origin"
expect_header Access-Control-Allow-Origin "^https://agent\.example\.com$" "and the page may read it"
req POST /mcp -H 'Content-Type: application/json' -H "Origin: $APP" -d "$INIT"
expect_status 200 "a CORS origin is accepted by /mcp's Origin check too"
expect_header Access-Control-Allow-Origin "^https://app\.example\.com$" "with Allow-Origin"
req POST /mcp -H 'Content-Type: application/json' -H "Origin: $EVIL" -d "$INIT"
expect_status 403 "any other Origin: /mcp refuses (DNS rebinding)"
no_header Access-Control-Allow-Origin "and no Allow-Origin"
preflight /mcp/invoke "$EVIL" POST
expect_status 403 "preflight /mcp/invoke from another origin: 403"
req POST /mcp/invoke -H 'Content-Type: application/json' -H "Origin: $AGENT" -H "$(au "$TOKEN")" \
	-d '{"toolName":"get_api_profile"}'
expect_status 200 "/mcp/invoke from the MCP origin"
expect_header Access-Control-Allow-Origin "^https://agent\.example\.com$" "/mcp/invoke: Allow-Origin"
stop_server

# --- nothing configured: no CORS at all ------------------------------------------
unset MCPAUTH_CORS_ORIGINS MCPAUTH_ALLOWED_ORIGINS
start_server 1 || { echo "$PASS passed, $((FAIL + 1)) failed"; exit 1; }
preflight /api/profile "$APP"
expect_status 403 "default: every preflight is refused"
req GET / -H "Origin: $APP"
no_header Access-Control-Allow-Origin "default: no Allow-Origin"
no_header Vary "default: no Vary"
TOKEN=$(login user@example.com password)
ADMIN=$(login admin@example.com admin)

# --- nosniff on every answer, no-store on token answers ---------------------------
# STATUS DESC curl-args...
each() {
	local want=$1 desc=$2
	shift 2
	req "$@"
	expect_eq "$STATUS" "$want" "$desc: status"
	expect_header X-Content-Type-Options '^nosniff$' "$desc: nosniff"
}
each 200 "GET /" GET /
each 200 "JWKS" GET /.well-known/jwks.json
each 201 "POST /api/users" POST /api/users -H "$(au "$ADMIN")" -H 'Content-Type: application/json' -d '{"name":"H","email":"h@example.com"}'
each 202 "MCP notification" POST /mcp -H 'Content-Type: application/json' -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
each 204 "OPTIONS" OPTIONS /api/profile
each 400 "bad JSON" POST /api/users -H "$(au "$ADMIN")" -d '{'
each 401 "no token" GET /api/profile
each 403 "no permission" GET /api/admin/users -H "$(au "$TOKEN")"
each 404 "unknown path" GET /api/nothing
each 405 "wrong method" DELETE /api/profile
head -c 70000 /dev/zero | tr '\0' a >"$TMP_ROOT/big"
each 413 "body over 64 KiB" POST /api/users -H "$(au "$ADMIN")" --data-binary @"$TMP_ROOT/big"
each 415 "MCP without JSON" POST /mcp -H 'Content-Type: text/plain' -d x
for i in 1 2 3 4 5; do req POST /auth/login -d '{"email":"h@example.com","password":"x"}'; done
each 429 "rate limited" POST /auth/login -d '{"email":"h@example.com","password":"x"}'
expect_header Cache-Control '^no-store$' "429 from the token endpoint: no-store"
each 200 "login" POST /auth/login -d '{"email":"user@example.com","password":"password","scope":"offline_access"}'
expect_header Cache-Control '^no-store$' "login: no-store"
RT=$(jbody .refresh_token)
each 200 "refresh" POST /auth/refresh -d "{\"refresh_token\":\"$RT\"}"
expect_header Cache-Control '^no-store$' "refresh: no-store"
expect_header Pragma '^no-cache$' "refresh: Pragma: no-cache"
each 401 "wrong password" POST /auth/login -d '{"email":"user@example.com","password":"nope"}'
expect_header Cache-Control '^no-store$' "failed login: no-store"
each 401 "refresh reuse" POST /auth/refresh -d "{\"refresh_token\":\"$RT\"}"
expect_header Cache-Control '^no-store$' "failed refresh: no-store"
expect_clean_log
finish
