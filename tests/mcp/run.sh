#!/usr/bin/env bash
# Real MCP clients against /mcp under a real lighttpd: the official
# TypeScript SDK (Client + StreamableHTTPClientTransport), the MCP
# Inspector CLI and mcp-remote (Claude Desktop's bridge), all pinned in tests/mcp/package-lock.json and installed
# with npm ci into the build tree (the source tree may be read-only).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib.sh"

. "$here/npm.sh"

if install_clients; then ok "npm ci installed the pinned MCP clients"; else
	not_ok "npm ci installed the pinned MCP clients"
	finish
	exit 1
fi
start_server 2 || { not_ok "start lighttpd"; finish; exit 1; }
USER=$(login user@example.com password)
ADMIN=$(login admin@example.com admin)
VIEWER=$(login viewer@example.com readonly)

# --- the SDK client ---------------------------------------------------------------
BASE="$BASE" USER_TOKEN="$USER" ADMIN_TOKEN="$ADMIN" VIEWER_TOKEN="$VIEWER" \
	timeout 120 node "$NODE_DIR/sdk-client.mjs" >"$TMP_ROOT/sdk.out" 2>"$TMP_ROOT/sdk.err"
rc=$?
while IFS= read -r line; do
	case $line in
	"ok - "*) ok "SDK: ${line#ok - }" ;;
	"not ok - "*) not_ok "SDK: ${line#not ok - }" ;;
	esac
done <"$TMP_ROOT/sdk.out"
if [ "$rc" -eq 0 ] && grep -qx '# done' "$TMP_ROOT/sdk.out"; then
	ok "the SDK client script ran to its end"
else
	not_ok "the SDK client script ran to its end (exit $rc): $(head -c 600 "$TMP_ROOT/sdk.err")"
fi
expect_eq "$(grep -c '^ok - ' "$TMP_ROOT/sdk.out")" 46 "the SDK script made all its checks"

# --- the Inspector CLI ----------------------------------------------------------------------
# inspector [args]: npx @modelcontextprotocol/inspector --cli against /mcp;
# sets RC, stdout in insp.out, stderr in insp.err. Its catalog goes to a
# temporary HOME; --stored-auth-only keeps it from starting a browser login.
inspector() {
	(cd "$NODE_DIR" && HOME="$TMP_ROOT/home" npm_config_update_notifier=false \
		timeout 120 npx --no -- @modelcontextprotocol/inspector --cli \
		"$BASE/mcp" --transport http --stored-auth-only -q "$@") \
		>"$TMP_ROOT/insp.out" 2>"$TMP_ROOT/insp.err" </dev/null
	RC=$?
}
ijson() { jq -r "$1" "$TMP_ROOT/insp.out" 2>/dev/null; }
mkdir -p "$TMP_ROOT/home"

inspector --method tools/list --header "Authorization: Bearer $USER"
expect_eq "$RC" 0 "Inspector: tools/list with a token exits 0"
expect_eq "$(ijson '[.tools[].name] | join(",")')" get_root,get_auth_mfa,get_api_profile,put_api_profile,get_api_email,get_api_sessions,delete_api_sessions_id \
	"Inspector: tools/list with the user's token lists the 7 tools it can call, by their MCP names"

inspector --method tools/call --tool-name get_api_profile --header "Authorization: Bearer $USER"
expect_eq "$RC" 0 "Inspector: tools/call get_api_profile with a token exits 0"
req GET /api/profile -H "Authorization: Bearer $USER"
expect_eq "$(ijson '.structuredContent' | jq -S .)" "$(jq -S . "$TMP_ROOT/body")" \
	"Inspector: get_api_profile equals GET /api/profile"

inspector --method tools/call --tool-name get_api_user_id --tool-arg 'id=auth0|readonly789' \
	--header "Authorization: Bearer $ADMIN"
expect_eq "$RC" 0 "Inspector: tools/call with a path argument exits 0"
expect_eq "$(ijson .structuredContent.email)" viewer@example.com "Inspector: --tool-arg fills the path parameter"

inspector --method tools/call --tool-name get_root
expect_eq "$RC" 0 "Inspector: a public tool without a token exits 0"
expect_eq "$(ijson .structuredContent.message)" "Auth0 Integration Example" "Inspector: public tool result"

inspector --method tools/call --tool-name get_api_profile
expect_eq "$RC" 3 "Inspector: a protected tool without a token exits 3"
expect_eq "$(jq -r .error.code "$TMP_ROOT/insp.err" 2>/dev/null)" auth_required "Inspector: auth_required without a token"

inspector --method tools/call --tool-name get_api_profile --header "Authorization: Bearer not.a.token"
expect_eq "$RC" 3 "Inspector: a bad token exits 3"

# The user's list has no admin tool: the Inspector looks the tool up in it
# and does not call it.
inspector --method tools/call --tool-name get_api_admin_users --header "Authorization: Bearer $USER"
expect_eq "$RC" 5 "Inspector: the user calling an admin tool exits 5"
expect_eq "$(cat "$TMP_ROOT/insp.out" "$TMP_ROOT/insp.err" | jq -r 'select(.error) | .error.code' 2>/dev/null | head -1)" \
	tool_not_found "Inspector: an admin tool is not in the user's list"
inspector --method tools/call --tool-name get_api_user_id --tool-arg 'id=auth0|nobody' \
	--header "Authorization: Bearer $ADMIN"
expect_eq "$RC" 5 "Inspector: isError (a route's 404) exits 5"
expect_eq "$(ijson '.content[0].text | fromjson | .error')" "User not found" "Inspector: the isError text is the route's body"

inspector --method tools/call --tool-name get_api_admin_users --header "Authorization: Bearer $VIEWER"
expect_eq "$RC" 5 "Inspector: viewer calling an admin tool exits 5 (not in the viewer's list)"
inspector --method tools/call --tool-name get_api_admin_users --header "Authorization: Bearer $ADMIN"
expect_eq "$RC" 0 "Inspector: admin calling the admin tool exits 0"

# --- mcp-remote: the stdio bridge Claude Desktop runs -----------------------------------
# The documented configuration (docs/mcp.md): mcp-remote URL --header 'Authorization:${AUTH_HEADER}'
# with AUTH_HEADER="Bearer <token>" in its environment (mcp-remote fills in
# the variable). It speaks stdio to the desktop app, Streamable HTTP to /mcp.
MR_OUT="$TMP_ROOT/mr.out"
: >"$MR_OUT"
# shellcheck disable=SC2016 # mcp-remote expands ${AUTH_HEADER} itself
coproc MR { cd "$NODE_DIR" && HOME="$TMP_ROOT/home" npm_config_update_notifier=false AUTH_HEADER="Bearer $USER" \
	timeout 60 npx --no -- mcp-remote "$BASE/mcp" --header 'Authorization:${AUTH_HEADER}' \
	>"$MR_OUT" 2>"$TMP_ROOT/mr.err"; }
printf '%s\n' \
	'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"desktop","version":"1"}}}' \
	'{"jsonrpc":"2.0","method":"notifications/initialized"}' \
	'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_api_profile","arguments":{}}}' \
	'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_api_users","arguments":{}}}' >&"${MR[1]}"
for _ in $(seq 1 300); do
	[ "$(grep -c '"id":[23],' "$MR_OUT")" -eq 2 ] && break
	sleep 0.1
done
eval "exec ${MR[1]}>&-"
wait "$MR_PID" 2>/dev/null
mr() { grep "\"id\":$1," "$MR_OUT" | head -1 | jq -r "$2" 2>/dev/null; }
expect_eq "$(mr 1 .result.serverInfo.name)" mcpauth "mcp-remote: initialize through the stdio bridge"
req GET /api/profile -H "Authorization: Bearer $USER"
expect_eq "$(mr 2 .result.structuredContent | jq -S .)" "$(jq -S . "$TMP_ROOT/body")" \
	"mcp-remote with the Authorization header: get_api_profile equals GET /api/profile"
expect_eq "$(mr 3 '.result.isError')" true "mcp-remote: the user's token cannot list users (isError)"

if server_log | grep -qF "${USER##*.}"; then not_ok "no token in the logs"; else ok "no token in the logs"; fi
expect_clean_log
finish
