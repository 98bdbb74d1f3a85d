#!/usr/bin/env bash
# The FastCGI connection, spoken by hand (tests/integration/fcgi_client.py)
# to the profile and admin programs started as lighttpd and spawn-fcgi
# start them, served by libfcgi through the adapter (lib/http/fcgi.c): a request
# whose input was read to its end closes at once; a body refused unread gets
# the careful close so the answer is not lost; bodies in padded records;
# FCGI_KEEP_CONN; FCGI_GET_VALUES of 64 000 bytes; the caps; the request
# deadline against trickled parameters and body, the idle bound, the write
# bound against a server that never reads; FCGI_WEB_SERVER_ADDRS on a TCP
# socket; a start without a listening socket.
set -u
. "$(dirname "$0")/lib.sh"

start_server 1 || { echo "0 passed, 1 failed"; exit 1; }
TOKEN=$(login user@example.com password)
ADMIN=$(login admin@example.com admin)
[ -n "$TOKEN" ] && [ "$TOKEN" != null ] && ok "logged in" || not_ok "login for a token"
[ -n "$ADMIN" ] && [ "$ADMIN" != null ] && ok "logged in as the administrator" || not_ok "login for an admin token"
stop_server
# Thousands of users: GET /api/users answers far more than a socket holds.
sqlite3 "$MCPAUTH_STATE_DIR/mcpauth.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000)
	INSERT INTO users (sub, email, name, permissions, created_at)
	SELECT 'auth0|bulk' || i, 'bulk' || i || '@example.com', 'Bulk User Number ' || i, 'read:profile',
	'2026-01-01T00:00:00Z' FROM n" && ok "4000 users added" || not_ok "adding users"
checks=0
while IFS= read -r line; do
	checks=$((checks + 1))
	case $line in
	"ok "*) ok "${line#ok }" ;;
	"not ok "*) not_ok "${line#not ok }" ;;
	*) not_ok "fcgi_client.py: $line" ;;
	esac
done < <(MCPAUTH_REQUEST_TIMEOUT=4 python3 "$top_srcdir/tests/integration/fcgi_client.py" "$MCPAUTH_BINDIR" \
	"$TOKEN" "$ADMIN" "$TMP_ROOT/program.stderr" 2>&1)
grep -q '"event":"profile_updated"' "$TMP_ROOT/program.stderr" && ok "the program's audit line went to its stderr" ||
	not_ok "no audit line from the program: $(head -c 300 "$TMP_ROOT/program.stderr")"
[ "$checks" -eq 31 ] && ok "every check of fcgi_client.py ran" || not_ok "fcgi_client.py printed $checks lines, not 31"
# Not started on a listening socket (from a shell, say): one line, exit 1.
out=$("$MCPAUTH_BINDIR/profile" </dev/null 2>&1)
rc=$?
[ "$rc" -eq 1 ] && [ "$(printf '%s\n' "$out" | grep -c 'standard input is not a listening socket')" -eq 1 ] &&
	ok "started without a listening socket: exit 1 and one line saying so" ||
	not_ok "started without a listening socket: exit $rc, $out"
finish
