#!/usr/bin/env bash
# Serve mcpauth under lighttpd on 127.0.0.1:${PORT:-3009}, in the foreground.
# Installs missing Debian packages (as root), builds, creates the state
# directory (./var unless MCPAUTH_STATE_DIR is set). Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")"
. scripts/common.sh
ensure_packages
build build

export MCPAUTH_STATE_DIR="${MCPAUTH_STATE_DIR:-$PWD/var}"
export MCPAUTH_BINDIR="$PWD/build/cgi-bin"
export MCPAUTH_PASSWORD_LIST="${MCPAUTH_PASSWORD_LIST:-$PWD/data/common-passwords.txt}"
export MCPAUTH_HOST="${HOST:-127.0.0.1}"
export MCPAUTH_PORT="${PORT:-3009}"
export MCPAUTH_PROCS="${MCPAUTH_PROCS:-2}"
export MCPAUTH_ERRORLOG="${MCPAUTH_ERRORLOG:-/dev/stderr}"
mkdir -p "$MCPAUTH_STATE_DIR"
chmod 700 "$MCPAUTH_STATE_DIR"
# The quick start asks for the demo users (the programs never create them);
# every program start then warns that their published passwords work.
build/tools/mcpauth init --demo-users >/dev/null

url="http://$MCPAUTH_HOST:$MCPAUTH_PORT"
# The issuer is this server's own address: MCP clients fetch its metadata
# there and sign in by themselves (docs/oauth.md).
export MCPAUTH_ISSUER="${MCPAUTH_ISSUER:-$url}"
cat <<MSG
mcpauth serving on $url (state in $MCPAUTH_STATE_DIR); Ctrl-C stops it.
Log in and read your profile:
  TOKEN=\$(curl -s -X POST $url/auth/login -H 'Content-Type: application/json' \\
    -d '{"email":"user@example.com","password":"password"}' | jq -r .access_token)
  curl -s $url/api/profile -H "Authorization: Bearer \$TOKEN"
MSG
# lighttpd stops its FastCGI programs when it gets SIGINT or SIGTERM.
exec "$(command -v lighttpd || echo /usr/sbin/lighttpd)" -D -f lighttpd-conf/mcpauth.conf
