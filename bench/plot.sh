#!/usr/bin/env bash
# Draws bench/RESULTS.md as an SVG with gnuplot: req/s and p99 latency per
# scenario (the first table), and, when RESULTS.md has a "## Front ends"
# section, its req/s per front end. bench/run.sh calls it after writing
# RESULTS.md; run it alone to redraw from the committed figures.
#   bench/plot.sh [RESULTS.md [OUT.svg]]      defaults: bench/RESULTS.md bench/results.svg
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
in=${1:-$here/RESULTS.md}
out=${2:-$here/results.svg}
command -v gnuplot >/dev/null || {
	echo "bench/plot.sh: gnuplot is not installed (Debian: apt-get install gnuplot-nox)" >&2
	exit 2
}
[ -r "$in" ] || {
	echo "bench/plot.sh: cannot read $in" >&2
	exit 2
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The scenario table: the first table whose header starts "| scenario |";
# columns: scenario, what, req/s, p50, p99, non-2xx. Labels are the scenario
# letters; the table in RESULTS.md (and docs/performance.md) says what each is.
awk -F'|' '
	/^\| scenario \|/ { if (!done) on = 1; next }
	on && /^\|---/ { next }
	on && /^\|/ {
		for (i = 2; i <= 7; i++) gsub(/^ +| +$/, "", $i)
		printf "%s\t%s\t%s\t%s\n", $2, $4, $6, $3
		next
	}
	on { on = 0; done = 1 }
' "$in" >"$tmp/scenarios.tsv"
[ -s "$tmp/scenarios.tsv" ] || {
	echo "bench/plot.sh: no scenario table in $in" >&2
	exit 1
}

# The front-end table, if any: the first table after "## Front ends"; its
# label is the first column, the value the first number of the first column
# whose header says req/s (a cell may read "10920 (9779-15328)").
awk -F'|' '
	/^## / { sect = ($0 ~ /^## Front ends/) }
	sect && /^\|/ && !hdr {
		for (i = 2; i < NF; i++) if ($i ~ /req\/s/) { col = i; break }
		hdr = 1; next
	}
	sect && hdr && col && /^\|---/ { next }
	sect && hdr && col && /^\|/ {
		label = $2; gsub(/^ +| +$/, "", label)
		v = $col; gsub(/,/, "", v)
		if (match(v, /[0-9]+(\.[0-9]+)?/)) printf "%s\t%s\n", label, substr(v, RSTART, RLENGTH)
		next
	}
	sect && hdr && col && !/^\|/ { sect = 0; col = 0 }
' "$in" >"$tmp/fronts.tsv"

date_line=$(grep -m1 '^Produced by' "$in" | sed 's/`//g; s/[.]$//' || true)
panels=2
[ -s "$tmp/fronts.tsv" ] && panels=3
height=$((360 * panels + 40))

{
	cat <<EOF
set terminal svg size 900,$height dynamic enhanced font "sans,11" background "#ffffff"
set output "$out"
set datafile separator "\t"
set style data histograms
set style fill solid 0.85 border -1
set boxwidth 0.7
set grid ytics lc rgb "#dddddd"
set logscale y
set format y "%.0f"
set xtics nomirror noenhanced
set key off
set multiplot layout $panels,1 title "mcpauth benchmark\n{/*0.8 $date_line}"
set title "req/s per scenario (log scale, higher is better)"
set ylabel "req/s"
plot "$tmp/scenarios.tsv" using 2:xtic(1) lc rgb "#3b6ea5", \
     "" using 0:2:(sprintf("%.0f", \$2)) with labels offset 0,0.7 font ",9"
set title "p99 latency per scenario, ms (log scale, lower is better)"
set ylabel "ms"
plot "$tmp/scenarios.tsv" using 3:xtic(1) lc rgb "#c0504d", \
     "" using 0:3:(sprintf("%.1f", \$3)) with labels offset 0,0.7 font ",9"
EOF
	if [ "$panels" = 3 ]; then
		cat <<EOF
unset logscale y
set yrange [0:*]
set xtics rotate by -20
set title "GET /api/profile req/s per front end (higher is better)"
set ylabel "req/s"
plot "$tmp/fronts.tsv" using 2:xtic(1) lc rgb "#4f8f4f", \
     "" using 0:2:(sprintf("%.0f", \$2)) with labels offset 0,0.7 font ",9"
EOF
	fi
	echo "unset multiplot"
} >"$tmp/plot.gp"
gnuplot "$tmp/plot.gp"
echo "wrote $out" >&2
