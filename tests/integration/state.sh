#!/usr/bin/env bash
# The state directory holds the signing key and the password and refresh
# token hashes: it is 0700 and every file in it 0600. A directory left 0755
# with files 0644 (by hand, or by an older version) is fixed by the programs
# at start and by the mcpauth tool, with one log line; files made while the
# server runs (SQLite's -wal and -shm, the row cache counter, the audit log,
# a rotated jwks.json) are 0600; a symlink planted at the lock path is not
# followed; and a mode that cannot be fixed stops the program with one line.
set -u
. "$(dirname "$0")/lib.sh"

MCPAUTH="$top_builddir/tools/mcpauth"
S="$TMP_ROOT/state"
mode() { stat -c %a "$1"; }
# loose DIR: the regular files of DIR that are not 0600, one line each.
loose() { find "$1" -maxdepth 1 -type f ! -perm 600 -printf '%f %m\n' | sort; }

# --- the tool on a 0755 directory --------------------------------------------
mkdir_server "$S"
chmod 755 "$S"
if "$MCPAUTH" --state-dir "$S" init >"$TMP_ROOT/out" 2>"$TMP_ROOT/err"; then ok "init on a 0755 directory"; else not_ok "init on a 0755 directory: $(cat "$TMP_ROOT/err")"; fi
expect_eq "$(mode "$S")" 700 "init makes an existing 0755 state directory 0700"
expect_eq "$(grep -c 'was mode 0755' "$TMP_ROOT/err")" 1 "init says so in one line"
expect_eq "$(loose "$S")" "" "init creates every file 0600"

# --- the programs on a 0755 directory with 0644 files -------------------------
echo 'state-test-pw' | "$MCPAUTH" --state-dir "$S" user add state@example.com --permissions 'read:profile' >/dev/null 2>&1
export MCPAUTH_AUDIT_LOG="$S/audit.log"
: >"$S/audit.log"
chmod 755 "$S"
chmod 644 "$S"/* "$S/.lock"
expect_eq "$(loose "$S" | wc -l)" "$(find "$S" -maxdepth 1 -type f | wc -l)" "the files start 0644"
# Its own user only: the demo users would be seeded by the tool, which would fix the modes first.
MCPAUTH_TEST_DEMO_USERS=0 start_server 2 || { echo "0 passed, 1 failed"; exit 1; }
expect_eq "$(mode "$S")" 700 "after start the state directory is 0700"
expect_eq "$(loose "$S")" "" "after start every file in it is 0600 (the audit log too)"
# The programs log it as they start; under load that may trail the first answer.
for _ in $(seq 1 50); do
	n=$(server_log | grep -c "state directory $S was mode 0755: made it 0700, and 0600: ")
	[ "$n" -ge 1 ] && break
	sleep 0.1
done
if [ "$n" -ge 1 ] && [ "$n" -le 8 ]; then ok "the fix is logged, one line per program that made it ($n)"; else
	not_ok "the fix is logged in one line: $n lines: $(server_log | head -5)"; fi
# The programs start together and share the work: whichever fixed the
# database names it in its line.
if server_log | grep -E "state directory $S(: made| was mode 0755: made it 0700, and) 0600: .*mcpauth\.db" >/dev/null; then
	ok "the lines name the files"
else
	not_ok "the lines name the files: $(server_log | grep "state directory $S" | head -3)"
fi

# Files made while the server runs: SQLite's, the cache counter's, the tool's.
TOKEN=$(login state@example.com state-test-pw)
req GET /api/profile -H "Authorization: Bearer $TOKEN"
expect_status 200 "a login and a request on the fixed directory"
curl -s -o /dev/null -H 'Content-Type: application/json' -d '{"email":"state@example.com","password":"wrong"}' "$BASE/auth/login"
"$MCPAUTH" rotate-key >/dev/null 2>&1
reload_server || not_ok "graceful restart of $MCPAUTH_TEST_SERVER"
login state@example.com state-test-pw >/dev/null
found=$(find "$S" -maxdepth 1 -type f -name 'mcpauth.db-*' -printf '%f\n' | sort | tr '\n' ' ')
if [ -n "$found" ]; then ok "SQLite's side files are there: $found"; else not_ok "SQLite's side files are there"; fi
expect_eq "$(loose "$S")" "" "files made while the server runs are 0600 (${found}jwks.json after rotate-key)"
expect_eq "$(mode "$S/jwks.json")" 600 "jwks.json is 0600"

# --- a symlink planted at the lock path ---------------------------------------
rm -f "$S/.lock"
ln -s "$TMP_ROOT/victim" "$S/.lock"
if "$MCPAUTH" rotate-key >"$TMP_ROOT/out" 2>"$TMP_ROOT/err"; then not_ok "rotate-key through a planted .lock link fails"; else ok "rotate-key through a planted .lock link fails"; fi
if grep -q 'cannot lock' "$TMP_ROOT/err"; then ok "and says it cannot lock"; else not_ok "and says it cannot lock: $(cat "$TMP_ROOT/err")"; fi
if [ -e "$TMP_ROOT/victim" ]; then not_ok "the link's target was not created"; else ok "the link's target was not created"; fi
rm -f "$S/.lock"

# --- a mode that cannot be fixed ------------------------------------------------
# Run as another user than the directory's owner: refused with one line.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	chmod 711 "$TMP_ROOT"
	mkdir -p "$TMP_ROOT/foreign"
	chmod 755 "$TMP_ROOT/foreign"
	as_nobody() { setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"; }
	if as_nobody test -x "$top_builddir/cgi-bin/profile"; then
		MCPAUTH_STATE_DIR="$TMP_ROOT/foreign" MCPAUTH_AUDIT_LOG=stderr as_nobody "$top_builddir/cgi-bin/profile" </dev/null >/dev/null 2>"$TMP_ROOT/err"
		rc=$?
		if [ "$rc" -ne 0 ] && [ "$(grep -c . "$TMP_ROOT/err")" = 1 ] && grep -q 'is mode 0755 and cannot be made 0700' "$TMP_ROOT/err"; then
			ok "a program refuses a state directory it cannot make 0700, in one line"
		else
			not_ok "a program refuses a state directory it cannot make 0700: exit $rc: $(head -c 300 "$TMP_ROOT/err")"
		fi
		if MCPAUTH_AUDIT_LOG=stderr as_nobody "$MCPAUTH" --state-dir "$TMP_ROOT/foreign" keys >/dev/null 2>"$TMP_ROOT/err"; then
			not_ok "the tool refuses it too"
		elif grep -q 'cannot be made 0700' "$TMP_ROOT/err"; then ok "the tool refuses it too"; else not_ok "the tool refuses it too: $(cat "$TMP_ROOT/err")"; fi
		expect_eq "$(mode "$TMP_ROOT/foreign")" 755 "the directory is left as it was"
	else
		echo "# SKIP refusal: nobody cannot run the programs in $top_builddir"
	fi
fi

expect_clean_log
finish
