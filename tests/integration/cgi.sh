#!/usr/bin/env bash
# Plain CGI, spoken by hand: a program started without a listening socket
# answers the one request in its environment and on its standard input,
# with the answers and headers of the FastCGI programs (compared with
# lighttpd's, on the same state directory), the same caps (CONTENT_LENGTH
# over 64 KiB refused with the body unread, a short body, a malformed
# CONTENT_LENGTH), the same settings, and the login rate limits, audit log
# and user rows shared with the FastCGI processes.
set -u
. "$(dirname "$0")/lib.sh"

export MCPAUTH_AUDIT_LOG="$TMP_ROOT/audit.log"
start_server 1 || { echo "0 passed, 1 failed"; exit 1; }

# cgi PROGRAM METHOD URI [VAR=value...] <input: runs PROGRAM as a CGI server
# does; sets STATUS and leaves the headers and body where req leaves them.
cgi() {
	local program=$1 method=$2 uri=$3
	shift 3
	env GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD="$method" REQUEST_URI="$uri" \
		REMOTE_ADDR=127.0.0.1 HTTP_HOST="127.0.0.1:$MCPAUTH_PORT" "$@" "$MCPAUTH_BINDIR/$program" \
		>"$TMP_ROOT/cgi.out" 2>>"$TMP_ROOT/cgi.stderr"
	CGI_RC=$?
	sed -n '/^\r\{0,1\}$/q; p' "$TMP_ROOT/cgi.out" >"$TMP_ROOT/headers"
	sed '1,/^\r\{0,1\}$/d' "$TMP_ROOT/cgi.out" >"$TMP_ROOT/body"
	STATUS=$(sed -n 's/^Status: \([0-9]*\) .*/\1/p' "$TMP_ROOT/headers")
}
LOGIN='{"email":"user@example.com","password":"password"}'

# --- one request, the FastCGI answer -----------------------------------------
cgi auth POST /auth/login CONTENT_TYPE=application/json CONTENT_LENGTH=${#LOGIN} <<<"$LOGIN"
expect_status 200 "login through CGI"
TOKEN=$(jbody .access_token)
expect_eq "$CGI_RC" 0 "the program exits 0 once it has answered"
expect_eq "$(header Content-Length)" "$(wc -c <"$TMP_ROOT/body")" "Content-Length is the body's length"
expect_header Cache-Control '^no-store$' "the token answer's headers"
expect_header X-Content-Type-Options '^nosniff$' "nosniff"
cgi profile GET /api/profile HTTP_AUTHORIZATION="Bearer $TOKEN" </dev/null
expect_status 200 "a CGI token works through CGI"
cp "$TMP_ROOT/body" "$TMP_ROOT/cgi.body"
req GET /api/profile -H "Authorization: Bearer $TOKEN"
expect_status 200 "a CGI token works through FastCGI"
cmp -s "$TMP_ROOT/body" "$TMP_ROOT/cgi.body" && ok "GET /api/profile: the same body as FastCGI" ||
	not_ok "GET /api/profile: CGI $(cat "$TMP_ROOT/cgi.body") against FastCGI $(body)"
req GET /api/profile
FCGI_CHALLENGE=$(header WWW-Authenticate)
cgi profile GET /api/profile </dev/null
expect_status 401 "no token: 401"
expect_json '.error | length > 0' true "the 401 is JSON"
expect_eq "$(header WWW-Authenticate)" "$FCGI_CHALLENGE" "the same WWW-Authenticate as FastCGI"
cgi profile GET "/api/profile?x=1" CONTENT_LENGTH= HTTP_AUTHORIZATION="Bearer $TOKEN" </dev/null
expect_status 200 "an empty CONTENT_LENGTH and a query string: served"
cgi admin GET /api/profile HTTP_AUTHORIZATION="Bearer $TOKEN" </dev/null
expect_status 404 "a program answers 404 for another group's path"

# --- the body: exactly CONTENT_LENGTH, capped, short, malformed -------------------
printf '%sTRAILING' "$LOGIN" >"$TMP_ROOT/in"
{
	cgi auth POST /auth/login CONTENT_TYPE=application/json CONTENT_LENGTH=${#LOGIN}
	left=$(wc -c)
} <"$TMP_ROOT/in"
expect_status 200 "the body is CONTENT_LENGTH bytes of the input"
expect_eq "$left" 8 "nothing past CONTENT_LENGTH is read"
head -c 100008 /dev/zero | tr '\0' a >"$TMP_ROOT/big"
{
	cgi auth POST /auth/login CONTENT_TYPE=application/json CONTENT_LENGTH=100000
	left=$(wc -c)
} <"$TMP_ROOT/big"
expect_status 413 "CONTENT_LENGTH over 64 KiB: 413"
expect_json .error "Payload too large" "the 413 is JSON"
# Read only to be dropped, after the answer (a program that exits with its
# input unread can make the server drop the connection, answer and all).
expect_eq "$left" 8 "a body over the cap is dropped, and nothing past CONTENT_LENGTH is read"
start=$(date +%s%N)
cgi auth POST /auth/login CONTENT_TYPE=application/json CONTENT_LENGTH=${#LOGIN} <<<"${LOGIN:0:20}"
ms=$((($(date +%s%N) - start) / 1000000))
expect_status 400 "a body shorter than CONTENT_LENGTH is what arrived: not JSON, 400"
expect_json '.error | length > 0' true "the 400 is JSON"
[ "$ms" -lt 2000 ] && ok "a short body is answered at the end of the input (${ms} ms)" ||
	not_ok "a short body took $ms ms"
for cl in 51x -1 " 51" 99999999999999999999; do
	cgi auth POST /auth/login CONTENT_TYPE=application/json "CONTENT_LENGTH=$cl" <<<"$LOGIN"
	expect_status 400 "CONTENT_LENGTH '$cl': 400"
	expect_json .message "The request's CONTENT_LENGTH is not a number" "CONTENT_LENGTH '$cl': says why"
done

# --- state shared with the FastCGI processes ----------------------------------
cgi profile PUT /api/profile HTTP_AUTHORIZATION="Bearer $TOKEN" CONTENT_TYPE=application/json \
	CONTENT_LENGTH=19 <<<'{"name":"Jo Plain"}'
expect_status 200 "a profile update through CGI"
req GET /api/profile -H "Authorization: Bearer $TOKEN"
expect_json .profile.name "Jo Plain" "the FastCGI process sees the CGI write at once"
for i in 1 2 3; do
	printf '{"email":"viewer@example.com","password":"bad-%s"}' "$i" >"$TMP_ROOT/in"
	cgi auth POST /auth/login CONTENT_TYPE=application/json CONTENT_LENGTH=$(wc -c <"$TMP_ROOT/in") <"$TMP_ROOT/in"
done
expect_status 401 "wrong passwords through CGI: 401"
for i in 4 5; do
	req POST /auth/login -H 'Content-Type: application/json' -d "{\"email\":\"viewer@example.com\",\"password\":\"bad-$i\"}"
done
expect_status 401 "wrong passwords through FastCGI: 401"
printf '%s' '{"email":"viewer@example.com","password":"readonly"}' >"$TMP_ROOT/in"
cgi auth POST /auth/login CONTENT_TYPE=application/json CONTENT_LENGTH=$(wc -c <"$TMP_ROOT/in") <"$TMP_ROOT/in"
expect_status 429 "the sixth login after 3 CGI and 2 FastCGI failures: 429, one count"
expect_header Retry-After '^[0-9]+$' "with Retry-After"
n=$(grep -c '"event":"login_failure".*viewer@example.com' "$MCPAUTH_AUDIT_LOG")
expect_eq "$n" 5 "one audit log: the failures of both kinds of process"
grep -q '"event":"profile_updated"' "$MCPAUTH_AUDIT_LOG" && ok "the CGI update is in the audit log" ||
	not_ok "no profile_updated in the audit log"

# --- starts that are not a request ------------------------------------------------
out=$(env -u GATEWAY_INTERFACE -u REQUEST_METHOD "$MCPAUTH_BINDIR/profile" </dev/null 2>&1)
rc=$?
[ "$rc" -eq 1 ] && [ "$(printf '%s\n' "$out" | grep -c 'no CGI request is in the environment')" -eq 1 ] &&
	ok "no listening socket and no CGI request: exit 1 and one line saying so" ||
	not_ok "started by hand: exit $rc, $out"
cgi profile GET /api/profile MCPAUTH_LEEWAY=abc HTTP_AUTHORIZATION="Bearer $TOKEN" </dev/null
expect_eq "$CGI_RC $(wc -c <"$TMP_ROOT/cgi.out")" "1 0" "a bad setting: exit 1 and no answer"
tail -1 "$TMP_ROOT/cgi.stderr" | grep -q 'MCPAUTH_LEEWAY' && ok "a bad setting: one line naming it" ||
	not_ok "a bad setting: $(tail -1 "$TMP_ROOT/cgi.stderr")"
if grep -qF "${TOKEN##*.}" "$TMP_ROOT/cgi.stderr" "$MCPAUTH_AUDIT_LOG"; then not_ok "no token in the logs"; else ok "no token in the logs"; fi
finish
