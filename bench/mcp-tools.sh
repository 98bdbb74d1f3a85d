#!/usr/bin/env bash
# How long each MCP tool call takes (run by hand, never a test): every tool
# the admin's tools/list holds, called CALLS times through POST /mcp
# (tools/call, one request at a time on one kept-alive connection, curl's
# time_total: the HTTP round trip through lighttpd included). Prints the
# table and writes it to bench/RESULTS-mcp-tools.md; docs/mcp.md quotes the
# slowest tool from it (progress and cancellation are not needed).
#   bench/mcp-tools.sh              CALLS=200
#   CALLS=20 bench/mcp-tools.sh     a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
. bench/lib.sh
ensure_packages
build build

CALLS=${CALLS:-200}
export MCPAUTH_PROCS=${MCPAUTH_PROCS:-2}
BENCH_DIR=$(mktemp -d /tmp/mcpauth-bench-tools.XXXXXX)
SUITE_PID=
cleanup() {
	[ -z "$SUITE_PID" ] || { kill "$SUITE_PID" 2>/dev/null || true; wait "$SUITE_PID" 2>/dev/null || true; }
	rm -rf "$BENCH_DIR"
}
trap cleanup EXIT

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

TOKEN=$(curl -s -H 'Content-Type: application/json' -d '{"email":"admin@example.com","password":"admin"}' \
	"$SUITE/auth/login" | jq -r .access_token)
# A config file for curl, so the token is not on a command line.
printf 'header = "Authorization: Bearer %s"\n' "$TOKEN" >"$BENCH_DIR/auth.conf"
chmod 600 "$BENCH_DIR/auth.conf"
rpc_headers=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
TOOLS=$(curl -s -K "$BENCH_DIR/auth.conf" "${rpc_headers[@]}" \
	-d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' "$SUITE/mcp" | jq -r '.result.tools[].name')

# args TOOL N: the arguments of call N, each a call that succeeds.
args() {
	case $1 in
	put_api_profile) echo '{"name":"Jane Admin"}' ;;
	post_api_users) echo "{\"name\":\"Bench $2\",\"email\":\"bench-$2-$RANDOM@example.com\"}" ;;
	post_api_admin_permissions) echo '{"userId":"auth0|user123","permissions":["read:profile","write:profile"]}' ;;
	get_api_auth0_user_id | get_api_user_id) echo '{"id":"auth0|user123"}' ;;
	*) echo '{}' ;;
	esac
}
# stat FILE: median, p90 and max of the numbers (seconds) in FILE, in ms.
stat() {
	sort -g "$1" | awk '{ v[NR] = $1 * 1000 } END {
		printf "%.2f | %.2f | %.2f", v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)], v[NR] }'
}

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
rows=$BENCH_DIR/rows
: >"$rows"
for t in $TOOLS; do
	cfg=$BENCH_DIR/calls.conf
	: >"$cfg"
	for n in $(seq 1 "$CALLS"); do
		[ "$n" = 1 ] || echo 'next' >>"$cfg"
		{
			echo 'silent'
			echo "url = \"$SUITE/mcp\""
			echo "header = \"Content-Type: application/json\""
			echo "header = \"Accept: application/json, text/event-stream\""
			echo "header = \"Authorization: Bearer $TOKEN\""
			jq -nc --arg t "$t" --argjson a "$(args "$t" "$n")" \
				'{jsonrpc:"2.0",id:1,method:"tools/call",params:{name:$t,arguments:$a}}' |
				jq -Rr '"data = " + tojson'
			echo "output = \"$BENCH_DIR/out.$n\""
			echo 'write-out = "%{time_total}\n"'
		} >>"$cfg"
	done
	chmod 600 "$cfg"
	curl -K "$cfg" >"$BENCH_DIR/times"
	errors=0
	for n in $(seq 1 "$CALLS"); do
		jq -e '.result.isError == false' "$BENCH_DIR/out.$n" >/dev/null 2>&1 || errors=$((errors + 1))
	done
	printf '| `%s` | %s | %s |\n' "$t" "$(stat "$BENCH_DIR/times")" "$errors" >>"$rows"
done

section=$BENCH_DIR/section.md
{
	echo "# MCP tool calls (bench/mcp-tools.sh)"
	echo
	echo "Produced by \`bench/mcp-tools.sh\` on $(date -u +%Y-%m-%d): lighttpd, $MCPAUTH_PROCS FastCGI processes per program,"
	echo "$(nproc) cores. Each tool $CALLS times through POST /mcp (tools/call, the admin's token), one call at a time"
	echo "on one kept-alive connection; the time is curl's, the HTTP round trip included."
	echo
	echo "| tool | median ms | p90 ms | max ms | not a success |"
	echo "|---|---:|---:|---:|---:|"
	cat "$rows"
	echo
	echo "(Load average when it started: $LOAD; the machine was shared, so the max is the"
	echo "scheduler's as much as the tool's.)"
} >"$section"
cat "$section"
cp "$section" bench/RESULTS-mcp-tools.md
echo "wrote bench/RESULTS-mcp-tools.md" >&2
