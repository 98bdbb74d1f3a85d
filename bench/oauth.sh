#!/usr/bin/env bash
# The OAuth figures (run by hand, never a test): the whole sign-in flow's
# time for the official SDK client (no token to first tool call, median of
# ROUNDS) and the token endpoint's refresh_token grants per second (a Node
# loop, CONC concurrent refresh token chains; no password hash timed).
# Starts the suite under lighttpd on a free loopback port, runs
# bench/oauth.mjs, prints the table and writes it as the section
# "## The OAuth flow" at the end of bench/RESULTS.md (bench/run.sh keeps it).
#   bench/oauth.sh                          defaults: ROUNDS=21 CONC=16 BENCH_SECONDS=10
#   ROUNDS=5 BENCH_SECONDS=3 bench/oauth.sh       a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
. bench/lib.sh
ensure_packages
build build

export ROUNDS=${ROUNDS:-21} CONC=${CONC:-16} SECONDS_EACH=${BENCH_SECONDS:-10}
export MCPAUTH_PROCS=${MCPAUTH_PROCS:-2}
BENCH_DIR=$(mktemp -d /tmp/mcpauth-bench-oauth.XXXXXX)
SUITE_PID=
cleanup() {
	[ -z "$SUITE_PID" ] || { kill "$SUITE_PID" 2>/dev/null || true; wait "$SUITE_PID" 2>/dev/null || true; }
	rm -rf "$BENCH_DIR"
}
trap cleanup EXIT

# The pinned SDK, as the MCP suites install it (build/tests/mcp/node).
top_builddir=$PWD/build TMP_ROOT=$BENCH_DIR
. tests/mcp/npm.sh
install_clients
install -m 644 bench/oauth.mjs "$NODE_DIR/bench-oauth.mjs"

LIGHTTPD=$(command -v lighttpd || echo /usr/sbin/lighttpd)
PORT=$(free_port)
SUITE=http://127.0.0.1:$PORT
export MCPAUTH_STATE_DIR=$BENCH_DIR/state MCPAUTH_BINDIR=$PWD/build/cgi-bin MCPAUTH_HOST=127.0.0.1
export MCPAUTH_PORT=$PORT MCPAUTH_ERRORLOG=$BENCH_DIR/error.log MCPAUTH_ISSUER=$SUITE
mkdir -p "$MCPAUTH_STATE_DIR"
build/tools/mcpauth init --demo-users >/dev/null 2>&1
"$LIGHTTPD" -D -f lighttpd-conf/mcpauth.conf 2>"$BENCH_DIR/suite.stderr" &
SUITE_PID=$!
wait_http "$SUITE/" || { echo "the suite did not start:" >&2; cat "$BENCH_DIR"/*.log "$BENCH_DIR"/suite.stderr >&2 2>/dev/null; exit 1; }

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
BASE=$SUITE MCPAUTH_CLI=$PWD/build/tools/mcpauth BENCH_SECONDS=$SECONDS_EACH \
	node "$NODE_DIR/bench-oauth.mjs" >"$BENCH_DIR/out.json"
R=$BENCH_DIR/out.json
j() { jq -r "$1" "$R"; }
f1() { printf '%.1f' "$(j "$1")"; }

section=$BENCH_DIR/section.md
{
	echo "## The OAuth flow (bench/oauth.sh)"
	echo
	echo "Produced by \`bench/oauth.sh\` on $(date -u +%Y-%m-%d): lighttpd, $MCPAUTH_PROCS FastCGI processes per program,"
	echo "$(nproc) cores, node $(node --version), @modelcontextprotocol/sdk $(jq -r '.packages["node_modules/@modelcontextprotocol/sdk"].version' tests/mcp/package-lock.json)."
	echo
	echo "| sign-in, SDK client with no token to its first tool call's answer (median of $ROUNDS) | ms | p90 ms | of which the login post (scrypt) |"
	echo "|---|---:|---:|---:|"
	echo "| a new browser, no grant yet: initialize, 401, discovery, the pages ($(j .flows.new.pages)), code + PKCE, tools/call | $(f1 .flows.new.median_ms) | $(f1 .flows.new.p90_ms) | $(f1 .flows.new.login_post_median_ms) |"
	echo "| a browser already signed in, the grant remembered: the same, pages shown: $(j '.flows.signed_in.pages | if . == "" then "none" else . end') | $(f1 .flows.signed_in.median_ms) | $(f1 .flows.signed_in.p90_ms) | - |"
	echo
	echo "| POST /oauth/token, grant_type=refresh_token ($CONC chains, ${SECONDS_EACH}s, median of 3) | value |"
	echo "|---|---:|"
	echo "| req/s (each answer rotates the token and is durable before it is sent) | $(printf '%.0f' "$(j .refresh.rps)") |"
	echo "| p50 ms | $(f1 .refresh.p50_ms) |"
	echo "| p99 ms | $(f1 .refresh.p99_ms) |"
	echo "| refused | $(j .refresh.errors) |"
	echo
	echo "| one chain, one request at a time (${SECONDS_EACH}s) | req/s | p50 ms | p99 ms |"
	echo "|---|---:|---:|---:|"
	echo "| POST /oauth/token, grant_type=refresh_token (form) | $(printf '%.0f' "$(j .one.oauth_token.rps)") | $(f1 .one.oauth_token.p50_ms) | $(f1 .one.oauth_token.p99_ms) |"
	echo "| POST /auth/refresh (JSON, the same rotation) | $(printf '%.0f' "$(j .one.auth_refresh.rps)") | $(f1 .one.auth_refresh.p50_ms) | $(f1 .one.auth_refresh.p99_ms) |"
	echo
	echo "(One Node process is the client, on the same 2 cores as the server. The chains are made before the"
	echo "clock starts, so the password hash is outside the req/s; the flow's own time includes it, once."
	echo "Load average when it started: $LOAD.)"
} >"$section"
cat "$section"

# The section replaces the previous one (always the file's last).
if [ -f bench/RESULTS.md ]; then
	sed '/^## The OAuth flow (bench\/oauth.sh)/,$d' bench/RESULTS.md >"$BENCH_DIR/results.md"
else
	echo "# Benchmark results" >"$BENCH_DIR/results.md"
fi
{
	cat "$BENCH_DIR/results.md"
	echo
	cat "$section"
} | cat -s >bench/RESULTS.md
echo "wrote bench/RESULTS.md" >&2
