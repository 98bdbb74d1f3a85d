#!/usr/bin/env bash
# Runs each libFuzzer target of a build configured with --enable-fuzzing,
# FUZZ_JOBS at a time (default: the number of CPUs), starting from the
# committed seeds. Ends with "N passed, N failed".
#
# By default the run is bounded and seeded: a fixed seed (FUZZ_SEED,
# default 1) and a fixed number of inputs per target (about a minute each
# on 2 cores), capped at FUZZ_SECONDS (default 90) on a slow machine. The
# seed fixes the mutations, but libFuzzer also learns from comparisons made
# inside OpenSSL and json-c, whose caches differ between processes, so two
# runs part after some tens of thousands of inputs (docs/hacking.md, "Running the proofs by hand").
# To search for new findings, use a random seed and a time budget instead:
#   tests/fuzz/run.sh [BUILD_DIR] [TARGET...]
#   FUZZ_SEED=0 FUZZ_SECONDS=600 tests/fuzz/run.sh build-fuzz fuzz_token
# A finding (crash, sanitizer report, leak, broken invariant, timeout) leaves
# its input in BUILD_DIR/fuzz-out/<target>/; copy it into
# tests/fuzz/corpus/<target>/regress-<what> so every build replays it, and fix lib/.
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build-fuzz}" && pwd) || exit 1
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_token fuzz_jwks fuzz_route fuzz_mcp fuzz_fcgi)
seconds=${FUZZ_SECONDS:-90}
seed=${FUZZ_SEED:-1}
jobs=${FUZZ_JOBS:-$(nproc)}
out="$build/fuzz-out"
rm -rf "$out"
mkdir -p "$out"

# The longest input worth trying: a token a little over its 8 KiB cap, a
# JSON-RPC body or JWKS of some size, a request line, a FastCGI stream with
# a record of 64 000 bytes and more (a whole FCGI_GET_VALUES query, a body
# over its 64 KiB cap).
max_len() {
	case $1 in
	fuzz_token) echo 10000 ;;
	fuzz_fcgi) echo 70000 ;;
	fuzz_route) echo 1024 ;;
	*) echo 8192 ;;
	esac
}

# The inputs one seeded run tries (seed 0, the search mode: no limit).
max_runs() {
	if [ "$seed" = 0 ]; then
		echo -1
		return
	fi
	case $1 in
	fuzz_token) echo 200000 ;;
	fuzz_jwks) echo 800000 ;;
	fuzz_route) echo 4000000 ;;
	fuzz_fcgi) echo 600000 ;;
	*) echo 1200000 ;;
	esac
}

# fuzz TARGET: one run; its verdict in $out/TARGET.result.
fuzz() {
	local t=$1 dir="$out/$1" corpus="$out/$1/corpus"
	local seeds="$src/tests/fuzz/corpus/${t#fuzz_}"
	mkdir -p "$corpus"
	if [ ! -x "$build/tests/fuzz/$t" ]; then
		echo "not ok - $t: $build/tests/fuzz/$t is not built (./configure --enable-fuzzing CC=clang)" >"$dir.result"
		return
	fi
	# The program's own log lines go to stderr, which libFuzzer closes
	# (-close_fd_mask=2) after keeping a copy for its reports.
	local dict=()
	[ -f "$src/tests/fuzz/${t#fuzz_}.dict" ] && dict=(-dict="$src/tests/fuzz/${t#fuzz_}.dict")
	(cd "$dir" && FIXTURES="$src/tests/fixtures" \
		"$build/tests/fuzz/$t" "${dict[@]}" -seed="$seed" -runs="$(max_runs "$t")" -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=20 \
		-rss_limit_mb=4096 -print_final_stats=1 -close_fd_mask=2 -artifact_prefix="$dir/" \
		"$corpus" "$seeds" >"$dir/log" 2>&1)
	local rc=$?
	local runs rate
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)
	local found
	found=$(find "$dir" -maxdepth 1 -name 'crash-*' -o -maxdepth 1 -name 'leak-*' -o -maxdepth 1 -name 'timeout-*' -o -maxdepth 1 -name 'oom-*' | head -1)
	if [ "$rc" -eq 0 ] && [ -z "$found" ] && [ -n "$runs" ]; then
		echo "ok - $t: ${runs} runs, seed $seed (${rate} exec/s), corpus of $(ls "$corpus" | wc -l) inputs, no finding" >"$dir.result"
	else
		{
			echo "not ok - $t: exit $rc after ${runs:-?} runs; input: ${found:-none}"
			grep -E 'ERROR: |SUMMARY: |fuzz invariant failed|runtime error' "$dir/log" | head -5 | sed 's/^/  /'
		} >"$dir.result"
	fi
}

running=0
for t in "${targets[@]}"; do
	fuzz "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

passed=0
failed=0
for t in "${targets[@]}"; do
	cat "$out/$t.result"
	case $(head -1 "$out/$t.result") in
	ok*) passed=$((passed + 1)) ;;
	*) failed=$((failed + 1)) ;;
	esac
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
