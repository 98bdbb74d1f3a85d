#!/usr/bin/env bash
# The Host check against a real server (DNS rebinding): a Host that is not
# allowed gets a JSON 421 on every route of every program, OPTIONS
# included, and is never echoed (resource metadata, WWW-Authenticate);
# the default serves the loopback names on any port, MCPAUTH_ALLOWED_HOSTS
# exactly its list. Under lighttpd also: the document root is an empty
# directory of its own, and nothing in the state directory can be fetched.
set -u
. "$(dirname "$0")/lib.sh"

unset MCPAUTH_ALLOWED_HOSTS
start_server 1 || { echo "0 passed, 1 failed"; exit 1; }
au() { printf 'Authorization: Bearer %s' "$1"; }
TOKEN=$(login user@example.com password)
ADMIN=$(login admin@example.com admin)
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
MCP_ACCEPT='Accept: application/json, text/event-stream'

# refused DESC HOST METHOD PATH [curl args]: a JSON 421 that names nothing
# of the refused host and carries no challenge or CORS header.
refusals=0
refused() {
	local desc=$1 host=$2 method=$3 path=$4
	shift 4
	refusals=$((refusals + 1))
	req "$method" "$path" -H "Host: $host" "$@"
	expect_status 421 "$desc"
	expect_json .error "Misdirected request" "$desc: JSON error"
	if [ -n "$(jbody .message)" ]; then ok "$desc: JSON message"; else not_ok "$desc: JSON message"; fi
	expect_header Content-Type '^application/json' "$desc: Content-Type JSON"
	if grep -qi "${host%%:*}" "$TMP_ROOT/body" "$TMP_ROOT/headers"; then
		not_ok "$desc: the refused host is not echoed"
	else
		ok "$desc: the refused host is not echoed"
	fi
	if grep -qiE '^(WWW-Authenticate|Access-Control-Allow-Origin):' "$TMP_ROOT/headers"; then
		not_ok "$desc: no challenge, no CORS header"
	else
		ok "$desc: no challenge, no CORS header"
	fi
}

# --- default: loopback names only ---------------------------------------------
EVIL=evil.example
refused "GET / (auth)" $EVIL GET /
refused "POST /auth/login (auth)" $EVIL POST /auth/login -H 'Content-Type: application/json' \
	-d '{"email":"user@example.com","password":"password"}'
refused "GET /.well-known/jwks.json" $EVIL GET /.well-known/jwks.json
refused "GET /.well-known/oauth-protected-resource/mcp" $EVIL GET /.well-known/oauth-protected-resource/mcp
refused "GET /api/profile with a good token (profile)" $EVIL GET /api/profile -H "$(au "$TOKEN")"
refused "GET /api/profile without a token (no challenge)" $EVIL GET /api/profile
refused "GET /api/users as admin (admin)" $EVIL GET /api/users -H "$(au "$ADMIN")"
refused "GET /api/admin/users as admin (admin)" $EVIL GET /api/admin/users -H "$(au "$ADMIN")"
refused "POST /mcp initialize (mcp)" $EVIL POST /mcp -H 'Content-Type: application/json' -H "$MCP_ACCEPT" \
	-H "$(au "$TOKEN")" --data-binary "$INIT"
refused "GET /mcp/tools (mcp)" $EVIL GET /mcp/tools -H "$(au "$TOKEN")"
refused "POST /mcp/invoke (mcp)" $EVIL POST /mcp/invoke -H 'Content-Type: application/json' -H "$(au "$TOKEN")" \
	-d '{"tool":"GET_/api/profile","arguments":{}}'
refused "OPTIONS preflight /api/profile" $EVIL OPTIONS /api/profile -H 'Origin: http://evil.example' \
	-H 'Access-Control-Request-Method: GET'
refused "OPTIONS /mcp" $EVIL OPTIONS /mcp
refused "an unknown path" $EVIL GET /no/such/route
refused "the rebound name with the server's port" "$EVIL:$MCPAUTH_PORT" GET /api/profile -H "$(au "$TOKEN")"
refused "a name under an allowed one" "localhost.evil.example:$MCPAUTH_PORT" GET /
refused "an allowed name as a prefix" "127.0.0.1.evil.example" GET /
refused "another loopback address (not in the default list)" "127.0.0.2:$MCPAUTH_PORT" GET /

# allowed HOST DESC: GET /api/profile answers 200 with that Host.
allowed() {
	req GET /api/profile -H "Host: $1" -H "$(au "$TOKEN")"
	expect_status 200 "$2"
}
allowed "localhost" "localhost (no port) passes"
allowed "localhost:$MCPAUTH_PORT" "localhost with the port passes"
allowed "127.0.0.1:$MCPAUTH_PORT" "127.0.0.1 with the port passes"
allowed "[::1]:$MCPAUTH_PORT" "[::1] with the port passes"
allowed "LocalHost:8080" "names compare case-insensitively, any port"
allowed "localhost.:$MCPAUTH_PORT" "a trailing dot is the same name"

req GET /.well-known/oauth-protected-resource/mcp -H "Host: localhost:$MCPAUTH_PORT"
expect_json .resource "http://localhost:$MCPAUTH_PORT/mcp" "the metadata names the allowed Host"
req GET /api/profile -H "Host: [::1]:$MCPAUTH_PORT"
req GET /api/profile -H "Host: [::1]:$MCPAUTH_PORT"
expect_header WWW-Authenticate "resource_metadata=\"http://\[::1\]:$MCPAUTH_PORT/\.well-known/oauth-protected-resource\"" \
	"a 401 challenge names the allowed Host (an API route: the root's metadata)"
# HTTP/1.0 without a Host: no browser sends it, so it cannot be rebinding.
STATUS=$(curl -s -0 -H 'Host:' -o "$TMP_ROOT/body" -D "$TMP_ROOT/headers" -w '%{http_code}' \
	"$BASE/.well-known/oauth-protected-resource/mcp")
expect_status 200 "HTTP/1.0 without Host is answered"
expect_json .resource "http://localhost/mcp" "without Host the metadata falls back to localhost"

if server_log | grep -q '"event":"host_refused".*"host":"evil.example"'; then
	ok "a refused Host is audited (host_refused)"
else
	not_ok "a refused Host is audited (host_refused)"
fi
# The unset setting is named in every refusal's audit line; the notice in
# the error log comes once per FastCGI process (four programs, one process
# each here), never under plain CGI, where it would come with every request.
n=$(server_log | grep '"event":"host_refused"' | grep -c '"reason":"MCPAUTH_ALLOWED_HOSTS unset')
expect_eq "$n" "$refusals" "every refusal's audit line names the unset setting"
n=$(server_log | grep -c 'answered 421 (DNS rebinding')
case "$MCPAUTH_TEST_SERVER" in
*-cgi)
	expect_eq "$n" 0 "plain CGI: no notice line per refused request"
	;;
*)
	if [ "$n" -ge 1 ] && [ "$n" -le 4 ]; then
		ok "the unset setting is named in the log once per program ($n)"
	else
		not_ok "the unset setting is named in the log once per program: $n lines"
	fi
	;;
esac

# --- MCPAUTH_ALLOWED_HOSTS: exactly the list -------------------------------------
export MCPAUTH_ALLOWED_HOSTS="api.example.com, localhost:$MCPAUTH_PORT,[::1]"
restart_server 1 || { not_ok "restart with MCPAUTH_ALLOWED_HOSTS"; finish; exit 1; }
allowed "api.example.com" "a listed name passes"
allowed "api.example.com:8443" "a listed name without a port passes with any port"
allowed "API.Example.COM." "a listed name: case and a trailing dot do not matter"
allowed "localhost:$MCPAUTH_PORT" "a listed name:port passes"
allowed "[::1]:$MCPAUTH_PORT" "a listed IPv6 address passes"
refused "a listed name:port with another port" "localhost:$((MCPAUTH_PORT + 1))" GET /api/profile -H "$(au "$TOKEN")"
refused "127.0.0.1 is not on the list" "127.0.0.1:$MCPAUTH_PORT" GET /api/profile -H "$(au "$TOKEN")"
refused "the rebound name with the list set" $EVIL GET /.well-known/oauth-protected-resource/mcp
refused "a suffix of a listed name" "example.com" GET /
refused "OPTIONS with the list set" $EVIL OPTIONS /api/users -H "Origin: http://$EVIL" \
	-H 'Access-Control-Request-Method: POST'
if server_log | grep '"event":"host_refused"' | grep -q '"reason":"not in MCPAUTH_ALLOWED_HOSTS"'; then
	ok "with the list set, the audit line says the Host is not on it"
else
	not_ok "with the list set, the audit line says the Host is not on it"
fi
req GET /.well-known/oauth-protected-resource/mcp -H "Host: api.example.com"
expect_json .resource "http://api.example.com/mcp" "the metadata names a listed Host"
req POST /mcp -H 'Host: api.example.com' -H 'Content-Type: application/json' -H "$MCP_ACCEPT" \
	-H "$(au "$TOKEN")" --data-binary '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_api_profile","arguments":{}}}'
expect_status 200 "a tool call with a listed Host runs its route in process"
expect_json '.result.isError' "false" "the in-process route is not refused again"

# A bad list stops the program at start, with one line naming the setting.
for bad in "https://api.example.com/" "api.example.com/x" "api.example.com:http" "," "[::1"; do
	if MCPAUTH_ALLOWED_HOSTS=$bad "$MCPAUTH_BINDIR/auth" </dev/null 2>"$TMP_ROOT/bad.err"; then
		not_ok "MCPAUTH_ALLOWED_HOSTS='$bad' is refused at start"
	else
		expect_eq "$(grep -c 'MCPAUTH_ALLOWED_HOSTS must be' "$TMP_ROOT/bad.err")" 1 \
			"MCPAUTH_ALLOWED_HOSTS='$bad' is refused at start"
	fi
done
unset MCPAUTH_ALLOWED_HOSTS
expect_clean_log

# --- lighttpd: an empty document root of its own ---------------------------------
if [ "$MCPAUTH_TEST_SERVER" = lighttpd ]; then
	root=$("$LIGHTTPD" -p -f "$top_srcdir/lighttpd-conf/mcpauth.conf" 2>/dev/null |
		sed -n 's/^[[:space:]]*server\.document-root[[:space:]]*=[[:space:]]*"\(.*\)".*/\1/p')
	state=$(cd "$MCPAUTH_STATE_DIR" && pwd -P)
	if [ -n "$root" ] && [ -d "$root" ]; then ok "the document root exists ($root)"; else not_ok "the document root exists: '$root'"; fi
	case "$(cd "$root" 2>/dev/null && pwd -P)/" in
	"$state"/*) not_ok "the document root is not in the state directory ($root)" ;;
	*) ok "the document root is not in the state directory" ;;
	esac
	expect_eq "$(find "$root" -mindepth 1 2>/dev/null | wc -l)" 0 "the document root is empty"
	echo "canary" >"$MCPAUTH_STATE_DIR/canary.txt"
	fetched=0 tried=0
	for f in "$MCPAUTH_STATE_DIR"/*; do
		name=${f##*/}
		for path in "/$name" "/state/$name" "/..%2f$name" "/%2e%2e/state/$name"; do
			tried=$((tried + 1))
			req GET "$path" --path-as-is
			if [ "$STATUS" = 200 ] || grep -qE 'PRIVATE KEY|canary|SQLite format' "$TMP_ROOT/body"; then
				fetched=$((fetched + 1))
				not_ok "state file $name is not served at $path (status $STATUS)"
			fi
		done
	done
	[ "$fetched" -eq 0 ] && ok "no state file is served ($tried paths, signing key and database included)"
	rm -f "$MCPAUTH_STATE_DIR/canary.txt"
fi

finish
