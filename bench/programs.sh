#!/bin/bash
# What each program weighs: its size as built and stripped, and the memory
# of one idle process after one request (Rss, Pss and the private pages
# from /proc/PID/smaps_rollup) while lighttpd serves the suite with one
# process per program. Pss divides each shared page by every process that
# maps it, on the whole machine: other programs using the same libraries
# (or running the same binaries) lower it. Run by hand after a build, on an
# otherwise idle machine; prints the README's table.
#   bench/programs.sh [BUILDDIR]     (default: build)
set -e
cd "$(dirname "$0")/.."
top_srcdir=$PWD
top_builddir=$(cd "${1:-build}" && pwd)
export top_srcdir top_builddir
# shellcheck source=../tests/integration/lib.sh
. tests/integration/lib.sh
set +e

start_server 1 || exit 1
KEY="$MCPAUTH_STATE_DIR/signing-key.pem"
NOW=$(date +%s)
H="{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"$(server_kid)\"}"
T=$(sign_token "$H" "$(jq -nc --argjson now "$NOW" --arg iss "$MCPAUTH_ISSUER" '{iss:$iss,sub:"auth0|user123",
	aud:"https://your-api.example.com",iat:$now,exp:($now+600),permissions:["read:profile","read:users"],
	scope:"openid"}')" "$KEY")
# One request to each program, each its usual work: a login (the demo
# user; signs), a token checked and a handler run; mcp runs the profile
# tool in process.
one() { # one PATH [curl arguments]: prints the path and the status, never a token
	local path=$1
	shift
	printf '%s %s\n' "$path" "$(curl -s -o /dev/null -w '%{http_code}' "$@" "$BASE$path")" >&2
}
one /auth/login -H 'Content-Type: application/json' -d '{"email":"user@example.com","password":"password"}'
one /api/profile -H "Authorization: Bearer $T"
one /api/users -H "Authorization: Bearer $T"
one /mcp/invoke -H "Authorization: Bearer $T" -H 'Content-Type: application/json' \
	-d '{"toolName":"GET_/api/profile"}'
sleep 1

kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/smaps_rollup"; }
echo "| program | groups linked | size as built | stripped | RSS | PSS | private |"
echo "|---|---|---:|---:|---:|---:|---:|"
for p in auth profile admin mcp; do
	bin=$top_builddir/cgi-bin/$p
	pid=$(pgrep -P "$SERVER_PID" -x "$p" | head -1)
	[ -n "$pid" ] || pid=$(for q in $(pgrep -x "$p"); do
		[ "$(readlink "/proc/$q/exe")" = "$bin" ] && echo "$q"; done | head -1)
	size=$(stat -c %s "$bin")
	strip -o "$TMP_ROOT/stripped" "$bin"
	stripped=$(stat -c %s "$TMP_ROOT/stripped")
	case $p in
	auth) groups="auth (and the other groups' rows)" ;;
	mcp) groups="auth, profile, admin, mcp" ;;
	*) groups=$p ;;
	esac
	printf '| %s | %s | %s | %s | %s KiB | %s KiB | %s KiB |\n' "$p" "$groups" "$size" "$stripped" \
		"$(kib "$pid" Rss)" "$(kib "$pid" Pss)" "$(($(kib "$pid" Private_Clean) + $(kib "$pid" Private_Dirty)))"
done
stop_server
