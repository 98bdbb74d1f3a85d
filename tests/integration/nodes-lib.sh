# Nodes on one machine, as a site runs several behind a load balancer: node
# N is a lighttpd front of its own on a free loopback port, with its own copy
# of the programs, its own state directory and logs, and the store every node
# shares, NODES_DATABASE_URL (postgresql://...; empty: each node keeps its
# own SQLite file in its state directory, which is one machine's setup
# repeated, not a shared one).
#
# For tests/integration/nodes.sh, pg-outage.sh and bench/nodes.sh. Sourced
# after pg.sh when there is one (the nodes stop before the database at exit).
#   node_start N [PROCS]   starts node N (PROCS processes per program, 1)
#   node_stop N            stops it (lighttpd stops its programs)
#   node_tool N ARGS...    the mcpauth tool with node N's settings
#   node_programs N        the pids of node N's programs, one per line
#   node_log N             everything node N and its programs logged
# NODE_BASE[N] is node N's http://127.0.0.1:PORT, NODE_DIR[N] its directory.
# Every node has the issuer NODES_ISSUER (one site, one issuer); the other
# settings (MCPAUTH_*) come from the caller's environment, as do lib.sh's
# for one server.
# shellcheck shell=bash

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${LIGHTTPD:=$(command -v lighttpd || echo /usr/sbin/lighttpd)}"
: "${NODES_DATABASE_URL:=}"
: "${NODES_ISSUER:=https://mcpauth.nodes.test/}"
if [ -z "${NODES_ROOT:-}" ]; then
	NODES_ROOT=${TMP_ROOT:-}
	[ -n "$NODES_ROOT" ] || NODES_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/mcpauth-nodes.XXXXXX")
fi
declare -a NODE_BASE NODE_DIR NODE_PID NODE_PORT

# node_env N: the settings node N's programs and tool run with, as
# NAME=VALUE words for env.
node_env() {
	local d=${NODE_DIR[$1]}
	printf '%s\n' "MCPAUTH_BINDIR=$d/bin" "MCPAUTH_STATE_DIR=$d/state" "MCPAUTH_ISSUER=$NODES_ISSUER" \
		"MCPAUTH_ERRORLOG=$d/error.log" "MCPAUTH_HOST=127.0.0.1"
	[ -z "$NODES_DATABASE_URL" ] || echo "MCPAUTH_DATABASE_URL=$NODES_DATABASE_URL"
}

node_tool() {
	local n=$1
	shift
	local -a e
	mapfile -t e < <(node_env "$n")
	env "${e[@]}" "$top_builddir/tools/mcpauth" "$@"
}

# node_programs N: node N's running programs: those started from its own
# copy of them (lighttpd's children; a respawned one too).
node_programs() { pgrep -f "^${NODE_DIR[$1]}/bin/" 2>/dev/null; }

node_log() {
	cat "${NODE_DIR[$1]}/error.log" "${NODE_DIR[$1]}/server.stderr" 2>/dev/null
}

node_start() {
	local n=$1 procs=${2:-1} d="$NODES_ROOT/node$1" f
	NODE_DIR[$n]=$d
	mkdir -p "$d/bin" "$d/state"
	chmod 700 "$d/state"
	# Its own programs: a node is a machine, and a test kills one node's.
	for f in "$top_builddir"/cgi-bin/*; do
		[ -f "$f" ] && [ -x "$f" ] && cp -L "$f" "$d/bin/"
	done
	cp -RL "$top_builddir/cgi-bin/errors" "$d/bin/"
	mkdir -p "$d/bin/htdocs"
	# Each node's tool run makes its state directory's files (the keys
	# without a shared store) and the demo users (once per store: the
	# second run finds them).
	node_tool "$n" init --demo-users >>"$d/init.log" 2>&1 || true
	for _ in 1 2 3 4 5 6 7 8; do
		NODE_PORT[$n]=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		NODE_BASE[$n]="http://127.0.0.1:${NODE_PORT[$n]}"
		local -a e
		mapfile -t e < <(node_env "$n")
		env "${e[@]}" MCPAUTH_PORT="${NODE_PORT[$n]}" MCPAUTH_PROCS="$procs" \
			"$LIGHTTPD" -D -f "$top_srcdir/lighttpd-conf/mcpauth.conf" 2>>"$d/server.stderr" &
		NODE_PID[$n]=$!
		for _ in $(seq 1 100); do
			kill -0 "${NODE_PID[$n]}" 2>/dev/null || break
			if curl -s -o /dev/null --max-time 2 "${NODE_BASE[$n]}/"; then
				return 0
			fi
			sleep 0.1
		done
		node_stop "$n"
	done
	echo "node $n did not start; its log:" >&2
	node_log "$n" >&2
	return 1
}

node_stop() {
	local n=$1
	[ -n "${NODE_PID[$n]:-}" ] || return 0
	kill "${NODE_PID[$n]}" 2>/dev/null
	wait "${NODE_PID[$n]}" 2>/dev/null
	NODE_PID[$n]=
	# lighttpd stops its programs; wait until they are gone.
	for _ in $(seq 1 50); do
		[ -n "$(node_programs "$n")" ] || break
		sleep 0.1
	done
}

nodes_stop_all() {
	local n
	for n in "${!NODE_PID[@]}"; do node_stop "$n"; done
}

# Before the exit handler the sourcing script had (pg.sh's, lib.sh's).
NODES_PREV_EXIT=$(trap -p EXIT | sed -n "s/^trap -- '\(.*\)' EXIT$/\1/p")
# shellcheck disable=SC2064
trap "nodes_stop_all; $NODES_PREV_EXIT" EXIT
