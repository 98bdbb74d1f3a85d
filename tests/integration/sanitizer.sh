#!/usr/bin/env bash
# The sanitizer build checks what it claims to: every program is built with
# ASan and UBSan, and a sanitizer report in a FastCGI program under
# lighttpd (its stderr is lighttpd's, see server_log) fails the suite. A
# program with deliberate bugs (tests/san/fcgi_crash.c) is served in place
# of the profile program; the suite's own run.sh must then fail.
# In a build without sanitizers there is nothing to check: it skips.
set -u
. "$(dirname "$0")/lib.sh"

if [ -z "${MCPAUTH_SANITIZERS:-}" ]; then
	echo "# SKIP: not a sanitizer build (./configure --enable-sanitizers CC=clang)"
	echo "0 passed, 0 failed"
	exit 77
fi
BIN="$top_builddir/cgi-bin"
CRASH="$top_builddir/tests/san/fcgi_crash"

# --- every program is instrumented ------------------------------------------------
for p in auth profile admin mcp; do
	if grep -qa __asan_report_load "$BIN/$p" && grep -qa __ubsan_handle "$BIN/$p"; then
		ok "$p is built with ASan and UBSan"
	else
		not_ok "$p is not built with ASan and UBSan"
	fi
done
expect_eq "$([ -x "$CRASH" ] && echo built)" built "the deliberately broken program is built"

# A bin directory where profile is the broken program.
mkdir -p "$TMP_ROOT/bin"
for p in auth admin mcp; do ln -s "$BIN/$p" "$TMP_ROOT/bin/$p"; done
ln -s "$CRASH" "$TMP_ROOT/bin/profile"
cp -r "$BIN/errors" "$TMP_ROOT/bin/errors" 2>/dev/null

# --- a report reaches the log, and the log check sees it ---------------------------
export MCPAUTH_BINDIR="$TMP_ROOT/bin"
start_server 1 || { echo "0 passed, 1 failed"; exit 1; }
req GET /api/profile
case $STATUS in 5??) ok "a request to the broken program fails ($STATUS)" ;; *) not_ok "the broken program answered $STATUS" ;; esac
sleep 0.5
if server_log | grep -q 'ERROR: AddressSanitizer: heap-buffer-overflow'; then
	ok "ASan's report is in the server's log"
else
	not_ok "no ASan report in the server's log: $(server_log | tail -3)"
fi
req GET /api/profile/ubsan
sleep 0.5
if server_log | grep -q 'runtime error: signed integer overflow'; then
	ok "UBSan's report is in the server's log"
else
	not_ok "no UBSan report in the server's log: $(server_log | tail -3)"
fi
# expect_clean_log, the check every integration script ends with, must fail now.
verdict=$(PASS=0 FAIL=0; expect_clean_log >/dev/null; echo "$FAIL")
expect_eq "$verdict" 1 "expect_clean_log reports the sanitizer's finding"
stop_server

# --- the suite's own script fails with it ------------------------------------------
# run.sh against the broken profile program: it must end "not ok" and non-zero.
out=$(MCPAUTH_BINDIR="$TMP_ROOT/bin" "$top_srcdir/tests/integration/run.sh" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && printf '%s\n' "$out" | grep -q '^not ok - no program crashed'; then
	ok "tests/integration/run.sh fails (exit $rc) and names the crash"
else
	not_ok "run.sh with a broken program: exit $rc, $(printf '%s\n' "$out" | tail -1)"
fi
summary=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
if [ -n "$summary" ] && [ "${summary##* passed, }" != "0 failed" ]; then
	ok "its summary counts failures: $summary"
else
	not_ok "its summary: '$summary'"
fi
finish
