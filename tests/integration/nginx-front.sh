#!/usr/bin/env bash
# What nginx itself does in front of the programs, with the shipped
# configuration (nginx-conf/): its own refusals answered in JSON, the
# connections to the programs kept, and a program process held by an idle
# kept connection let go within the idle bound. Run by nginx.sh.
set -u
export MCPAUTH_TEST_SERVER=nginx
. "$(dirname "$0")/lib.sh"

start_server 1 || { echo "0 passed, 1 failed"; exit 1; }
TOKEN=$(login user@example.com password)

# json_error STATUS ERROR DESC: the last answer is nginx's refusal in JSON.
json_error() {
	expect_status "$1" "$3"
	expect_header Content-Type '^application/json' "$3: JSON content type"
	expect_json .error "$2" "$3: error"
	expect_json '.message | length > 0' true "$3: a message"
}

# --- bodies: nginx refuses over the programs' own 64 KiB cap ----------------
head -c 65536 /dev/zero | tr '\0' ' ' >"$TMP_ROOT/64k"
req POST /auth/login --data-binary @"$TMP_ROOT/64k"
expect_status 400 "a body of exactly 64 KiB reaches the program (which finds no JSON in it)"
expect_json .error "Invalid JSON" "64 KiB body: the program's own answer"
head -c 65537 /dev/zero | tr '\0' ' ' >"$TMP_ROOT/64k1"
req POST /auth/login --data-binary @"$TMP_ROOT/64k1"
json_error 413 "Payload too large" "a body of 64 KiB + 1 (nginx)"
req POST /auth/login -H 'Transfer-Encoding: chunked' --data-binary @"$TMP_ROOT/64k1"
json_error 413 "Payload too large" "a chunked body over 64 KiB (nginx)"
req POST /auth/login -H 'Transfer-Encoding: chunked' -d '{"email":"user@example.com","password":"password"}'
expect_status 200 "a chunked body under the cap reaches the program with its length"

# --- headers and the request line -------------------------------------------
LONG=$(head -c 20000 /dev/zero | tr '\0' 'a')
req GET /api/profile -H "Authorization: Bearer $LONG.aa.aa"
expect_status 401 "a 20 KB token passes nginx and gets the programs' 401"
expect_json .error "Invalid token" "20 KB token: the programs' answer"
LONG=$(head -c 40000 /dev/zero | tr '\0' 'a')
req GET /api/profile -H "Authorization: Bearer $LONG"
json_error 431 "Request header fields too large" "a 40 KB header (nginx)"
req GET "/api/profile?q=$LONG"
json_error 414 "URI too long" "a 40 KB request line (nginx)"
# A request line nginx cannot parse, sent by hand.
exec 3<>"/dev/tcp/127.0.0.1/$MCPAUTH_PORT"
printf 'GET /api/profile HTTP/1.1 extra\r\nHost: 127.0.0.1\r\n\r\n' >&3
raw=$(timeout 5 cat <&3)
exec 3<&-
case $raw in
"HTTP/1.1 400 "*) ok "a malformed request line gets 400 (nginx)" ;;
*) not_ok "a malformed request line gets 400: $(printf '%s' "$raw" | head -1)" ;;
esac
expect_eq "$(printf '%s' "$raw" | sed -n '/^\r$/,$p' | tail -n +2 | jq -r .error 2>/dev/null)" "Bad request" \
	"a malformed request line: a JSON body"

# --- the Authorization header and the routes reach the programs -------------
req GET /api/profile -H "Authorization: Bearer $TOKEN"
expect_status 200 "the Authorization header reaches profile"
req GET /api/profilex -H "Authorization: Bearer $TOKEN"
expect_status 404 "a path that only starts like a prefix: a program's JSON 404"
expect_json '.error | length > 0' true "its body is JSON"
req GET "/api/profile?x=1" -H "Authorization: Bearer $TOKEN"
expect_status 200 "a query string: REQUEST_URI as sent, the path still routed"

# --- kept connections: one connection to profile for many requests ---------
kept() { # the connected Unix sockets at a program's listening socket
	ss -Hx state connected 2>/dev/null | grep -c "$TMP_ROOT/run/$1.sock"
}
for _ in 1 2 3 4 5 6 7 8; do
	curl -s -o /dev/null --max-time 10 -H "Authorization: Bearer $TOKEN" "$BASE/api/profile"
done
expect_eq "$(kept profile)" 1 "eight requests, one kept connection to profile"

# --- the idle bound: a process held by an idle kept connection is let go ------
# One process per program here, held by nginx's idle kept connection after
# the request above: a direct FastCGI client on the same socket waits until
# the program gives up the idle connection (MCPAUTH_REQUEST_TIMEOUT), or
# nginx does (keepalive_timeout, 5 s), whichever comes first.
held_wait() { # seconds from an answer through nginx until a direct FastCGI request on profile's socket is answered
	curl -s -o /dev/null --max-time 10 -H "Authorization: Bearer $TOKEN" "$BASE/api/profile"
	python3 - "$TMP_ROOT/run/profile.sock" "$TOKEN" "$(date +%s.%N)" <<'PY'
import socket, struct, sys, time
def record(rtype, content):
    return struct.pack("!BBHHBx", 1, rtype, 1, len(content), 0) + content
def pair(k, v):
    return bytes([len(k), len(v)]) + k + v if len(v) < 128 else \
        bytes([len(k)]) + struct.pack("!I", len(v) | 0x80000000) + k + v
env = {b"REQUEST_METHOD": b"GET", b"REQUEST_URI": b"/api/profile", b"HTTP_HOST": b"127.0.0.1",
       b"REMOTE_ADDR": b"127.0.0.1", b"HTTP_AUTHORIZATION": b"Bearer " + sys.argv[2].encode()}
s = socket.socket(socket.AF_UNIX)
s.settimeout(30)
s.connect(sys.argv[1])
s.sendall(record(1, struct.pack("!HB5x", 1, 0)) + record(4, b"".join(pair(k, v) for k, v in env.items()))
          + record(4, b"") + record(5, b""))
out = b""
while b"\r\n\r\n" not in out:
    chunk = s.recv(65536)
    if not chunk:
        break
    out += chunk
at = out.find(b"Status: ")
status = out[at + 8:at + 11].decode() if at >= 0 else "?"
print("%.1f %s" % (time.time() - float(sys.argv[3]), status))
PY
}
export MCPAUTH_REQUEST_TIMEOUT=2
restart_server 1 || { not_ok "restart with MCPAUTH_REQUEST_TIMEOUT=2"; finish; exit 1; }
read -r WAIT2 ST <<<"$(held_wait)"
echo "# held by an idle kept connection, MCPAUTH_REQUEST_TIMEOUT=2: a direct request waited ${WAIT2} s"
expect_eq "$ST" 200 "the held process answers a direct request once it lets the idle one go"
if awk -v w="$WAIT2" 'BEGIN { exit !(w >= 1.8 && w <= 3.5) }'; then
	ok "the program lets an idle kept connection go at its bound (${WAIT2} s, bound 2 s)"
else
	not_ok "the program lets an idle kept connection go at its bound: waited ${WAIT2} s, bound 2 s"
fi
req GET /api/profile -H "Authorization: Bearer $TOKEN"
expect_status 200 "nginx drops the connection the program closed: the next request is answered"
unset MCPAUTH_REQUEST_TIMEOUT
restart_server 1 || { not_ok "restart with the default bound"; finish; exit 1; }
read -r WAIT10 ST <<<"$(held_wait)"
echo "# held by an idle kept connection, MCPAUTH_REQUEST_TIMEOUT=10: a direct request waited ${WAIT10} s"
expect_eq "$ST" 200 "default bound: the held process answers the direct request"
if awk -v w="$WAIT10" 'BEGIN { exit !(w >= 4.5 && w <= 7) }'; then
	ok "nginx closes an idle connection first (keepalive_timeout 5 s < the programs' 10 s): ${WAIT10} s"
else
	not_ok "nginx closes an idle connection first (keepalive_timeout 5 s): waited ${WAIT10} s"
fi
req GET /api/profile -H "Authorization: Bearer $TOKEN"
expect_status 200 "and the next request through nginx is answered"

# --- a program that is down: nginx's 502, in JSON ----------------------------
stop_programs
req GET /api/profile -H "Authorization: Bearer $TOKEN"
json_error 502 "Bad gateway" "profile not running (nginx)"
expect_eq "$(server_log | grep -c 'Bearer\|eyJ')" 0 "no token in nginx's error log"

finish
