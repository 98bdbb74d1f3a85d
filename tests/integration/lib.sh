# Helpers for the integration tests: start a real lighttpd with the built
# programs on a free loopback port, talk HTTP with curl, count assertions.
# shellcheck shell=bash

: "${top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${LIGHTTPD:=$(command -v lighttpd || echo /usr/sbin/lighttpd)}"

PASS=0
FAIL=0
TMP_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/mcpauth-test.XXXXXX")
SERVER_PID=
BASE=

cleanup() {
	stop_server
	pg_drop_databases
	rm -rf "$TMP_ROOT"
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); [ -n "${VERBOSE:-}" ] && echo "ok - $*"; return 0; }
not_ok() {
	FAIL=$((FAIL + 1))
	echo "not ok - $*"
	[ -f "$TMP_ROOT/body" ] && echo "  status: $STATUS body: $(head -c 600 "$TMP_ROOT/body")"
	return 0
}

# The server the suite runs under (tests/integration/under.sh sets it):
#   lighttpd           lighttpd-conf/mcpauth.conf, lighttpd spawns the programs
#   apache-fcgid       apache-conf/mcpauth-fcgid.conf, mod_fcgid spawns them
#   apache-proxy-fcgi  apache-conf/mcpauth-proxy-fcgi.conf, spawn-fcgi runs them
#   apache-cgi         apache-conf/mcpauth-cgi.conf, mod_cgid runs one per request
#   lighttpd-cgi       lighttpd-conf/mcpauth-lighttpd-cgi.conf, mod_cgi likewise
#   nginx              nginx-conf/mcpauth-nginx*.conf, spawn-fcgi runs them
: "${MCPAUTH_TEST_SERVER:=lighttpd}"
: "${APACHE2:=$(command -v apache2 || echo /usr/sbin/apache2)}"
: "${APACHE_MODULES:=/usr/lib/apache2/modules}"
: "${SPAWN_FCGI:=$(command -v spawn-fcgi || echo /usr/bin/spawn-fcgi)}"
: "${NGINX:=$(command -v nginx || echo /usr/sbin/nginx)}"
# The generated Apache configurations (paths substituted) live in the build tree.
: "${MCPAUTH_APACHE_CONF:=$top_builddir/apache-conf}"
# Settings handed to the programs, as lighttpd-conf/mcpauth.conf lists them.
MCPAUTH_ENV_NAMES="AUTH0_DOMAIN AUTH0_AUDIENCE AUTH0_CLIENT_ID AUTH0_CLIENT_SECRET MCPAUTH_STATE_DIR
MCPAUTH_ISSUER MCPAUTH_JWKS_FILE MCPAUTH_LEEWAY MCPAUTH_TOKEN_TTL MCPAUTH_RESOURCE_URL
MCPAUTH_DEMO_TOKENS MCPAUTH_ALLOWED_ORIGINS MCPAUTH_ALLOWED_HOSTS MCPAUTH_TOKEN_CACHE MCPAUTH_CORS_ORIGINS MCPAUTH_AUDIT_LOG
MCPAUTH_REFRESH_TTL MCPAUTH_LOGIN_EMAIL_LIMIT MCPAUTH_LOGIN_ADDR_LIMIT MCPAUTH_LOGIN_WINDOW
AUTH0_LOGIN_REALM MCPAUTH_CA_FILE MCPAUTH_ALLOW_INSECURE_LOCALHOST MCPAUTH_JWKS_URL MCPAUTH_JWKS_REFRESH
MCPAUTH_JWKS_MIN_INTERVAL MCPAUTH_HTTP_TIMEOUT MCPAUTH_CLAIM_NAMESPACE MCPAUTH_REQUEST_TIMEOUT ASAN_OPTIONS UBSAN_OPTIONS
MCPAUTH_REGISTER_LIMIT MCPAUTH_CLIENT_LIMIT MCPAUTH_CLIENT_DOCUMENT_ALLOW_PRIVATE
MCPAUTH_PASSWORD_MIN MCPAUTH_PASSWORD_LIST
MCPAUTH_SIGNUP MCPAUTH_SIGNUP_PERMISSIONS MCPAUTH_MAIL_COMMAND MCPAUTH_MAIL_TIMEOUT MCPAUTH_VERIFY_TTL MCPAUTH_RESET_TTL MCPAUTH_DATABASE_URL"
# The store. Unset: SQLite, the file mcpauth.db in the state directory.
# MCPAUTH_TEST_PG_URL=postgresql://USER:PASSWORD@HOST:PORT/DB, the admin URL
# of a running cluster (tests/integration/pg-suites.sh starts one): each new
# state directory start_server makes gets a new database of its own in that
# cluster (CREATE DATABASE, dropped at cleanup), which the programs and the
# mcpauth tool reach through MCPAUTH_DATABASE_URL. Its name is kept in the
# state directory (.pg-database), so the database goes with the directory as
# the SQLite file does: a restart, or a start on a directory kept, finds the
# same rows; rm -rf of the directory means a new database at the next start.
: "${PG_BINDIR:=/usr/lib/postgresql/15/bin}"
on_pg() { [ -n "${MCPAUTH_TEST_PG_URL:-}" ]; }
# skip_on_pg REASON: true on PostgreSQL, after saying what is skipped and why.
skip_on_pg() {
	on_pg || return 1
	echo "# skipped on PostgreSQL: $*"
}
pg_psql() { "$PG_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
# db_url_of DIR: prints the URL of state directory DIR's database, made
# now if DIR has none yet; prints nothing on SQLite (the file in DIR). The
# tests' own hex() (SQLite's, which the suites' SQL uses) lives in a schema
# of the test's, not in the programs' public one. The databases made are
# listed in $TMP_ROOT/pg-databases, for cleanup.
db_url_of() {
	local dir=$1 name
	on_pg || return 0
	name=$(cat "$dir/.pg-database" 2>/dev/null)
	if [ -z "$name" ]; then
		name="mcpauth_t$$_$(cat "$TMP_ROOT/pg-databases" 2>/dev/null | wc -l)_$RANDOM"
		pg_psql -d "$MCPAUTH_TEST_PG_URL" -c "CREATE DATABASE $name" >/dev/null || return 1
		printf '%s\n' "$name" >>"$TMP_ROOT/pg-databases"
		pg_psql -d "${MCPAUTH_TEST_PG_URL%/*}/$name" -c 'CREATE SCHEMA mcpauth_test' \
			-c "CREATE FUNCTION mcpauth_test.hex(bytea) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT upper(encode(\$1, ''hex''))'" \
			>/dev/null || return 1
		# 0600, as the programs want every file of the state directory.
		(umask 077 && printf '%s\n' "$name" >"$dir/.pg-database") || return 1
	fi
	printf '%s\n' "${MCPAUTH_TEST_PG_URL%/*}/$name"
}
# pg_state_database: MCPAUTH_DATABASE_URL names the state directory's database.
pg_state_database() {
	local url
	on_pg || return 0
	url=$(db_url_of "$MCPAUTH_STATE_DIR") && [ -n "$url" ] || return 1
	export MCPAUTH_DATABASE_URL="$url"
}
pg_drop_databases() {
	local name
	on_pg && [ -f "$TMP_ROOT/pg-databases" ] || return 0
	while read -r name; do
		pg_psql -d "$MCPAUTH_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1
	done <"$TMP_ROOT/pg-databases"
	rm -f "$TMP_ROOT/pg-databases"
}
# db_sql SQL: runs SQL on the state directory's store, SQLite or PostgreSQL,
# and prints the rows as the sqlite3 shell does (columns joined by |).
db_sql() {
	if on_pg; then
		pg_psql -d "$MCPAUTH_DATABASE_URL" -c 'SET search_path TO public, mcpauth_test' -c "$1"
	else
		sqlite3 "$MCPAUTH_STATE_DIR/mcpauth.db" "$1"
	fi
}
# db_dump: everything the store holds, as text (to look for a secret in it).
db_dump() {
	if on_pg; then
		"$PG_BINDIR/pg_dump" -d "$MCPAUTH_DATABASE_URL"
	else
		sqlite3 "$MCPAUTH_STATE_DIR/mcpauth.db" .dump
	fi
}

# keys_in_store: the signing keys live in the PostgreSQL store (its
# signing_keys table has rows), not in the state directory's files.
keys_in_store() {
	local n
	on_pg || return 1
	# Asked of the catalogue first: a store without the table is no error.
	n=$(db_sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'signing_keys'") || return 1
	[ "${n:-0}" -gt 0 ] || return 1
	n=$(db_sql 'SELECT count(*) FROM signing_keys' 2>/dev/null) || return 1
	[ "${n:-0}" -gt 0 ]
}
# server_signing_key: the file of the private key the server signs with
# now: the state directory's signing-key.pem or, with the keys in the
# store, the newest one past its sign_from, copied 0600 into $TMP_ROOT.
server_signing_key() {
	local f=$TMP_ROOT/store-signing-key.pem
	if keys_in_store; then
		(umask 077 && db_sql "SELECT private_pem FROM signing_keys WHERE sign_from <= $(date +%s) ORDER BY sign_from DESC, id DESC LIMIT 1" >"$f") &&
			[ -s "$f" ] && { echo "$f"; return 0; }
	fi
	echo "$MCPAUTH_STATE_DIR/signing-key.pem"
}

# Apache and spawn-fcgi drop privileges to this user when started as root,
# as they would in production; lighttpd's quick-start configuration does not.
RUN_USER=
if [ "$(id -u)" -eq 0 ] && [ "$MCPAUTH_TEST_SERVER" != lighttpd ]; then
	RUN_USER=${MCPAUTH_TEST_USER:-www-data}
	id "$RUN_USER" >/dev/null 2>&1 || RUN_USER=nobody
	RUN_GROUP=$(id -gn "$RUN_USER")
	chmod 711 "$TMP_ROOT" # the server's user must reach its directories below
	# The programs read the common-password list when a password is set:
	# a copy that user can read, wherever the source tree is (a 0700 home).
	if [ -n "${MCPAUTH_PASSWORD_LIST:-}" ] && [ -r "$MCPAUTH_PASSWORD_LIST" ]; then
		install -m 644 "$MCPAUTH_PASSWORD_LIST" "$TMP_ROOT/common-passwords.txt"
		export MCPAUTH_PASSWORD_LIST="$TMP_ROOT/common-passwords.txt"
	fi
fi

# stage_programs: points MCPAUTH_BINDIR at a copy of the programs (and their
# error pages) in $TMP_ROOT, which the server's unprivileged user can reach
# wherever the build tree is: a clone under a 0700 directory (root's home,
# a mktemp -d) is out of that user's reach. Any suite whose server drops
# privileges calls it (start_server does); once per suite.
stage_programs() {
	local dir="$TMP_ROOT/staged" f
	[ "$MCPAUTH_BINDIR" = "$dir" ] && return 0
	mkdir -p "$dir"
	for f in "$MCPAUTH_BINDIR"/*; do
		if [ -f "$f" ] && [ -x "$f" ]; then cp -L "$f" "$dir/" || return 1; fi
	done
	[ ! -d "$MCPAUTH_BINDIR/errors" ] || cp -RL "$MCPAUTH_BINDIR/errors" "$dir/" || return 1
	chmod -R a+rX "$dir"
	export MCPAUTH_BINDIR="$dir"
}

# mkdir_server DIR...: directories the server's own user writes to.
mkdir_server() {
	mkdir -p "$@"
	[ -z "$RUN_USER" ] || chown "$RUN_USER:$RUN_GROUP" "$@"
}

# apache_conf KIND PROCS: writes the top-level httpd.conf a site would have
# (port, logs, modules, user) around the shipped mcpauth configuration.
apache_conf() {
	local kind=$1 procs=$2 dir="$TMP_ROOT/apache" name
	mkdir -p "$dir"
	mkdir_server "$dir/fcgid"
	{
		echo "ServerRoot $dir"
		echo "Listen 127.0.0.1:$MCPAUTH_PORT"
		echo "ServerName 127.0.0.1"
		echo "PidFile $dir/httpd.pid"
		echo "DefaultRuntimeDir $dir"
		echo "ErrorLog $MCPAUTH_ERRORLOG"
		# mod_fcgid logs how its programs ended at info (crashes included).
		echo "LogLevel warn$([ "$kind" = fcgid ] && echo ' fcgid:info')"
		[ "$kind" != cgi ] || echo "ScriptSock $dir/cgid.sock"
		if [ -n "$RUN_USER" ]; then
			echo "User $RUN_USER"
			echo "Group $RUN_GROUP"
		fi
		echo "LoadModule mpm_event_module $APACHE_MODULES/mod_mpm_event.so"
		echo "LoadModule authz_core_module $APACHE_MODULES/mod_authz_core.so"
		if [ "$kind" = fcgid ]; then
			echo "LoadModule alias_module $APACHE_MODULES/mod_alias.so"
			echo "LoadModule fcgid_module $APACHE_MODULES/mod_fcgid.so"
			echo "FcgidIPCDir $dir/fcgid"
			echo "FcgidProcessTableFile $dir/fcgid/shm"
			if [ -z "${MCPAUTH_INSTALLED:-}" ]; then # else the installed paths, as shipped
				echo "Define MCPAUTH_LIBEXECDIR $MCPAUTH_BINDIR"
				echo "Define MCPAUTH_STATE_DIR $MCPAUTH_STATE_DIR"
			fi
			# The site's host names reach the programs as the shipped file has it.
			[ -z "${MCPAUTH_ALLOWED_HOSTS:-}" ] || echo "Define MCPAUTH_ALLOWED_HOSTS \"$MCPAUTH_ALLOWED_HOSTS\""
			echo "Include $MCPAUTH_APACHE_CONF/mcpauth-fcgid.conf"
			echo "FcgidMaxProcessesPerClass $procs"
			for name in $MCPAUTH_ENV_NAMES; do
				[ "$name" = MCPAUTH_STATE_DIR ] || [ "$name" = MCPAUTH_ALLOWED_HOSTS ] || [ -z "${!name:-}" ] ||
					echo "FcgidInitialEnv $name \"${!name}\""
			done
		elif [ "$kind" = cgi ]; then
			echo "LoadModule alias_module $APACHE_MODULES/mod_alias.so"
			echo "LoadModule env_module $APACHE_MODULES/mod_env.so"
			echo "LoadModule cgid_module $APACHE_MODULES/mod_cgid.so"
			if [ -z "${MCPAUTH_INSTALLED:-}" ]; then
				echo "Define MCPAUTH_LIBEXECDIR $MCPAUTH_BINDIR"
				echo "Define MCPAUTH_STATE_DIR $MCPAUTH_STATE_DIR"
			fi
			echo "Include $MCPAUTH_APACHE_CONF/mcpauth-cgi.conf"
			# The other settings from Apache's own environment, as a site
			# would pass them from /etc/apache2/envvars.
			for name in $MCPAUTH_ENV_NAMES; do
				[ "$name" = MCPAUTH_STATE_DIR ] || [ -z "${!name:-}" ] || echo "PassEnv $name"
			done
		else
			echo "LoadModule headers_module $APACHE_MODULES/mod_headers.so"
			echo "LoadModule proxy_module $APACHE_MODULES/mod_proxy.so"
			echo "LoadModule proxy_fcgi_module $APACHE_MODULES/mod_proxy_fcgi.so"
			echo "Define MCPAUTH_RUN_DIR $TMP_ROOT/run"
			echo "Include $MCPAUTH_APACHE_CONF/mcpauth-proxy-fcgi.conf"
		fi
	} >"$dir/httpd.conf"
}

# nginx_conf: the top-level nginx.conf a site would have (port, logs, user,
# temporary files) around the shipped files, with this tree's paths (or the
# installed files as they are, but for the sockets' directory).
nginx_conf() {
	local dir="$TMP_ROOT/nginx" f
	mkdir -p "$dir"
	mkdir_server "$dir/tmp"
	for f in mcpauth-nginx-upstream.conf mcpauth-nginx.conf; do
		if [ -n "${MCPAUTH_INSTALLED:-}" ]; then # the installed files, only the sockets moved
			sed -e "s|/run/mcpauth/|$TMP_ROOT/run/|g" "$MCPAUTH_APACHE_CONF/$f" >"$dir/$f"
		else
			sed -e "s|@pkglibexecdir@|$MCPAUTH_BINDIR|g" -e "s|@pkgsysconfdir@|$dir|g" \
				-e "s|/run/mcpauth/|$TMP_ROOT/run/|g" "$top_srcdir/nginx-conf/$f.in" >"$dir/$f"
		fi
		# MCPAUTH_NGINX_KEEP=1: kept connections, the option the files describe.
		[ -z "${MCPAUTH_NGINX_KEEP:-}" ] ||
			sed -i -E 's/^( *)#(keepalive|fastcgi_keep_conn)/\1\2/' "$dir/$f"
	done
	{
		echo "daemon off;"
		echo "worker_processes 1;"
		echo "pid $dir/nginx.pid;"
		echo "error_log $MCPAUTH_ERRORLOG warn;"
		[ -z "$RUN_USER" ] || echo "user $RUN_USER $RUN_GROUP;"
		echo "events { worker_connections 512; }"
		echo "http {"
		echo "  access_log off;"
		echo "  client_body_temp_path $dir/tmp/body;"
		echo "  fastcgi_temp_path $dir/tmp/fastcgi;"
		echo "  proxy_temp_path $dir/tmp/proxy;"
		echo "  include $dir/mcpauth-nginx-upstream.conf;"
		echo "  server {"
		echo "    listen 127.0.0.1:$MCPAUTH_PORT;"
		echo "    server_name 127.0.0.1;"
		echo "    include $dir/mcpauth-nginx.conf;"
		echo "  }"
		echo "}"
	} >"$dir/nginx.conf"
}

# spawn_programs PROCS: each program on its Unix socket under spawn-fcgi,
# as the unprivileged user; their stderr goes to a log of their own, since
# spawn-fcgi sends a forked child's stderr to /dev/null.
spawn_programs() {
	local procs=$1 p
	mkdir_server "$TMP_ROOT/run" "$TMP_ROOT/programs"
	for p in auth profile admin mcp; do
		[ -x "$MCPAUTH_BINDIR/$p" ] || continue # mcp arrives with the MCP gateway
		"$SPAWN_FCGI" -F "$procs" -s "$TMP_ROOT/run/$p.sock" -M 0600 -P "$TMP_ROOT/run/$p.pid" \
			${RUN_USER:+-u "$RUN_USER" -g "$RUN_GROUP"} \
			-- /bin/sh -c 'exec "$0" 2>>"$1"' "$MCPAUTH_BINDIR/$p" "$TMP_ROOT/programs/stderr.log" \
			>>"$TMP_ROOT/server.stderr" 2>&1 || return 1
	done
}

stop_programs() {
	local f pid pids= i
	for f in "$TMP_ROOT"/run/*.pid; do
		[ -f "$f" ] || continue
		pids="$pids $(cat "$f")"
		rm -f "$f"
	done
	for pid in $pids; do kill "$pid" 2>/dev/null; done
	# spawn-fcgi's children are not ours to wait for: poll until they are gone.
	for pid in $pids; do
		for i in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	done
	rm -f "$TMP_ROOT"/run/*.sock
}

# launch_server PROCS: starts the chosen server on $MCPAUTH_PORT, in the
# background ($SERVER_PID), then waits until it answers.
launch_server() {
	local procs=$1 i
	case "$MCPAUTH_TEST_SERVER" in
	lighttpd)
		"$LIGHTTPD" -D -f "$top_srcdir/lighttpd-conf/mcpauth.conf" 2>>"$TMP_ROOT/server.stderr" &
		;;
	lighttpd-cgi)
		# The shipped template with this tree's paths (or the installed
		# file), the settings set here passed as a site would write them.
		local conf=${MCPAUTH_LIGHTTPD_CGI_CONF:-$TMP_ROOT/mcpauth-lighttpd-cgi.conf}
		[ -n "${MCPAUTH_INSTALLED:-}" ] ||
			sed -e "s|@pkglibexecdir@|$MCPAUTH_BINDIR|g" -e "s|@pkgstatedir@|$MCPAUTH_STATE_DIR|g" \
				-e "s|@pkglogdir@|$TMP_ROOT|g" -e "s|@pkgsysconfdir@|$TMP_ROOT|g" \
				-e "s|@pkgdatadir@|$TMP_ROOT/data|g" \
				"$top_srcdir/lighttpd-conf/mcpauth-lighttpd-cgi.conf.in" >"$conf"
		# An empty document root of its own, as make install makes it.
		[ -n "${MCPAUTH_INSTALLED:-}" ] || mkdir -p "$TMP_ROOT/data/htdocs"
		# lighttpd opens its error log once it runs as its user.
		: >>"$MCPAUTH_ERRORLOG"
		[ -z "$RUN_USER" ] || chown "$RUN_USER:$RUN_GROUP" "$MCPAUTH_ERRORLOG"
		{
			echo "include \"$conf\""
			echo "server.port := $MCPAUTH_PORT"
			echo "server.bind := \"127.0.0.1\""
			echo "server.errorlog := \"$MCPAUTH_ERRORLOG\""
			[ -z "$RUN_USER" ] || echo "server.username := \"$RUN_USER\""
			[ -z "$RUN_USER" ] || echo "server.groupname := \"$RUN_GROUP\""
			if [ -z "${MCPAUTH_INSTALLED:-}" ]; then
				printf 'setenv.add-environment := ( "MCPAUTH_STATE_DIR" => "%s"' "$MCPAUTH_STATE_DIR"
				for name in $MCPAUTH_ENV_NAMES; do
					[ "$name" = MCPAUTH_STATE_DIR ] || [ -z "${!name:-}" ] ||
						printf ', "%s" => "%s"' "$name" "${!name}"
				done
				echo ' )'
			elif [ -n "${MCPAUTH_ISSUER:-}" ]; then
				# The site's own URL, as a site adds it to the installed file's list.
				echo "setenv.add-environment += ( \"MCPAUTH_ISSUER\" => \"$MCPAUTH_ISSUER\" )"
			fi
		} >"$TMP_ROOT/lighttpd-site.conf"
		"$LIGHTTPD" -D -f "$TMP_ROOT/lighttpd-site.conf" 2>>"$TMP_ROOT/server.stderr" &
		;;
	lighttpd-production)
		# A site's own file around the installed production configuration.
		{
			echo "include \"$MCPAUTH_LIGHTTPD_CONF\""
			echo "server.port := $MCPAUTH_PORT"
			echo "server.bind := \"127.0.0.1\""
			[ -z "$RUN_USER" ] || echo "server.username := \"$RUN_USER\""
			[ -z "$RUN_USER" ] || echo "server.groupname := \"$RUN_GROUP\""
		} >"$TMP_ROOT/lighttpd-site.conf"
		"$LIGHTTPD" -D -f "$TMP_ROOT/lighttpd-site.conf" 2>>"$TMP_ROOT/server.stderr" &
		;;
	apache-fcgid)
		apache_conf fcgid "$procs"
		"$APACHE2" -f "$TMP_ROOT/apache/httpd.conf" -DFOREGROUND 2>>"$TMP_ROOT/server.stderr" &
		;;
	apache-cgi)
		apache_conf cgi "$procs"
		"$APACHE2" -f "$TMP_ROOT/apache/httpd.conf" -DFOREGROUND 2>>"$TMP_ROOT/server.stderr" &
		;;
	apache-proxy-fcgi)
		spawn_programs "$procs" || return 1
		apache_conf proxy-fcgi "$procs"
		"$APACHE2" -f "$TMP_ROOT/apache/httpd.conf" -DFOREGROUND 2>>"$TMP_ROOT/server.stderr" &
		;;
	nginx)
		spawn_programs "$procs" || return 1
		nginx_conf
		"$NGINX" -e "$MCPAUTH_ERRORLOG" -p "$TMP_ROOT/nginx" -c "$TMP_ROOT/nginx/nginx.conf" \
			2>>"$TMP_ROOT/server.stderr" &
		;;
	*)
		echo "MCPAUTH_TEST_SERVER=$MCPAUTH_TEST_SERVER: not a server this suite knows" >&2
		return 1
		;;
	esac
	SERVER_PID=$!
	BASE="http://127.0.0.1:$MCPAUTH_PORT"
	for i in $(seq 1 100); do
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			break
		fi
		if curl -s -o /dev/null --max-time 2 "$BASE/"; then
			return 0
		fi
		sleep 0.1
	done
	stop_server
	return 1
}

# start_server [procs]: a fresh state directory and the server on a free port.
# Extra settings come from the caller's environment (AUTH0_*, MCPAUTH_*).
# programs_mapping LIB: "N M", the running programs of this server (those
# whose environment names its state directory) and how many of them have
# LIB (a file name pattern) mapped.
programs_mapping() {
	local n=0 m=0 p
	for p in $(pgrep -f "^$MCPAUTH_BINDIR/" 2>/dev/null); do
		tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qxF "MCPAUTH_STATE_DIR=$MCPAUTH_STATE_DIR" || continue
		n=$((n + 1))
		grep -q "$1" "/proc/$p/maps" 2>/dev/null && m=$((m + 1))
	done
	echo "$n $m"
}

# seed_demo_users: the demo users (user@, admin@, viewer@example.com) in
# the state directory, asked for as ./serve.sh asks: the programs never
# create users (MCPAUTH_TEST_DEMO_USERS=0 start_server leaves them out). A
# bad setting the suite starts with is the programs' to report, so a
# failure here is only logged.
seed_demo_users() {
	"$top_builddir/tools/mcpauth" init --demo-users >>"$TMP_ROOT/init.log" 2>&1 || true
}

start_server() {
	local procs=${1:-1} try
	export MCPAUTH_BINDIR="${MCPAUTH_BINDIR:-$top_builddir/cgi-bin}"
	export MCPAUTH_HOST=127.0.0.1 MCPAUTH_PROCS=$procs
	export MCPAUTH_ERRORLOG="$TMP_ROOT/error.log"
	if [ -n "${MCPAUTH_INSTALLED:-}" ]; then
		# An installed tree: the programs' own default state directory.
		unset MCPAUTH_STATE_DIR
	else
		export MCPAUTH_STATE_DIR="$TMP_ROOT/state"
		# A new one 0700, as mcpauth init makes it; one a test made keeps its mode.
		local fresh=1
		[ ! -d "$MCPAUTH_STATE_DIR" ] || fresh=
		mkdir_server "$MCPAUTH_STATE_DIR"
		[ -z "$fresh" ] || chmod 700 "$MCPAUTH_STATE_DIR"
		pg_state_database || return 1
		[ -z "$RUN_USER" ] || stage_programs || return 1
		[ "${MCPAUTH_TEST_DEMO_USERS:-1}" = 0 ] || seed_demo_users
	fi
	# The issuer is the server's own address, as ./serve.sh sets it, unless
	# the caller chose one (a value an earlier start set is no choice).
	local ours=
	if [ -z "${MCPAUTH_ISSUER:-}" ] || [ "$MCPAUTH_ISSUER" = "${ISSUER_SET_HERE:-}" ]; then
		ours=1
		# Auth0 mode: the tenant is the issuer, and the setting is refused.
		[ -z "${AUTH0_DOMAIN:-}" ] || { unset MCPAUTH_ISSUER; ours=; }
	fi
	# Ports 20000 to 31999, below the kernel's ephemeral ports (32768 on):
	# a port there can be taken by any outgoing connection (curl, a
	# PostgreSQL client) between a stop and the restart on the same port.
	for try in 1 2 3 4 5 6 7 8; do
		export MCPAUTH_PORT=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		if [ -n "$ours" ]; then
			export MCPAUTH_ISSUER="http://127.0.0.1:$MCPAUTH_PORT"
			ISSUER_SET_HERE=$MCPAUTH_ISSUER
		fi
		launch_server "$procs" && return 0
	done
	echo "could not start $MCPAUTH_TEST_SERVER; its log:" >&2
	server_log >&2
	return 1
}

# restart_server [procs]: stops the server and starts it again on the same
# port and state directory, as an operator's restart would.
restart_server() {
	stop_server
	launch_server "${1:-$MCPAUTH_PROCS}"
}

# reload_server: the graceful restart an operator does after rotate-key. The
# server stays up; the programs start again and load the keys anew.
reload_server() {
	local i
	case "$MCPAUTH_TEST_SERVER" in
	lighttpd | apache-fcgid) kill -USR1 "$SERVER_PID" ;; # both: graceful restart
	*-cgi) ;; # every request is a new process that reads the keys anew
	apache-proxy-fcgi | nginx)
		# The programs are spawn-fcgi's, not the server's: restart them instead.
		stop_programs
		spawn_programs "$MCPAUTH_PROCS" || return 1
		;;
	esac
	sleep 0.5
	for i in $(seq 1 100); do
		curl -s -o /dev/null --max-time 2 "$BASE/" && return 0
		sleep 0.1
	done
	return 1
}

# set_aside_shutdown_crash OFFSET: Apache (mod_cgid, event MPM) now and
# then logs "AH00052: child pid N exit signal Segmentation fault" for one of
# its own processes while the test itself stops it (seen in about one run of
# apache-cgi.sh in three, ASan build only: our programs are instrumented and
# print a sanitizer report when they crash, and none did). Only such lines,
# and only those Apache wrote after OFFSET, while it was being stopped, move
# from the error log to $TMP_ROOT/shutdown-crashes.log and are named in the
# suite's output; a crash while serving still fails expect_clean_log.
set_aside_shutdown_crash() {
	local log=$MCPAUTH_ERRORLOG off=$1
	case "$MCPAUTH_TEST_SERVER" in apache-*) ;; *) return 0 ;; esac
	[ -f "$log" ] && [ "$(stat -c %s "$log")" -gt "$off" ] || return 0
	tail -c +$((off + 1)) "$log" | grep -q 'AH00052: child pid [0-9]* exit signal' || return 0
	tail -c +$((off + 1)) "$log" | grep 'AH00052: child pid [0-9]* exit signal' | tee -a "$TMP_ROOT/shutdown-crashes.log" |
		sed 's/^/# Apache crashed while the test stopped it (set aside): /'
	{
		head -c "$off" "$log"
		tail -c +$((off + 1)) "$log" | grep -v 'AH00052: child pid [0-9]* exit signal'
	} >"$log.tmp" && cat "$log.tmp" >"$log" && rm -f "$log.tmp"
}

stop_server() {
	local before=0
	if [ -n "$SERVER_PID" ]; then
		[ ! -f "$MCPAUTH_ERRORLOG" ] || before=$(stat -c %s "$MCPAUTH_ERRORLOG")
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
		SERVER_PID=
		set_aside_shutdown_crash "$before"
	fi
	case "$MCPAUTH_TEST_SERVER" in apache-proxy-fcgi | nginx) stop_programs ;; esac
}

# req METHOD PATH [curl args]: sets STATUS; the body is in $TMP_ROOT/body,
# the headers in $TMP_ROOT/headers. A body goes as application/json, as the
# API takes it, unless the arguments name a Content-Type (-H 'Content-Type:'
# sends none).
req() {
	local method=$1 path=$2 a data= ctype= json=()
	shift 2
	for a in "$@"; do
		case $a in
		-d | --data*) data=1 ;;
		[Cc]ontent-[Tt]ype:*) ctype=1 ;;
		esac
	done
	[ -z "$data" ] || [ -n "$ctype" ] || json=(-H 'Content-Type: application/json')
	STATUS=$(curl -s -o "$TMP_ROOT/body" -D "$TMP_ROOT/headers" -w '%{http_code}' --max-time 20 \
		-X "$method" "${json[@]}" "$@" "$BASE$path")
}

body() { cat "$TMP_ROOT/body"; }

# Everything the server and the programs logged (the programs' stderr is
# the server's stderr or error log, or their own log under spawn-fcgi).
server_log() {
	cat "$MCPAUTH_ERRORLOG" "$TMP_ROOT/server.stderr" "$TMP_ROOT/programs/stderr.log" 2>/dev/null
}

# log_mark: where each of those logs ends now ("SIZE SIZE SIZE"), for
# log_since MARK: what was logged after it, under every server (a program
# logs at each start, and under plain CGI every request is a start). A log
# that is shorter than its mark was started anew and is read whole.
log_mark() {
	local f mark=
	for f in "$MCPAUTH_ERRORLOG" "$TMP_ROOT/server.stderr" "$TMP_ROOT/programs/stderr.log"; do
		mark="$mark $(stat -c %s "$f" 2>/dev/null || echo 0)"
	done
	echo $mark
}
log_since() {
	local f size
	set -- $1
	for f in "$MCPAUTH_ERRORLOG" "$TMP_ROOT/server.stderr" "$TMP_ROOT/programs/stderr.log"; do
		size=${1:-0}
		shift
		[ -f "$f" ] || continue
		[ "$(stat -c %s "$f")" -ge "$size" ] || size=0
		tail -c +$((size + 1)) "$f"
	done
}

# No program died and no sanitizer spoke.
expect_clean_log() {
	local bad
	bad=$(server_log | grep -E 'child exited|child signall?ed|get unexpected signal|exit signal|AddressSanitizer|LeakSanitizer|runtime error' | head -3)
	if [ -z "$bad" ]; then ok "no program crashed"; else not_ok "no program crashed: $bad"; fi
	# On PostgreSQL: the programs did use it (no SQLite file beside them),
	# and the database URL's password is in no log line.
	if on_pg; then
		if [ -n "${MCPAUTH_STATE_DIR:-}" ] && [ ! -e "$MCPAUTH_STATE_DIR/mcpauth.db" ] &&
			[ "$(db_sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'users'")" = 1 ]; then
			ok "the store is the PostgreSQL database (no mcpauth.db in the state directory)"
		else
			not_ok "the store is not the PostgreSQL database: $(ls "$MCPAUTH_STATE_DIR" 2>&1 | tr '\n' ' ')"
		fi
		local pass=${MCPAUTH_TEST_PG_URL#*://*:}
		pass=${pass%%@*}
		if [ -n "$pass" ] && server_log | grep -qF -- "$pass"; then not_ok "the database password is in the log"; else
			ok "the database password is in no log"
		fi
	fi
}

# jq over the last body.
jbody() { jq -r "$1" "$TMP_ROOT/body" 2>/dev/null; }

header() { grep -i "^$1:" "$TMP_ROOT/headers" | head -1 | cut -d: -f2- | sed 's/^ *//; s/\r$//'; }

expect_status() {
	if [ "$STATUS" = "$1" ]; then ok "$2 (status $1)"; else not_ok "$2: expected status $1, got $STATUS"; fi
}

# expect_json FILTER VALUE DESC: jq -r FILTER of the body equals VALUE.
expect_json() {
	local got
	got=$(jbody "$1")
	if [ "$got" = "$2" ]; then ok "$3"; else not_ok "$3: $1 expected '$2', got '$got'"; fi
}

# expect_header NAME REGEX DESC
expect_header() {
	local got
	got=$(header "$1")
	if printf '%s' "$got" | grep -Eq -- "$2"; then ok "$3"; else not_ok "$3: header $1 '$got' !~ /$2/"; fi
}

expect_eq() {
	if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3: expected '$2', got '$1'"; fi
}

# login EMAIL PASSWORD: prints the access token.
login() {
	curl -s --max-time 20 -H 'Content-Type: application/json' \
		-d "{\"email\":\"$1\",\"password\":\"$2\"}" "$BASE/auth/login" | jq -r .access_token
}

finish() {
	stop_server
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# sign_token HEADER_JSON PAYLOAD_JSON KEYFILE: an RS256 compact JWS.
sign_token() {
	local h p s
	h=$(printf '%s' "$1" | b64url)
	p=$(printf '%s' "$2" | b64url)
	s=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -sign "$3" -binary | b64url)
	printf '%s.%s.%s' "$h" "$p" "$s"
}

# The server's own kid, from its published JWKS.
server_kid() { curl -s "$BASE/.well-known/jwks.json" | jq -r '.keys[0].kid'; }

# The browser tests' screenshots go to SHOTS: the build tree's
# tests/screenshots, so that a run leaves the source tree as it was; the
# documentation's copies in docs/img only with MCPAUTH_SCREENSHOTS=1.
screenshot_dir() {
	SHOTS=$top_builddir/tests/screenshots
	[ "${MCPAUTH_SCREENSHOTS:-}" = 1 ] && SHOTS=$top_srcdir/docs/img
	mkdir -p "$SHOTS" && touch -d "@$(($(date +%s) - 1))" "$TMP_ROOT/shots-since"
}
# expect_screenshot NAME: SHOTS/NAME.png is a PNG written since screenshot_dir.
expect_screenshot() {
	local f=$SHOTS/$1.png
	if [ -s "$f" ] && [ "$f" -nt "$TMP_ROOT/shots-since" ] &&
		[ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')" = 89504e47 ]; then
		ok "screenshot $f"
	else
		not_ok "no new screenshot $f"
	fi
}
