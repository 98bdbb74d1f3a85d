#!/usr/bin/env bash
# The MCP gateway over HTTP with curl: /mcp/tools, /mcp/invoke and the
# Streamable HTTP transport at /mcp (JSON-RPC), with the demo users' real
# tokens; every status, header and JSON-RPC code of issue 4; the RFC 9728
# metadata the 401 challenges name.
set -u
. "$(dirname "$0")/lib.sh"
: "${FIXTURES:=$top_srcdir/tests/fixtures}"

# Sign-up on and mail captured (one file per message): the account tools
# of /mcp/tools are called to the end below.
MAILDIR=$TMP_ROOT/mail
mkdir -p "$MAILDIR"
chmod 1777 "$MAILDIR" # the programs may run as the server's user (Apache, spawn-fcgi)
printf '#!/bin/sh\ncat >"%s/$1.$(date +%%s%%N)"\n' "$MAILDIR" >"$TMP_ROOT/capture"
chmod 755 "$TMP_ROOT/capture"
MCPAUTH_SIGNUP=1 MCPAUTH_MAIL_COMMAND=$TMP_ROOT/capture start_server 2 || { echo "0 passed, 1 failed"; exit 1; }
USER=$(login user@example.com password)
ADMIN=$(login admin@example.com admin)
VIEWER=$(login viewer@example.com readonly)
au() { printf 'Authorization: Bearer %s' "$1"; }
NAME_RE='^[a-zA-Z0-9_-]{1,64}$'

# rpc JSON [curl args]: POST one JSON-RPC message to /mcp as an MCP client would.
rpc() {
	local data=$1
	shift
	req POST /mcp -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		"$@" --data-binary "$data"
}
# rpc_with CONTENT_TYPE ACCEPT JSON: the same with these two headers ("" leaves one out).
rpc_with() {
	req POST /mcp -H "Content-Type:${1:+ $1}" -H "Accept:${2:+ $2}" --data-binary "$3"
}
# Every successful answer is kept, to be checked against its tool's
# outputSchema at the end (tests/mcp/schema-check.mjs).
RESULTS_MCP=$TMP_ROOT/results-mcp.jsonl RESULTS_EX=$TMP_ROOT/results-ex.jsonl
: >"$RESULTS_MCP"
: >"$RESULTS_EX"
# call TOOL ARGS_JSON [curl args]: tools/call with id 7.
call() {
	local tool=$1 args=$2
	shift 2
	rpc "$(jq -nc --arg t "$tool" --argjson a "$args" '{jsonrpc:"2.0",id:7,method:"tools/call",params:{name:$t,arguments:$a}}')" "$@"
	jq -c --arg t "$tool" 'select(.result.structuredContent) | {tool: $t, value: .result.structuredContent}' \
		"$TMP_ROOT/body" >>"$RESULTS_MCP" 2>/dev/null
}
# invoke TOOLNAME ARGS_JSON [curl args]: POST /mcp/invoke.
invoke() {
	local tool=$1 args=$2
	shift 2
	req POST /mcp/invoke -H 'Content-Type: application/json' "$@" \
		--data-binary "$(jq -nc --arg t "$tool" --argjson a "$args" '{toolName:$t,args:$a}')"
	jq -c --arg t "$tool" 'select(.ok == true) | {tool: $t, value: .result}' "$TMP_ROOT/body" >>"$RESULTS_EX" 2>/dev/null
}
# same_json FILE_A FILE_B DESC: equal as JSON (key order aside).
same_json() {
	if [ -n "$(jq -S . "$1" 2>/dev/null)" ] && [ "$(jq -S . "$1")" = "$(jq -S . "$2")" ]; then
		ok "$3"
	else
		not_ok "$3: $(head -c 300 "$1") vs $(head -c 300 "$2")"
	fi
}

# --- routing and the index ---------------------------------------------------
req GET /mcp
expect_status 405 "GET /mcp: no SSE stream"
expect_header Allow '^POST$' "GET /mcp: Allow: POST"
req DELETE /mcp
expect_status 405 "DELETE /mcp: no session to end"
expect_header Allow '^POST$' "DELETE /mcp: Allow: POST"
req PUT /mcp/tools
expect_status 405 "PUT /mcp/tools"
req GET /mcp/nope
expect_status 404 "unknown path under /mcp"
expect_json '.error | length > 0' true "404 under /mcp is JSON"
req GET /
expect_json '[.endpoints.public[] | .method + " " + .path] | map(select(startswith("GET /mcp") or startswith("POST /mcp"))) | join(",")' \
	"GET /mcp/tools,POST /mcp/invoke,POST /mcp" "the index lists the MCP endpoints as public"
expect_json '[.endpoints.protected[] | select(.path == "/api/admin/users")][0].requires' "permission admin:all" \
	"the index still lists the other groups"

# --- GET /mcp/tools -------------------------------------------------------------
req GET /mcp/tools
expect_status 200 "GET /mcp/tools is public"
cp "$TMP_ROOT/body" "$TMP_ROOT/tools-ex.json"
expect_header Content-Type '^application/json' "tools list is JSON"
expect_json '.tools | length' 25 "one tool per API route (not /mcp, not /.well-known, not the pages)"
expect_json '[.tools[].name] | join(",")' \
	"GET_/,POST_/auth/login,POST_/auth/login/mfa,GET_/auth/mfa,POST_/auth/mfa/enroll,POST_/auth/mfa/confirm,POST_/auth/mfa/disable,POST_/auth/refresh,POST_/auth/logout,POST_/auth/signup,POST_/auth/verify/resend,POST_/auth/password/reset,POST_/auth/password/reset/confirm,POST_/auth/password,GET_/api/profile,PUT_/api/profile,GET_/api/email,GET_/api/sessions,DELETE_/api/sessions/:id,GET_/api/users,POST_/api/users,GET_/api/admin/users,POST_/api/admin/permissions,GET_/api/auth0/user/:id,GET_/api/user/:id" \
	"Express-MCP names in table order"
expect_json '[.tools[] | select(.title != (.route.method + " " + .route.path))] | length' 0 "title is 'METHOD /path'"
expect_json '[.tools[] | select(.name != (.route.method + "_" + .route.path))] | length' 0 "name is METHOD_/path"
expect_json '[.tools[] | select(.inputSchema.type != "object" or .outputSchema.type != "object")] | length' 0 \
	"every inputSchema and outputSchema is an object schema"
expect_json '.tools[] | select(.name == "GET_/api/auth0/user/:id") | .inputSchema.required + [.inputSchema.properties.id.type] | join(",")' \
	"id,string" "path parameter :id is a required string"
expect_json '.tools[] | select(.name == "POST_/api/users") | .inputSchema.required | join(",")' "name,email" \
	"body fields of POST /api/users from the route's schema"
expect_json '.tools[] | select(.name == "GET_/api/profile") | .description | test("permission .read:profile.")' true \
	"description names the permission"
expect_json '.tools[] | select(.name == "GET_/api/email") | .description | test("scope .email.")' true \
	"description names the scope"
expect_json '.tools[] | select(.name == "GET_/api/profile") | .mcpName + " " + .requires' \
	"get_api_profile permission read:profile" "mcpName and requires"
expect_json '[.tools[] | select(.route.method == "GET") | .annotations.readOnlyHint] | all' true "GET tools are readOnlyHint"
expect_json '.tools[] | select(.name == "PUT_/api/profile") | [.annotations.readOnlyHint, .annotations.idempotentHint] | map(tostring) | join(",")' \
	"false,true" "PUT is idempotentHint, not read-only"
# Each tool's hints as readOnly, destructive, idempotent, openWorld (1 true, 0 false).
HINTS='[.annotations | .readOnlyHint, .destructiveHint, .idempotentHint, .openWorldHint | if . == true then "1" elif . == false then "0" else "?" end] | join("")'
expect_json "[.tools[] | select(.route.method == \"POST\") | .name + \":\" + ($HINTS)] | join(\",\")" \
	"POST_/auth/login:0000,POST_/auth/login/mfa:0000,POST_/auth/mfa/enroll:0100,POST_/auth/mfa/confirm:0000,POST_/auth/mfa/disable:0100,POST_/auth/refresh:0100,POST_/auth/logout:0110,POST_/auth/signup:0000,POST_/auth/verify/resend:0100,POST_/auth/password/reset:0100,POST_/auth/password/reset/confirm:0100,POST_/auth/password:0100,POST_/api/users:0000,POST_/api/admin/permissions:0110" \
	"/mcp/tools: the hints of each POST tool"

# --- POST /mcp/invoke ---------------------------------------------------------------
invoke GET_/ '{}'
expect_status 200 "invoke a public tool without a token"
expect_json '(.ok | tostring) + " " + (.status | tostring) + " " + .result.message' "true 200 Auth0 Integration Example" \
	"invoke body: ok, status, the route's body as result"
invoke GET_/api/profile '{}'
expect_status 401 "invoke a protected tool without a token: the route's 401"
expect_json '(.ok | tostring) + " " + (.status | tostring) + " " + .result.error' "false 401 No token provided" \
	"invoke 401 body"
expect_header WWW-Authenticate "resource_metadata=\"$BASE/.well-known/oauth-protected-resource/mcp\"" \
	"invoke 401 carries the route's WWW-Authenticate"
invoke GET_/api/profile '{}' -H "$(au invalid)"
expect_status 401 "invoke with a bad token"
expect_header WWW-Authenticate 'error="invalid_token"' "invoke with a bad token: invalid_token"
for who in USER ADMIN VIEWER; do
	tok=${!who}
	req GET /api/profile -H "$(au "$tok")"
	cp "$TMP_ROOT/body" "$TMP_ROOT/direct"
	invoke GET_/api/profile '{}' -H "$(au "$tok")"
	expect_status 200 "$who: invoke GET_/api/profile"
	jq .result "$TMP_ROOT/body" >"$TMP_ROOT/via"
	same_json "$TMP_ROOT/via" "$TMP_ROOT/direct" "$who: invoke result equals GET /api/profile"
done
for form in 'GET /api/profile' get_api_profile; do
	invoke "$form" '{}' -H "$(au "$USER")"
	expect_status 200 "invoke accepts the name form '$form'"
	expect_json .result.profile.id 'auth0|user123' "'$form' runs GET /api/profile"
done
invoke GET_/api/admin/users '{}' -H "$(au "$USER")"
expect_status 403 "user invokes an admin tool: the route's 403"
expect_json '.result.error + "|" + .result.message' "Insufficient permissions|Permission 'admin:all' required" "invoke 403 body"
expect_header WWW-Authenticate 'error="insufficient_scope", scope="admin:all"' "invoke 403 challenge"
invoke 'GET_/api/auth0/user/:id' '{"id":"auth0|user123"}' -H "$(au "$VIEWER")"
expect_status 200 "viewer invokes GET_/api/auth0/user/:id with an id holding '|'"
expect_json .result.user_id 'auth0|user123' "path parameter filled and URL-encoded"
invoke 'GET_/api/auth0/user/:id' '{}' -H "$(au "$VIEWER")"
expect_status 400 "missing path parameter"
expect_json '.result.error + "|" + .result.message' "Invalid request|Field 'id' is required" \
	"missing path parameter: a clear error, not a call with ':id'"
invoke 'GET_/api/auth0/user/:id' '{"id":123}' -H "$(au "$VIEWER")"
expect_status 400 "path parameter of the wrong type"
expect_json .result.message "Field 'id' must be a string" "wrong type message"
invoke PUT_/api/profile '{"name":"Via Invoke"}' -H "$(au "$USER")"
expect_status 200 "invoke PUT_/api/profile with a JSON body"
req GET /api/profile -H "$(au "$USER")"
expect_json .profile.name "Via Invoke" "the write through invoke is visible over HTTP"
invoke PUT_/api/profile '{"name":"John Doe"}' -H "$(au "$USER")"
invoke PUT_/api/profile '{"name":"x"}' -H "$(au "$VIEWER")"
expect_status 403 "viewer cannot write through invoke either"
invoke PUT_/api/profile '{"nickname":"x"}' -H "$(au "$USER")"
expect_status 400 "unknown argument"
expect_json .result.message "Unknown field 'nickname'" "unknown argument message"
jq -c .result "$TMP_ROOT/body" >"$TMP_ROOT/via"
req PUT /api/profile -H "$(au "$USER")" -H 'Content-Type: application/json' -d '{"nickname":"x"}'
expect_status 400 "the same unknown field over HTTP"
same_json "$TMP_ROOT/via" "$TMP_ROOT/body" "an unknown field: the same answer over HTTP and through invoke"
invoke POST_/auth/login '{"email":"viewer@example.com","password":"readonly"}'
expect_status 200 "invoke the login tool"
expect_header Cache-Control 'no-store' "the route's Cache-Control is kept"
T=$(jbody .result.access_token)
req GET /api/profile -H "$(au "$T")"
expect_json .profile.id 'auth0|readonly789' "a token from the login tool works over HTTP"
invoke POST_/auth/login '{"email":"viewer@example.com","password":"wrong"}'
expect_status 401 "login tool with a wrong password"
expect_header WWW-Authenticate 'resource_metadata="' "the login's 401 names the resource metadata too"
invoke GET_/api/nope '{}'
expect_status 404 "unknown tool"
expect_json '.error + "|" + .toolName' "Tool not found|GET_/api/nope" "unknown tool body"
req POST /mcp/invoke -H 'Content-Type: application/json' -d '{"toolName":'
expect_status 400 "invoke with malformed JSON"
expect_json .error "Invalid JSON" "malformed JSON body"
req POST /mcp/invoke -H 'Content-Type: application/json' -d '{"args":{}}'
expect_status 400 "invoke without toolName"
expect_json .message "Field 'toolName' is required" "missing toolName message"
req POST /mcp/invoke -H 'Content-Type: application/json' -d '{"toolName":"GET_/","args":[1]}'
expect_status 400 "args not an object"
req POST "/mcp/invoke?access_token=$USER" -H 'Content-Type: application/json' -d '{"toolName":"GET_/api/profile"}'
expect_status 401 "invoke: a token in the query string is not accepted"
invoke GET_/ '{}' -H 'Origin: https://evil.example.com'
expect_status 403 "invoke from a browser Origin not on the list"

# --- /mcp: initialize, ping, notifications -------------------------------------------
for v in 2025-11-25 2025-06-18 2025-03-26; do
	rpc "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"$v\",\"capabilities\":{},\"clientInfo\":{\"name\":\"curl\",\"version\":\"1\"}}}"
	expect_status 200 "initialize $v"
	expect_json .result.protocolVersion "$v" "initialize echoes $v"
done
expect_header Content-Type '^application/json' "initialize answers application/json"
expect_json '.jsonrpc + " " + (.id | tostring) + " " + (.result.capabilities.tools | type) + " " + .result.serverInfo.name' \
	"2.0 1 object mcpauth" "initialize: capabilities.tools and serverInfo"
expect_json '.result.serverInfo.version | length > 0' true "serverInfo.version"
expect_eq "$(header Mcp-Session-Id)" "" "no session id is issued"
rpc '{"jsonrpc":"2.0","id":"a","method":"initialize","params":{"protocolVersion":"1999-01-01","capabilities":{},"clientInfo":{"name":"old","version":"1"}}}'
expect_json '.id + " " + .result.protocolVersion' "a 2025-11-25" "an unsupported version gets 2025-11-25"
rpc '{"jsonrpc":"2.0","id":2,"method":"initialize","params":{}}'
expect_json .error.code -32602 "initialize without protocolVersion: -32602"
rpc '{"jsonrpc":"2.0","method":"notifications/initialized"}'
expect_status 202 "a notification gets 202"
expect_eq "$(wc -c <"$TMP_ROOT/body")" 0 "202 has no body"
expect_eq "$(header Content-Type)" "" "202 has no Content-Type"
rpc '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}'
expect_status 202 "any notification gets 202"
rpc '{"jsonrpc":"2.0","id":99,"result":{}}'
expect_status 202 "a client's response gets 202"
rpc '{"jsonrpc":"2.0","id":99,"error":{"code":-1,"message":"no"}}'
expect_status 202 "a client's error response gets 202"
rpc '{"jsonrpc":"2.0","id":3,"method":"ping"}' -H 'MCP-Protocol-Version: 2025-11-25'
expect_status 200 "ping"
expect_json '(.id | tostring) + " " + (.result | tojson)' "3 {}" "ping answers an empty result"

# --- /mcp: tools/list -----------------------------------------------------------------------
rpc '{"jsonrpc":"2.0","id":4,"method":"tools/list"}' -H 'MCP-Protocol-Version: 2025-06-18'
expect_status 200 "tools/list without a token"
cp "$TMP_ROOT/body" "$TMP_ROOT/tools-mcp.json"
expect_json '.result.tools | length' 13 "tools/list lists every tool but those taking credentials"
expect_json "[.result.tools[].name | test(\"$NAME_RE\")] | all" true "every name follows the MCP naming rule"
expect_json '[.result.tools[].name] | length == (unique | length)' true "names are unique"
expect_json '[.result.tools[].name] | join(",")' \
	"get_root,get_auth_mfa,get_api_profile,put_api_profile,get_api_email,get_api_sessions,delete_api_sessions_id,get_api_users,post_api_users,get_api_admin_users,post_api_admin_permissions,get_api_auth0_user_id,get_api_user_id" \
	"the MCP names"
expect_json '[.result.tools[] | select(.inputSchema.type != "object")] | length' 0 'every inputSchema.type is "object"'
expect_json '.result.tools[] | select(.name == "get_api_user_id") | .title + "|" + (.inputSchema.required | join(","))' \
	"GET /api/user/:id|id" "title and required path parameter"
expect_json '.result.tools[] | select(.name == "put_api_profile") | .annotations.idempotentHint' true "put_api_profile idempotentHint"
expect_json '.result.tools[] | select(.name == "get_api_users") | .annotations.readOnlyHint' true "get_api_users readOnlyHint"
expect_json "[.result.tools[] | .name + \":\" + ($HINTS)] | join(\",\")" \
	"get_root:1010,get_auth_mfa:1010,get_api_profile:1010,put_api_profile:0110,get_api_email:1010,get_api_sessions:1010,delete_api_sessions_id:0110,get_api_users:1010,post_api_users:0000,get_api_admin_users:1010,post_api_admin_permissions:0110,get_api_auth0_user_id:1010,get_api_user_id:1010" \
	"every tool's readOnly, destructive, idempotent and openWorld hints"
expect_json '[.result.tools[] | select(.annotations.title != .title or (.title | test("^(GET|PUT|POST|DELETE) /") | not))] | length' 0 \
	"every tool's annotations.title is its title, METHOD /path"
expect_json '[.result.tools[] | select(.description | test("Requires|Public") | not)] | length' 0 \
	"every description says what it requires"
expect_json '.result.tools[] | select(.name == "get_api_profile") | (.outputSchema.required | join(",")) + "|" +
	(.outputSchema.properties.profile.required | join(",")) + "|" + (.outputSchema.properties.scope.type | join(","))' \
	"profile,permissions,scope|id,email,name|string,null" "get_api_profile's outputSchema comes from its answer table"
expect_json '.result.tools[] | select(.name == "put_api_profile") | .inputSchema.properties.name.maxLength' 256 \
	"put_api_profile's inputSchema carries the field's limit"
expect_json '.result.tools[] | select(.name == "get_api_admin_users") | .outputSchema.properties.users.items.required | join(",")' \
	"id,email,name,permissions" "an array of objects in an outputSchema"

# --- /mcp: tools/call ---------------------------------------------------------------------
call get_root '{}'
expect_status 200 "a public tool without a token"
expect_json '(.id | tostring) + " " + (.result.isError | tostring) + " " + .result.structuredContent.message' \
	"7 false Auth0 Integration Example" "public tool result"
expect_json '.result.content[0].type' text "content is text"
expect_json '.result.content[0].text | fromjson | .message' "Auth0 Integration Example" "text is the body's JSON"
for who in USER ADMIN VIEWER; do
	tok=${!who}
	req GET /api/profile -H "$(au "$tok")"
	cp "$TMP_ROOT/body" "$TMP_ROOT/direct"
	call get_api_profile '{}' -H "$(au "$tok")"
	expect_status 200 "$who: tools/call get_api_profile"
	expect_json .result.isError false "$who: not an error"
	jq .result.structuredContent "$TMP_ROOT/body" >"$TMP_ROOT/via"
	same_json "$TMP_ROOT/via" "$TMP_ROOT/direct" "$who: structuredContent equals GET /api/profile"
	jq '.result.content[0].text | fromjson' "$TMP_ROOT/body" >"$TMP_ROOT/via"
	same_json "$TMP_ROOT/via" "$TMP_ROOT/direct" "$who: text equals GET /api/profile"
done
call get_api_profile '{}'
expect_status 401 "tools/call of a protected tool without a token: HTTP 401"
expect_header WWW-Authenticate "^Bearer .*resource_metadata=\"$BASE/.well-known/oauth-protected-resource/mcp\"" \
	"401 challenge names the absolute resource metadata URL"
if header WWW-Authenticate | grep -q 'error='; then not_ok "no error= without a token"; else ok "no error= without a token"; fi
expect_json '(.id | tostring) + " " + (.error.code | tostring) + " " + .error.data.error' "7 -32001 No token provided" \
	"401 body: a JSON-RPC error for the request, the route's body as data"
call get_api_profile '{}' -H "$(au invalid.token.here)"
expect_status 401 "tools/call with a bad token: HTTP 401"
expect_header WWW-Authenticate 'error="invalid_token".*resource_metadata="http' "bad token: invalid_token and resource_metadata"
last=${USER: -1}
[ "$last" = A ] && flip=B || flip=A
call get_api_profile '{}' -H "$(au "${USER%?}$flip")"
expect_status 401 "tools/call with a tampered signature: HTTP 401"
rpc '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"get_api_profile"}}' -H "$(au "$USER")"
expect_json .result.structuredContent.profile.id 'auth0|user123' "tools/call without arguments"
call get_api_admin_users '{}' -H "$(au "$USER")"
expect_status 200 "a valid token lacking the permission: HTTP 200"
expect_json .result.isError true "lacking the permission: isError"
expect_json '.result.content[0].text | fromjson | .error + "|" + .message' \
	"Insufficient permissions|Permission 'admin:all' required" "isError text is the route's 403 body"
expect_json '.result | has("structuredContent")' false "no structuredContent on an error"
call put_api_profile '{"name":"V"}' -H "$(au "$VIEWER")"
expect_json '(.result.isError | tostring) + " " + (.result.content[0].text | fromjson | .message)' \
	"true Permission 'write:profile' required" "viewer cannot write through tools/call"
call get_api_admin_users '{}' -H "$(au "$ADMIN")"
expect_json '(.result.isError | tostring) + " " + (.result.structuredContent.total | tostring)' "false 3" "admin lists admin users"
call get_api_user_id '{"id":"auth0|nobody"}' -H "$(au "$ADMIN")"
expect_json '(.result.isError | tostring) + " " + (.result.content[0].text | fromjson | .error)' "true User not found" \
	"a route's 404 is isError"
call get_api_auth0_user_id '{"id":"auth0|admin456"}' -H "$(au "$VIEWER")"
expect_json .result.structuredContent.email admin@example.com "path parameter through tools/call"
call get_api_user_id '{}' -H "$(au "$ADMIN")"
expect_status 200 "a missing path parameter is a tool error, not a protocol error"
expect_json '(.result.isError | tostring) + " " + .result.content[0].text' \
	"true {\"error\":\"Invalid request\",\"message\":\"Field 'id' is required\"}" "missing path parameter text"
call post_api_users '{"name":"N","email":"n@example.com","permissions":"admin:all"}' -H "$(au "$ADMIN")"
expect_json '(.result.isError | tostring) + " " + .result.content[0].text' \
	"true {\"error\":\"Invalid request\",\"message\":\"Field 'permissions' must be an array of strings\"}" \
	"wrong argument type text"
jq -r '.result.content[0].text' "$TMP_ROOT/body" >"$TMP_ROOT/via"
req POST /api/users -H "$(au "$ADMIN")" -H 'Content-Type: application/json' \
	-d '{"name":"N","email":"n@example.com","permissions":"admin:all"}'
expect_status 400 "the same ill-typed field over HTTP"
same_json "$TMP_ROOT/via" "$TMP_ROOT/body" "an ill-typed field: the same answer over HTTP and through tools/call"
# Credentials never pass through a model: the login, refresh and logout
# routes are no tools of /mcp (they stay on /mcp/invoke, below).
for t in post_auth_login post_auth_refresh post_auth_logout; do
	call $t '{"email":"user@example.com","password":"password"}'
	expect_json '(.error.code | tostring) + " " + .error.message' "-32602 Unknown tool: $t" "$t is not callable on /mcp"
	if grep -q access_token "$TMP_ROOT/body"; then not_ok "$t: no token answered"; else ok "$t: no token answered"; fi
done
call nope_tool '{}'
expect_json '(.id | tostring) + " " + (.error.code | tostring)' "7 -32602" "unknown tool: -32602"
call GET_/api/profile '{}' -H "$(au "$USER")"
expect_json .error.code -32602 "tools/call takes the MCP name only"
rpc '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{}}'
expect_json .error.code -32602 "tools/call without a name: -32602"
rpc '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"get_root","arguments":[1]}}'
expect_json .error.code -32602 "arguments not an object: -32602"
rpc '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":"get_root"}'
expect_json .error.code -32602 "params not an object: -32602"
req POST "/mcp?access_token=$USER" -H 'Content-Type: application/json' \
	-d '{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"get_api_profile"}}'
expect_status 401 "/mcp: a token in the query string is not accepted"

# --- tool lists per caller: with a token, the tools it can call -------------------------------
# user: read:profile write:profile; viewer: read:profile read:users; admin:
# every permission; each with the scope "openid profile email".
MCP_USER=get_root,get_auth_mfa,get_api_profile,put_api_profile,get_api_email,get_api_sessions,delete_api_sessions_id
MCP_VIEWER=get_root,get_auth_mfa,get_api_profile,get_api_email,get_api_sessions,get_api_users,get_api_auth0_user_id,get_api_user_id
MCP_ADMIN=get_root,get_auth_mfa,get_api_profile,put_api_profile,get_api_email,get_api_sessions,delete_api_sessions_id,get_api_users,post_api_users,get_api_admin_users,post_api_admin_permissions,get_api_auth0_user_id,get_api_user_id
# /mcp/tools also lists the auth group's tools that take credentials (public,
# or any token's; POST /auth/mfa/disable needs a token with amr otp).
EX_AUTH=GET_/,POST_/auth/login,POST_/auth/login/mfa,GET_/auth/mfa,POST_/auth/mfa/enroll,POST_/auth/mfa/confirm,POST_/auth/refresh,POST_/auth/logout,POST_/auth/signup,POST_/auth/verify/resend,POST_/auth/password/reset,POST_/auth/password/reset/confirm,POST_/auth/password
for who in USER VIEWER ADMIN; do
	tok=${!who}
	want=MCP_$who
	rpc '{"jsonrpc":"2.0","id":4,"method":"tools/list"}' -H "$(au "$tok")"
	expect_status 200 "$who: tools/list"
	expect_json '[.result.tools[].name] | join(",")' "${!want}" "$who: tools/list shows the tools the token can call"
	# The same rule over /mcp/tools, with the Express-MCP names (and the
	# credential routes, public, which /mcp leaves out).
	ex=$EX_AUTH
	for t in $(echo "${!want}" | tr , ' '); do
		[ "$t" = get_root ] || [ "$t" = get_auth_mfa ] || ex="$ex,$(jq -r --arg t "$t" '.result.tools[] | select(.name == $t) | .title | sub(" "; "_")' "$TMP_ROOT/body")"
	done
	req GET /mcp/tools -H "$(au "$tok")"
	expect_status 200 "$who: GET /mcp/tools"
	expect_json '[.tools[].name] | join(",")' "$ex" "$who: /mcp/tools shows the tools the token can call"
done
# A listed tool is one the token can call, and one left out answers the
# route's 403: the list and the guard agree, tool by tool, for each role.
# new_session EMAIL PASSWORD: a new refresh-token login of the user; the id
# GET /api/sessions gives it (for delete_api_sessions_id).
new_session() {
	local t before
	t=$(login "$1" "$2")
	before=$(curl -s -H "$(au "$t")" "$BASE/api/sessions" | jq -c '[.sessions[].id]')
	curl -s -H 'Content-Type: application/json' -d "{\"email\":\"$1\",\"password\":\"$2\",\"scope\":\"openid offline_access\"}" \
		"$BASE/auth/login" >/dev/null
	curl -s -H "$(au "$t")" "$BASE/api/sessions" | jq -r --argjson b "$before" '[.sessions[].id | select(. as $i | $b | index($i) | not)][0]'
}
tool_args() {
	case $1 in
	delete_api_sessions_id)
		case $2 in
		USER) jq -nc --arg id "$(new_session user@example.com password)" '{id:$id}' ;;
		VIEWER) echo '{"id":"rt_none"}' ;; # refused before the id is looked at
		*) jq -nc --arg id "$(new_session admin@example.com admin)" '{id:$id}' ;;
		esac ;;
	put_api_profile) echo '{"name":"John Doe"}' ;; # the user's own name: nothing changes
	post_api_users) jq -nc --arg e "list-$2@example.com" '{name:"Listed",email:$e}' ;;
	post_api_admin_permissions) echo '{"userId":"auth0|user123","permissions":["read:profile","write:profile"]}' ;;
	get_api_auth0_user_id | get_api_user_id) echo '{"id":"auth0|user123"}' ;;
	*) echo '{}' ;;
	esac
}
for who in USER VIEWER ADMIN; do
	tok=${!who}
	want=MCP_$who
	for t in $(echo "$MCP_ADMIN" | tr , ' '); do
		call "$t" "$(tool_args "$t" "$who")" -H "$(au "$tok")"
		if [[ ",${!want}," == *",$t,"* ]]; then
			# Callable: the guard lets it through (the route may still refuse
			# the arguments, which these are not).
			expect_json '(.error.code // 0 | tostring) + " " + (if .result.isError then .result.content[0].text | fromjson | .error else "ok" end)' \
				"0 ok" "$who: $t is listed and callable"
		else
			expect_json '(.result.isError | tostring) + " " + (.result.content[0].text | fromjson | .error)' \
				"true Insufficient permissions" "$who: $t is not listed and answers 403"
		fi
	done
done
# A scope decides too: without "email" in the token's scope, no get_api_email.
T=$(curl -s -H 'Content-Type: application/json' -d '{"email":"user@example.com","password":"password","scope":"openid"}' \
	"$BASE/auth/login" | jq -r .access_token)
rpc '{"jsonrpc":"2.0","id":4,"method":"tools/list"}' -H "$(au "$T")"
expect_json '[.result.tools[].name] | join(",")' "get_root,get_auth_mfa,get_api_profile,put_api_profile,get_api_sessions,delete_api_sessions_id" \
	"a token whose scope lacks 'email' does not see get_api_email"
call get_api_email '{}' -H "$(au "$T")"
expect_json '.result.content[0].text | fromjson | .error' "Insufficient scope" "and get_api_email answers it 403"
# A token that fails: 401 whatever the method, as before (a client learns at once).
rpc '{"jsonrpc":"2.0","id":4,"method":"tools/list"}' -H "$(au invalid.token.here)"
expect_status 401 "tools/list with a bad token: 401"
expect_json '(.id | tostring) + " " + (.error.code | tostring)' "4 -32001" "tools/list with a bad token: -32001"
expect_header WWW-Authenticate 'error="invalid_token"' "tools/list with a bad token: invalid_token"
req GET /mcp/tools -H "$(au invalid.token.here)"
expect_status 401 "GET /mcp/tools with a bad token: 401"
expect_header WWW-Authenticate 'error="invalid_token"' "GET /mcp/tools with a bad token: invalid_token"

# --- /mcp: JSON-RPC errors ----------------------------------------------------------------
rpc '{"jsonrpc":"2.0","id":11,"method":"resources/list"}'
expect_status 200 "unknown method: HTTP 200"
expect_json '(.id | tostring) + " " + (.error.code | tostring)' "11 -32601" "unknown method: -32601"
rpc '{"jsonrpc":"2.0","id":12,"method":'
expect_status 400 "malformed JSON: 400"
expect_json '(has("id") | tostring) + " " + (.error.code | tostring)' "false -32700" "malformed JSON: -32700, no id (not null)"
rpc ''
expect_status 400 "empty body: 400"
expect_json .error.code -32700 "empty body: -32700"
rpc '[{"jsonrpc":"2.0","id":1,"method":"ping"}]' -H 'MCP-Protocol-Version: 2025-06-18'
expect_status 400 "a batch under 2025-06-18: 400"
expect_json '(has("id") | tostring) + " " + (.error.code | tostring) + " " + .error.message' \
	"false -32600 Batch requests are not part of MCP 2025-06-18 (only of 2025-03-26)" "a batch under 2025-06-18: -32600, no id"
rpc '[{"jsonrpc":"2.0","id":1,"method":"ping"}]' -H 'MCP-Protocol-Version: 2026-07-28'
expect_status 400 "a batch under 2026-07-28: 400"
rpc '{"jsonrpc":"1.0","id":13,"method":"ping"}'
expect_status 400 "not JSON-RPC 2.0: 400"
expect_json '(.id | tostring) + " " + (.error.code | tostring)' "13 -32600" "not JSON-RPC 2.0: -32600 with the request's id"
rpc '{"id":13,"method":"ping"}'
expect_json .error.code -32600 "no jsonrpc member: -32600"
rpc '{"jsonrpc":"2.0","id":null,"method":"ping"}'
expect_status 400 "id null: 400"
expect_json '(has("id") | tostring) + " " + (.error.code | tostring) + " " + .error.message' \
	"false -32600 Invalid id: an id is a string or a number, not null" "id null: -32600, no id, says so"
rpc '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}'
expect_json '(has("id") | tostring) + " " + (.error.code | tostring) + " " + .error.message' \
	"false -32600 Invalid id: an id is a string or a number, not an object" "id an object: the message names the type"
rpc '{"jsonrpc":"2.0","id":true,"method":"tools/list"}'
expect_json .error.message "Invalid id: an id is a string or a number, not a boolean" "id a boolean: the message names the type"
rpc '{"jsonrpc":"2.0","id":[1],"method":"tools/list"}'
expect_json .error.message "Invalid id: an id is a string or a number, not an array" "id an array: the message names the type"
rpc '{"jsonrpc":"2.0","id":14,"method":5}'
expect_json '(.id | tostring) + " " + (.error.code | tostring)' "14 -32600" "method not a string: -32600 with the request's id"
rpc '"ping"'
expect_json '(has("id") | tostring) + " " + (.error.code | tostring)' "false -32600" "a JSON string is not a message: -32600, no id"
rpc '{"jsonrpc":"2.0","id":15}'
expect_json '(.id | tostring) + " " + (.error.code | tostring)' "15 -32600" "neither request nor response: -32600 with its id"
rpc '{"jsonrpc":"2.0","id":"c1","method":"tools/list","params":{"cursor":"x"}}'
expect_json '.id + " " + (.error.code | tostring)' "c1 -32602" "tools/list with a cursor never given: -32602"
rpc '{"jsonrpc":"2.0","id":"c2","method":"tools/list","params":{"cursor":""}}'
expect_json .error.code -32602 "an empty cursor is a cursor too: -32602"
rpc '{"jsonrpc":"2.0","id":"c3","method":"tools/list","params":{"cursor":7}}'
expect_json .error.code -32602 "a cursor that is no string: -32602"
rpc '{"jsonrpc":"2.0","id":16,"method":"tools/list"}' -H 'MCP-Protocol-Version: 1999-01-01'
expect_json '(.id | tostring) + " " + (.error.code | tostring)' "16 -32022" "unsupported version: the request's id is echoed"
rpc '{"jsonrpc":"2.0","id":17,"method":"tools/list"}' -H "$(au invalid)"
expect_json '(.id | tostring) + " " + (.error.code | tostring)' "17 -32001" "a bad token on any method: the request's id is echoed"
rpc '{"jsonrpc":"2.0","id":18,"method":"tools/list"}' -H 'Mcp-Method: tools/call' -H 'MCP-Protocol-Version: 2025-11-25'
expect_status 400 "2025-11-25: an Mcp-Method header that does not match the body: 400"
expect_json '(.id | tostring) + " " + (.error.code | tostring)' "18 -32020" "2025-11-25: Mcp-Method mismatch: -32020"
call get_root '{}' -H 'Mcp-Name: get_api_profile'
expect_status 400 "2025-03-26: an Mcp-Name header that does not match params.name: 400"

# --- /mcp: transport headers ---------------------------------------------------------------
PING='{"jsonrpc":"2.0","id":20,"method":"ping"}'
rpc "$PING" -H 'MCP-Protocol-Version: 2025-03-26'
expect_status 200 "MCP-Protocol-Version 2025-03-26"
rpc "$PING" -H 'MCP-Protocol-Version: 2024-11-05'
expect_status 400 "unsupported MCP-Protocol-Version: 400"
expect_json '(.error.code | tostring) + " " + (.error.data.supported | join(",")) + " " + .error.data.requested' \
	"-32022 2026-07-28,2025-11-25,2025-06-18,2025-03-26 2024-11-05" "unsupported version: -32022 with the supported list"
rpc "$PING" -H 'Origin: https://evil.example.com'
expect_status 403 "an Origin not on the list (default: none): 403"
expect_json '(.error.code | . < 0 | tostring) + " " + (.id | tostring)' "true 20" "403 body is a JSON-RPC error with the request's id"
rpc '{"jsonrpc":"2.0","id":{},"method":"ping"}' -H 'Origin: https://evil.example.com'
expect_json '(.error.code | tostring) + " " + (has("id") | tostring)' "-32000 false" "403 for a request whose id cannot be read: no id"
CT=application/json
ACC='application/json, text/event-stream'
rpc_with text/plain "$ACC" "$PING"
expect_status 415 "Content-Type text/plain: 415"
expect_json '(.error.code | tostring) + " " + (.id | tostring)' "-32000 20" "415 body is a JSON-RPC error with the request's id"
rpc_with "" "$ACC" "$PING"
expect_status 415 "no Content-Type: 415"
rpc_with application/x-www-form-urlencoded "$ACC" "$PING"
expect_status 415 "a form: 415"
rpc_with 'Application/JSON; charset=utf-8' "$ACC" "$PING"
expect_status 200 "Content-Type with a charset, any case"
rpc_with "$CT" "" "$PING"
expect_status 200 "no Accept"
rpc_with "$CT" '*/*' "$PING"
expect_status 200 "Accept */*"
rpc_with "$CT" application/json "$PING"
expect_status 200 "Accept application/json"
rpc_with "$CT" 'text/event-stream, application/json;q=0.5' "$PING"
expect_status 200 "Accept listing application/json with a q"
rpc_with "$CT" 'text/html, application/*' "$PING"
expect_status 200 "Accept application/*"
rpc_with "$CT" text/html "$PING"
expect_status 406 "Accept text/html: 406"
expect_json .error.code -32000 "406 body is a JSON-RPC error"
rpc_with "$CT" text/event-stream "$PING"
expect_status 406 "Accept text/event-stream only: 406 (no SSE here)"
rpc_with "$CT" 'application/json; q=0' "$PING"
expect_status 406 "Accept application/json;q=0: 406"

# --- /mcp: batches (2025-03-26, the default without MCP-Protocol-Version) -----------------
for hv in '' 'MCP-Protocol-Version: 2025-03-26'; do
	rpc '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":"b","method":"tools/list"}]' ${hv:+-H "$hv"}
	expect_status 200 "a 2025-03-26 batch (${hv:-no header}): 200"
	expect_json '[.[].id | tostring] | join(",")' "1,b" "a batch: one answer per request, in order, none for the notification (${hv:-no header})"
	expect_json '.[1].result.tools | length' 13 "a batch: tools/list answered inside it"
done
rpc '[{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"b","version":"1"}}},{"jsonrpc":"2.0","id":2,"method":"nope"},3]'
expect_json '[.[0].error.code, .[1].error.code, .[2].error.code, (.[2] | has("id"))] | map(tostring) | join(",")' \
	"-32600,-32601,-32600,false" "a batch: initialize refused in it, an unknown method, a non-object without id"
rpc '[{"jsonrpc":"2.0","method":"notifications/initialized"}]'
expect_status 202 "a batch of notifications only: 202"
expect_eq "$(wc -c <"$TMP_ROOT/body")" 0 "a batch of notifications: no body"
rpc '[]'
expect_status 400 "an empty batch: 400"
expect_json '(has("id") | tostring) + " " + (.error.code | tostring)' "false -32600" "an empty batch: -32600, no id"
rpc '[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_root"}},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_api_profile"}}]'
expect_status 401 "a batch calling a protected tool without a token: 401"
expect_header WWW-Authenticate 'resource_metadata="' "a batch's 401 carries the challenge"
expect_json '[.[0].result.isError, .[1].error.code] | map(tostring) | join(",")' "false,-32001" "a batch's 401: each answer still in the array"
rpc '[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_api_profile"}}]' -H "$(au "$USER")"
expect_json '.[0].result.structuredContent.profile.id' 'auth0|user123' "a batch with a token"
rpc '[{"jsonrpc":"2.0","id":1,"method":"ping"}]' -H "$(au invalid)"
expect_status 401 "a batch with a bad token: 401"

# --- /mcp: the 2026-07-28 revision, stateless beside the handshake ones ----------------------
V7=2026-07-28
META7='{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"curl","version":"1"}}'
# modern METHOD PARAMS_JSON [curl args]: a 2026-07-28 request (id 70) with its
# headers (MCP-Protocol-Version, Mcp-Method, Mcp-Name) and _meta; MM and MN,
# when set, replace the Mcp-Method and Mcp-Name values ("" leaves one out).
modern() {
	local m=$1 p=$2 body name hdr=()
	shift 2
	body=$(jq -nc --arg m "$m" --argjson p "$p" --argjson meta "$META7" '{jsonrpc:"2.0",id:70,method:$m,params:({_meta:$meta} + $p)}')
	name=$(jq -r '.params.name // .params.uri // empty' <<<"$body")
	m=${MM-$m}
	name=${MN-$name}
	[ -z "$m" ] || hdr+=(-H "Mcp-Method: $m")
	[ -z "$name" ] || hdr+=(-H "Mcp-Name: $name")
	rpc "$body" -H "MCP-Protocol-Version: $V7" "${hdr[@]}" "$@"
}
modern server/discover '{}'
expect_status 200 "server/discover"
expect_json '(.id | tostring) + " " + .result.resultType + " " + (.result.supportedVersions | join(","))' \
	"70 complete 2026-07-28,2025-11-25,2025-06-18,2025-03-26" "server/discover: resultType and every version served"
expect_json '(.result.capabilities.tools | type) + " " + .result._meta["io.modelcontextprotocol/serverInfo"].name' \
	"object mcpauth" "server/discover: capabilities and serverInfo in _meta"
expect_json '(.result.ttlMs | type) + " " + (.result.ttlMs >= 0 | tostring) + " " + .result.cacheScope' "number true public" \
	"server/discover: caching hints"
rpc '{"jsonrpc":"2.0","id":71,"method":"server/discover"}'
expect_json '(.id | tostring) + " " + (.result.supportedVersions | index("2026-07-28") | tostring)' "71 0" \
	"server/discover answers a client probing without the header too"
modern tools/list '{}'
expect_status 200 "2026-07-28 tools/list: no initialize needed"
expect_json '.result.resultType + " " + (.result.tools | length | tostring)' "complete 13" "2026-07-28 tools/list: resultType, the tools"
expect_json '(.result.ttlMs | type) + " " + .result.cacheScope' "number public" "without a token the list is public"
expect_json '.result._meta["io.modelcontextprotocol/serverInfo"].name' mcpauth "every result names the server"
expect_json '[.result.tools[].name | test("^[A-Za-z0-9_.-]{1,128}$")] | all' true "tool names within 2026-07-28's rule"
modern tools/list '{}' -H "$(au "$USER")"
expect_json .result.cacheScope private "with a token the list is the caller's: private"
rpc '{"jsonrpc":"2.0","id":72,"method":"tools/list"}' -H 'MCP-Protocol-Version: 2025-11-25'
expect_json '.result | [has("resultType"), has("ttlMs"), has("cacheScope")] | map(tostring) | join(",")' "false,false,false" \
	"2025-11-25 tools/list keeps its shape"
modern tools/list '{"cursor":"abc"}'
expect_json '(.id | tostring) + " " + (.error.code | tostring)' "70 -32602" "2026-07-28: an invalid cursor is -32602"
modern tools/call '{"name":"get_api_profile","arguments":{}}' -H "$(au "$USER")"
expect_status 200 "2026-07-28 tools/call"
expect_json '.result.resultType + " " + (.result.isError | tostring) + " " + .result.structuredContent.profile.id' \
	"complete false auth0|user123" "2026-07-28 tools/call: resultType and the route's answer"
modern tools/call '{"name":"get_api_profile"}'
expect_status 401 "2026-07-28 tools/call of a protected tool without a token: 401"
expect_json '(.id | tostring) + " " + (.error.code | tostring)' "70 -32001" "2026-07-28 401: a JSON-RPC error with the id"
modern tools/call '{"name":"get_api_admin_users"}' -H "$(au "$USER")"
expect_json '.result.resultType + " " + (.result.isError | tostring)' "complete true" "2026-07-28: a route's 403 is an isError result"
modern resources/list '{}'
expect_status 404 "2026-07-28: an unknown method is 404"
expect_json '(.id | tostring) + " " + (.error.code | tostring)' "70 -32601" "2026-07-28: unknown method -32601 in the body"
modern ping '{}'
expect_status 404 "2026-07-28 has no ping"
modern initialize '{"protocolVersion":"2026-07-28","capabilities":{},"clientInfo":{"name":"c","version":"1"}}'
expect_status 404 "initialize under 2026-07-28 is a removed method: 404"
expect_json '(.id | tostring) + " " + (.error.code | tostring)' "70 -32601" "initialize under 2026-07-28: -32601"
rpc '{"jsonrpc":"2.0","id":79,"method":"initialize","params":{"protocolVersion":"2026-07-28","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}'
expect_json '(.id | tostring) + " " + .result.protocolVersion' "79 2025-11-25" "initialize asking for 2026-07-28 negotiates 2025-11-25"
rpc '{"jsonrpc":"2.0","method":"notifications/initialized"}' -H "MCP-Protocol-Version: $V7" -H 'Mcp-Method: notifications/initialized'
expect_status 202 "2026-07-28: a notification gets 202"
rpc '{"jsonrpc":"2.0","id":74,"method":"tools/list"}' -H 'MCP-Protocol-Version: 1999-01-01'
expect_status 400 "an unknown MCP-Protocol-Version: 400"
expect_json '(.id | tostring) + " " + (.error.code | tostring) + " " + .error.data.requested + " " + (.error.data.supported | join(","))' \
	"74 -32022 1999-01-01 2026-07-28,2025-11-25,2025-06-18,2025-03-26" "UnsupportedProtocolVersion: -32022, requested and supported"
# The mirrored headers (SEP-2243): required, and equal to the body.
MM=prompts/list modern tools/list '{}'
expect_status 400 "Mcp-Method that does not match the body: 400"
expect_json '(.id | tostring) + " " + (.error.code | tostring)' "70 -32020" "Mcp-Method mismatch: -32020 HeaderMismatch"
MM=TOOLS/LIST modern tools/list '{}'
expect_json .error.code -32020 "header values are case-sensitive"
MM='' modern tools/list '{}'
expect_status 400 "a 2026-07-28 request without Mcp-Method: 400"
expect_json .error.code -32020 "missing Mcp-Method: -32020"
MN=get_api_profile modern tools/call '{"name":"get_root"}'
expect_status 400 "Mcp-Name that does not match params.name: 400"
expect_json '.error.code | tostring' -32020 "Mcp-Name mismatch: -32020"
MN='' modern tools/call '{"name":"get_root"}'
expect_status 400 "a 2026-07-28 tools/call without Mcp-Name: 400"
MN="=?base64?$(printf get_root | base64)?=" modern tools/call '{"name":"get_root"}'
expect_json .result.structuredContent.message "Auth0 Integration Example" "a Base64 Mcp-Name is decoded before the comparison"
MN='=?base64?Z2V0X3Jvb3Q?=' modern tools/call '{"name":"get_root"}' # unpadded
expect_json .error.code -32020 "a Base64 Mcp-Name with bad padding: -32020"
MN='  get_root	' modern tools/call '{"name":"get_root"}'
expect_status 200 "blanks around Mcp-Name are no part of its value"
MN="=?base64?$(printf get_api_profile | base64)?=" modern tools/call '{"name":"get_root"}'
expect_json .error.code -32020 "a Base64 Mcp-Name of another tool: -32020"
rpc "$(jq -nc --argjson meta "$META7" '{jsonrpc:"2.0",id:75,method:"tools/list",params:{_meta:$meta}}')" -H 'Mcp-Method: tools/list'
expect_status 400 "_meta names 2026-07-28 but MCP-Protocol-Version is missing: 400"
expect_json '(.id | tostring) + " " + (.error.code | tostring)' "75 -32020" "the missing version header: -32020"
rpc "$(jq -nc '{jsonrpc:"2.0",id:76,method:"tools/list",params:{_meta:{"io.modelcontextprotocol/protocolVersion":"2025-11-25","io.modelcontextprotocol/clientCapabilities":{}}}}')" \
	-H "MCP-Protocol-Version: $V7" -H 'Mcp-Method: tools/list'
expect_json '(.id | tostring) + " " + (.error.code | tostring)' "76 -32020" "_meta's version and the header disagree: -32020"
rpc '{"jsonrpc":"2.0","id":77,"method":"tools/list"}' -H "MCP-Protocol-Version: $V7" -H 'Mcp-Method: tools/list'
expect_status 400 "2026-07-28 without _meta: 400"
expect_json '(.id | tostring) + " " + (.error.code | tostring)' "77 -32602" "2026-07-28 without _meta: -32602"
rpc '{"jsonrpc":"2.0","id":78,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}' \
	-H "MCP-Protocol-Version: $V7" -H 'Mcp-Method: tools/list'
expect_json .error.code -32602 "2026-07-28 without clientCapabilities: -32602"

# --- /mcp: Origin defaults (server on loopback, MCPAUTH_ALLOWED_ORIGINS unset) ----------------
rpc "$PING" -H "Origin: $BASE"
expect_status 200 "the server's own origin is allowed"
expect_header Access-Control-Allow-Origin "^$BASE\$" "own origin: echoed for the browser"
rpc "$PING" -H 'Origin: http://localhost:6274'
expect_status 200 "a loopback origin is allowed on a loopback-bound server"
rpc "$PING" -H 'Origin: http://[::1]:5173'
expect_status 200 "an IPv6 loopback origin too"
rpc "$PING" -H 'Origin: http://localhost.evil.example.com'
expect_status 403 "a name beginning with localhost is no loopback origin"
rpc "$PING" -H 'Origin: null'
expect_status 403 "Origin: null is refused"
invoke GET_/ '{}' -H "Origin: $BASE"
expect_status 200 "/mcp/invoke: own origin allowed too"
req OPTIONS /mcp -H "Origin: $BASE" -H 'Access-Control-Request-Method: POST'
expect_header Access-Control-Allow-Headers 'Mcp-Method, Mcp-Name' "the preflight allows the mirrored headers"

# --- RFC 9728 protected resource metadata --------------------------------------------------
for p in /.well-known/oauth-protected-resource /.well-known/oauth-protected-resource/mcp; do
	req GET "$p"
	expect_status 200 "$p is public"
	# RFC 9728 section 3.3: each names the resource its URL is built from.
	want=$BASE/mcp
	[ "$p" = /.well-known/oauth-protected-resource ] && want=$BASE/
	expect_json '.resource' "$want" "$p: resource is $want"
	expect_json '.authorization_servers | join(",")' "$MCPAUTH_ISSUER" "$p: the local issuer, a reachable URL"
	expect_json '.bearer_methods_supported | join(",")' header "$p: header only"
	expect_json '[.scopes_supported[] | select(. == "read:profile" or . == "admin:all" or . == "email")] | length' 3 \
		"$p: scopes_supported lists permissions and scopes"
done
call get_api_profile '{}'
META=$(header WWW-Authenticate | sed -E 's/.*resource_metadata="([^"]*)".*/\1/')
curl -s "$META" -o "$TMP_ROOT/meta"
expect_eq "$(jq -r .resource "$TMP_ROOT/meta")" "$BASE/mcp" "the 401's resource_metadata URL serves the metadata"

# --- output schemas: every answer above against its tool's outputSchema -------------------------
# Tokens and refresh tokens: the login tool's answer, over /mcp/invoke.
invoke POST_/auth/login '{"email":"user@example.com","password":"password","scope":"openid offline_access"}'
expect_json '.result.refresh_token | length > 0' true "login with offline_access through invoke"
invoke POST_/auth/refresh "$(jq -c '{refresh_token: .result.refresh_token}' "$TMP_ROOT/body")"
expect_status 200 "refresh through invoke"
invoke POST_/auth/logout "$(jq -c '{refresh_token: .result.refresh_token}' "$TMP_ROOT/body")"
expect_status 200 "logout through invoke"
# The account tools, each to a successful answer: over /mcp/invoke only
# (they take passwords, codes and mailed tokens: no tools on /mcp). A user
# of its own; mail goes to MAILDIR.
AEMAIL=tools-account@example.com APW='Tools-Account-Pass-1' APW2='Tools-Account-Pass-2' APW3='Tools-Account-Pass-3'
invoke POST_/auth/signup "$(jq -nc --arg e "$AEMAIL" --arg p "$APW" '{email:$e,password:$p,name:"Tools Account"}')"
expect_json '(.status | tostring) + " " + (.ok | tostring)' "202 true" "invoke POST_/auth/signup"
invoke POST_/auth/verify/resend "$(jq -nc --arg e "$AEMAIL" '{email:$e}')"
expect_json '(.status | tostring) + " " + (.ok | tostring)' "202 true" "invoke POST_/auth/verify/resend"
invoke POST_/auth/login "$(jq -nc --arg e "$AEMAIL" --arg p "$APW" '{email:$e,password:$p}')"
AT=$(jq -r .result.access_token "$TMP_ROOT/body")
invoke GET_/auth/mfa '{}' -H "$(au "$AT")"
expect_json '.result.state' off "invoke GET_/auth/mfa: off"
invoke POST_/auth/mfa/enroll '{}' -H "$(au "$AT")"
expect_json .ok true "invoke POST_/auth/mfa/enroll"
SECRET=$(jq -r .result.secret "$TMP_ROOT/body")
invoke POST_/auth/mfa/confirm "$(jq -nc --arg c "$(oathtool --totp -b "$SECRET")" '{otp:$c}')" -H "$(au "$AT")"
expect_json '.result.recovery_codes | length > 1' true "invoke POST_/auth/mfa/confirm: recovery codes"
RC1=$(jq -r '.result.recovery_codes[0]' "$TMP_ROOT/body") RC2=$(jq -r '.result.recovery_codes[1]' "$TMP_ROOT/body")
invoke POST_/auth/login "$(jq -nc --arg e "$AEMAIL" --arg p "$APW" '{email:$e,password:$p}')"
expect_json .result.error mfa_required "a login of the user now asks for the second factor"
invoke POST_/auth/login/mfa "$(jq -nc --arg t "$(jq -r .result.mfa_token "$TMP_ROOT/body")" --arg c "$RC1" '{mfa_token:$t,recovery_code:$c}')"
expect_json .ok true "invoke POST_/auth/login/mfa with a recovery code"
OT=$(jq -r .result.access_token "$TMP_ROOT/body")
# The second-factor tool is listed to the token with amr otp only.
req GET /mcp/tools -H "$(au "$AT")"
expect_json '[.tools[].name | select(. == "POST_/auth/mfa/disable")] | length' 0 \
	"/mcp/tools leaves POST_/auth/mfa/disable out for a token without amr otp"
req GET /mcp/tools -H "$(au "$OT")"
expect_json '[.tools[].name | select(. == "POST_/auth/mfa/disable")] | length' 1 \
	"and lists it for a token of a login with a second factor"
invoke POST_/auth/mfa/disable "$(jq -nc --arg c "$RC2" '{recovery_code:$c}')" -H "$(au "$OT")"
expect_json '(.ok | tostring) + " " + (.result.enabled | tostring)' "true false" "invoke POST_/auth/mfa/disable"
invoke POST_/auth/password "$(jq -nc --arg o "$APW" --arg n "$APW2" '{old_password:$o,new_password:$n}')" -H "$(au "$OT")"
expect_json '(.ok | tostring) + " " + (.result.revoked | tostring)' "true true" "invoke POST_/auth/password"
invoke POST_/auth/password/reset "$(jq -nc --arg e "$AEMAIL" '{email:$e}')"
expect_json '(.status | tostring) + " " + (.ok | tostring)' "202 true" "invoke POST_/auth/password/reset"
for _ in $(seq 1 100); do
	RTOKEN=$(cat "$MAILDIR/$AEMAIL".* 2>/dev/null | grep -o '/account/reset?token=[A-Za-z0-9_-]*' | tail -1 | sed 's/.*token=//')
	[ -n "$RTOKEN" ] && break
	sleep 0.1
done
invoke POST_/auth/password/reset/confirm "$(jq -nc --arg t "$RTOKEN" --arg p "$APW3" '{token:$t,password:$p}')"
expect_json '(.status | tostring) + " " + (.ok | tostring)' "200 true" "invoke POST_/auth/password/reset/confirm"
if [ -z "$RTOKEN" ]; then not_ok "the reset mail reached $MAILDIR"; elif server_log | grep -qF -e "$APW3" -e "$RTOKEN" -e "$RC2"; then not_ok "no password, link token or code in the logs"; else
	ok "no password, link token or code in the logs"
fi
# Every other tool by its Express-MCP name, as the admin (who may call them all).
for t in $(jq -r '.tools[] | select(.route.path | startswith("/auth/") | not) | .name' "$TMP_ROOT/tools-ex.json"); do
	invoke "$t" "$(tool_args "$(jq -r --arg t "$t" '.tools[] | select(.name == $t) | .mcpName' "$TMP_ROOT/tools-ex.json")" invoke)" \
		-H "$(au "$ADMIN")"
	expect_json .ok true "invoke $t as the admin"
done
# Checks that can fail: an answer with a member its table does not name,
# one without a required member, and a wrong type are refused.
jq -c 'select(.tool == "get_api_profile")' "$RESULTS_MCP" | head -1 |
	jq -c '(.value.extra = 1), (del(.value.profile.id)), (.value.permissions = "read:profile") | .invalid = true' \
		>>"$RESULTS_MCP"
jq -c 'select(.tool == "GET_/api/admin/users")' "$RESULTS_EX" | head -1 |
	jq -c '.value.users[0].id = 5 | .invalid = true' >>"$RESULTS_EX"
# schema_check TOOLS RESULTS WHAT: the script's lines as checks.
schema_check() {
	node "$NODE_DIR/schema-check.mjs" "$1" "$2" >"$TMP_ROOT/schema.out" 2>"$TMP_ROOT/schema.err"
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "$3: ${line#ok - }" ;;
		"not ok - "*) not_ok "$3: ${line#not ok - }" ;;
		esac
	done <"$TMP_ROOT/schema.out"
	grep -qx '# done' "$TMP_ROOT/schema.out" && ok "$3: the schema check ran to its end" ||
		not_ok "$3: the schema check ran to its end: $(head -c 600 "$TMP_ROOT/schema.err")"
}
. "$top_srcdir/tests/mcp/npm.sh"
if install_clients; then
	schema_check "$TMP_ROOT/tools-mcp.json" "$RESULTS_MCP" "/mcp"
	schema_check "$TMP_ROOT/tools-ex.json" "$RESULTS_EX" "/mcp/tools"
	# Every tool's answer was seen at least once, over each endpoint.
	expect_eq "$(jq -r .tool "$RESULTS_MCP" | sort -u | paste -sd, -)" \
		"$(jq -r '[.result.tools[].name] | sort | join(",")' "$TMP_ROOT/tools-mcp.json")" \
		"/mcp: every tool's answer was checked against its outputSchema"
	expect_eq "$(jq -r --slurpfile L "$TMP_ROOT/tools-ex.json" '.tool as $t | $L[0].tools[] |
		select(.name == $t or .title == $t or .mcpName == $t) | .name' "$RESULTS_EX" | sort -u | paste -sd, -)" \
		"$(jq -r '[.tools[].name] | sort | join(",")' "$TMP_ROOT/tools-ex.json")" \
		"/mcp/tools: every tool's answer was checked against its outputSchema"
else
	not_ok "npm ci installed the pinned packages (ajv) for the schema checks"
fi

# --- the log holds no token ------------------------------------------------------------------
if server_log | grep -qF "${USER##*.}"; then not_ok "no token in the logs"; else ok "no token in the logs"; fi
expect_clean_log
stop_server

# --- configured: allowed origins, resource URL, Auth0 issuer -----------------------------------
MCPAUTH_ALLOWED_ORIGINS='https://app.example.com, http://localhost:5173' \
	MCPAUTH_RESOURCE_URL='https://api.example.com/mcp/' start_server 1 ||
	{ not_ok "server with MCP settings"; finish; exit 1; }
rpc "$PING" -H 'Origin: https://app.example.com'
expect_status 200 "a listed Origin is accepted"
rpc "$PING" -H 'Origin: http://localhost:5173'
expect_status 200 "the second listed Origin is accepted"
rpc "$PING" -H 'Origin: http://localhost:5174'
expect_status 403 "an Origin off the list is refused (a configured list replaces the loopback default)"
rpc "$PING" -H "Origin: $BASE"
expect_status 200 "the server's own origin stays allowed with a list"
rpc "$PING" -H "Origin: ${BASE/http:/https:}"
expect_status 403 "own origin: the scheme counts"
req GET /.well-known/oauth-protected-resource/mcp
expect_json .resource "https://api.example.com/mcp" "configured resource URL, trailing slash dropped"
call get_api_profile '{}'
expect_header WWW-Authenticate 'resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/mcp"' \
	"the challenge names the configured resource's metadata"
req GET /api/profile
expect_header WWW-Authenticate 'resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"$' \
	"a direct 401 names the metadata of the configured origin's root"
req GET /.well-known/oauth-protected-resource
expect_json .resource "https://api.example.com/" "the root form: the configured URL's origin"
stop_server
MCPAUTH_ALLOWED_ORIGINS='https://app.example.com/path' MCPAUTH_STATE_DIR="$TMP_ROOT/x" \
	"$top_builddir/cgi-bin/mcp" </dev/null 2>"$TMP_ROOT/origins.err" && not_ok "a bad origin list stops the program" ||
	expect_eq "$(grep -c 'MCPAUTH_ALLOWED_ORIGINS' "$TMP_ROOT/origins.err")" 1 "a bad origin list stops the program with one line"
# A copy: in Auth0 mode the JWKS file is a cache, written next to (.state, .lock).
cp "$FIXTURES/key1.jwks.json" "$TMP_ROOT/tenant-jwks.json"
AUTH0_DOMAIN=tenant.example.com MCPAUTH_JWKS_FILE="$TMP_ROOT/tenant-jwks.json" start_server 1 ||
	{ not_ok "server in Auth0 mode"; finish; exit 1; }
req GET /.well-known/oauth-protected-resource
expect_json '.authorization_servers | join(",")' "https://tenant.example.com/" "Auth0 mode: the tenant is the authorization server"
rpc '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
expect_json '.result.tools | length' 13 "Auth0 mode: the mcp program starts and lists the tools"
expect_clean_log

finish
