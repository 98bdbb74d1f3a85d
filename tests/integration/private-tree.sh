#!/usr/bin/env bash
# A build tree the server's user cannot enter (a clone under root's 0700
# home, or under a mktemp -d): the Apache suites drop to www-data, so they
# serve a staged copy of the programs (lib.sh's stage_programs). Here the
# build's programs, tool and Apache configurations sit under a 0700
# directory; each Apache setup is served from there: first without the
# staged copy (the control: www-data cannot run the programs), then as
# every suite does. Root and Apache only, a few seconds.
set -u
export MCPAUTH_TEST_SERVER=apache-fcgid
. "$(dirname "$0")/lib.sh"
if [ -z "$RUN_USER" ]; then
	echo "# SKIP: needs root (the Apache suites drop to an unprivileged user only as root)"
	echo "0 passed, 0 failed"
	exit 77
fi
if [ ! -x "$APACHE2" ]; then
	echo "# SKIP: Apache is not installed"
	echo "0 passed, 0 failed"
	exit 77
fi

# --- the build tree under a 0700 directory ------------------------------------------
PRIVATE="$TMP_ROOT/private"
B="$PRIVATE/clone/build"
mkdir -p "$B/cgi-bin" "$B/tools"
chmod 700 "$PRIVATE"
for f in "$top_builddir"/cgi-bin/*; do
	if [ -f "$f" ] && [ -x "$f" ]; then cp "$f" "$B/cgi-bin/"; fi
done
cp -R "$top_builddir/cgi-bin/errors" "$B/cgi-bin/" 2>/dev/null
cp "$top_builddir/tools/mcpauth" "$B/tools/"
cp -R "$top_builddir/apache-conf" "$B/"
if runuser -u "$RUN_USER" -- test -x "$B/cgi-bin/auth" 2>/dev/null; then
	not_ok "$RUN_USER can reach $B: this test would prove nothing"
else
	ok "$RUN_USER cannot reach the build tree under the 0700 directory"
fi
top_builddir="$B"
MCPAUTH_APACHE_CONF="$B/apache-conf"
unset MCPAUTH_BINDIR

# --- the control: the build tree's own programs, unstaged ---------------------------
real_stage=$(declare -f stage_programs)
stage_programs() { :; }
if start_server 1; then
	req GET /api/profile
	if [ "$STATUS" = 401 ] && [ "$(jbody .error)" = "No token provided" ]; then
		not_ok "unstaged: the programs ran from the 0700 tree (the control shows nothing)"
	else
		ok "unstaged: $RUN_USER cannot run the programs in the 0700 tree (GET /api/profile answers $STATUS)"
	fi
	stop_server
else
	ok "unstaged: the server cannot serve the programs in the 0700 tree"
fi
eval "$real_stage"
unset MCPAUTH_BINDIR

# --- each Apache setup, as the suites run it ---------------------------------------
for server in apache-fcgid apache-proxy-fcgi; do
	[ "$server" = apache-fcgid ] || [ -x "$SPAWN_FCGI" ] || continue
	MCPAUTH_TEST_SERVER=$server
	rm -rf "$TMP_ROOT/state"
	start_server 1 || { not_ok "$server: start from the 0700 tree"; continue; }
	expect_eq "$MCPAUTH_BINDIR" "$TMP_ROOT/staged" "$server: the programs served are the staged copy"
	token=$(login user@example.com password)
	req GET /api/profile -H "Authorization: Bearer $token"
	expect_status 200 "$server: login and profile"
	expect_json .profile.id "auth0|user123" "$server: the profile is the user's"
	req POST /mcp -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H "Authorization: Bearer $token" \
		--data-binary '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_api_profile","arguments":{}}}'
	expect_status 200 "$server: /mcp"
	n=$(pgrep -u "$RUN_USER" -f "^$TMP_ROOT/staged/" | wc -l)
	if [ "$n" -ge 1 ]; then ok "$server: the programs run as $RUN_USER"; else not_ok "$server: no program runs as $RUN_USER"; fi
	expect_clean_log
	stop_server
done
finish
