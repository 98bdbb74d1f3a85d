#!/bin/bash
# lib/ is in layers, bottom to top: core, http, store, auth, mcp, then
# lib/app.c (the orchestrator). A file may include headers of its own layer
# and of the layers below it, never of one above, nor anything outside lib/
# (cgi-bin's tables): that is how "calls only downward" reads in the code.
# Each lib file's #include "..." lines are checked against the folder its
# header lives in; the exceptions are listed in EXCEPTIONS (none). Then the
# built library: no object calls a function defined in a layer above its
# own (a declaration in the wrong header would hide such a call from the
# first check).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
NM=${NM:-nm}
PASS=0
FAIL=0
ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }

LIB=$top_srcdir/lib
LAYERS="core http store auth mcp"
# "file included-header" pairs allowed to go upward, with the reason.
EXCEPTIONS=""

# The rank of a folder: core 0 ... mcp 4; lib/ itself (app.c, app.h) 5.
rank() {
	local i=0 l
	for l in $LAYERS; do
		[ "$l" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
	[ "$1" = . ] && echo $i
}

# Where a header lives: its layer's folder, "." for lib/ itself, or
# nothing when it is not under lib/.
layer_of_header() {
	local l
	for l in $LAYERS; do
		[ -f "$LIB/$l/$1" ] && { echo "$l"; return; }
	done
	[ -f "$LIB/$1" ] && echo .
}

# Every source and header is in a layer's folder (or is app.c/app.h).
stray=$(cd "$LIB" && find . -name '*.[ch]' | sed 's|^\./||' | grep -v -E "^($(echo $LAYERS | tr ' ' '|'))/[^/]+\.[ch]$|^app\.[ch]$")
if [ -z "$stray" ]; then ok "every lib file is in a layer's folder"; else
	not_ok "lib files outside the layer folders: $stray"
fi

checked=0
bad=""
for f in $(cd "$LIB" && find . -name '*.[ch]' | sed 's|^\./||' | sort); do
	dir=$(dirname "$f")
	own=$(rank "$dir")
	[ -n "$own" ] || continue
	for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$LIB/$f"); do
		checked=$((checked + 1))
		where=$(layer_of_header "$h")
		case " $EXCEPTIONS " in *" $f:$h "*) continue ;; esac
		if [ -z "$where" ]; then
			bad="$bad
  $f includes \"$h\", which is not in lib/"
		elif [ "$(rank "$where")" -gt "$own" ]; then
			bad="$bad
  $f ($dir) includes \"$h\" ($where): a layer above it"
		fi
	done
done
if [ "$checked" -gt 50 ]; then ok "$checked #include lines read"; else
	not_ok "only $checked #include lines read: is lib/ where it should be?"
fi
if [ -z "$bad" ]; then ok "no lib file includes a header of a layer above its own"; else
	not_ok "upward includes:$bad"
fi

# The calls themselves, from the built library: each object's undefined
# symbols against the object that defines them.
AR_LIB=$top_builddir/lib/libauth.a
layer_of_object() { layer_of_header "${1%.o}.c"; }
if [ -f "$AR_LIB" ]; then
	defs=$("$NM" -A --defined-only "$AR_LIB" 2>/dev/null | awk '$(NF-1) ~ /^[TDBR]$/ { split($1, a, ":"); print $NF, a[2] }')
	calls=0
	up=""
	while read -r obj sym; do
		def=$(awk -v s="$sym" '$1 == s { print $2; exit }' <<<"$defs")
		[ -n "$def" ] && [ "$def" != "$obj" ] || continue
		calls=$((calls + 1))
		from=$(layer_of_object "$obj") to=$(layer_of_object "$def")
		if [ -n "$from" ] && [ -n "$to" ] && [ "$(rank "$to")" -gt "$(rank "$from")" ]; then
			up="$up
  ${obj%.o} ($from) calls $sym of ${def%.o} ($to)"
		fi
	done < <("$NM" -A --undefined-only "$AR_LIB" 2>/dev/null | awk '{ split($1, a, ":"); print a[2], $NF }')
	if [ "$calls" -gt 50 ] && [ -z "$up" ]; then ok "no call in libauth.a goes up a layer ($calls calls between objects)"; else
		not_ok "calls up a layer ($calls between objects):$up"
	fi
else
	not_ok "$AR_LIB is not built"
fi

# Handlers get their context through the request (req->app): no route
# group's object reads the orchestrator's global.
ROUTES_LIB=$top_builddir/cgi-bin/libroutes.a
if [ -f "$ROUTES_LIB" ]; then
	users=$("$NM" -A --undefined-only "$ROUTES_LIB" 2>/dev/null | awk '$NF == "app" { split($1, a, ":"); print a[2] }')
	if [ -z "$users" ]; then ok "no handler reads the global app"; else
		not_ok "handlers that read the global app: $users"
	fi
else
	not_ok "$ROUTES_LIB is not built"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
