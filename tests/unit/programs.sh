#!/bin/bash
# What each program links, read with nm from the built programs: a program
# holds its own group's handlers and no other group's (cgi-bin/main.c);
# mcp holds every group's, which its tools run in process. The handlers
# are read from the route rows (cgi-bin/<group>_routes.h: the handler is a
# row's second-to-last field).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
NM=${NM:-nm}
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); [ -n "${VERBOSE:-}" ] && echo "ok - $*"; return 0; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; return 0; }

GROUPS_ALL="auth profile admin mcp"

# The handlers of a group, one a line.
handlers() {
	awk '/^ROUTE\(/ { row = "" } /^ROUTE\(/, /\)$/ { row = row $0 } /\)$/ && row != "" {
		sub(/\)$/, "", row); n = split(row, f, ","); h = f[n - 1]; gsub(/[ \t]/, "", h); print h; row = "" }' \
		"$top_srcdir/cgi-bin/$1_routes.h" | sort -u
}

# The functions a program or object defines, one a line.
functions() { "$NM" --defined-only "$1" | awk '$2 == "t" || $2 == "T" { print $3 }' | sort -u; }

# Every handler name is a function of its group alone, so that nm can tell
# the groups apart.
all_handlers=$(for g in $GROUPS_ALL; do handlers "$g"; done)
if [ "$(echo "$all_handlers" | sort | uniq -d)" = "" ] && [ "$(echo "$all_handlers" | wc -l)" -ge 18 ]; then
	ok "every route's handler has a name of its own"
else
	not_ok "handler names: $(echo "$all_handlers" | tr '\n' ' ')"
fi
libauth=$("$NM" --defined-only "$top_builddir/lib/libauth.a" 2>/dev/null | awk '$2 == "t" || $2 == "T" { print $3 }' | sort -u)
clash=$(comm -12 <(echo "$all_handlers" | sort -u) <(echo "$libauth"))
[ -z "$clash" ] && ok "no handler name is also a function of libauth" || not_ok "handlers named like libauth functions: $clash"

for p in $GROUPS_ALL; do
	prog=$top_builddir/cgi-bin/$p
	if [ ! -x "$prog" ]; then
		not_ok "$prog is not built"
		continue
	fi
	have=$(functions "$prog")
	data=$("$NM" --defined-only "$prog" | awk '{ print $3 }')
	for g in $GROUPS_ALL; do
		want=0
		{ [ "$p" = "$g" ] || [ "$p" = mcp ]; } && want=1
		n=0 found=0 missing= extra=
		for h in $(handlers "$g"); do
			n=$((n + 1))
			if echo "$have" | grep -qx "$h"; then
				found=$((found + 1))
				extra="$extra $h"
			else
				missing="$missing $h"
			fi
		done
		grep -qx "${g}_group" <<<"$data" && has_group=1 || has_group=0
		if [ "$want" = 1 ]; then
			[ "$found" = "$n" ] && [ "$has_group" = 1 ] && ok "$p links the $g handlers ($n)" ||
				not_ok "$p lacks $g handlers:$missing (${g}_group: $has_group)"
		else
			[ "$found" = 0 ] && [ "$has_group" = 0 ] && ok "$p links none of the $n $g handlers" ||
				not_ok "$p links $g handlers:$extra (${g}_group: $has_group)"
		fi
	done
done

# The index's rows of the other groups are in auth only, as data.
grep -qx profile_rows <<<"$("$NM" --defined-only "$top_builddir/cgi-bin/auth" | awk '{ print $3 }')" &&
	ok "auth holds the other groups' rows for its index" || not_ok "auth has no profile_rows"
for p in profile admin mcp; do
	grep -qx profile_rows <<<"$("$NM" --defined-only "$top_builddir/cgi-bin/$p" | awk '{ print $3 }')" &&
		not_ok "$p holds the index rows" || ok "$p holds no index rows"
done

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
