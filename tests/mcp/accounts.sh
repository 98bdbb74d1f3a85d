#!/usr/bin/env bash
# The /account page (issue 17) in Debian's chromium, headless, under a real
# lighttpd (account-browser.mjs, playwright-core): sign-in, sessions, ending
# one, a refused and an accepted password change. Its screenshots go to
# the build tree, or to docs/img/ (shown in docs/accounts.md) with
# MCPAUTH_SCREENSHOTS=1.
# npm packages or chromium missing is a failure, never a skip.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib.sh"
. "$here/npm.sh"

need_clients "playwright-core"
need_chromium
start_server 2 || { not_ok "start lighttpd"; finish; exit 1; }

EMAIL=browser@example.com PW='Browser-Pass-Word-1' NEWPW='Browser-Pass-Word-2'
printf '%s\n' "$PW" | "$top_builddir/tools/mcpauth" user add "$EMAIL" --name 'Browser Person' \
	--permissions 'read:profile write:profile' >/dev/null 2>&1
# Two API logins with refresh tokens: sessions for the page to show.
for _ in 1 2; do
	req POST /auth/login -d "{\"email\":\"$EMAIL\",\"password\":\"$PW\",\"scope\":\"offline_access\"}"
done
RT=$(jbody .refresh_token)
expect_status 200 "the browser test's user logs in with a refresh token"

screenshot_dir
BASE="$BASE" EMAIL="$EMAIL" PASSWORD="$PW" NEW_PASSWORD="$NEWPW" SCREENSHOT_DIR="$SHOTS" \
	timeout 150 node "$NODE_DIR/account-browser.mjs" >"$TMP_ROOT/browser.out" 2>"$TMP_ROOT/browser.err"
node_checks chromium "$TMP_ROOT/browser.out" "$TMP_ROOT/browser.err" $? 18
for f in account-signin account account-weak-password account-password-changed; do expect_screenshot "$f"; done
req POST /auth/refresh -d "{\"refresh_token\":\"$RT\"}"
expect_status 401 "after the page's password change, the API login's refresh token is refused"
server_log >"$TMP_ROOT/all.log"
if grep -qF -e "$PW" -e "$NEWPW" -e not-the-password "$TMP_ROOT/all.log"; then not_ok "no password in the logs"; else
	ok "no password in the logs"
fi
expect_clean_log
finish
