#!/usr/bin/env bash
# Build and run every test: the Check unit tests for libauth and the
# integration suite against a real lighttpd, first in a plain build, then
# in an ASan+UBSan build; then a short, seeded libFuzzer run of each
# fuzz target (fixed seed and input count; see tests/fuzz/run.sh), then the
# Debian package (tests/package/deb.sh). Ends with one line "N passed, N failed".
#   ./check.sh            all of it
#   ./check.sh --quick    the plain build only
set -uo pipefail
cd "$(dirname "$0")"
. scripts/common.sh
ensure_packages $MCPAUTH_TEST_PACKAGES

builds=("build")
[ "${1:-}" = "--quick" ] || builds+=("build-san" "build-fuzz")

passed=0
failed=0
status=0
# The tests write only under the build directories and temporary ones:
# the source tree (as git sees it) is the same after them as before.
tree_state() { git status --porcelain --untracked-files=all 2>/dev/null; }
tree_before=$(tree_state)
# count LOG: adds the assertions a test log reports to the totals.
count() {
	local p f line
	line=$(grep -E '^[0-9]+%: Checks: ' "$1" | tail -1)
	if [ -n "$line" ]; then
		# Check: "100%: Checks: 25, Failures: 0, Errors: 0"
		p=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/\1 \2 \3/')
		set -- $p
		passed=$((passed + $1 - $2 - $3))
		failed=$((failed + $2 + $3))
		return
	fi
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
	if [ -n "$line" ]; then
		passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
		failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
	else
		echo "no result line in $1" >&2
		failed=$((failed + 1))
	fi
}

# Every build first (a build that fails is counted, and its tests skipped).
built=()
for dir in "${builds[@]}"; do
	args=()
	[ "$dir" = build-san ] && args=(--enable-sanitizers CC=clang)
	[ "$dir" = build-fuzz ] && args=(--enable-fuzzing CC=clang)
	if ! build "$dir" "${args[@]}"; then
		echo "build in $dir failed" >&2
		failed=$((failed + 1))
		status=1
		continue
	fi
	built+=("$dir")
done
# The plain and the sanitizer build's suites run at the same time: they
# spend much of their time waiting (servers starting, deadlines, a browser,
# scrypt in one process) and share no port, directory or process, so two
# at once take about the time of the longer one on two cores.
suite() {
	find "$1/tests" -name '*.log' -delete 2>/dev/null
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		make -s -C "$1" check >"$1/check.out" 2>&1
	echo $? >"$1/check.rc"
}
pids=()
for dir in "${built[@]}"; do
	[ "$dir" = build-fuzz ] && continue
	echo "== tests in $dir" >&2
	suite "$dir" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
for dir in "${built[@]}"; do
	if [ "$dir" = build-fuzz ]; then
		echo "== fuzzing in $dir, seed ${FUZZ_SEED:-1}, at most ${FUZZ_SECONDS:-90} s per target" >&2
		tests/fuzz/run.sh "$dir" >"$dir/fuzz.log" 2>&1 || status=1
		grep -E '^(ok|not ok)|^  ' "$dir/fuzz.log" >&2
		count "$dir/fuzz.log"
		continue
	fi
	echo "== results in $dir" >&2
	if [ "$(cat "$dir/check.rc" 2>/dev/null)" != 0 ]; then
		status=1
		if ! grep -q '^# TOTAL' "$dir/check.out"; then
			tail -20 "$dir/check.out" >&2
			failed=$((failed + 1))
		fi
	fi
	grep -E '^(PASS|FAIL|ERROR|XFAIL|SKIP):' "$dir/check.out" >&2
	for log in $(find "$dir/tests" -name '*.log' ! -name 'test-suite.log' | sort); do
		grep -E '^not ok|:[EF]:|ERROR: AddressSanitizer|runtime error' "$log" >&2
		count "$log"
	done
done
# The Debian package, built from a copy of the tree, installed, upgraded and
# purged on this machine (root only: otherwise it says why it skips).
if [ "${1:-}" != "--quick" ]; then
	echo "== the Debian package (tests/package/deb.sh)" >&2
	tests/package/deb.sh >build/package.log 2>&1 || status=1
	grep -E '^not ok|^# ' build/package.log >&2
	count build/package.log
fi
# Every C file is as .clang-format lays it out (clang-format 14, Debian 12's).
if git rev-parse --git-dir >/dev/null 2>&1; then
	unformatted=$(git ls-files '*.c' '*.h' | while read -r f; do
		clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || echo "$f"
	done)
	if [ -z "$unformatted" ]; then
		passed=$((passed + 1))
		echo "ok - every C file is formatted by .clang-format" >&2
	else
		failed=$((failed + 1))
		status=1
		echo "not ok - not formatted (run clang-format -i on them): $unformatted" >&2
	fi
fi
if git rev-parse --git-dir >/dev/null 2>&1; then
	if [ "$(tree_state)" = "$tree_before" ]; then
		passed=$((passed + 1))
		echo "ok - the tests left the source tree as they found it" >&2
	else
		failed=$((failed + 1))
		echo "not ok - the tests changed the source tree:" >&2
		diff <(echo "$tree_before") <(tree_state) >&2
	fi
fi
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
