#!/usr/bin/env bash
# The benchmark harness (run by hand, never a test): builds what it needs,
# starts the suite (under lighttpd, and as plain CGI under Apache mod_cgid),
# the ceiling and the Node anchor on free loopback ports,
# runs wrk three times per scenario (interleaved), prints a table of median
# req/s, p50/p99 latency and peak RSS, writes bench/RESULTS.md.
#   bench/run.sh                 defaults: -t2 -c32 -d10s, 3 rounds, 2 processes per program
#   BENCH_DURATION=5s BENCH_ROUNDS=1 bench/run.sh    a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
. bench/lib.sh
ensure_packages wrk python3 bc psmisc libfcgi-dev
build build

THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
DURATION=${BENCH_DURATION:-10s}
ROUNDS=${BENCH_ROUNDS:-3}
NTOKENS=${BENCH_TOKENS_COUNT:-10000}
export MCPAUTH_PROCS=${MCPAUTH_PROCS:-2}
BENCH_DIR=$(mktemp -d /tmp/mcpauth-bench.XXXXXX)
export BENCH_DIR
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$BENCH_DIR"
}
trap cleanup EXIT

LIGHTTPD=$(command -v lighttpd || echo /usr/sbin/lighttpd)

# --- the suite -----------------------------------------------------------------
SUITE_PORT=$(free_port)
export MCPAUTH_STATE_DIR=$BENCH_DIR/state MCPAUTH_BINDIR=$PWD/build/cgi-bin MCPAUTH_HOST=127.0.0.1
export MCPAUTH_PORT=$SUITE_PORT MCPAUTH_ERRORLOG=$BENCH_DIR/suite-error.log
mkdir -p "$MCPAUTH_STATE_DIR"
build/tools/mcpauth init --demo-users >/dev/null # the demo users the runs log in as
"$LIGHTTPD" -D -f lighttpd-conf/mcpauth.conf 2>"$BENCH_DIR/suite.stderr" &
SUITE_PID=$!
PIDS+=("$SUITE_PID")
SUITE=http://127.0.0.1:$SUITE_PORT
wait_http "$SUITE/" || { echo "the suite did not start:" >&2; cat "$BENCH_DIR"/suite* >&2; exit 1; }

# --- the ceiling, built three times (libfcgi's default close, closing at once, b's bytes) ---
FCGI_FLAGS=$(pkg-config --cflags --libs fcgi 2>/dev/null || echo -lfcgi)
cc -O2 -o "$BENCH_DIR/ceiling" bench/ceiling.c $FCGI_FLAGS
cc -O2 -DCLOSE_AT_ONCE -o "$BENCH_DIR/ceiling-now" bench/ceiling.c $FCGI_FLAGS
cc -O2 -DCLOSE_AT_ONCE -DSAME_ANSWER -o "$BENCH_DIR/ceiling-same" bench/ceiling.c $FCGI_FLAGS
# start_ceiling NAME: lighttpd serving that build on a free port; sets
# LAST_PID and LAST_URL.
start_ceiling() {
	local port
	port=$(free_port)
	BENCH_NAME=$1 BENCH_PORT=$port "$LIGHTTPD" -D -f bench/ceiling.conf 2>"$BENCH_DIR/$1.stderr" &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
	LAST_URL=http://127.0.0.1:$port
	wait_http "$LAST_URL/" || { echo "$1 did not start:" >&2; cat "$BENCH_DIR/$1.stderr" "$BENCH_DIR/$1-error.log" >&2 2>/dev/null; exit 1; }
}
start_ceiling ceiling
CEIL_PID=$LAST_PID CEIL=$LAST_URL
start_ceiling ceiling-now
CEIL2_PID=$LAST_PID CEIL2=$LAST_URL

# --- the same programs as plain CGI under Apache mod_cgid (apache-conf/mcpauth-cgi.conf) ----
# Its own state directory: Apache runs the programs as its User.
APACHE2=$(command -v apache2 || echo /usr/sbin/apache2)
APACHE_MODULES=/usr/lib/apache2/modules
CGI_PORT=$(free_port)
CGI_DIR=$BENCH_DIR/apache-cgi
mkdir -p "$CGI_DIR/state"
CGI_USER=
if [ "$(id -u)" -eq 0 ]; then
	CGI_USER=www-data
	chmod 711 "$BENCH_DIR"
fi
# The demo users the runs log in as, in a directory the programs' user owns.
build/tools/mcpauth --state-dir "$CGI_DIR/state" init --demo-users ${CGI_USER:+--user "$CGI_USER"} >/dev/null
{
	echo "ServerRoot $CGI_DIR"
	echo "Listen 127.0.0.1:$CGI_PORT"
	echo "ServerName 127.0.0.1"
	echo "PidFile $CGI_DIR/httpd.pid"
	echo "DefaultRuntimeDir $CGI_DIR"
	echo "ErrorLog $CGI_DIR/error.log"
	echo "ScriptSock $CGI_DIR/cgid.sock"
	[ -z "$CGI_USER" ] || printf 'User %s\nGroup %s\n' "$CGI_USER" "$(id -gn "$CGI_USER")"
	for m in mpm_event authz_core alias env cgid; do echo "LoadModule ${m}_module $APACHE_MODULES/mod_$m.so"; done
	echo "Define MCPAUTH_LIBEXECDIR $MCPAUTH_BINDIR"
	echo "Define MCPAUTH_STATE_DIR $CGI_DIR/state"
	echo "Include $PWD/build/apache-conf/mcpauth-cgi.conf"
} >"$CGI_DIR/httpd.conf"
"$APACHE2" -f "$CGI_DIR/httpd.conf" -DFOREGROUND 2>"$BENCH_DIR/apache-cgi.stderr" &
CGI_PID=$!
PIDS+=("$CGI_PID")
CGI=http://127.0.0.1:$CGI_PORT
wait_http "$CGI/" || { echo "Apache mod_cgid did not start:" >&2; cat "$BENCH_DIR/apache-cgi.stderr" "$CGI_DIR/error.log" >&2; exit 1; }

# --- the Node anchor ---------------------------------------------------------------
(cd bench/node && npm ci --no-audit --no-fund --silent >/dev/null)
NODE_PORT=$(free_port)
PORT=$NODE_PORT JWKS_URI=$SUITE/.well-known/jwks.json ISSUER=https://mcpauth.local/ \
	AUDIENCE=https://your-api.example.com node bench/node/server.mjs >"$BENCH_DIR/node.log" 2>&1 &
NODE_PID=$!
PIDS+=("$NODE_PID")
NODE=http://127.0.0.1:$NODE_PORT
for _ in $(seq 1 100); do curl -s -o /dev/null "$NODE/api/profile" && break; sleep 0.1; done

# --- tokens ---------------------------------------------------------------------------
TOKEN=$(curl -s -X POST "$SUITE/auth/login" -H 'Content-Type: application/json' \
	-d '{"email":"user@example.com","password":"password"}' | jq -r .access_token)
KID=$(curl -s "$SUITE/.well-known/jwks.json" | jq -r '.keys[0].kid')
node bench/node/mint.mjs "$MCPAUTH_STATE_DIR/signing-key.pem" "$KID" https://mcpauth.local/ \
	https://your-api.example.com "$NTOKENS" >"$BENCH_DIR/tokens.txt"
export BENCH_TOKENS=$BENCH_DIR/tokens.txt
CGI_TOKEN=$(curl -s -X POST "$CGI/auth/login" -H 'Content-Type: application/json' \
	-d '{"email":"user@example.com","password":"password"}' | jq -r .access_token)
# The third ceiling (a3) answers the bytes the profile program answers to b,
# taken from the program itself run once as plain CGI with b's request.
env -i PATH="$PATH" MCPAUTH_STATE_DIR="$MCPAUTH_STATE_DIR" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
	REQUEST_URI=/api/profile SCRIPT_NAME=/api/profile HTTP_HOST=127.0.0.1 REMOTE_ADDR=127.0.0.1 \
	SERVER_ADDR=127.0.0.1 HTTP_AUTHORIZATION="Bearer $TOKEN" build/cgi-bin/profile </dev/null \
	>"$BENCH_DIR/ceiling-same.answer" 2>/dev/null
start_ceiling ceiling-same
CEIL3_PID=$LAST_PID CEIL3=$LAST_URL
[ "$(curl -s -H "Authorization: Bearer $TOKEN" "$SUITE/api/profile")" = "$(curl -s "$CEIL3/")" ] ||
	{ echo "a3 does not answer b's body" >&2; exit 1; }
for u in "$SUITE/api/profile" "$NODE/api/profile"; do
	got=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(head -1 "$BENCH_TOKENS")" "$u")
	[ "$got" = 200 ] || { echo "a minted token is refused by $u ($got)" >&2; exit 1; }
done

# --- peak RSS of each server's whole process tree ------------------------------------
tree_mem() { # pid: "RSS PSS" in KiB, summed over the process and its descendants
	local p rss=0 pss=0 r q
	for p in $(pstree -pT "$1" 2>/dev/null | grep -o '([0-9]*)' | tr -d '()'); do
		read -r r q < <(awk '/^Rss:/ {r = $2} /^Pss:/ {q = $2} END {print r + 0, q + 0}' "/proc/$p/smaps_rollup" 2>/dev/null || echo "0 0")
		rss=$((rss + ${r:-0}))
		pss=$((pss + ${q:-0}))
	done
	echo "$rss $pss"
}
# Sampling every 0.2 s forks pstree and awk; it runs only during the memory
# pass below, so that it takes no CPU from the timed rounds.
sample_memory() {
	declare -A peak=([suite]=0 [ceiling]=0 [node]=0) ppeak=([suite]=0 [ceiling]=0 [node]=0)
	while :; do
		for n in suite ceiling node; do
			case $n in suite) p=$SUITE_PID ;; ceiling) p=$CEIL_PID ;; node) p=$NODE_PID ;; esac
			read -r r q <<<"$(tree_mem "$p")"
			[ "$r" -gt "${peak[$n]}" ] && peak[$n]=$r
			[ "$q" -gt "${ppeak[$n]}" ] && ppeak[$n]=$q
		done
		printf 'suite %s %s\nceiling %s %s\nnode %s %s\n' "${peak[suite]}" "${ppeak[suite]}" \
			"${peak[ceiling]}" "${ppeak[ceiling]}" "${peak[node]}" "${ppeak[node]}" >"$BENCH_DIR/rss.tmp"
		mv "$BENCH_DIR/rss.tmp" "$BENCH_DIR/rss"
		sleep 0.2
	done
}

# CPU time (clock ticks) of a server's processes: "lighttpd programs", where
# programs are its children (the FastCGI processes), or for node its one process.
# The children's own count includes what their exited children used (a CGI
# program is reaped by Apache's cgid process); a long-lived one adds nothing.
tree_cpu() {
	local root=$1 p t own=0 kids=0
	for p in $(pstree -pT "$root" 2>/dev/null | grep -o '([0-9]*)' | tr -d '()'); do
		if [ "$p" = "$root" ]; then
			t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
		else
			t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$p/stat" 2>/dev/null || echo 0)
		fi
		if [ "$p" = "$root" ]; then own=$((own + t)); else kids=$((kids + t)); fi
	done
	echo "$own $kids"
}

# --- scenarios ------------------------------------------------------------------------
export BENCH_TOKEN BENCH_BODY
MCP_CALL='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_api_profile","arguments":{}}}'
INVOKE='{"toolName":"GET_/api/profile","args":{}}'
LOGIN='{"email":"user@example.com","password":"password"}'
# name|description
SCENARIOS=(
	"a|ceiling: fixed JSON from a minimal libfcgi program"
	"a2|ceiling closing at once, as the suite does"
	"a3|ceiling closing at once, answering b's bytes (headers and body)"
	"b|GET /api/profile, one token reused"
	"c|GET /api/profile, $NTOKENS distinct tokens"
	"d1|401: no token"
	"d2|401: invalid token"
	"e1|/mcp tools/call get_api_profile"
	"e2|/mcp/invoke GET_/api/profile"
	"f|POST /auth/login (scrypt by design)"
	"g|Node anchor: express-jwt + jwks-rsa, one token"
	"g2|Node anchor, $NTOKENS distinct tokens"
	"h|GET /api/profile as plain CGI under Apache mod_cgid, one token"
)
# wrk_for NAME OUT: runs the scenario's wrk with the common options.
wrk_for() {
	local w=(wrk "-t$THREADS" "-c$CONNS" "-d$DURATION" --latency) auth="Authorization: Bearer $TOKEN"
	case $1 in
	a) "${w[@]}" "$CEIL/" ;;
	a2) "${w[@]}" "$CEIL2/" ;;
	a3) "${w[@]}" "$CEIL3/" ;;
	b) "${w[@]}" -H "$auth" "$SUITE/api/profile" ;;
	c) "${w[@]}" -s bench/tokens.lua "$SUITE/api/profile" ;;
	d1) "${w[@]}" "$SUITE/api/profile" ;;
	d2) "${w[@]}" -H "Authorization: Bearer invalid.token.here" "$SUITE/api/profile" ;;
	e1) BENCH_TOKEN=$TOKEN BENCH_BODY=$MCP_CALL "${w[@]}" -s bench/post.lua "$SUITE/mcp" ;;
	e2) BENCH_TOKEN=$TOKEN BENCH_BODY=$INVOKE "${w[@]}" -s bench/post.lua "$SUITE/mcp/invoke" ;;
	f) BENCH_TOKEN= BENCH_BODY=$LOGIN "${w[@]}" -s bench/post.lua "$SUITE/auth/login" ;;
	g) "${w[@]}" -H "$auth" "$NODE/api/profile" ;;
	g2) "${w[@]}" -s bench/tokens.lua "$NODE/api/profile" ;;
	h) "${w[@]}" -H "Authorization: Bearer $CGI_TOKEN" "$CGI/api/profile" ;;
	esac
}

to_ms() { # wrk latency like 1.23ms / 456.00us / 1.02s
	awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}
server_pid() { case $1 in a) echo "$CEIL_PID" ;; a2) echo "$CEIL2_PID" ;; a3) echo "$CEIL3_PID" ;; g*) echo "$NODE_PID" ;; h) echo "$CGI_PID" ;; *) echo "$SUITE_PID" ;; esac; }
TICK=$(getconf CLK_TCK)
run_one() { # index round
	local name=${SCENARIOS[$1]%%|*} out srv s0 s1 k0 k1 w
	out=$BENCH_DIR/wrk-$name-$2.txt
	srv=$(server_pid "$name")
	read -r s0 k0 <<<"$(tree_cpu "$srv")"
	# bash's time: the CPU wrk itself used (user + system seconds).
	{ TIMEFORMAT='%U %S'; time wrk_for "$name" >"$out" 2>&1; } 2>"$out.cpu" || true
	read -r s1 k1 <<<"$(tree_cpu "$srv")"
	w=$(awk '{print $1 + $2}' "$out.cpu")
	local n
	n=$(awk '/requests in/ {print $1}' "$out")
	case $2 in warm | mem) return ;; esac
	if [ "${n:-0}" -gt 0 ]; then
		# microseconds of CPU per request: the web server, its programs, wrk
		echo "$name $(echo "($s1 - $s0) * 1000000 / $TICK / $n" | bc -l) $(echo "($k1 - $k0) * 1000000 / $TICK / $n" | bc -l) $(echo "$w * 1000000 / $n" | bc -l)" >>"$BENCH_DIR/cpu"
	fi
	local rps p50 p99 non2xx
	rps=$(awk '/^Requests\/sec/ {print $2}' "$out")
	p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
	p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
	non2xx=$(awk '/Non-2xx/ {print $NF}' "$out")
	echo "$name ${rps:-0} $p50 $p99 ${non2xx:-0}" >>"$BENCH_DIR/results"
}

# Each scenario answers what it should before it is measured.
got=$(curl -s -X POST "$SUITE/mcp" -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" -d "$MCP_CALL")
[ "$(echo "$got" | jq -r '.result.structuredContent.profile.id')" = "auth0|user123" ] || { echo "e1 answers $got" >&2; exit 1; }
got=$(curl -s -X POST "$SUITE/mcp/invoke" -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" -d "$INVOKE")
[ "$(echo "$got" | jq -r '.result.profile.id')" = "auth0|user123" ] || { echo "e2 answers $got" >&2; exit 1; }
got=$(curl -s -H "Authorization: Bearer $CGI_TOKEN" "$CGI/api/profile")
[ "$(echo "$got" | jq -r '.profile.id')" = "auth0|user123" ] || { echo "h answers $got" >&2; exit 1; }
got=$(curl -s -H "Authorization: Bearer $TOKEN" "$NODE/api/profile")
[ "$(echo "$got" | jq -r '.profile.id')" = "auth0|user123" ] || { echo "g answers $got" >&2; exit 1; }

echo "warming up..." >&2
for i in "${!SCENARIOS[@]}"; do DURATION=2s run_one "$i" warm; done
: >"$BENCH_DIR/results"
: >"$BENCH_DIR/cpu"
for r in $(seq 1 "$ROUNDS"); do
	for i in "${!SCENARIOS[@]}"; do
		echo "round $r: ${SCENARIOS[$i]%%|*}" >&2
		run_one "$i" "$r"
	done
done

# --- the memory pass: each server under its heaviest load, sampled -------------------
echo "memory pass..." >&2
sample_memory &
SAMPLER=$!
PIDS+=("$SAMPLER")
for i in "${!SCENARIOS[@]}"; do
	case ${SCENARIOS[$i]%%|*} in a | c | e1 | g2) run_one "$i" mem >/dev/null ;; esac
done
kill "$SAMPLER" 2>/dev/null || true
wait "$SAMPLER" 2>/dev/null || true

# --- start time: one program spawned (fd 0 = its socket) to its first answer ------
declare -A START
for prog in auth:/ profile:/api/profile admin:/api/user/auth0%7Cuser123 mcp:/mcp/tools; do
	START[${prog%%:*}]=$(python3 bench/fcgi_start.py "$MCPAUTH_BINDIR/${prog%%:*}" \
		"$(curl -s -X POST "$SUITE/auth/login" -H 'Content-Type: application/json' -d '{"email":"admin@example.com","password":"admin"}' | jq -r .access_token)" \
		"${prog#*:}")
done

# --- plain CGI: a program's start to its exit, and one request end to end ------------
CGI_START=$(MCPAUTH_STATE_DIR=$CGI_DIR/state python3 bench/cgi_start.py "$MCPAUTH_BINDIR/profile" "$CGI_TOKEN" /api/profile)
CGI_E2E=$(for _ in $(seq 1 21); do
	curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $CGI_TOKEN" "$CGI/api/profile"
done | sort -n | awk '{a[NR] = $1} END {printf "%.1f", a[11] * 1000}')

# --- what one RSA-2048 verification costs here (the floor of scenario c's misses) -----
RSA_US=$(openssl speed -seconds 2 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {printf "%.1f", 1000000 / $NF}')

# --- the table ----------------------------------------------------------------------
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
declare -A RPS
table=$BENCH_DIR/table.md
{
	echo "| scenario | what | req/s (median of $ROUNDS) | p50 ms | p99 ms | non-2xx |"
	echo "|---|---|---:|---:|---:|---:|"
	for spec in "${SCENARIOS[@]}"; do
		IFS='|' read -r name desc _ <<<"$spec"
		rps=$(awk -v n="$name" '$1 == n {print $2}' "$BENCH_DIR/results" | median)
		p50=$(awk -v n="$name" '$1 == n {print $3}' "$BENCH_DIR/results" | median)
		p99=$(awk -v n="$name" '$1 == n {print $4}' "$BENCH_DIR/results" | median)
		bad=$(awk -v n="$name" '$1 == n {s += $5} END {print s + 0}' "$BENCH_DIR/results")
		RPS[$name]=$rps
		printf '| %s | %s | %.0f | %s | %s | %s |\n' "$name" "$desc" "$rps" "$p50" "$p99" "$bad"
	done
	echo
	# The median of the per-round ratios: round r of x ran next to round r of
	# y, so a drift of the machine between rounds cancels out.
	ratio() {
		awk -v x="$1" -v y="$2" '$1 == x {a[++na] = $2} $1 == y {b[++nb] = $2}
			END { n = 0; for (i = 1; i <= na && i <= nb; i++) if (b[i] > 0) r[++n] = a[i] / b[i]
			      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (r[j] < r[i]) { t = r[i]; r[i] = r[j]; r[j] = t }
			      printf "%.2f", n ? r[int((n + 1) / 2)] : 0 }' "$BENCH_DIR/results"
	}
	echo "| CPU per request, µs (median of $ROUNDS) | web server | FastCGI programs | wrk | all |"
	echo "|---|---:|---:|---:|---:|"
	for spec in "${SCENARIOS[@]}"; do
		IFS='|' read -r name _ <<<"$spec"
		[ "$name" = f ] && continue
		read -r ws pr wk <<<"$(for col in 2 3 4; do awk -v n="$name" -v c=$col '$1 == n {print $c}' "$BENCH_DIR/cpu" | median; done | tr '\n' ' ')"
		[ -n "$ws" ] || continue
		printf '| %s | %.1f | %.1f | %.1f | %.1f |\n' "$name" "$ws" "$pr" "$wk" "$(echo "$ws + $pr + $wk" | bc -l)"
	done
	echo
	echo "(From the CPU time each process used during the timed rounds, divided by the requests answered;"
	echo "for the Node anchor the one node process is its web server. Two cores give 2 000 000 µs of CPU per"
	echo "second to share: the sum of a row bounds its req/s. One RSA-2048 signature verification costs"
	echo "${RSA_US:-?} µs on this machine (openssl speed), paid by each request of c that misses the token cache.)"
	echo
	echo "| ratio (median of the per-round ratios) | value | target |"
	echo "|---|---:|---|"
	echo "| b / a (one token vs ceiling) | $(ratio b a) | >= 0.95 |"
	echo "| c / a (many tokens vs ceiling) | $(ratio c a) | >= 0.70 |"
	echo "| b / a2 (one token vs the ceiling closing at once) | $(ratio b a2) | |"
	echo "| c / a2 (many tokens vs the ceiling closing at once) | $(ratio c a2) | |"
	echo "| b / a3 (one token vs the ceiling answering b's bytes) | $(ratio b a3) | |"
	echo "| a3 / a2 (b's bytes vs the small answer, both ceilings) | $(ratio a3 a2) | |"
	echo "| b / g (one token vs Node anchor) | $(ratio b g) | >= 8 |"
	echo "| c / g2 (many tokens vs Node anchor) | $(ratio c g2) | |"
	echo "| e1 / b (/mcp tools/call vs direct) | $(ratio e1 b) | >= 0.85 |"
	echo "| e2 / b (/mcp/invoke vs direct) | $(ratio e2 b) | |"
	echo
	read -r _ suite_rss suite_pss <<<"$(grep suite "$BENCH_DIR/rss")"
	read -r _ ceil_rss ceil_pss <<<"$(grep ceiling "$BENCH_DIR/rss")"
	read -r _ node_rss node_pss <<<"$(grep node "$BENCH_DIR/rss")"
	mib() { echo "$1 / 1024" | bc -l; }
	echo "| peak memory under load (all processes) | RSS MiB | PSS MiB |"
	echo "|---|---:|---:|"
	printf '| suite: lighttpd + %s processes x 4 programs | %.1f | %.1f |\n' "$MCPAUTH_PROCS" "$(mib "$suite_rss")" "$(mib "$suite_pss")"
	printf '| ceiling: lighttpd + %s processes | %.1f | %.1f |\n' "$MCPAUTH_PROCS" "$(mib "$ceil_rss")" "$(mib "$ceil_pss")"
	printf '| Node anchor: one node process | %.1f | %.1f |\n' "$(mib "$node_rss")" "$(mib "$node_pss")"
	printf '| suite / Node (target <= 0.25) | %.2f | %.2f |\n' "$(echo "$suite_rss / $node_rss" | bc -l)" "$(echo "$suite_pss / $node_pss" | bc -l)"
	echo
	echo "(RSS counts the shared libraries once per process; PSS divides shared pages among the processes that"
	echo "share them, so the suite's sum is what it really costs the machine.)"
	echo
	echo "| program start: spawned to first answer (median of 21) | ms |"
	echo "|---|---:|"
	for p in auth profile admin mcp; do echo "| $p | ${START[$p]} |"; done
	echo
	echo "(Start includes loading the settings, the JWKS and the signing key, and opening the database; the"
	echo "state directory already exists. Target <= 20 ms.)"
	echo
	echo "| plain CGI (scenario h's server) | ms |"
	echo "|---|---:|"
	echo "| profile started as CGI to its exit with the answer (median of 21) | $CGI_START |"
	echo "| one GET /api/profile through Apache mod_cgid, end to end (curl, median of 21) | $CGI_E2E |"
} >"$table"
cat "$table"

# The sections below the tables are kept, not measured here: the notes on
# design choices, the front ends' (bench/fronts.sh) and bench/oauth.sh's.
notes=$BENCH_DIR/notes.md
sed -n '/^## \(Measurements behind design choices\|Front ends\|The OAuth flow\)/,$p' bench/RESULTS.md >"$notes" 2>/dev/null || :
{
	echo "# Benchmark results"
	echo
	echo "Produced by \`bench/run.sh\` (wrk -t$THREADS -c$CONNS -d$DURATION, $ROUNDS rounds interleaved, $MCPAUTH_PROCS FastCGI processes per program) on $(date -u +%Y-%m-%d)."
	echo
	echo "Machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//'), $(free -g | awk '/Mem:/ {print $2}') GiB, Linux $(uname -r)."
	echo "Versions: $("$LIGHTTPD" -v 2>&1 | head -1 | cut -d' ' -f1), $(openssl version | cut -d' ' -f1-2), node $(node --version), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), express-jwt $(jq -r '.packages["node_modules/express-jwt"].version' bench/node/package-lock.json), jwks-rsa $(jq -r '.packages["node_modules/jwks-rsa"].version' bench/node/package-lock.json)."
	echo
	cat "$table"
	if [ -s "$notes" ]; then
		echo
		cat "$notes"
	fi
} >bench/RESULTS.md
echo "wrote bench/RESULTS.md" >&2
# The same figures as a picture (bench/results.svg, shown in docs/performance.md).
bench/plot.sh bench/RESULTS.md bench/results.svg
