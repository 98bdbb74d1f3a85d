#!/usr/bin/env bash
# Real clients sign in by themselves (issue 15), under a real lighttpd:
#  1. the official TypeScript SDK's auth() flow (oauth-sdk.mjs), once with a
#     Client ID Metadata Document served here over HTTPS on loopback (a
#     test CA trusted with MCPAUTH_CA_FILE, the SSRF guard lifted with
#     MCPAUTH_CLIENT_DOCUMENT_ALLOW_PRIVATE=1), once with dynamic registration;
#  2. Debian's chromium, headless, through the login and consent pages
#     (oauth-browser.mjs, playwright-core);
#  3. mcp-remote's own OAuth flow, its browser opener (BROWSER) pointed at
#     that headless chromium (oauth-opener.mjs), then a tool call through it.
# npm packages or chromium missing is a failure, never a skip.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib.sh"
. "$here/npm.sh"

DOCS_PID=
trap '[ -z "$DOCS_PID" ] || kill "$DOCS_PID" 2>/dev/null; cleanup' EXIT

need_clients "the pinned clients and playwright-core"
need_chromium

# --- the client documents' HTTPS server, with a test CA ------------------------------
T=$TMP_ROOT/tls
mkdir -p "$T" "$TMP_ROOT/docs"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 \
	-subj "/CN=mcpauth test CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$T/server.key" -out "$T/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$T/ext"
openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -days 2 \
	-extfile "$T/ext" -out "$T/server.pem" 2>/dev/null
DOCS_DIR=$TMP_ROOT/docs TLS_CERT=$T/server.pem TLS_KEY=$T/server.key \
	node "$NODE_DIR/oauth-docs.mjs" >"$TMP_ROOT/docs.out" 2>"$TMP_ROOT/docs.log" &
DOCS_PID=$!
for _ in $(seq 1 100); do
	grep -q '^port ' "$TMP_ROOT/docs.out" 2>/dev/null && break
	sleep 0.1
done
DOCS_PORT=$(sed -n 's/^port //p' "$TMP_ROOT/docs.out")
if [ -n "$DOCS_PORT" ]; then ok "the client documents are served over HTTPS"; else
	not_ok "the client documents are served over HTTPS: $(cat "$TMP_ROOT/docs.log")"
	finish
	exit 1
fi
DOC_URL=https://127.0.0.1:$DOCS_PORT/clients/sdk.json
# A loopback redirect URI: the SDK's callback port is its own choice (RFC 8252).
jq -n --arg id "$DOC_URL" '{client_id: $id, client_name: "mcpauth SDK test (client metadata document)",
	redirect_uris: ["http://127.0.0.1/callback"], grant_types: ["authorization_code", "refresh_token"],
	response_types: ["code"], token_endpoint_auth_method: "none"}' >"$TMP_ROOT/docs/sdk.json"

export MCPAUTH_CA_FILE=$T/ca.pem MCPAUTH_CLIENT_DOCUMENT_ALLOW_PRIVATE=1
start_server 2 || { not_ok "start lighttpd"; finish; exit 1; }
ok "lighttpd started with MCPAUTH_ISSUER=$BASE"

# --- 1. the TypeScript SDK ------------------------------------------------------------
BASE="$BASE" CLIENT_DOC="$DOC_URL" MCPAUTH_CLI="$top_builddir/tools/mcpauth" SECRETS_OUT="$TMP_ROOT/secrets" \
	timeout 180 node "$NODE_DIR/oauth-sdk.mjs" >"$TMP_ROOT/sdk.out" 2>"$TMP_ROOT/sdk.err"
node_checks SDK "$TMP_ROOT/sdk.out" "$TMP_ROOT/sdk.err" $? 76
if grep -q '^GET /clients/sdk.json 200' "$TMP_ROOT/docs.log"; then
	ok "the server fetched the client metadata document"
else
	not_ok "the server fetched the client metadata document: $(cat "$TMP_ROOT/docs.log")"
fi

# --- 2. a real browser -------------------------------------------------------------
BASE="$BASE" timeout 150 node "$NODE_DIR/oauth-browser.mjs" >"$TMP_ROOT/browser.out" 2>"$TMP_ROOT/browser.err"
node_checks chromium "$TMP_ROOT/browser.out" "$TMP_ROOT/browser.err" $? 15
server_log >"$TMP_ROOT/all.log"
if grep -qF not-the-password "$TMP_ROOT/all.log"; then not_ok "no password in the logs"; else ok "no password in the logs"; fi
if [ "$(grep -c . "$TMP_ROOT/secrets" 2>/dev/null)" -ge 10 ] && ! grep -qFf "$TMP_ROOT/secrets" "$TMP_ROOT/all.log"; then
	ok "none of the SDK's tokens and codes is in the logs"
else
	not_ok "none of the SDK's tokens and codes is in the logs ($(grep -c . "$TMP_ROOT/secrets" 2>/dev/null) recorded)"
fi

# --- 3. mcp-remote's own OAuth flow ----------------------------------------------------
# mcp-remote opens the authorization URL with the open package, whose
# xdg-open runs $BROWSER when no desktop is set: here the opener, which
# drives the headless chromium to mcp-remote's loopback callback.
MR_OUT=$TMP_ROOT/mr.out
OPENER_LOG=$TMP_ROOT/opener.log
: >"$OPENER_LOG"
mkdir -p "$TMP_ROOT/home" "$TMP_ROOT/mcp-auth"
# mcp_remote: one mcp-remote session: initialize, then tools/call
# get_api_profile; waits for the call's answer (id 2) at most 150 s.
mcp_remote() {
	: >"$MR_OUT"
	coproc MR { cd "$NODE_DIR" && env -u DISPLAY -u WAYLAND_DISPLAY -u XDG_CURRENT_DESKTOP -u DESKTOP_SESSION \
		HOME="$TMP_ROOT/home" MCP_REMOTE_CONFIG_DIR="$TMP_ROOT/mcp-auth" npm_config_update_notifier=false \
		BROWSER="$NODE_DIR/oauth-opener.mjs" OPENER_LOG="$OPENER_LOG" \
		timeout 150 npx --no -- mcp-remote "$BASE/mcp" --host 127.0.0.1 --auth-timeout 90 \
		>"$MR_OUT" 2>>"$TMP_ROOT/mr.err"; }
	local pid=$MR_PID # bash unsets MR_PID once the coprocess is reaped
	printf '%s\n' \
		'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"desktop","version":"1"}}}' \
		'{"jsonrpc":"2.0","method":"notifications/initialized"}' \
		'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_api_profile","arguments":{}}}' >&"${MR[1]}"
	for _ in $(seq 1 1500); do
		grep -q '"id":2,' "$MR_OUT" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	eval "exec ${MR[1]}>&-"
	wait "$pid" 2>/dev/null
}
mr() { grep "\"id\":$1," "$MR_OUT" | head -1 | jq -r "$2" 2>/dev/null; }

mcp_remote
expect_eq "$(mr 1 .result.serverInfo.name)" mcpauth "mcp-remote: initialize through the bridge"
expect_eq "$(mr 2 .result.structuredContent.profile.email)" user@example.com \
	"mcp-remote: after its own sign-in, get_api_profile answers the user's profile"
expect_eq "$(wc -l <"$OPENER_LOG")" 1 "mcp-remote opened the browser once"
expect_eq "$(jq -r '.pages | join(",")' "$OPENER_LOG" 2>/dev/null)" login,consent \
	"mcp-remote: the headless browser went through the login and consent pages"
expect_eq "$(jq -r '.code' "$OPENER_LOG" 2>/dev/null)" true "mcp-remote: its callback got a code"
expect_eq "$(jq -r '.iss' "$OPENER_LOG" 2>/dev/null)" "$BASE" "mcp-remote: its callback got iss"
# A second start uses the tokens it stored: no browser this time.
mcp_remote
expect_eq "$(mr 2 .result.structuredContent.profile.email)" user@example.com "mcp-remote: a second start calls the tool"
expect_eq "$(wc -l <"$OPENER_LOG")" 1 "mcp-remote: a second start reuses its stored tokens (no browser)"
# On a failure, what mcp-remote and the opener said.
[ "$FAIL" -eq 0 ] || { echo "  mcp-remote: $(tail -c 1500 "$TMP_ROOT/mr.err")"; cat "$OPENER_LOG"; }

expect_clean_log
finish
