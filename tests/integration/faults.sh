#!/usr/bin/env bash
# Disk faults under a real lighttpd: the state directory on a file system
# that fills up, then on one that turns read-only while the server runs
# (ext4's errors=remount-ro, set off through /sys/fs/ext4/<dev>/trigger_fs_error),
# then programs started afresh on that read-only directory. Every write
# answers 503 with the JSON body and stores nothing; every read keeps
# working; no program crashes; writes work again once there is room.
# It mounts file systems, so it needs root; otherwise it says so and skips.
set -u
. "$(dirname "$0")/lib.sh"

skip() {
	echo "# SKIP: $*"
	echo "0 passed, 0 failed"
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "mounting a small or read-only file system needs root"
STATE="$TMP_ROOT/state"
mkdir -p "$STATE"
mount -t tmpfs -o size=8m,mode=0700 tmpfs "$STATE" 2>/dev/null ||
	skip "cannot mount a tmpfs here (no CAP_SYS_ADMIN?)"
MOUNTS=("$STATE")
# stop_all: lighttpd, and wait for its programs to be gone too (they hold
# the file system, and under ASan they take a moment to exit).
stop_all() {
	local kids i
	[ -n "$SERVER_PID" ] && kids=$(pgrep -P "$SERVER_PID")
	stop_server
	for i in $(seq 1 100); do
		[ -z "${kids:-}" ] && return 0
		kill -0 $kids 2>/dev/null || return 0
		sleep 0.1
	done
}
# umount_wait DIR: the programs lighttpd stopped may take a moment to go
# (longer under ASan), and the file system is busy until they have.
umount_wait() {
	local i
	for i in $(seq 1 100); do
		umount "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "# cannot unmount $1: $(umount "$1" 2>&1)"
	return 1
}
unmount_all() {
	stop_all
	local m
	for m in "${MOUNTS[@]}"; do umount_wait "$m" >/dev/null; done
	rm -rf "$TMP_ROOT"
}
# setup_failed WHAT: the rest cannot run; say so and stop.
setup_failed() {
	not_ok "setting up: $*"
	finish
	exit 1
}
trap unmount_all EXIT

# writes_refused LABEL: every write answers 503 JSON, over HTTP and as tools.
writes_refused() {
	local label=$1
	req PUT /api/profile -H "Authorization: Bearer $USER" -d '{"name":"Never Stored"}'
	expect_status 503 "$label: PUT /api/profile"
	expect_json '.error + "|" + (.message | length > 0 | tostring)' "Service unavailable|true" "$label: PUT /api/profile body"
	expect_header Content-Type '^application/json' "$label: PUT /api/profile is JSON"
	req POST /api/users -H "Authorization: Bearer $ADMIN" -d "{\"name\":\"Never\",\"email\":\"never-$label@example.com\"}"
	expect_status 503 "$label: POST /api/users"
	expect_json .error "Service unavailable" "$label: POST /api/users body"
	req POST /api/admin/permissions -H "Authorization: Bearer $ADMIN" \
		-d '{"userId":"auth0|readonly789","permissions":["admin:all"]}'
	expect_status 503 "$label: POST /api/admin/permissions"
	expect_json .error "Service unavailable" "$label: POST /api/admin/permissions body"
	req POST /mcp/invoke -H "Authorization: Bearer $USER" -H 'Content-Type: application/json' \
		-d '{"toolName":"PUT_/api/profile","args":{"name":"Never Stored"}}'
	expect_status 503 "$label: PUT /api/profile through /mcp/invoke"
	expect_json '(.ok|tostring) + "|" + .result.error' "false|Service unavailable" "$label: /mcp/invoke body"
	req POST /mcp -H "Authorization: Bearer $USER" -H 'Content-Type: application/json' \
		-d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"put_api_profile","arguments":{"name":"Never Stored"}}}'
	expect_status 200 "$label: tools/call put_api_profile answers a tool result"
	expect_json '(.result.isError|tostring) + "|" + (.result.content[0].text | fromjson | .error)' \
		"true|Service unavailable" "$label: the tool result is the route's 503"
}

# reads_work LABEL NAME: every read answers, with what was stored before.
reads_work() {
	local label=$1 name=$2
	req GET /api/profile -H "Authorization: Bearer $USER"
	expect_status 200 "$label: GET /api/profile"
	expect_json .profile.name "$name" "$label: the profile is the one stored before"
	req GET /api/users -H "Authorization: Bearer $ADMIN"
	expect_status 200 "$label: GET /api/users"
	expect_json "[.users[].email] | index(\"never-$label@example.com\") == null" true "$label: the refused user was not stored"
	req GET /api/admin/users -H "Authorization: Bearer $ADMIN"
	expect_status 200 "$label: GET /api/admin/users"
	expect_json '[.users[] | select(.id == "auth0|readonly789") | .permissions[]] | index("admin:all") == null' true \
		"$label: the refused permissions were not stored"
	req POST /mcp -H "Authorization: Bearer $USER" -H 'Content-Type: application/json' \
		-d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_api_profile","arguments":{}}}'
	expect_json '.result.isError|tostring' false "$label: tools/call get_api_profile"
	req GET /.well-known/jwks.json
	expect_status 200 "$label: the JWKS"
	# Login reads the store; should it write (rate limiting), a 503 in JSON
	# is the honest answer, never a 500 or a page.
	req POST /auth/login -H 'Content-Type: application/json' -d '{"email":"user@example.com","password":"password"}'
	if [ "$STATUS" = 200 ] && [ -n "$(jbody .access_token)" ]; then
		ok "$label: login works"
	elif [ "$STATUS" = 503 ] && [ "$(jbody .error)" = "Service unavailable" ]; then
		ok "$label: login answers 503 JSON (it writes)"
	else
		not_ok "$label: login answered $STATUS"
	fi
}

# --- 1. full disk ---------------------------------------------------------------
start_server 2 || { echo "0 passed, 1 failed"; exit 1; }
USER=$(login user@example.com password)
ADMIN=$(login admin@example.com admin)
req PUT /api/profile -H "Authorization: Bearer $USER" -d '{"name":"Before The Fault"}'
expect_status 200 "full: a write while there is room"
dd if=/dev/zero of="$STATE/filler" bs=64k 2>/dev/null
expect_eq "$(df --output=avail -k "$STATE" | tail -1 | tr -d ' ')" 0 "full: the state directory's file system is full"
writes_refused full
reads_work full "Before The Fault"
rm -f "$STATE/filler"
req PUT /api/profile -H "Authorization: Bearer $USER" -d '{"name":"After The Fault"}'
expect_status 200 "full: writes work again once there is room"
req POST /api/users -H "Authorization: Bearer $ADMIN" -d '{"name":"Later","email":"later@example.com"}'
expect_status 201 "full: POST /api/users works again"
req GET /api/profile -H "Authorization: Bearer $USER"
expect_json .profile.name "After The Fault" "full: the write after the fault is stored"
expect_clean_log
stop_all

# --- 2. read-only while running -------------------------------------------------
dev=
if command -v mkfs.ext4 >/dev/null && truncate -s 32M "$TMP_ROOT/ext4.img" &&
	mkfs.ext4 -q -F "$TMP_ROOT/ext4.img" 2>/dev/null && rm -rf "$TMP_ROOT/ro" && mkdir -p "$TMP_ROOT/ro" &&
	mount -o loop,errors=remount-ro "$TMP_ROOT/ext4.img" "$TMP_ROOT/ro" 2>/dev/null; then
	MOUNTS=("$TMP_ROOT/ro" "${MOUNTS[@]}")
	dev=$(basename "$(findmnt -n -o SOURCE "$TMP_ROOT/ro")")
	[ -w "/sys/fs/ext4/$dev/trigger_fs_error" ] || dev=
fi
if [ -z "$dev" ]; then
	echo "# SKIP read-only phases: no loop device, mkfs.ext4 or /sys/fs/ext4/<dev>/trigger_fs_error"
	finish
	exit $?
fi
# start_server puts the state in $TMP_ROOT/state: that is now the ext4 one.
umount_wait "$STATE" || setup_failed "cannot unmount the tmpfs"
MOUNTS=("$TMP_ROOT/ro")
mount --bind "$TMP_ROOT/ro" "$STATE" || setup_failed "cannot bind the ext4 file system"
MOUNTS=("$STATE" "$TMP_ROOT/ro")
start_server 2 || { echo "0 passed, 1 failed"; exit 1; }
USER=$(login user@example.com password)
ADMIN=$(login admin@example.com admin)
req PUT /api/profile -H "Authorization: Bearer $USER" -d '{"name":"Before Read Only"}'
expect_status 200 "read-only: a write before the fault"
echo "mcpauth faults test" >"/sys/fs/ext4/$dev/trigger_fs_error"
sleep 0.5
if (: >"$STATE/probe") 2>/dev/null; then
	not_ok "read-only: the file system is still writable"
else
	ok "read-only: ext4 remounted the state directory read-only"
fi
writes_refused readonly
reads_work readonly "Before Read Only"
expect_clean_log
stop_all

# --- 3. programs started afresh on the read-only directory -----------------------
# lighttpd keeps its pid file and sockets in the state directory in the
# suite's configuration; here they go elsewhere, as in a packaged install,
# so that only the programs face the read-only directory.
RUN="$TMP_ROOT/run"
mkdir -p "$RUN"
ro_server() {
	local port sock="$RUN/fcgi-$RANDOM.sock"
	port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
	cat >"$RUN/lighttpd.conf" <<CONF
server.modules += ( "mod_fastcgi" )
server.document-root = "$RUN"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$RUN/error.log"
fastcgi.server = ( "/" => (( "socket" => "$sock", "bin-path" => "$MCPAUTH_BINDIR/admin",
	"bin-environment" => ( "MCPAUTH_STATE_DIR" => "$STATE" ), "bin-copy-environment" => ( "MCPAUTH_ISSUER", "ASAN_OPTIONS", "UBSAN_OPTIONS" ),
	"max-procs" => 1, "check-local" => "disable" )) )
CONF
	"$LIGHTTPD" -D -f "$RUN/lighttpd.conf" 2>>"$RUN/stderr" &
	SERVER_PID=$!
	BASE="http://127.0.0.1:$port"
	local i
	for i in $(seq 1 200); do
		curl -s -o /dev/null --max-time 2 "$BASE/api/users" && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# lighttpd did not answer; its logs:"
	cat "$RUN/stderr" "$RUN/error.log" 2>&1 | tail -8 | sed 's/^/# /'
	return 1
}
# 3a. after a crash: the -wal and -shm files are still there.
if ro_server; then ok "read-only restart: lighttpd and the admin program started"; else not_ok "read-only restart: no answer"; fi
req GET /api/users -H "Authorization: Bearer $ADMIN"
expect_status 200 "read-only restart: GET /api/users"
expect_json '[.users[] | select(.id == "auth0|user123") | .name][0]' "Before Read Only" "read-only restart: the stored data"
req POST /api/users -H "Authorization: Bearer $ADMIN" -d '{"name":"Never","email":"never-restart@example.com"}'
expect_status 503 "read-only restart: POST /api/users"
expect_json .message "The user could not be stored; try again" "read-only restart: the 503 is the program's, not lighttpd's"
if grep -q 'is read-only: reads are served' "$RUN/stderr"; then ok "read-only restart: the program said so at start"; else not_ok "read-only restart: no warning at start"; fi
stop_all
# 3b. after a clean shutdown: no -wal, no -shm, and none can be made.
umount_wait "$STATE" && umount_wait "$TMP_ROOT/ro" || setup_failed "cannot unmount the ext4 file system"
MOUNTS=()
mount -o loop "$TMP_ROOT/ext4.img" "$TMP_ROOT/ro" || setup_failed "cannot mount the ext4 image again"
MOUNTS=("$TMP_ROOT/ro")
sqlite3 "$TMP_ROOT/ro/mcpauth.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null ||
	setup_failed "cannot checkpoint the database"
rm -f "$TMP_ROOT/ro/mcpauth.db-wal" "$TMP_ROOT/ro/mcpauth.db-shm"
umount_wait "$TMP_ROOT/ro" || setup_failed "cannot unmount the ext4 file system"
MOUNTS=()
mount -o loop,ro "$TMP_ROOT/ext4.img" "$TMP_ROOT/ro" || setup_failed "cannot mount the ext4 image read-only"
MOUNTS=("$TMP_ROOT/ro")
mount --bind "$TMP_ROOT/ro" "$STATE" || setup_failed "cannot bind the read-only file system"
MOUNTS=("$STATE" "$TMP_ROOT/ro")
expect_eq "$(ls "$STATE" | grep -cE 'mcpauth.db-(wal|shm)')" 0 "clean read-only start: no -wal or -shm file"
: >"$RUN/stderr"
if ro_server; then ok "clean read-only start: lighttpd and the admin program started"; else not_ok "clean read-only start: no answer"; fi
req GET /api/users -H "Authorization: Bearer $ADMIN"
expect_status 200 "clean read-only start: GET /api/users"
expect_json '[.users[] | select(.id == "auth0|user123") | .name][0]' "Before Read Only" "clean read-only start: the stored data"
req POST /api/admin/permissions -H "Authorization: Bearer $ADMIN" -d '{"userId":"auth0|readonly789","permissions":["read:profile"]}'
expect_status 503 "clean read-only start: POST /api/admin/permissions"
if grep -qE 'AddressSanitizer|runtime error|child (exited|signall?ed)' "$RUN/stderr" "$RUN/error.log"; then
	not_ok "read-only starts: a program crashed: $(grep -hE 'Sanitizer|runtime error|child' "$RUN/stderr" "$RUN/error.log" | head -2)"
else
	ok "read-only starts: no program crashed"
fi
finish
