#!/usr/bin/env bash
# The account pages (sign-up, verification link, password reset) in
# Debian's headless chromium (accounts-browser.mjs, playwright-core), under
# a real lighttpd with sign-up open and the mail captured by a command that
# files each message. Its screenshots are the documentation's
# (docs/img/signup.png, docs/img/reset.png). npm packages or chromium
# missing is a failure, never a skip.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib.sh"
. "$here/npm.sh"

if install_clients; then ok "npm ci installed playwright-core"; else
	not_ok "npm ci installed playwright-core"
	finish
	exit 1
fi
CHROMIUM=${CHROMIUM:-$(command -v chromium || echo /usr/bin/chromium)}
export CHROMIUM
if [ -x "$CHROMIUM" ]; then ok "chromium is installed"; else
	not_ok "chromium is installed (apt-get install chromium; scripts/common.sh lists it)"
	finish
	exit 1
fi

MAILDIR=$TMP_ROOT/mail
mkdir -p "$MAILDIR"
cat >"$TMP_ROOT/capture" <<'SH'
#!/bin/sh
f="$(dirname "$0")/mail/$1.$(date +%s%N)"
cat >"$f.tmp" && mv "$f.tmp" "$f"
SH
chmod 755 "$TMP_ROOT/capture"
# Screenshots into the source tree's docs/img when it can be written (a
# read-only tree keeps them in the build tree).
SHOT_DIR=$top_srcdir/docs/img
mkdir -p "$SHOT_DIR" 2>/dev/null && [ -w "$SHOT_DIR" ] || { SHOT_DIR=$top_builddir/docs/img; mkdir -p "$SHOT_DIR"; }

export MCPAUTH_SIGNUP=1 MCPAUTH_MAIL_COMMAND=$TMP_ROOT/capture
start_server 1 || { echo "$PASS passed, $((FAIL + 1)) failed"; exit 1; }
BASE="$BASE" MAILDIR="$MAILDIR" SHOT_DIR="$SHOT_DIR" timeout 150 node "$NODE_DIR/accounts-browser.mjs" \
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
for f in signup reset; do
	[ -s "$SHOT_DIR/$f.png" ] && [ "$SHOT_DIR/$f.png" -nt "$TMP_ROOT/capture" ] && ok "the $f page's screenshot is $SHOT_DIR/$f.png" ||
		not_ok "no new screenshot $SHOT_DIR/$f.png"
done
expect_clean_log
unset MCPAUTH_SIGNUP MCPAUTH_MAIL_COMMAND
finish
