#!/usr/bin/env bash
# ./serve.sh as a newcomer runs it: it serves on the given port, the login
# curl it prints works, and SIGTERM stops lighttpd and every FastCGI program.
# Settings that fail validation stop a program at start with one line.
set -u
. "$(dirname "$0")/lib.sh"

# Bad settings: one clear line on stderr, exit status 1, before any request.
for bad in MCPAUTH_LEEWAY=abc MCPAUTH_LEEWAY=9999 MCPAUTH_TOKEN_TTL=5 MCPAUTH_STATE_DIR=relative/dir \
	AUTH0_DOMAIN=https://x.example.com/ MCPAUTH_RESOURCE_URL=ftp://x MCPAUTH_ISSUER=mcpauth.local \
	MCPAUTH_ISSUER=https://api.example.com/?tenant=1; do
	env MCPAUTH_STATE_DIR="$TMP_ROOT/bad" "$bad" "$top_builddir/cgi-bin/profile" </dev/null >"$TMP_ROOT/out" 2>&1
	rc=$?
	name=${bad%%=*}
	if [ $rc -eq 1 ] && [ "$(wc -l <"$TMP_ROOT/out")" -eq 1 ] && grep -q "$name" "$TMP_ROOT/out"; then
		ok "$bad stops the program with one line naming $name"
	else
		not_ok "$bad: exit $rc, output: $(cat "$TMP_ROOT/out")"
	fi
done

# serve.sh builds in <source>/build: only where the source tree is writable
# (not under make distcheck) and already built there.
if [ ! -w "$top_srcdir" ] || [ ! -x "$top_srcdir/build/cgi-bin/auth" ]; then
	echo "serve.sh part skipped: the source tree is read-only or has no build/"
	finish
	exit $?
fi
port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
PORT=$port MCPAUTH_STATE_DIR="$TMP_ROOT/serve-state" MCPAUTH_ERRORLOG="$TMP_ROOT/serve-error.log" \
	setsid "$top_srcdir/serve.sh" >"$TMP_ROOT/serve.out" 2>&1 &
serve_pid=$!
BASE=http://127.0.0.1:$port
for _ in $(seq 1 300); do curl -s -o /dev/null "$BASE/" && break; sleep 0.1; done
grep -q "mcpauth serving on $BASE" "$TMP_ROOT/serve.out" && ok "serve.sh prints its URL" || not_ok "serve.sh URL: $(head -3 "$TMP_ROOT/serve.out")"
# The login curl serve.sh prints, run as printed.
login_cmd=$(grep -A1 'TOKEN=\$(curl' "$TMP_ROOT/serve.out" | sed 's/^ *//' | tr -d '\\\n')
profile_cmd=$(grep 'curl -s .*api/profile' "$TMP_ROOT/serve.out" | sed 's/^ *//')
out=$(bash -c "$login_cmd; $profile_cmd")
expect_eq "$(printf '%s' "$out" | jq -r .profile.id)" "auth0|user123" "the printed login and profile curls work"
# The issuer is serve.sh's own address: what MCP clients are sent to.
expect_eq "$(curl -s "$BASE/.well-known/oauth-protected-resource/mcp" | jq -r '.authorization_servers[0]')" "$BASE" \
	"serve.sh's issuer is its own address"
expect_eq "$(stat -c %a "$TMP_ROOT/serve-state")" 700 "the state directory is private"
# serve.sh execs lighttpd, so the programs are the children of serve_pid.
mine() { pgrep -P "$serve_pid" | wc -l; }
for _ in $(seq 1 30); do progs=$(mine); [ "$progs" -ge 4 ] && break; sleep 0.1; done
if [ "$progs" -ge 4 ]; then ok "FastCGI programs running ($progs)"; else not_ok "only $progs FastCGI programs: $(pgrep -a -P "$serve_pid" | head -5)"; fi
children=$(pgrep -P "$serve_pid")
kill -TERM "$serve_pid"
for _ in $(seq 1 50); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$serve_pid" 2>/dev/null; then not_ok "serve.sh still running after SIGTERM"; kill -9 "$serve_pid"; else ok "SIGTERM stops serve.sh"; fi
sleep 0.3
left=0
for _ in $(seq 1 30); do
	left=0
	# A zombie has stopped; it only waits for its new parent to reap it.
	for p in $children; do
		st=$(ps -o stat= -p "$p" 2>/dev/null)
		[ -n "$st" ] && [ "${st#Z}" = "$st" ] && left=$((left + 1))
	done
	[ "$left" -eq 0 ] && break
	sleep 0.1
done
expect_eq "$left" 0 "SIGTERM stops every FastCGI program"
finish
