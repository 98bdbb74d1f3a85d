#!/usr/bin/env bash
# The account pages (sign-up, verification link, password reset) in
# Debian's headless chromium (accounts-browser.mjs, playwright-core), under
# a real lighttpd with sign-up open and the mail captured by a command that
# files each message. Its screenshots go to the build tree, or with
# MCPAUTH_SCREENSHOTS=1 to the documentation's (docs/img/signup.png,
# docs/img/reset.png). npm packages or chromium missing is a failure,
# never a skip.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib.sh"
. "$here/npm.sh"

need_clients "playwright-core"
need_chromium

MAILDIR=$TMP_ROOT/mail
mkdir -p "$MAILDIR"
cat >"$TMP_ROOT/capture" <<'SH'
#!/bin/sh
f="$(dirname "$0")/mail/$1.$(date +%s%N)"
cat >"$f.tmp" && mv "$f.tmp" "$f"
SH
chmod 755 "$TMP_ROOT/capture"
screenshot_dir

export MCPAUTH_SIGNUP=1 MCPAUTH_MAIL_COMMAND=$TMP_ROOT/capture
start_server 1 || { echo "$PASS passed, $((FAIL + 1)) failed"; exit 1; }
BASE="$BASE" MAILDIR="$MAILDIR" SHOT_DIR="$SHOTS" timeout 150 node "$NODE_DIR/accounts-browser.mjs" \
	>"$TMP_ROOT/browser.out" 2>"$TMP_ROOT/browser.err"
rc=$?
while IFS= read -r line; do
	case $line in
	"ok - "*) ok "chromium: ${line#ok - }" ;;
	"not ok - "*) not_ok "chromium: ${line#not ok - }" ;;
	esac
done <"$TMP_ROOT/browser.out"
if [ "$rc" -eq 0 ] && grep -qx '# done' "$TMP_ROOT/browser.out"; then ok "the browser program ran to its end"; else
	not_ok "the browser program ran to its end (exit $rc): $(tail -c 800 "$TMP_ROOT/browser.err")"
fi
expect_eq "$(grep -c '^ok - ' "$TMP_ROOT/browser.out")" 13 "all its checks passed"
for f in signup reset; do expect_screenshot "$f"; done
expect_clean_log
unset MCPAUTH_SIGNUP MCPAUTH_MAIL_COMMAND
finish
