#!/usr/bin/env bash
# bench/plot.sh draws RESULTS.md as an SVG: the committed figures give a
# well-formed SVG holding the scenario labels and their req/s, a "Front
# ends" section adds its panel, and a file without the scenario table is
# refused. Skipped (77) without gnuplot; CI installs it.
set -u
srcdir=$(cd "${srcdir:-$(dirname "$0")/../..}" && pwd)
command -v gnuplot >/dev/null || { echo "SKIP: gnuplot not installed"; exit 77; }
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
results=$srcdir/bench/RESULTS.md
b_rps=$(awk -F'|' '$2 ~ /^ b $/ { gsub(/ /, "", $4); print $4; exit }' "$results")

# The committed figures without their Front ends section, for the two-panel case.
awk '/^## / { skip = ($0 ~ /^## Front ends/) } !skip' "$results" >"$tmp/nofronts.md"
check "plot.sh draws the committed RESULTS.md" "'$srcdir/bench/plot.sh' '$tmp/nofronts.md' '$tmp/r.svg' 2>'$tmp/err'"
check "the SVG is well-formed XML" "python3 -c 'import sys,xml.etree.ElementTree as E; E.parse(sys.argv[1])' '$tmp/r.svg'"
check "scenario b's req/s ($b_rps) is drawn" "[ -n '$b_rps' ] && grep -q '>$b_rps<' '$tmp/r.svg'"
check "the scenario labels are drawn" "grep -q '>a2<' '$tmp/r.svg' && grep -q '>e1<' '$tmp/r.svg'"
check "two panels without a Front ends section" "[ \$(grep -c 'per scenario' '$tmp/r.svg') -eq 2 ] && ! grep -q 'per front end' '$tmp/r.svg'"

{
	cat "$tmp/nofronts.md"
	printf '\n## Front ends\n\n| front | what | GET /api/profile req/s | p99 ms |\n|---|---|---:|---:|\n'
	printf '| nginx_kept | kept | 31,234 (30000-32000) | 3.1 |\n| lighttpd | as shipped | 25737 | 4.4 |\n\nnotes\n'
} >"$tmp/fronts.md"
check "a Front ends section is drawn as a third panel" "'$srcdir/bench/plot.sh' '$tmp/fronts.md' '$tmp/f.svg' 2>/dev/null && grep -q 'per front end' '$tmp/f.svg' && grep -q '>31234<' '$tmp/f.svg' && grep -q '>25737<' '$tmp/f.svg'"
check "a front label keeps its underscore (no gnuplot markup)" "grep -q '>nginx_kept<' '$tmp/f.svg'"
check "the committed RESULTS.md's own Front ends section is drawn" "'$srcdir/bench/plot.sh' '$results' '$tmp/c.svg' 2>/dev/null && grep -q 'per front end' '$tmp/c.svg'"

printf '# nothing here\n' >"$tmp/empty.md"
"$srcdir/bench/plot.sh" "$tmp/empty.md" "$tmp/e.svg" 2>"$tmp/err"
rc=$?
check "a file without the scenario table is refused (exit 1, a message)" "[ $rc -eq 1 ] && grep -q 'no scenario table' '$tmp/err'"
check "and no SVG is left for it" "[ ! -e '$tmp/e.svg' ]"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
