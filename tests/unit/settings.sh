#!/bin/bash
# The settings table (lib/config.c, printed by tests/unit/settings_table)
# and what is written about it elsewhere say the same: the operations
# manual's Configuration table lists exactly its names, each with its
# default and bounds; the lighttpd configurations pass exactly its names
# through (the production one leaves out the tests-only ones); and every
# AUTH0_* or MCPAUTH_* name the lighttpd and Apache files mention is a
# setting or one of the web server configurations' own variables.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }

TABLE=$("$top_builddir/tests/unit/settings_table") || {
	echo "not ok - tests/unit/settings_table did not run"
	echo "0 passed, 1 failed"
	exit 1
}
DOC=$top_srcdir/docs/operations.md
names() { cut -f1 <<<"$TABLE" | sort; }
deployed() { awk -F'\t' '$6 == 0 { print $1 }' <<<"$TABLE" | sort; }
# The variables the web server configurations define for themselves.
SERVER_OWN="MCPAUTH_BINDIR MCPAUTH_HOST MCPAUTH_PORT MCPAUTH_PROCS MCPAUTH_ERRORLOG MCPAUTH_LIBEXECDIR MCPAUTH_RUN_DIR"

# same WHAT WANT GOT: two sorted lists are equal, or the difference is shown.
same() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1: $(diff <(echo "$2") <(echo "$3") | grep '^[<>]' | tr '\n' ' ')"
	fi
}

# The Configuration section's table rows: | `NAME` | default | meaning |
rows=$(awk '/^## Configuration/ { on = 1; next } /^## / { on = 0 } on && /^\| `[A-Z0-9_]+` \|/' "$DOC")
same "docs/operations.md lists exactly the settings" "$(names)" \
	"$(sed -E 's/^\| `([A-Z0-9_]+)`.*/\1/' <<<"$rows" | sort)"

# A number as a whole word of text.
has_number() { grep -Eq "(^|[^0-9])$2([^0-9]|$)" <<<"$1"; }
bad=""
while IFS=$'\t' read -r name type def min max _; do
	row=$(grep -F "| \`$name\` |" <<<"$rows")
	default=$(awk -F' \\| ' '{ print $2 }' <<<"$row")
	case $type in
	int)
		[[ $default == "\`$def\`"* ]] || bad+=" $name(default $def)"
		has_number "$row" "$min" || bad+=" $name(min $min)"
		has_number "$row" "$max" || bad+=" $name(max $max)"
		;;
	flag) [[ $default == "\`$def\`"* ]] || bad+=" $name(default $def)" ;;
	text) [ "$def" = - ] || [[ $default == "\`$def\`"* ]] || bad+=" $name(default $def)" ;;
	esac
done <<<"$TABLE"
if [ -z "$bad" ]; then ok "docs/operations.md gives each setting's default and bounds"; else
	not_ok "docs/operations.md disagrees on:$bad"
fi

# The README's few settings are settings, with the manual's defaults.
readme_bad=""
while read -r row; do
	name=$(sed -E 's/^\| `([A-Z0-9_]+)`.*/\1/' <<<"$row")
	grep -qx "$name" <(names) || readme_bad+=" $name(no setting)"
	def=$(awk -F'\t' -v n="$name" '$1 == n { print $3 }' <<<"$TABLE")
	[ "$def" = - ] || [[ $(awk -F' \\| ' '{ print $2 }' <<<"$row") == "\`$def\`"* ]] || readme_bad+=" $name(default $def)"
done < <(grep -E '^\| `(AUTH0|MCPAUTH)_[A-Z0-9_]+` \|' "$top_srcdir/README.md")
if [ -z "$readme_bad" ]; then ok "README.md's settings are the table's"; else not_ok "README.md:$readme_bad"; fi

# A lighttpd list: the quoted names in the ( ... ) after NAME =.
lighttpd_list() {
	awk -v var="$2" '$0 ~ "^" var " *= *\\(" { on = 1 } on { print } on && /\)/ { exit }' "$1" |
		grep -oE '"[A-Z0-9_]+"' | tr -d '"' | sort
}
same "lighttpd-conf/mcpauth.conf passes every setting (and the sanitizers' options)" \
	"$( (names; echo ASAN_OPTIONS; echo UBSAN_OPTIONS) | sort)" \
	"$(lighttpd_list "$top_srcdir/lighttpd-conf/mcpauth.conf" var.mcpauth_env)"
PROD=$top_srcdir/lighttpd-conf/mcpauth-lighttpd.conf.in
same "mcpauth-lighttpd.conf passes every setting but the tests-only ones" "$(deployed)" \
	"$( (lighttpd_list "$PROD" var.mcpauth_env; lighttpd_list "$PROD" var.mcpauth_copy_env) | sort)"

# Every name the configurations mention is a setting or their own.
known=$( (names; tr ' ' '\n' <<<"$SERVER_OWN") | sort -u)
for f in "$top_srcdir"/lighttpd-conf/*.conf* "$top_srcdir"/apache-conf/*.in "$top_srcdir"/apache-conf/systemd/*.in; do
	stale=$(grep -oE '\b(AUTH0|MCPAUTH)_[A-Z0-9_]+' "$f" | sort -u | comm -23 - <(echo "$known") | tr '\n' ' ')
	if [ -z "$stale" ]; then ok "${f#"$top_srcdir"/} names only settings"; else
		not_ok "${f#"$top_srcdir"/} names what is no setting: $stale"
	fi
done

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
