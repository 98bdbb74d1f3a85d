# What the benchmark scripts share: a free loopback port and waiting for a
# server to answer. Sourced after scripts/common.sh.
# shellcheck shell=bash

# free_port: a port nothing listens on now, between 20000 and 31999 (below
# the ephemeral ports, 32768 on, which outgoing connections take).
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
	done
}

# wait_http URL: 0 once URL answers at all, 1 after 10 s without.
wait_http() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; return 1; }
