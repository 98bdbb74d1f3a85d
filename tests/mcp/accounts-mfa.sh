#!/usr/bin/env bash
# Two-factor login (issue 17) in Debian's chromium, headless, under a real
# lighttpd (mfa-browser.mjs, playwright-core): /account/mfa's QR code and
# confirmation, then /authorize's second form. Its screenshots go to the
# build tree, or to docs/img/ (shown in docs/accounts.md) with
# MCPAUTH_SCREENSHOTS=1.
# npm packages or chromium missing is a failure, never a skip.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib.sh"
. "$here/npm.sh"

need_clients "playwright-core"
need_chromium
start_server 2 || { not_ok "start lighttpd"; finish; exit 1; }

EMAIL=totp-browser@example.com PW='Totp-Browser-Pass-1'
printf '%s\n' "$PW" | "$top_builddir/tools/mcpauth" user add "$EMAIL" --name 'Totp Browser' \
	--permissions 'read:profile' >/dev/null 2>&1
screenshot_dir
BASE="$BASE" EMAIL="$EMAIL" PASSWORD="$PW" SCREENSHOT_DIR="$SHOTS" \
	timeout 150 node "$NODE_DIR/mfa-browser.mjs" >"$TMP_ROOT/browser.out" 2>"$TMP_ROOT/browser.err"
node_checks chromium "$TMP_ROOT/browser.out" "$TMP_ROOT/browser.err" $? 14
for f in mfa-setup mfa-code; do expect_screenshot "$f"; done
json=$(printf '{"email":"%s","password":"%s"}' "$EMAIL" "$PW")
req POST /auth/login -d "$json"
expect_json .error mfa_required "the JSON login of the page's user now asks for the code too"
if server_log | grep -qF "$PW"; then not_ok "no password in the logs"; else ok "no password in the logs"; fi
expect_clean_log
finish
