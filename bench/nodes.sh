#!/usr/bin/env bash
# Nodes and stores (run by hand, never a test). On this machine:
#   pg x1      one node on PostgreSQL: a lighttpd front with its own programs
#              (BENCH_PROCS per program) and state directory
#              (tests/integration/nodes-lib.sh), one PostgreSQL 15 cluster
#              (tests/integration/pg.sh, fsync on, scram-sha-256, TCP on
#              127.0.0.1)
#   pg x2      two such nodes on the same cluster, the load split over both
#              fronts: one wrk per node, each with half the threads and
#              connections
#   sqlite x1  one node on SQLite (the file in its state directory), as today
# wrk -t2 -c16 -d10s in all (so two nodes get the same offered load as one),
# BENCH_ROUNDS rounds interleaved, on GET /api/profile (one token per node),
# POST /auth/login (scrypt by design) and POST /auth/refresh (chains of
# refresh tokens, each answer's token sent next: bench/chains.lua; new chains
# before every run, made outside the clock); then each login and refresh one
# at a time on SQLite and PostgreSQL; then PostgreSQL's own log
# (log_statement = all) counts the statements each route sends per request,
# and names them. Prints the tables and puts them in bench/RESULTS.md's
# section "Nodes and stores".
#   bench/nodes.sh                                    defaults: 3 rounds, 2 processes per program
#   BENCH_DURATION=3s BENCH_ROUNDS=1 bench/nodes.sh   a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
. bench/lib.sh
ensure_packages wrk jq
build build
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)

THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-16}
DURATION=${BENCH_DURATION:-10s}
ONE_DURATION=${BENCH_ONE_DURATION:-5s}
ROUNDS=${BENCH_ROUNDS:-3}
PROCS=${BENCH_PROCS:-2}
RESULTS=${BENCH_RESULTS:-bench/RESULTS.md}
BENCH_DIR=$(mktemp -d /tmp/mcpauth-nodes.XXXXXX)
chmod 755 "$BENCH_DIR"
# Runs last: the nodes and the cluster stop first (their own exit handlers).
trap 'rm -rf "$BENCH_DIR"' EXIT

export top_srcdir=$PWD top_builddir=$PWD/build NODES_ROOT=$BENCH_DIR
. tests/integration/pg.sh
. tests/integration/nodes-lib.sh
pg_available || { echo "no PostgreSQL 15 binaries (apt-get install postgresql-15)" >&2; exit 1; }
pg_start
PASS=${PG_URL#postgresql://mcpauth:}
PASS=${PASS%%@*}
psql_su() { PGPASSWORD=$PASS "$PG_BINDIR/psql" -X -qAt -h 127.0.0.1 -p "$PG_PORT" -U mcpauth -d mcpauth_test -c "$1"; }

# Only failed logins count against the limits; a benchmark has none, but
# a refused chain must not lock the rest out.
export MCPAUTH_LOGIN_EMAIL_LIMIT=1000000 MCPAUTH_LOGIN_ADDR_LIMIT=1000000
NODES_DATABASE_URL=$PG_URL
node_start 1 "$PROCS"
node_start 2 "$PROCS"
NODES_DATABASE_URL=
node_start 3 "$PROCS"
NODES_DATABASE_URL=$PG_URL

USER_LOGIN='{"email":"user@example.com","password":"password"}'
CHAIN_LOGIN='{"email":"user@example.com","password":"password","scope":"offline_access"}'
post() { curl -s --max-time 30 -H 'Content-Type: application/json' -d "$2" "$1"; }
declare -A TOKEN
for n in 1 2 3; do
	TOKEN[$n]=$(post "${NODE_BASE[$n]}/auth/login" "$USER_LOGIN" | jq -r .access_token)
	[ -n "${TOKEN[$n]}" ] && [ "${TOKEN[$n]}" != null ] || {
		echo "node $n: no login" >&2
		node_log "$n" >&2
		exit 1
	}
done

# chains N COUNT FILE: COUNT new refresh tokens from node N's logins.
chains() {
	local t
	: >"$3"
	for _ in $(seq 1 "$2"); do
		t=$(post "${NODE_BASE[$1]}/auth/login" "$CHAIN_LOGIN" | jq -r .refresh_token)
		[ -n "$t" ] && [ "$t" != null ] || { echo "node $1: no refresh token" >&2; return 1; }
		printf '%s\n' "$t" >>"$3"
	done
}

# wrk_one N ROUTE THREADS CONNS DURATION OUT: one wrk against node N.
wrk_one() {
	local n=$1 route=$2 t=$3 c=$4 d=$5 out=$6 base=${NODE_BASE[$1]}
	# A login waits for scrypt behind the others: no answer is given up on.
	local w=(wrk "-t$t" "-c$c" "-d$d" --timeout 30s --latency)
	case $route in
	profile) "${w[@]}" -H "Authorization: Bearer ${TOKEN[$n]}" "$base/api/profile" ;;
	login) BENCH_TOKEN='' BENCH_BODY=$USER_LOGIN "${w[@]}" -s bench/post.lua "$base/auth/login" ;;
	refresh) BENCH_CHAINS=$out.chains BENCH_NTHREADS=$t "${w[@]}" -s bench/chains.lua "$base/auth/refresh" ;;
	esac >"$out" 2>&1
}

to_ms() { # wrk latency like 1.23ms / 456.00us / 1.02s
	awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
rps_of() { awk '/^Requests\/sec:/ { print $2 }' "$1"; }
pct_of() { to_ms "$(awk -v p="$2" '$1 == p { print $2 }' "$1")"; }
errors_of() {
	awk '/Non-2xx or 3xx responses:/ { e += $NF } /Socket errors:/ { gsub(",", ""); e += $4 + $6 + $8 + $10 } END { print e + 0 }' "$1"
}

# run SETUP ROUTE ROUND: the scenario's wrk (one per node of the setup, at
# once); prints "req/s p50 p99 errors" (req/s summed, latencies the worse node's).
run() {
	local setup=$1 route=$2 round=$3 nodes t c n out pids=() rps=0 p50=0 p99=0 err=0 v
	case $setup in
	pg1) nodes="1" t=$THREADS c=$CONNS ;;
	pg2) nodes="1 2" t=$((THREADS / 2 > 0 ? THREADS / 2 : 1)) c=$((CONNS / 2)) ;;
	sqlite1) nodes="3" t=$THREADS c=$CONNS ;;
	esac
	for n in $nodes; do
		out=$BENCH_DIR/wrk-$setup-$route-$round-node$n.txt
		[ "$route" != refresh ] || chains "$n" "$c" "$out.chains"
	done
	for n in $nodes; do
		out=$BENCH_DIR/wrk-$setup-$route-$round-node$n.txt
		wrk_one "$n" "$route" "$t" "$c" "$DURATION" "$out" &
		pids+=($!)
	done
	wait "${pids[@]}"
	for n in $nodes; do
		out=$BENCH_DIR/wrk-$setup-$route-$round-node$n.txt
		rps=$(awk -v a="$rps" -v b="$(rps_of "$out")" 'BEGIN { print a + b }')
		v=$(pct_of "$out" 50%)
		p50=$(awk -v a="$p50" -v b="$v" 'BEGIN { print (b > a) ? b : a }')
		v=$(pct_of "$out" 99%)
		p99=$(awk -v a="$p99" -v b="$v" 'BEGIN { print (b > a) ? b : a }')
		err=$((err + $(errors_of "$out")))
	done
	echo "$rps $p50 $p99 $err"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f–%.0f", lo, hi }'; }

# --- warm-up, then the rounds, interleaved ---------------------------------------
for setup in pg1 pg2 sqlite1; do
	for route in profile login; do
		DURATION=2s run "$setup" "$route" warm >/dev/null
	done
done
SETUPS="pg1 pg2 sqlite1"
ROUTES="profile login refresh"
declare -A R
for round in $(seq 1 "$ROUNDS"); do
	for route in $ROUTES; do
		for setup in $SETUPS; do
			R[$setup.$route.$round]=$(run "$setup" "$route" "$round")
			echo "round $round $route $setup: ${R[$setup.$route.$round]}" >&2
		done
	done
done
col() { # col SETUP ROUTE FIELD: that field of every round
	local r
	for r in $(seq 1 "$ROUNDS"); do echo "${R[$1.$2.$r]}" | cut -d' ' -f"$3"; done
}

# --- one at a time: what a request costs on each store -------------------------------
declare -A ONE
for route in login refresh; do
	for n in 1 3; do
		out=$BENCH_DIR/one-$route-node$n.txt
		[ "$route" != refresh ] || chains "$n" 1 "$out.chains"
		wrk_one "$n" "$route" 1 1 "$ONE_DURATION" "$out"
		ONE[$n.$route]="$(printf '%.0f' "$(rps_of "$out")") $(pct_of "$out" 50%) $(pct_of "$out" 99%) $(errors_of "$out")"
		echo "one at a time $route node$n: ${ONE[$n.$route]}" >&2
	done
done

# --- the statements each route sends, from PostgreSQL's own log ----------------------
# Parameters are left out of the log (log_parameter_max_length = 0): they
# hold hashes of secrets. Node 1 alone, one request at a time, after the
# runs above (its caches warm).
psql_su "ALTER SYSTEM SET log_statement = 'all'"
psql_su "ALTER SYSTEM SET log_parameter_max_length = 0"
psql_su "SELECT pg_reload_conf()" >/dev/null
sleep 1
LOG=$PG_DIR/server.log
statements() { # statements N: what was logged since byte N, one statement a line
	tail -c +$(($1 + 1)) "$LOG" | sed -n -E 's/.*LOG:  (statement|execute [^:]*): (.*)$/\2/p'
}
idle_off=$(stat -c %s "$LOG")
sleep 2
IDLE=$(statements "$idle_off" | wc -l)
declare -A RT SQL
NREQ=5
for route in profile login refresh; do
	[ "$route" != refresh ] || { chains 1 1 "$BENCH_DIR/rt.chains"; rt=$(cat "$BENCH_DIR/rt.chains"); }
	off=$(stat -c %s "$LOG")
	for _ in $(seq 1 "$NREQ"); do
		case $route in
		profile) curl -s -o /dev/null -H "Authorization: Bearer ${TOKEN[1]}" "${NODE_BASE[1]}/api/profile" ;;
		login) post "${NODE_BASE[1]}/auth/login" "$USER_LOGIN" >/dev/null ;;
		refresh) rt=$(post "${NODE_BASE[1]}/auth/refresh" "{\"refresh_token\":\"$rt\"}" | jq -r .refresh_token) ;;
		esac
	done
	sleep 0.3
	statements "$off" >"$BENCH_DIR/sql-$route.txt"
	RT[$route]=$(awk -v n="$(wc -l <"$BENCH_DIR/sql-$route.txt")" -v k="$NREQ" 'BEGIN { printf "%.1f", n / k }')
	# Each distinct statement (its first words), in the order first sent,
	# with how many times per request ("|" escaped for the table).
	SQL[$route]=$(cut -c1-90 "$BENCH_DIR/sql-$route.txt" | sed 's/|/\\|/g' |
		awk -v k="$NREQ" '!($0 in c) { o[++n] = $0 } { c[$0]++ }
			END { for (i = 1; i <= n; i++) printf "%s`%s` ×%g", (i > 1 ? "; " : ""), o[i], c[o[i]] / k }')
	echo "$route: ${RT[$route]} statements per request: ${SQL[$route]}" >&2
done
psql_su "ALTER SYSTEM RESET log_statement"
psql_su "ALTER SYSTEM RESET log_parameter_max_length"
psql_su "SELECT pg_reload_conf()" >/dev/null
CONNS_HELD=$(psql_su "SELECT count(*) FROM pg_stat_activity WHERE datname = 'mcpauth_test' AND pid <> pg_backend_pid()")

# --- the tables -------------------------------------------------------------------------
label() {
	case $1 in
	pg1) echo "1 node, PostgreSQL" ;;
	pg2) echo "2 nodes, PostgreSQL (load split)" ;;
	sqlite1) echo "1 node, SQLite" ;;
	esac
}
route_name() {
	case $1 in
	profile) echo "GET /api/profile" ;;
	login) echo "POST /auth/login (scrypt)" ;;
	refresh) echo "POST /auth/refresh (rotation)" ;;
	esac
}
{
	echo "## Nodes and stores"
	echo
	echo "Produced by \`bench/nodes.sh\` on $(date -u +%Y-%m-%d): wrk -t$THREADS -c$CONNS -d$DURATION per setup (two nodes: one wrk"
	echo "each with half the threads and connections, at once), $ROUNDS rounds interleaved, $PROCS FastCGI processes"
	echo "per program on each node (tests/integration/nodes-lib.sh: a lighttpd front, its own programs and state"
	echo "directory); PostgreSQL 15 from tests/integration/pg.sh (fsync on, scram-sha-256, TCP on 127.0.0.1),"
	echo "SQLite WAL with synchronous FULL. req/s is the median of the rounds (lowest–highest), summed over the"
	echo "nodes; p50 and p99 are the medians of the rounds' worse node. This machine has $(nproc) cores, shared by"
	echo "everything here: both nodes, PostgreSQL and wrk. Load average when it started: $LOADAVG."
	echo
	echo "| route | setup | req/s | p50 ms | p99 ms | errors |"
	echo "|---|---|---:|---:|---:|---:|"
	for route in $ROUTES; do
		for setup in $SETUPS; do
			printf '| %s | %s | %.0f (%s) | %.2f | %.2f | %s |\n' "$(route_name "$route")" "$(label "$setup")" \
				"$(col "$setup" "$route" 1 | median)" "$(col "$setup" "$route" 1 | minmax)" \
				"$(col "$setup" "$route" 2 | median)" "$(col "$setup" "$route" 3 | median)" \
				"$(col "$setup" "$route" 4 | paste -sd+ | bc)"
		done
	done
	echo
	echo "(errors: non-2xx answers and socket errors over every round.)"
	echo
	echo "| one request at a time (wrk -t1 -c1 -d$ONE_DURATION) | SQLite req/s | p50 ms | p99 ms | PostgreSQL req/s | p50 ms | p99 ms |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for route in login refresh; do
		set -- ${ONE[3.$route]}
		s="$1 | $2 | $3"
		set -- ${ONE[1.$route]}
		echo "| $(route_name "$route") | $s | $1 | $2 | $3 |"
	done
	echo
	echo "What each route sends to PostgreSQL per request (its log, log_statement = all, $NREQ requests"
	echo "one at a time on a warm node; $IDLE statements in 2 s of idle, which is what the nodes send by"
	echo "themselves). A statement is one round trip; BEGIN and COMMIT are one each."
	echo
	echo "| route | statements per request | which (per request) |"
	echo "|---|---:|---|"
	for route in profile login refresh; do
		echo "| $(route_name "$route") | ${RT[$route]} | ${SQL[$route]:-none} |"
	done
	echo
	echo "Connections held by the two PostgreSQL nodes (and nothing else): $CONNS_HELD (one per program process)."
	echo
	echo "How this extends to N machines. Here both nodes, PostgreSQL and wrk share $(nproc) cores, so \"2 nodes\""
	echo "measures what sharing one store costs and what a second front adds on the same cores, not a second"
	echo "machine's capacity. What a node does alone grows with the machines: HTTP, token checks (a verified"
	echo "token is cached per process), the RS256 signature of each new access token and, for a login, the"
	echo "scrypt hash, which is most of a login's time on either store (the one-at-a-time table). What every"
	echo "node shares is PostgreSQL, and per request that is the statements above: GET /api/profile sends"
	echo "${RT[profile]} on average (the user rows are cached in each process; a refill reads them again), a"
	echo "login ${RT[login]} (reads: the user, its second factor, the rate limits), a refresh ${RT[refresh]} (one"
	echo "SERIALIZABLE transaction from BEGIN to COMMIT, with one durable commit: the rotation that makes a"
	echo "reused token detectable on every node). With N nodes the database sees the sum: its limits are the"
	echo "commits of refreshes (one WAL flush each, shared by concurrent commits) and its connections, one per"
	echo "program process per node (4 programs × $PROCS processes here, so 8 per node; PostgreSQL's default"
	echo "max_connections of 100 holds about 12 such nodes, more with a pooler in front). Each statement is a"
	echo "round trip: on loopback about 0.1 ms (Store back ends, above), across a network more, so on separate"
	echo "machines a refresh pays ${RT[refresh]} network round trips and a login ${RT[login]}, while a profile"
	echo "read pays almost none."
} >"$BENCH_DIR/section.md"
cat "$BENCH_DIR/section.md"

# Into RESULTS.md: the section replaced, or added at the end.
awk -v f="$BENCH_DIR/section.md" '
	/^## Nodes and stores$/ { skip = 1; while ((getline l < f) > 0) print l; done = 1; next }
	skip && /^## / { skip = 0 }
	!skip { print }
	END { if (!done) { print ""; while ((getline l < f) > 0) print l } }
' "$RESULTS" >"$BENCH_DIR/results.md"
cp "$BENCH_DIR/results.md" "$RESULTS"
echo "written: $RESULTS" >&2
