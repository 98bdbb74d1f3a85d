#!/usr/bin/env bash
# Real clients under both eras of MCP against /mcp under a real lighttpd:
# the handshake revisions (2025-11-25, initialize) and 2026-07-28
# (stateless, server/discover), served from the one endpoint.
#  - the TypeScript SDK 2.x client (@modelcontextprotocol/client) in each of
#    its modes: legacy (its default), auto (probe, then fall back) and
#    pinned to 2026-07-28 (sdk2-client.mjs: per-role tool lists, every
#    listed tool called, each answer validated against its outputSchema);
#  - the SDK 1.x client (@modelcontextprotocol/sdk; tests/mcp/run.sh covers
#    it in depth): it only knows the handshake and must still get 2025-11-25;
#  - the Inspector CLI with --protocol-era legacy, auto and modern;
#  - mcp-remote (Claude Desktop's stdio bridge) with --protocol legacy and auto.
# The Inspector and mcp-remote go through wire-log.mjs, a recording
# pass-through, so that the era each one spoke is seen on the wire.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib.sh"
. "$here/npm.sh"

WIRE_PID=
trap '[ -z "$WIRE_PID" ] || kill "$WIRE_PID" 2>/dev/null; cleanup' EXIT

need_clients "the pinned MCP clients"
start_server 2 || { not_ok "start lighttpd"; finish; exit 1; }
USER=$(login user@example.com password)
ADMIN=$(login admin@example.com admin)
VIEWER=$(login viewer@example.com readonly)
mkdir -p "$TMP_ROOT/home"

# The recording pass-through; WIRE is its log, one JSON line per request.
WIRE=$TMP_ROOT/wire.log
UPSTREAM="$BASE" LOG="$WIRE" node "$NODE_DIR/wire-log.mjs" >"$TMP_ROOT/wire.out" 2>"$TMP_ROOT/wire.err" &
WIRE_PID=$!
for _ in $(seq 1 100); do
	grep -q '^port ' "$TMP_ROOT/wire.out" 2>/dev/null && break
	sleep 0.1
done
PROXY=http://127.0.0.1:$(sed -n 's/^port //p' "$TMP_ROOT/wire.out")
# wire_era: what the JSON-RPC requests to /mcp since the log was emptied
# say: "handshake" (an initialize, no 2026-07-28 request), "2026-07-28"
# (no initialize, every request with MCP-Protocol-Version: 2026-07-28 and
# Mcp-Method), or what was mixed.
wire_era() {
	jq -rs '[.[] | select(.path == "/mcp" and .method != null)] as $r
		| if ($r | length) == 0 then "nothing"
		elif ($r | any(.method == "initialize")) and ($r | all(.version != "2026-07-28")) then "handshake"
		elif ($r | all(.version == "2026-07-28" and .mcpMethod == .method)) then "2026-07-28"
		else "mixed: \($r | map("\(.method)@\(.version)") | join(" "))" end' "$WIRE"
}

# --- the SDK 2.x client, each mode -------------------------------------------------------
# Checks per mode: 9 without a token, 1 with a bad one, per role 3 + 3 per
# listed tool + 1 per other tool (user 4+6, viewer 6+4, admin 10+0).
for mode in legacy auto 2026-07-28; do
	case $mode in legacy) era=2025-11-25 ;; *) era=2026-07-28 ;; esac
	(cd "$NODE_DIR" && MODE=$mode ERA=$era BASE="$BASE" USER_TOKEN="$USER" ADMIN_TOKEN="$ADMIN" VIEWER_TOKEN="$VIEWER" \
		timeout 120 node sdk2-client.mjs) >"$TMP_ROOT/sdk2-$mode.out" 2>"$TMP_ROOT/sdk2-$mode.err"
	node_checks "SDK 2.x $mode" "$TMP_ROOT/sdk2-$mode.out" "$TMP_ROOT/sdk2-$mode.err" $? $((9 + 1 + 3 * 3 + 3 * 28 + 11))
done

# --- the SDK 1.x client: the handshake era, whatever else the server serves -----------------
cat >"$NODE_DIR/sdk1-era.mjs" <<'EOF'
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
const transport = new StreamableHTTPClientTransport(new URL('/mcp', process.env.BASE), {
  requestInit: { headers: { Authorization: `Bearer ${process.env.TOKEN}` } },
});
const client = new Client({ name: 'sdk1-era', version: '1' });
await client.connect(transport);
const { tools } = await client.listTools();
const r = await client.callTool({ name: 'get_api_profile', arguments: {} });
console.log(JSON.stringify({ version: transport.protocolVersion, tools: tools.map((t) => t.name), email: r.structuredContent?.profile?.email }));
await client.close();
EOF
out=$(cd "$NODE_DIR" && BASE="$BASE" TOKEN="$USER" timeout 60 node sdk1-era.mjs 2>"$TMP_ROOT/sdk1.err")
expect_eq "$(jq -r .version <<<"$out" 2>/dev/null)" 2025-11-25 "SDK 1.x: negotiates 2025-11-25 ($(head -c 300 "$TMP_ROOT/sdk1.err"))"
expect_eq "$(jq -r '.tools | join(",")' <<<"$out" 2>/dev/null)" get_root,get_auth_mfa,get_api_profile,put_api_profile,get_api_email,get_api_sessions,delete_api_sessions_id \
	"SDK 1.x: the user's tool list"
expect_eq "$(jq -r .email <<<"$out" 2>/dev/null)" user@example.com "SDK 1.x: get_api_profile"

# --- the Inspector CLI, each era ---------------------------------------------------------------
# inspector ERA [args]: sets RC; stdout in insp.out, stderr in insp.err.
inspector() {
	local era=$1
	shift
	(cd "$NODE_DIR" && HOME="$TMP_ROOT/home" npm_config_update_notifier=false \
		timeout 120 npx --no -- @modelcontextprotocol/inspector --cli \
		"$PROXY/mcp" --transport http --stored-auth-only -q --protocol-era "$era" "$@") \
		>"$TMP_ROOT/insp.out" 2>"$TMP_ROOT/insp.err" </dev/null
	RC=$?
}
ijson() { jq -r "$1" "$TMP_ROOT/insp.out" 2>/dev/null; }
for era in legacy auto modern; do
	: >"$WIRE"
	inspector "$era" --method tools/list --header "Authorization: Bearer $VIEWER"
	expect_eq "$RC" 0 "Inspector --protocol-era $era: tools/list exits 0 ($(head -c 300 "$TMP_ROOT/insp.err"))"
	case $era in legacy) want=handshake ;; *) want=2026-07-28 ;; esac
	expect_eq "$(wire_era)" "$want" "Inspector --protocol-era $era: speaks $want on the wire"
	expect_eq "$(ijson '[.tools[].name] | join(",")')" \
		get_root,get_auth_mfa,get_api_profile,get_api_email,get_api_sessions,get_api_users,get_api_auth0_user_id,get_api_user_id \
		"Inspector --protocol-era $era: the viewer's tool list"
	inspector "$era" --method tools/call --tool-name get_api_user_id --tool-arg 'id=auth0|user123' \
		--header "Authorization: Bearer $VIEWER"
	expect_eq "$RC" 0 "Inspector --protocol-era $era: tools/call exits 0"
	expect_eq "$(ijson .structuredContent.email)" user@example.com "Inspector --protocol-era $era: the tool's answer"
done
# The refusals in the 2026-07-28 era (run.sh has them for the handshake;
# each Inspector start costs seconds, so no more than that).
inspector modern --method tools/call --tool-name get_api_admin_users --header "Authorization: Bearer $VIEWER"
expect_eq "$RC" 5 "Inspector --protocol-era modern: a tool the viewer cannot call is isError (exit 5)"
inspector modern --method tools/call --tool-name get_api_profile
expect_eq "$RC" 3 "Inspector --protocol-era modern: no token on a protected tool asks for one (exit 3)"

# --- mcp-remote, each protocol mode ----------------------------------------------------------
# A 2025-era desktop app speaks initialize to the bridge over stdio; with
# --protocol auto the bridge finds the 2026-07-28 server and speaks that
# era to it (the server log shows which requests it sent).
for proto in legacy auto; do
	MR_OUT="$TMP_ROOT/mr-$proto.out"
	: >"$MR_OUT"
	: >"$WIRE"
	# shellcheck disable=SC2016 # mcp-remote expands ${AUTH_HEADER} itself
	coproc MR { cd "$NODE_DIR" && HOME="$TMP_ROOT/home" npm_config_update_notifier=false AUTH_HEADER="Bearer $ADMIN" \
		timeout 60 npx --no -- mcp-remote "$PROXY/mcp" --header 'Authorization:${AUTH_HEADER}' --protocol "$proto" \
		>"$MR_OUT" 2>"$TMP_ROOT/mr-$proto.err"; }
	printf '%s\n' \
		'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"desktop","version":"1"}}}' \
		'{"jsonrpc":"2.0","method":"notifications/initialized"}' \
		'{"jsonrpc":"2.0","id":2,"method":"tools/list"}' \
		'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"get_api_admin_users","arguments":{}}}' >&"${MR[1]}"
	for _ in $(seq 1 300); do
		[ "$(grep -c '"id":[23],' "$MR_OUT")" -eq 2 ] && break
		sleep 0.1
	done
	eval "exec ${MR[1]}>&-"
	wait "$MR_PID" 2>/dev/null
	mr() { grep "\"id\":$1," "$MR_OUT" | head -1 | jq -r "$2" 2>/dev/null; }
	expect_eq "$(mr 1 .result.serverInfo.name)" mcpauth "mcp-remote --protocol $proto: initialize through the bridge"
	expect_eq "$(mr 2 '.result.tools | length')" 13 "mcp-remote --protocol $proto: the admin's tool list"
	req GET /api/admin/users -H "Authorization: Bearer $ADMIN"
	expect_eq "$(mr 3 '.result.structuredContent | tojson')" "$(jq -c . "$TMP_ROOT/body")" \
		"mcp-remote --protocol $proto: get_api_admin_users equals GET /api/admin/users"
	case $proto in legacy) want=handshake ;; *) want=2026-07-28 ;; esac
	expect_eq "$(wire_era)" "$want" "mcp-remote --protocol $proto: speaks $want to the server"
done

if server_log | grep -qF "${USER##*.}"; then not_ok "no token in the logs"; else ok "no token in the logs"; fi
expect_clean_log
finish
