# Helpers for the integration tests: start a real lighttpd with the built
# programs on a free loopback port, talk HTTP with curl, count assertions.
# shellcheck shell=bash

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${LIGHTTPD:=$(command -v lighttpd || echo /usr/sbin/lighttpd)}"

PASS=0
FAIL=0
TMP_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/mcpauth-test.XXXXXX")
SERVER_PID=
BASE=

cleanup() {
	stop_server
	rm -rf "$TMP_ROOT"
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); [ -n "${VERBOSE:-}" ] && echo "ok - $*"; return 0; }
not_ok() {
	FAIL=$((FAIL + 1))
	echo "not ok - $*"
	[ -f "$TMP_ROOT/body" ] && echo "  status: $STATUS body: $(head -c 600 "$TMP_ROOT/body")"
	return 0
}

# start_server [procs]: a fresh state directory and a lighttpd on a free port.
# Extra settings come from the caller's environment (AUTH0_*, MCPAUTH_*).
start_server() {
	local procs=${1:-1} try port
	export MCPAUTH_STATE_DIR="$TMP_ROOT/state"
	export MCPAUTH_BINDIR="${MCPAUTH_BINDIR:-$top_builddir/cgi-bin}"
	export MCPAUTH_HOST=127.0.0.1 MCPAUTH_PROCS=$procs
	export MCPAUTH_ERRORLOG="$TMP_ROOT/error.log"
	mkdir -p "$MCPAUTH_STATE_DIR"
	for try in 1 2 3 4 5 6 7 8; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		export MCPAUTH_PORT=$port
		"$LIGHTTPD" -D -f "$top_srcdir/lighttpd-conf/mcpauth.conf" 2>>"$TMP_ROOT/lighttpd.stderr" &
		SERVER_PID=$!
		BASE="http://127.0.0.1:$port"
		local i
		for i in $(seq 1 100); do
			if ! kill -0 "$SERVER_PID" 2>/dev/null; then
				break
			fi
			if curl -s -o /dev/null --max-time 2 "$BASE/"; then
				return 0
			fi
			sleep 0.1
		done
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
		SERVER_PID=
	done
	echo "could not start lighttpd; its log:" >&2
	cat "$TMP_ROOT/lighttpd.stderr" "$MCPAUTH_ERRORLOG" >&2 2>/dev/null
	return 1
}

stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
		SERVER_PID=
	fi
}

# req METHOD PATH [curl args]: sets STATUS; the body is in $TMP_ROOT/body,
# the headers in $TMP_ROOT/headers.
req() {
	local method=$1 path=$2
	shift 2
	STATUS=$(curl -s -o "$TMP_ROOT/body" -D "$TMP_ROOT/headers" -w '%{http_code}' --max-time 20 \
		-X "$method" "$@" "$BASE$path")
}

body() { cat "$TMP_ROOT/body"; }

# Everything lighttpd and the programs logged (the programs' stderr is
# lighttpd's stderr in the foreground).
server_log() { cat "$MCPAUTH_ERRORLOG" "$TMP_ROOT/lighttpd.stderr" 2>/dev/null; }

# No program died and no sanitizer spoke.
expect_clean_log() {
	local bad
	bad=$(server_log | grep -E 'child exited|child signall?ed|AddressSanitizer|LeakSanitizer|runtime error' | head -3)
	if [ -z "$bad" ]; then ok "no program crashed"; else not_ok "no program crashed: $bad"; fi
}

# jq over the last body.
jbody() { jq -r "$1" "$TMP_ROOT/body" 2>/dev/null; }

header() { grep -i "^$1:" "$TMP_ROOT/headers" | head -1 | cut -d: -f2- | sed 's/^ *//; s/\r$//'; }

expect_status() {
	if [ "$STATUS" = "$1" ]; then ok "$2 (status $1)"; else not_ok "$2: expected status $1, got $STATUS"; fi
}

# expect_json FILTER VALUE DESC: jq -r FILTER of the body equals VALUE.
expect_json() {
	local got
	got=$(jbody "$1")
	if [ "$got" = "$2" ]; then ok "$3"; else not_ok "$3: $1 expected '$2', got '$got'"; fi
}

# expect_header NAME REGEX DESC
expect_header() {
	local got
	got=$(header "$1")
	if printf '%s' "$got" | grep -Eq -- "$2"; then ok "$3"; else not_ok "$3: header $1 '$got' !~ /$2/"; fi
}

expect_eq() {
	if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3: expected '$2', got '$1'"; fi
}

# login EMAIL PASSWORD: prints the access token.
login() {
	curl -s --max-time 20 -H 'Content-Type: application/json' \
		-d "{\"email\":\"$1\",\"password\":\"$2\"}" "$BASE/auth/login" | jq -r .access_token
}

finish() {
	stop_server
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# sign_token HEADER_JSON PAYLOAD_JSON KEYFILE: an RS256 compact JWS.
sign_token() {
	local h p s
	h=$(printf '%s' "$1" | b64url)
	p=$(printf '%s' "$2" | b64url)
	s=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -sign "$3" -binary | b64url)
	printf '%s.%s.%s' "$h" "$p" "$s"
}

# The server's own kid, from its published JWKS.
server_kid() { curl -s "$BASE/.well-known/jwks.json" | jq -r '.keys[0].kid'; }
