#!/usr/bin/env bash
# The resource-server side of the OAuth flow (issue 15): the discovery
# documents, the protected resource metadata of the root and of /mcp,
# tokens whose aud is one of the suite's resource URLs, scopes in every
# challenge, step-up for tokens of the authorization flow, and 401 for a
# failing token even on public routes. Tokens are signed here with the
# server's own key, with the claims the authorization flow issues.
set -u
. "$(dirname "$0")/lib.sh"

start_server 2 || { echo "0 passed, 1 failed"; exit 1; }
au() { printf 'Authorization: Bearer %s' "$1"; }
KEY=$(server_signing_key)
H="{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"$(server_kid)\"}"
NOW=$(date +%s)
# token JQ_EDIT: the user's token as the flow issues it, edited by JQ_EDIT.
token() {
	sign_token "$H" "$(jq -nc --argjson now "$NOW" --arg iss "$MCPAUTH_ISSUER" --arg base "$BASE" \
		"{iss:\$iss,sub:\"auth0|user123\",aud:(\$base + \"/mcp\"),iat:\$now,exp:(\$now+600),
		  client_id:\"https://client.example/app.json\",scope:\"openid read:profile offline_access\",
		  permissions:[\"read:profile\"]} | ${1:-.}")" "$KEY"
}
rpc() {
	local data=$1
	shift
	req POST /mcp -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		"$@" --data-binary "$data"
}
call() {
	rpc "$(jq -nc --arg t "$1" --argjson a "$2" '{jsonrpc:"2.0",id:7,method:"tools/call",params:{name:$t,arguments:$a}}')" "${@:3}"
}

# --- discovery (RFC 8414, OpenID Connect Discovery) ------------------------------------------
for p in /.well-known/oauth-authorization-server /.well-known/openid-configuration; do
	req GET "$p"
	expect_status 200 "$p is served"
	expect_json .issuer "$MCPAUTH_ISSUER" "$p: issuer is MCPAUTH_ISSUER, verbatim"
	expect_json '[.authorization_endpoint, .token_endpoint, .registration_endpoint, .revocation_endpoint, .jwks_uri] | join(" ")' \
		"$BASE/authorize $BASE/oauth/token $BASE/oauth/register $BASE/oauth/revoke $BASE/.well-known/jwks.json" \
		"$p: the endpoints under the issuer"
	expect_json '[.code_challenge_methods_supported, .response_types_supported, .response_modes_supported,
		.grant_types_supported, .token_endpoint_auth_methods_supported,
		.revocation_endpoint_auth_methods_supported] | map(join(",")) | join(" ")' \
		"S256 code query authorization_code,refresh_token none,client_secret_basic,client_secret_post none,client_secret_basic,client_secret_post" \
		"$p: PKCE S256, code, the grants and client authentications"
	expect_json '[.client_id_metadata_document_supported, .authorization_response_iss_parameter_supported] | map(tostring) | join(",")' \
		"true,true" "$p: client metadata documents and the iss parameter"
	expect_json '.scopes_supported | join(" ")' \
		"openid profile email offline_access read:profile write:profile read:users write:users admin:all" \
		"$p: scopes_supported from the route tables"
done
expect_json '(.subject_types_supported | join(",")) + " " + (.id_token_signing_alg_values_supported | join(","))' \
	"public RS256" "openid-configuration: the fields OIDC requires"
req GET /.well-known/oauth-authorization-server
expect_json 'has("subject_types_supported")' false "RFC 8414 document: no OIDC-only fields"
curl -s "$(jbody .jwks_uri)" -o "$TMP_ROOT/jwks"
expect_eq "$(jq -r '.keys[0].kid' "$TMP_ROOT/jwks")" "$(server_kid)" "jwks_uri serves the issuer's keys"
# The issuer the protected resource names is where its metadata is.
req GET /.well-known/oauth-protected-resource/mcp
AS=$(jbody '.authorization_servers[0]')
expect_eq "$(curl -s "$AS/.well-known/oauth-authorization-server" | jq -r .issuer)" "$AS" \
	"authorization_servers[0] serves its own metadata (what MCP clients follow)"

# --- protected resource metadata: the root and /mcp (RFC 9728 section 3.3) ------------------
req GET /.well-known/oauth-protected-resource
expect_json '.resource + " " + (.authorization_servers | join(","))' "$BASE/ $MCPAUTH_ISSUER" "root form: the root resource"
req GET /.well-known/oauth-protected-resource/mcp
expect_json '.resource + " " + (.authorization_servers | join(","))' "$BASE/mcp $MCPAUTH_ISSUER" "/mcp form: the MCP endpoint"

# --- audience: the configured one, or one of the suite's resource URLs --------------------------
T=$(token)
req GET /api/profile -H "$(au "$T")"
expect_status 200 "aud = the advertised /mcp resource is accepted"
req GET /api/profile -H "$(au "$(token '.aud = $base + "/"')")"
expect_status 200 "aud = the root resource is accepted"
req GET /api/profile -H "$(au "$(token '.aud = ["https://other.example", $base + "/mcp"]')")"
expect_status 200 "aud as an array holding the resource"
call get_api_profile '{}' -H "$(au "$T")"
expect_json '.result.structuredContent.profile.id' 'auth0|user123' "the resource-bound token works through /mcp"
req GET /api/profile -H "$(au "$(token '.aud = $base + "/mcpx"')")"
expect_status 401 "another path of this origin is refused"
req GET /api/profile -H "$(au "$(token '.aud = ($base | sub("^http:"; "https:")) + "/mcp"')")"
expect_status 401 "the other scheme is refused"
req GET /api/profile -H "$(au "$(token '.aud = "https://evil.example/mcp"')")"
expect_status 401 "another site's resource is refused"
# The accepted resource follows the request's Host: a token verified (and
# cached) for one allowed host is no token for another.
LT=$(token ".aud = \"http://localhost:$MCPAUTH_PORT/mcp\"")
for i in 1 2 3; do
	req GET /api/profile -H "$(au "$LT")" -H "Host: localhost:$MCPAUTH_PORT"
	expect_status 200 "aud = the localhost resource, asked as localhost ($i)"
	req GET /api/profile -H "$(au "$LT")"
	expect_status 401 "the same token asked as 127.0.0.1 ($i)"
done
req GET /api/profile -H "$(au "$(token '.aud = "https://your-api.example.com"')")"
expect_status 200 "the configured audience still is"

# --- scopes in challenges ---------------------------------------------------------------------
req GET /api/profile
expect_header WWW-Authenticate '^Bearer realm="mcpauth", scope="read:profile offline_access", resource_metadata="[^"]*/oauth-protected-resource"$' \
	"a route's 401 names its need"
req GET /api/users
expect_header WWW-Authenticate 'scope="read:users offline_access"' "another route's need"
call get_api_admin_users '{}'
expect_status 401 "tools/call without a token"
expect_header WWW-Authenticate 'scope="openid profile email offline_access read:profile write:profile read:users write:users admin:all", resource_metadata="[^"]*/oauth-protected-resource/mcp"' \
	"/mcp's 401 names every tool's scope and the /mcp metadata"

# --- step-up ----------------------------------------------------------------------------------
# The user holds write:profile but granted this client read:profile only.
req PUT /api/profile -H "$(au "$T")" -d '{"name":"Step Up"}'
expect_status 403 "HTTP: a permission the user holds but did not grant"
expect_header WWW-Authenticate '^Bearer realm="mcpauth", error="insufficient_scope", scope="openid read:profile offline_access write:profile", resource_metadata="' \
	"HTTP: the challenge names the token's scope plus the need"
expect_json '.error + "|" + .scope' "insufficient_scope|openid read:profile offline_access write:profile" "HTTP: JSON body"
call put_api_profile '{"name":"Step Up"}' -H "$(au "$T")"
expect_status 403 "/mcp: step-up is HTTP 403, not an isError result"
expect_header WWW-Authenticate 'error="insufficient_scope", scope="openid read:profile offline_access write:profile", resource_metadata="[^"]*/oauth-protected-resource/mcp"' \
	"/mcp: the step-up challenge"
expect_json '(.id | tostring) + " " + (.error.code | tostring) + " " + .error.data.error' "7 -32003 insufficient_scope" \
	"/mcp: a JSON-RPC error for the call"
req GET /api/profile -H "$(au "$T")"
expect_json .profile.name "John Doe" "nothing was written"
# A permission the user does not hold at all: as before.
req GET /api/admin/users -H "$(au "$T")"
expect_status 403 "HTTP: a permission the user lacks"
expect_json .error "Insufficient permissions" "HTTP: the usual 403 body"
call get_api_admin_users '{}' -H "$(au "$T")"
expect_status 200 "/mcp: a permission the user lacks stays a tool result"
expect_json '.result.isError' true "/mcp: isError"
# A token not from the flow (no client_id): no step-up.
req PUT /api/profile -H "$(au "$(token 'del(.client_id)')")" -d '{"name":"Step Up"}'
expect_json .error "Insufficient permissions" "no client_id: the usual 403"
# A scope route: the user holds email, the token lacks it.
req GET /api/email -H "$(au "$T")"
expect_json '.error + "|" + .scope' "insufficient_scope|openid read:profile offline_access email" "step-up on a scope route"

# --- a failing token is 401 even where none is needed -----------------------------------------
EXP=$(token '.exp = $now - 120 | .iat = $now - 700')
for p in / /.well-known/oauth-protected-resource/mcp; do
	req GET "$p" -H "$(au invalid.token.here)"
	expect_status 401 "GET $p with an invalid token"
	expect_header WWW-Authenticate 'error="invalid_token"' "GET $p: invalid_token"
	req GET "$p" -H "$(au "$EXP")"
	expect_json .error "Token expired" "GET $p with an expired token"
	req GET "$p"
	expect_status 200 "GET $p without a token"
	req GET "$p" -H 'Authorization: Basic dXNlcjpwYXNz'
	expect_status 200 "GET $p with Basic (not a Bearer token)"
	req GET "$p" -H "$(au "$T")"
	expect_status 200 "GET $p with a valid token"
done
for m in initialize ping tools/list; do
	msg=$(jq -nc --arg m "$m" '{jsonrpc:"2.0",id:5,method:$m,params:{protocolVersion:"2025-06-18",capabilities:{},clientInfo:{name:"t",version:"1"}}}')
	rpc "$msg" -H "$(au invalid.token.here)"
	expect_status 401 "/mcp $m with an invalid token"
	expect_json '(.id | tostring) + " " + (.error.code | tostring) + " " + .error.data.error' "5 -32001 Invalid token" \
		"/mcp $m: a JSON-RPC error"
	expect_header WWW-Authenticate 'error="invalid_token".*resource_metadata="[^"]*/oauth-protected-resource/mcp"' \
		"/mcp $m: the challenge"
	rpc "$msg"
	expect_status 200 "/mcp $m without a token"
	rpc "$msg" -H "$(au "$T")"
	expect_status 200 "/mcp $m with a valid token"
done
call get_root '{}' -H "$(au "$EXP")"
expect_status 401 "a public tool with an expired token"
req POST /mcp/invoke -H "$(au invalid.token.here)" -d '{"toolName":"GET_/","args":{}}'
expect_json '(.ok | tostring) + " " + (.status | tostring) + " " + .result.error' "false 401 Invalid token" \
	"/mcp/invoke of a public tool with an invalid token"

# --- an issuer with a path and a trailing slash ------------------------------------------------
stop_server
MCPAUTH_ISSUER=https://login.example.com/tenant/ start_server 1 || { not_ok "server with a path issuer"; finish; exit 1; }
req GET /.well-known/oauth-authorization-server
expect_json '.issuer + " " + .authorization_endpoint + " " + .token_endpoint' \
	"https://login.example.com/tenant/ https://login.example.com/tenant/authorize https://login.example.com/tenant/oauth/token" \
	"the issuer verbatim, its path in front of every endpoint"
req POST /auth/login -d '{"email":"user@example.com","password":"password"}'
claims=$(jbody .access_token | cut -d. -f2 | tr '_-' '/+')
while [ $((${#claims} % 4)) -ne 0 ]; do claims="$claims="; done
expect_eq "$(printf '%s' "$claims" | base64 -d | jq -r .iss)" "https://login.example.com/tenant/" "tokens carry the same string"
req GET /.well-known/oauth-protected-resource
expect_json '.authorization_servers[0]' "https://login.example.com/tenant/" "the metadata names the same string"
unset MCPAUTH_ISSUER

if server_log | grep -qF "${T##*.}"; then not_ok "no token in the logs"; else ok "no token in the logs"; fi
expect_clean_log
finish
