#!/usr/bin/env bash
# The FastCGI connection, spoken by hand (tests/integration/fcgi_client.py)
# to a profile program started as lighttpd and spawn-fcgi start it: a
# request whose input was read to its end closes at once; a body refused
# unread gets the careful close (shut down, read the rest, then close) so
# the answer is not lost; bodies in padded records; FCGI_KEEP_CONN; the
# protocol's other records; the caps and time limits; FCGI_WEB_SERVER_ADDRS
# on a TCP socket; a start without a listening socket.
set -u
. "$(dirname "$0")/lib.sh"

start_server 1 || { echo "0 passed, 1 failed"; exit 1; }
TOKEN=$(login user@example.com password)
[ -n "$TOKEN" ] && [ "$TOKEN" != null ] && ok "logged in" || not_ok "login for a token"
stop_server
checks=0
while IFS= read -r line; do
	checks=$((checks + 1))
	case $line in
	"ok "*) ok "${line#ok }" ;;
	"not ok "*) not_ok "${line#not ok }" ;;
	*) not_ok "fcgi_client.py: $line" ;;
	esac
done < <(python3 "$top_srcdir/tests/integration/fcgi_client.py" "$MCPAUTH_BINDIR/profile" "$TOKEN" \
	"$TMP_ROOT/program.stderr" 2>&1)
grep -q '"event":"profile_updated"' "$TMP_ROOT/program.stderr" && ok "the program's audit line went to its stderr" ||
	not_ok "no audit line from the program: $(head -c 300 "$TMP_ROOT/program.stderr")"
[ "$checks" -eq 20 ] && ok "every check of fcgi_client.py ran" || not_ok "fcgi_client.py printed $checks lines, not 20"
# Not started on a listening socket (from a shell, say): one line, exit 1.
out=$("$MCPAUTH_BINDIR/profile" </dev/null 2>&1)
rc=$?
[ "$rc" -eq 1 ] && [ "$(printf '%s\n' "$out" | grep -c 'standard input is not a listening socket')" -eq 1 ] &&
	ok "started without a listening socket: exit 1 and one line saying so" ||
	not_ok "started without a listening socket: exit $rc, $out"
finish
