#!/bin/bash
# The mcpauth(1) manual page (tools/mcpauth.1, made by tools/mkman.sh from
# the tool's --help at build time): it renders without a warning, it is the
# page the tool's help makes now (not a stale one), and it holds every
# command of `mcpauth --help` with that command's own help text, and every
# exit code.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }

TOOL=$top_builddir/tools/mcpauth
PAGE=$top_builddir/tools/mcpauth.1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# flat: the text on one line, runs of blanks as one space.
flat() { tr '\n\t' '  ' | tr -s ' ' | sed 's/^ //; s/ $//'; }

if [ -s "$PAGE" ]; then ok "tools/mcpauth.1 is built"; else
	not_ok "tools/mcpauth.1 is missing"
	echo "$PASS passed, $FAIL failed"
	exit 1
fi

# groff -ww: every warning; -z: no output, only the check.
if groff -man -ww -z "$PAGE" 2>"$TMP/warn" && [ ! -s "$TMP/warn" ]; then ok "groff renders it without warnings"; else
	not_ok "groff warns: $(head -5 "$TMP/warn")"
fi
# What a reader gets from man -l, wide enough that no synopsis wraps.
if command -v man >/dev/null; then
	LC_ALL=C MANWIDTH=250 MAN_KEEP_FORMATTING= man -l "$PAGE" 2>"$TMP/err" | col -b >"$TMP/page"
	how="man -l"
else
	LC_ALL=C groff -man -Tascii -rLL=250n "$PAGE" 2>"$TMP/err" | col -b >"$TMP/page"
	how="groff -Tascii"
fi
if [ -s "$TMP/page" ] && grep -q '^NAME' "$TMP/page" && grep -q '^EXIT STATUS' "$TMP/page"; then
	ok "$how renders NAME ... EXIT STATUS"
else
	not_ok "$how renders nothing usable: $(head -3 "$TMP/err")"
fi
page=$(flat <"$TMP/page")

# Not stale: the page is what the tool's help makes now.
if sh "$top_srcdir/tools/mkman.sh" "$TOOL" "$(sed -n 's/^\.TH [^"]*"[^"]*" "mcpauth \([^"]*\)".*/\1/p' "$PAGE")" >"$TMP/now.1" &&
	cmp -s "$TMP/now.1" "$PAGE"; then
	ok "the page is the one the tool's --help makes"
else
	not_ok "the page differs from the tool's --help: $(diff "$PAGE" "$TMP/now.1" | head -5)"
fi

# Every command of `mcpauth --help`, with its synopsis and its own help.
synopses=$("$TOOL" --help | sed -n '/^commands:$/,/^$/{/^  /s/^  //p;}')
n=$(printf '%s\n' "$synopses" | grep -c .)
if [ "$n" -ge 10 ]; then ok "mcpauth --help lists $n commands"; else not_ok "mcpauth --help lists $n commands"; fi
while IFS= read -r syn; do
	name=$(printf '%s\n' "$syn" | awk '{ n = ""; for (i = 1; i <= NF && $i ~ /^[a-z][a-z-]*$/; i++) n = n (n ? " " : "") $i; print n }')
	if [[ "$page" == *"$(printf '%s' "$syn" | flat)"* ]]; then ok "the page has: $syn"; else not_ok "the page lacks the command: $syn"; fi
	# shellcheck disable=SC2086 # the name's words are separate arguments
	text=$("$TOOL" $name --help | sed '1,/^$/d' | flat)
	if [ -n "$text" ] && [[ "$page" == *"$text"* ]]; then ok "the page explains '$name' as its --help does"; else
		not_ok "the page lacks the help of '$name': $text"
	fi
done <<<"$synopses"

# Every exit code of the help, in EXIT STATUS.
status=$(sed -n '/^EXIT STATUS/,/^[A-Z]/p' "$TMP/page" | flat)
for code in 0 1 2 3 4 5 6; do
	what=$("$TOOL" --help | sed -n '/^exit codes:/,$p' | flat | tr ',' '\n' | sed -n "s/^.* \?$code \(.*\)/\1/p" | head -1)
	if [ -n "$what" ] && [[ "$status" == *"$code $what"* ]]; then ok "exit code $code: $what"; else not_ok "exit code $code missing from EXIT STATUS"; fi
done

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
