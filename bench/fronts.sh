#!/usr/bin/env bash
# The front ends compared (run by hand, never a test). One set of program
# processes (spawn-fcgi, BENCH_PROCS per program, on Unix sockets) serves
# every front in turn:
#   lighttpd        mod_fastcgi to the sockets: a new connection per request
#   nginx           nginx-conf/ as shipped: a connection per request (one worker)
#   nginx-keep      the same with its kept connections option on
#                   (fastcgi_keep_conn, upstream keepalive 2)
#   nginx-pool32    the same with keepalive 32, more than the processes: what
#                   the sizing rule in nginx-conf/ is for
#   apache          apache-conf/mcpauth-proxy-fcgi.conf as shipped: a connection
#                   per request
#   apache-reuse    the same with enablereuse=on max=BENCH_PROCS on each proxy
#                   (one child process of 64 threads for both Apache runs)
# wrk -t2 -c32 -d10s on GET /api/profile and /mcp tools/call get_api_profile
# behind each, BENCH_ROUNDS rounds interleaved (front after front, then the
# next round); prints the medians with their spread, and puts the table in
# bench/RESULTS.md's section "Front ends".
#   bench/fronts.sh                                   defaults: 5 rounds, 4 processes per program
#   BENCH_DURATION=3s BENCH_ROUNDS=1 bench/fronts.sh  a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
. bench/lib.sh
ensure_packages
build build

THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
DURATION=${BENCH_DURATION:-10s}
ROUNDS=${BENCH_ROUNDS:-5}
PROCS=${BENCH_PROCS:-4}
FRONTS=${BENCH_FRONTS:-lighttpd nginx nginx-keep nginx-pool32 apache apache-reuse}
LIGHTTPD=$(command -v lighttpd || echo /usr/sbin/lighttpd)
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
APACHE2=$(command -v apache2 || echo /usr/sbin/apache2)
SPAWN_FCGI=$(command -v spawn-fcgi || echo /usr/bin/spawn-fcgi)
APACHE_MODULES=/usr/lib/apache2/modules
BENCH_DIR=$(mktemp -d /tmp/mcpauth-fronts.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	# spawn-fcgi's pid files list every process it started.
	for p in "$BENCH_DIR"/run/*.pid; do [ ! -f "$p" ] || kill $(cat "$p") 2>/dev/null || true; done
	rm -rf "$BENCH_DIR"
}
trap cleanup EXIT


# The servers drop privileges to www-data when started as root, as in production.
RUN_USER= RUN_GROUP=
if [ "$(id -u)" -eq 0 ]; then
	RUN_USER=www-data RUN_GROUP=$(id -gn www-data)
	chmod 711 "$BENCH_DIR"
fi
BIN=$BENCH_DIR/bin
mkdir -p "$BIN" "$BENCH_DIR/run" "$BENCH_DIR/state"
cp build/cgi-bin/auth build/cgi-bin/profile build/cgi-bin/admin build/cgi-bin/mcp "$BIN/"
cp -R build/cgi-bin/errors "$BIN/"
chmod -R a+rX "$BIN"
build/tools/mcpauth --state-dir "$BENCH_DIR/state" init --demo-users ${RUN_USER:+--user "$RUN_USER"} >/dev/null
[ -z "$RUN_USER" ] || chown "$RUN_USER:$RUN_GROUP" "$BENCH_DIR/run"

# --- the programs: one set of processes for every front ----------------------
export MCPAUTH_STATE_DIR=$BENCH_DIR/state MCPAUTH_ALLOWED_HOSTS=127.0.0.1
for p in auth profile admin mcp; do
	"$SPAWN_FCGI" -F "$PROCS" -s "$BENCH_DIR/run/$p.sock" -M 0600 -P "$BENCH_DIR/run/$p.pid" \
		${RUN_USER:+-u "$RUN_USER" -g "$RUN_GROUP"} -- "$BIN/$p" >/dev/null
done

# --- the fronts -----------------------------------------------------------------
declare -A URL PID
start_lighttpd() {
	local port dir=$BENCH_DIR/lighttpd p
	port=$(free_port)
	mkdir -p "$dir/htdocs"
	[ -z "$RUN_USER" ] || chown "$RUN_USER:$RUN_GROUP" "$dir" # its error log, opened as that user
	{
		echo 'server.modules += ( "mod_fastcgi" )'
		echo "server.document-root = \"$dir/htdocs\""
		echo 'server.bind = "127.0.0.1"'
		echo "server.port = $port"
		echo "server.errorlog = \"$dir/error.log\""
		echo 'server.max-request-size = 1024'
		echo 'server.max-request-field-size = 32768'
		[ -z "$RUN_USER" ] || printf 'server.username = "%s"\nserver.groupname = "%s"\n' "$RUN_USER" "$RUN_GROUP"
		# The prefixes of lighttpd-conf/mcpauth.conf, to the running programs.
		echo 'fastcgi.server = ('
		for p in /api/profile:profile /api/email:profile /api/sessions:profile /api/users:admin /api/user:admin \
			/api/admin:admin /api/auth0:admin /mcp:mcp /:auth; do
			echo "  \"${p%%:*}\" => (( \"socket\" => \"$BENCH_DIR/run/${p##*:}.sock\", \"check-local\" => \"disable\" )),"
		done
		echo ')'
	} >"$dir/lighttpd.conf"
	"$LIGHTTPD" -D -f "$dir/lighttpd.conf" 2>"$dir/stderr" &
	PID[lighttpd]=$!
	URL[lighttpd]=http://127.0.0.1:$port
}
start_nginx() { # NAME KEEP: shipped (as shipped), or the pool size of the kept connections option
	local name=$1 keep=$2 port dir=$BENCH_DIR/$1 f
	port=$(free_port)
	mkdir -p "$dir/tmp"
	[ -z "$RUN_USER" ] || chown "$RUN_USER:$RUN_GROUP" "$dir/tmp"
	for f in mcpauth-nginx-upstream.conf mcpauth-nginx.conf; do
		sed -e "s|@pkglibexecdir@|$BIN|g" -e "s|@pkgsysconfdir@|$dir|g" \
			-e "s|/run/mcpauth/|$BENCH_DIR/run/|g" "nginx-conf/$f.in" >"$dir/$f"
		# Kept connections: the option's lines uncommented, the pool sized.
		[ "$keep" = shipped ] ||
			sed -i -E -e 's/^( *)#(keepalive|fastcgi_keep_conn)/\1\2/' \
				-e "s/^( *keepalive) [0-9]+;/\\1 $keep;/" "$dir/$f"
	done
	cat >"$dir/nginx.conf" <<-CONF
		daemon off;
		worker_processes 1;
		pid $dir/nginx.pid;
		error_log $dir/error.log warn;
		${RUN_USER:+user $RUN_USER $RUN_GROUP;}
		events { worker_connections 1024; }
		http {
		  access_log off;
		  client_body_temp_path $dir/tmp/body;
		  fastcgi_temp_path $dir/tmp/fastcgi;
		  proxy_temp_path $dir/tmp/proxy;
		  include $dir/mcpauth-nginx-upstream.conf;
		  server {
		    listen 127.0.0.1:$port;
		    server_name 127.0.0.1;
		    include $dir/mcpauth-nginx.conf;
		  }
		}
	CONF
	"$NGINX" -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" 2>"$dir/stderr" &
	PID[$name]=$!
	URL[$name]=http://127.0.0.1:$port
}
start_apache() { # NAME REUSE(1|0)
	local name=$1 reuse=$2 port dir=$BENCH_DIR/$1 m
	port=$(free_port)
	mkdir -p "$dir"
	sed "s|@pkgsysconfdir@|$dir|g" apache-conf/mcpauth-proxy-fcgi.conf.in >"$dir/mcpauth-proxy-fcgi.conf"
	# enablereuse: each child keeps its connections, at most one per process
	# of a program (max), so that none waits behind an idle kept one.
	[ "$reuse" = 0 ] || sed -i -E "s#^(ProxyPass(Match)? .*fcgi://mcpauth-[a-z]+/\")\$#\\1 enablereuse=on max=$PROCS#" \
		"$dir/mcpauth-proxy-fcgi.conf"
	{
		echo "ServerRoot $dir"
		echo "Listen 127.0.0.1:$port"
		echo "ServerName 127.0.0.1"
		echo "PidFile $dir/httpd.pid"
		echo "DefaultRuntimeDir $dir"
		echo "ErrorLog $dir/error.log"
		echo "LogLevel warn"
		[ -z "$RUN_USER" ] || printf 'User %s\nGroup %s\n' "$RUN_USER" "$RUN_GROUP"
		for m in mpm_event authz_core headers proxy proxy_fcgi; do
			echo "LoadModule ${m}_module $APACHE_MODULES/mod_$m.so"
		done
		# One child of 64 threads (wrk's 32 connections and room), so one pool per program.
		printf 'StartServers 1\nServerLimit 1\nThreadsPerChild 64\nThreadLimit 64\nMaxRequestWorkers 64\n'
		printf 'MinSpareThreads 1\nMaxSpareThreads 64\n'
		# Client connections kept for 1000 requests, as lighttpd and nginx keep them.
		echo 'MaxKeepAliveRequests 1000'
		echo "Define MCPAUTH_RUN_DIR $BENCH_DIR/run"
		echo "Include $dir/mcpauth-proxy-fcgi.conf"
	} >"$dir/httpd.conf"
	"$APACHE2" -f "$dir/httpd.conf" -DFOREGROUND 2>"$dir/stderr" &
	PID[$name]=$!
	URL[$name]=http://127.0.0.1:$port
}
# One front runs at a time, started for its run and stopped after it: a
# front's kept connections hold program processes (until it closes them, or
# the programs' idle bound does), which the next front would wait for.
start_front() {
	case $1 in
	lighttpd) start_lighttpd ;;
	nginx) start_nginx nginx shipped ;;
	nginx-keep) start_nginx nginx-keep 2 ;;
	nginx-pool32) start_nginx nginx-pool32 32 ;;
	apache) start_apache apache 0 ;;
	apache-reuse) start_apache apache-reuse 1 ;;
	*) echo "unknown front $1" >&2; exit 1 ;;
	esac
	PIDS+=("${PID[$1]}")
	wait_http "${URL[$1]}/" || { echo "$1 did not start:" >&2; cat "$BENCH_DIR/$1"/*.log "$BENCH_DIR/$1/stderr" >&2; exit 1; }
}
stop_front() {
	kill "${PID[$1]}" 2>/dev/null || true
	wait "${PID[$1]}" 2>/dev/null || true
}

# --- what is measured, checked first behind every front ----------------------------
MCP_CALL='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_api_profile","arguments":{}}}'
TOKEN=
for f in $FRONTS; do
	start_front "$f"
	[ -n "$TOKEN" ] || TOKEN=$(curl -s -X POST "${URL[$f]}/auth/login" -H 'Content-Type: application/json' \
		-d '{"email":"user@example.com","password":"password"}' | jq -r .access_token)
	got=$(curl -s -H "Authorization: Bearer $TOKEN" "${URL[$f]}/api/profile" | jq -r .profile.id)
	[ "$got" = "auth0|user123" ] || { echo "$f: GET /api/profile answers '$got'" >&2; exit 1; }
	got=$(curl -s -X POST "${URL[$f]}/mcp" -H 'Content-Type: application/json' -H 'Accept: application/json' \
		-H "Authorization: Bearer $TOKEN" -d "$MCP_CALL" | jq -r .result.structuredContent.profile.id)
	[ "$got" = "auth0|user123" ] || { echo "$f: tools/call answers '$got'" >&2; exit 1; }
	stop_front "$f"
done

to_ms() { # wrk latency like 1.23ms / 456.00us / 1.02s
	awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
# cpu_ticks PID...: the CPU time (user + system, in ticks) the processes have used.
cpu_ticks() {
	local p t=0
	for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done
	echo "$t"
}
front_pids() { pstree -pT "${PID[$1]}" 2>/dev/null | grep -o '([0-9]*)' | tr -d '()'; }
PROGRAM_PIDS=$(cat "$BENCH_DIR"/run/*.pid)
TICK=$(getconf CLK_TCK)
run_one() { # FRONT SCENARIO ROUND
	local out=$BENCH_DIR/wrk-$1-$2-$3.txt w=(wrk "-t$THREADS" "-c$CONNS" "-d$DURATION" --latency)
	local f0 f1 p0 p1 pids
	start_front "$1"
	pids=$(front_pids "$1")
	f0=$(cpu_ticks $pids)
	p0=$(cpu_ticks $PROGRAM_PIDS)
	case $2 in
	profile) "${w[@]}" -H "Authorization: Bearer $TOKEN" "${URL[$1]}/api/profile" >"$out" 2>&1 || true ;;
	mcp) BENCH_TOKEN=$TOKEN BENCH_BODY=$MCP_CALL "${w[@]}" -s bench/post.lua "${URL[$1]}/mcp" >"$out" 2>&1 || true ;;
	esac
	f1=$(cpu_ticks $pids)
	p1=$(cpu_ticks $PROGRAM_PIDS)
	stop_front "$1"
	[ "$3" != warm ] || return 0
	local rps p99 bad
	rps=$(awk '/^Requests\/sec/ {printf "%d", $2}' "$out")
	p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
	# Non-2xx answers and socket errors (timeouts, resets): both count.
	bad=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(/[^0-9 ]/, " "); for (i = 1; i <= NF; i++) n += $i} END {print n + 0}' "$out")
	# CPU per request, µs: the front end's processes, the programs'.
	local n fcpu pcpu
	n=$(awk '/requests in/ {print $1}' "$out")
	fcpu=$(awk -v a="$f0" -v b="$f1" -v n="${n:-0}" -v t="$TICK" 'BEGIN { printf "%.1f", n ? (b - a) * 1e6 / t / n : 0 }')
	pcpu=$(awk -v a="$p0" -v b="$p1" -v n="${n:-0}" -v t="$TICK" 'BEGIN { printf "%.1f", n ? (b - a) * 1e6 / t / n : 0 }')
	echo "$1 $2 ${rps:-0} $p99 $bad $fcpu $pcpu" >>"$BENCH_DIR/results"
}
echo "warming up..." >&2
for f in $FRONTS; do
	for s in profile mcp; do DURATION=2s run_one "$f" "$s" warm; done
done
: >"$BENCH_DIR/results"
for r in $(seq 1 "$ROUNDS"); do
	for f in $FRONTS; do
		for s in profile mcp; do
			echo "round $r: $f $s" >&2
			run_one "$f" "$s" "$r"
		done
	done
done

# --- the table: median req/s with the lowest and highest round, median p99 ----------
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
cell() { # FRONT SCENARIO: "median (min-max) | p99"
	local rows
	rows=$(awk -v f="$1" -v s="$2" '$1 == f && $2 == s' "$BENCH_DIR/results")
	printf '%s (%s–%s) | %s' "$(cut -d' ' -f3 <<<"$rows" | median)" "$(cut -d' ' -f3 <<<"$rows" | sort -n | head -1)" \
		"$(cut -d' ' -f3 <<<"$rows" | sort -n | tail -1)" "$(cut -d' ' -f4 <<<"$rows" | median)"
}
col() { awk -v f="$1" -v s="$2" -v c="$3" '$1 == f && $2 == s {print $c}' "$BENCH_DIR/results" | median; }
what() {
	case $1 in
	lighttpd) echo "lighttpd mod_fastcgi, a connection per request" ;;
	nginx) echo "nginx, a connection per request (nginx-conf/ as shipped)" ;;
	nginx-keep) echo "nginx, kept connections: fastcgi_keep_conn, keepalive 2" ;;
	nginx-pool32) echo "nginx, kept connections, keepalive 32: more than the processes (do not)" ;;
	apache) echo "Apache mod_proxy_fcgi, a connection per request (as shipped)" ;;
	apache-reuse) echo "Apache mod_proxy_fcgi, enablereuse=on max=$PROCS" ;;
	esac
}
{
	echo "## Front ends"
	echo
	echo "Produced by \`bench/fronts.sh\` on $(date -u +%Y-%m-%d): wrk -t$THREADS -c$CONNS -d$DURATION, $ROUNDS rounds"
	echo "interleaved, the same $PROCS processes per program (spawn-fcgi) behind every front; req/s is the median"
	echo "of the rounds with the lowest and highest in brackets, p99 the median of the rounds' p99."
	echo "Versions: $("$LIGHTTPD" -v 2>&1 | head -1 | cut -d' ' -f1), $("$NGINX" -v 2>&1 | sed 's/.*: //'),"
	echo "$("$APACHE2" -v | sed -n 's/^Server version: \([^ ]*\).*/\1/p')."
	echo
	echo "| front | what | GET /api/profile req/s | p99 ms | /mcp tools/call req/s | p99 ms | errors |"
	echo "|---|---|---:|---:|---:|---:|---:|"
	for f in $FRONTS; do
		printf '| %s | %s | %s | %s | %s |\n' "$f" "$(what "$f")" "$(cell "$f" profile)" "$(cell "$f" mcp)" \
			"$(awk -v f="$f" '$1 == f {n += $5} END {print n + 0}' "$BENCH_DIR/results")"
	done
	echo
	echo "(errors: non-2xx answers and socket errors over every round of both scenarios.)"
	echo
	echo "| CPU per request, µs (median of $ROUNDS) | front, GET /api/profile | programs | front, tools/call | programs |"
	echo "|---|---:|---:|---:|---:|"
	for f in $FRONTS; do
		printf '| %s | %s | %s | %s | %s |\n' "$f" "$(col "$f" profile 6)" "$(col "$f" profile 7)" \
			"$(col "$f" mcp 6)" "$(col "$f" mcp 7)"
	done
	echo
	echo "(The CPU time the front end's processes and the programs' used during the timed runs, divided by"
	echo "the requests answered: less sensitive to the machine's other load than req/s.)"
} >"$BENCH_DIR/section.md"
cat "$BENCH_DIR/section.md"
# The section replaces the one RESULTS.md has, or ends it.
awk -v sect="$BENCH_DIR/section.md" '
	/^## Front ends$/ { skip = 1; while ((getline l < sect) > 0) print l; done = 1; next }
	skip && /^## / { skip = 0 }
	!skip { print }
	END { if (!done) { print ""; while ((getline l < sect) > 0) print l } }' bench/RESULTS.md >"$BENCH_DIR/RESULTS.md"
cp "$BENCH_DIR/RESULTS.md" bench/RESULTS.md
[ -z "${BENCH_KEEP:-}" ] || cp -R "$BENCH_DIR" "$BENCH_KEEP"
