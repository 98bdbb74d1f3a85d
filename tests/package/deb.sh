#!/usr/bin/env bash
# The Debian package, end to end on this machine: dpkg-buildpackage builds
# it from a copy of the tree (unit tests included), lintian finds no error
# and only the warnings docs/operations.md lists; apt-get installs it (the
# user mcpauth, the state directory and its keys, no demo users, the units
# enabled); the programs run as the units say, behind lighttpd with the
# package's conf-available snippet on a free loopback port, then behind
# nginx with the package's nginx files, and answer the smoke tests (index, JWKS, a user added with the installed tool, login,
# profile, /mcp tools/list). Then a second build with a higher version is
# installed over it with dpkg -i (the keys, users and the operator's
# configuration kept, the same token still valid), apt-get remove keeps the
# state, and apt-get purge leaves nothing behind: no /etc/mcpauth, no
# /var/lib/mcpauth, no user, no file the package listed.
#
# It installs onto this machine, so it needs root and dpkg-buildpackage, and
# steps aside when a mcpauth package is installed already. Without systemd
# running (a container), the programs are started as the installed units
# describe them (user, program, environment, socket and its owner), with
# spawn-fcgi in systemd's place; with systemd, by the units themselves.
set -u
MCPAUTH_TEST_SERVER=lighttpd
. "$(dirname "$0")/../integration/lib.sh"

# Before anything that needs root: the package's lighttpd snippet sends
# each URL prefix to the program lighttpd-conf/mcpauth.conf sends it to (a
# route group's new prefix goes in both).
prefixes() { sed -nE 's/^ *"(\/[^"]*)" *=> *(var\.([a-z]+)|.*"\/([a-z]+)\.sock").*/\1 \3\4/p' "$1" | sort; }
expect_eq "$(prefixes "$top_srcdir/debian/lighttpd.conf" | tr '\n' ' ')" \
	"$(prefixes "$top_srcdir/lighttpd-conf/mcpauth.conf" | tr '\n' ' ')" \
	"debian/lighttpd.conf maps the prefixes as lighttpd-conf/mcpauth.conf does"

skip() {
	echo "# SKIP: $*"
	finish
	exit 0
}
[ "$(id -u)" -eq 0 ] || skip "installs a package on this machine: run as root"
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
	skip "dpkg-buildpackage or debhelper missing (apt-get install dpkg-dev debhelper)"
case $(dpkg-query -W -f='${db:Status-Status}' mcpauth 2>/dev/null) in
"" | not-installed) ;;
*) skip "a mcpauth package is on this machine already; the test would replace and purge it" ;;
esac
SYSTEMD=
[ -d /run/systemd/system ] && SYSTEMD=1
[ -n "$SYSTEMD" ] || [ -x "$SPAWN_FCGI" ] || skip "neither systemd running nor spawn-fcgi to stand in for it"
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -y -q -o DPkg::Lock::Timeout=300)
T0=$(date +%s)
chmod 711 "$TMP_ROOT" # lighttpd's user reaches its document root below

# What this test changed on the machine is undone however it ends.
INSTALLED=
FASTCGI_WAS_ENABLED=
[ -e /etc/lighttpd/conf-enabled/10-fastcgi.conf ] && FASTCGI_WAS_ENABLED=1
undo() {
	! declare -F stop_programs_here >/dev/null || stop_programs_here # defined below: an early end has none
	stop_server
	if [ -n "$INSTALLED" ]; then
		"${APT[@]}" purge mcpauth >>"$TMP_ROOT/apt.log" 2>&1
		INSTALLED=
	fi
	[ ! -L /etc/nginx/conf.d/mcpauth-nginx-upstream.conf ] || rm -f /etc/nginx/conf.d/mcpauth-nginx-upstream.conf
	[ -n "$FASTCGI_WAS_ENABLED" ] || [ ! -L /etc/lighttpd/conf-enabled/10-fastcgi.conf ] ||
		rm -f /etc/lighttpd/conf-enabled/10-fastcgi.conf
}
trap 'undo; rm -rf "$TMP_ROOT"' EXIT

# --- two builds from a copy of the tree -------------------------------------------
SRC="$TMP_ROOT/build/mcpauth"
mkdir -p "$SRC"
if git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1; then
	# The files git knows, as they are in the work tree (edits included).
	(cd "$top_srcdir" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$SRC"
else
	tar -C "$top_srcdir" --exclude='./build*' --exclude=./debian/mcpauth -cf - . | tar -xf - -C "$SRC"
fi
VERSION=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
t=$(date +%s)
if (cd "$SRC" && DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b) >"$TMP_ROOT/build1.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b builds $VERSION"
else
	not_ok "dpkg-buildpackage: $(tail -20 "$TMP_ROOT/build1.log")"
	finish
	exit 1
fi
echo "# first build (with the unit tests): $(($(date +%s) - t)) s"
DEB1=$(ls "$TMP_ROOT"/build/mcpauth_"$VERSION"_*.deb)
expect_eq "$(grep -c '^PASS: tests/unit/test_' "$TMP_ROOT/build1.log")" "$(ls "$SRC"/tests/unit/test_*.c | wc -l)" \
	"dh_auto_test ran every unit test program, each passing"
expect_eq "$(grep -cE '^(FAIL|ERROR): ' "$TMP_ROOT/build1.log")" 0 "no test failed in the package build"
if grep -q '^PASS: tests/integration/' "$TMP_ROOT/build1.log"; then not_ok "the package build ran no integration suite"; else ok "the package build ran no integration suite"; fi

# lintian: no error; each warning is one docs/operations.md lists and justifies.
if command -v lintian >/dev/null; then
	lintian "$DEB1" >"$TMP_ROOT/lintian.out" 2>&1
	expect_eq "$(grep -c '^E: ' "$TMP_ROOT/lintian.out")" 0 "lintian: no error"
	grep '^E: ' "$TMP_ROOT/lintian.out" | head -5
	unlisted=
	for tag in $(sed -n 's/^W: [^ ]*: \([^ ]*\).*/\1/p' "$TMP_ROOT/lintian.out" | sort -u); do
		grep -q "\`$tag\`" "$top_srcdir/docs/operations.md" || unlisted="$unlisted $tag"
	done
	expect_eq "$unlisted" "" "lintian: every warning is listed in docs/operations.md"
else
	not_ok "lintian is not installed (apt-get install lintian)"
fi

# The upgrade: the same tree, a higher version (a new changelog entry), built
# again reusing the first build's objects (-nc): what is tested is dpkg's
# upgrade path, not the compiler.
UPVERSION="$VERSION+upgradetest1"
{
	printf 'mcpauth (%s) unstable; urgency=medium\n\n  * Upgrade test.\n\n' "$UPVERSION"
	printf ' -- mcpauth tests <tests@example.org>  %s\n\n' "$(date -R)"
	cat "$SRC/debian/changelog"
} >"$TMP_ROOT/changelog" && mv "$TMP_ROOT/changelog" "$SRC/debian/changelog"
t=$(date +%s)
if (cd "$SRC" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b -nc) >"$TMP_ROOT/build2.log" 2>&1; then
	ok "a second build, $UPVERSION"
else
	not_ok "second dpkg-buildpackage: $(tail -20 "$TMP_ROOT/build2.log")"
fi
echo "# second build: $(($(date +%s) - t)) s"
DEB2=$(ls "$TMP_ROOT"/build/mcpauth_"$UPVERSION"_*.deb 2>/dev/null)

# --- install ----------------------------------------------------------------------
INSTALLED=1
if "${APT[@]}" install "$DEB1" >"$TMP_ROOT/apt.log" 2>&1; then
	ok "apt-get install ./$(basename "$DEB1")"
else
	not_ok "apt-get install: $(tail -10 "$TMP_ROOT/apt.log")"
	finish
	exit 1
fi
dpkg -L mcpauth | sort >"$TMP_ROOT/files"
expect_eq "$(dpkg-query -W -f='${db:Status-Status} ${Version}' mcpauth)" "installed $VERSION" "dpkg: installed, $VERSION"
STATE=/var/lib/mcpauth
MCPAUTH=/usr/bin/mcpauth
uid=$(id -u mcpauth 2>/dev/null)
if [ -n "$uid" ] && [ "$uid" -lt 1000 ]; then ok "a system user mcpauth ($uid)"; else not_ok "a system user mcpauth: '$uid'"; fi
expect_eq "$(getent passwd mcpauth | cut -d: -f6,7)" "$STATE:/usr/sbin/nologin" "its home is the state directory, no login shell"
expect_eq "$(stat -c '%U %G %a' "$STATE" 2>&1)" "mcpauth mcpauth 700" "$STATE is mcpauth's, 0700"
expect_eq "$(find "$STATE" -mindepth 1 \( ! -user mcpauth -o -perm /077 \) | wc -l)" 0 "every file in it is mcpauth's, 0600"
if jq -e '.keys | length >= 1' "$STATE/jwks.json" >/dev/null 2>&1; then ok "a signing key was made at install"; else not_ok "no jwks.json with a key in $STATE"; fi
expect_eq "$("$MCPAUTH" users 2>&1)" "" "no users (no demo users)"
expect_eq "$(dpkg-query -W -f='${Conffiles}\n' mcpauth | awk 'NF {print $1}' | sort | tr '\n' ' ')" \
	"/etc/lighttpd/conf-available/50-mcpauth.conf /etc/mcpauth/mcpauth-nginx-upstream.conf /etc/mcpauth/mcpauth-nginx.conf /etc/mcpauth/mcpauth-proxy-fcgi.conf /etc/mcpauth/mcpauth.env " \
	"the configuration files are conffiles"
for u in mcpauth.target mcpauth@.socket mcpauth@.service; do
	[ -f "/lib/systemd/system/$u" ] && ok "unit $u installed" || not_ok "unit $u installed"
done
if [ -L /etc/systemd/system/multi-user.target.wants/mcpauth.target ]; then ok "mcpauth.target is enabled"; else not_ok "mcpauth.target is enabled"; fi
expect_eq "$(sed -n 's/^User=//p' /lib/systemd/system/mcpauth@.service)" mcpauth "the service runs the programs as mcpauth"
# Every installed program is started by the target.
expect_eq "$(sed -n 's/^Wants=//p' /lib/systemd/system/mcpauth.target | tr ' ' '\n' | sed 's/^mcpauth@//; s/\.socket$//' | sort | tr '\n' ' ')" \
	"$(find /usr/libexec/mcpauth -maxdepth 1 -type f -perm -u+x -printf '%f\n' | sort | tr '\n' ' ')" \
	"mcpauth.target starts every installed program"
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$TMP_ROOT/units"
	cp /lib/systemd/system/mcpauth.target "$TMP_ROOT/units/"
	cp /lib/systemd/system/mcpauth@.socket "$TMP_ROOT/units/mcpauth@auth.socket"
	cp /lib/systemd/system/mcpauth@.service "$TMP_ROOT/units/mcpauth@auth.service"
	if (cd "$TMP_ROOT/units" && systemd-analyze verify --man=no mcpauth@auth.socket mcpauth@auth.service) >"$TMP_ROOT/out" 2>&1; then
		ok "systemd-analyze verify accepts the installed units"
	else
		not_ok "systemd-analyze verify: $(head -5 "$TMP_ROOT/out")"
	fi
fi

# --- the programs, as the units run them ------------------------------------------
UNIT=/lib/systemd/system/mcpauth@.service
SOCK=/lib/systemd/system/mcpauth@.socket
unit_key() { sed -n "s/^$2=//p" "$1"; }
start_programs_here() {
	if [ -n "$SYSTEMD" ]; then
		systemctl restart mcpauth.target
		return
	fi
	local p env=(PATH=/usr/sbin:/usr/bin:/sbin:/bin) line file listen
	while read -r line; do env+=("$line"); done < <(unit_key "$UNIT" Environment)
	file=$(unit_key "$UNIT" EnvironmentFile)
	file=${file#-}
	[ ! -f "$file" ] || while read -r line; do env+=("$line"); done < <(grep -E '^[A-Za-z_][A-Za-z0-9_]*=' "$file")
	install -d -m "$(unit_key "$SOCK" DirectoryMode)" /run/mcpauth
	mkdir -p "$TMP_ROOT/programs" && chown "$(unit_key "$UNIT" User)" "$TMP_ROOT/programs"
	for p in $(unit_key /lib/systemd/system/mcpauth.target Wants | tr ' ' '\n' | sed 's/^mcpauth@//; s/\.socket$//'); do
		listen=$(unit_key "$SOCK" ListenStream)
		env -i "${env[@]}" "$SPAWN_FCGI" -F 1 -s "${listen//%i/$p}" -P "$TMP_ROOT/programs/$p.pid" \
			-U "$(unit_key "$SOCK" SocketUser)" -G "$(unit_key "$SOCK" SocketGroup)" -M "$(unit_key "$SOCK" SocketMode)" \
			-u "$(unit_key "$UNIT" User)" -g "$(unit_key "$UNIT" Group)" \
			-- /bin/sh -c 'exec "$0" 2>>"$1"' "$(unit_key "$UNIT" ExecStart | sed "s/%i/$p/g")" "$TMP_ROOT/programs/stderr.log" \
			>>"$TMP_ROOT/programs/spawn.log" 2>&1 || return 1
	done
}
stop_programs_here() {
	local f pid i
	if [ -n "$SYSTEMD" ]; then
		[ -z "$INSTALLED" ] || systemctl stop mcpauth.target 2>/dev/null
		return
	fi
	for f in "$TMP_ROOT"/programs/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		rm -f "$f"
		kill "$pid" 2>/dev/null
		for i in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	done
	rm -f /run/mcpauth/*.sock
}

# The operator's steps (docs/operations.md, The Debian package): the site's
# address in /etc/mcpauth/mcpauth.env, the lighttpd module enabled.
MCPAUTH_PORT=
for try in 1 2 3 4 5 6 7 8; do
	port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		MCPAUTH_PORT=$port
		break
	fi
done
BASE="http://127.0.0.1:$MCPAUTH_PORT"
sed -i -e "s|^MCPAUTH_ALLOWED_HOSTS=.*|MCPAUTH_ALLOWED_HOSTS=127.0.0.1|" \
	-e "s|^MCPAUTH_ISSUER=.*|MCPAUTH_ISSUER=$BASE|" /etc/mcpauth/mcpauth.env
if lighty-enable-mod mcpauth >"$TMP_ROOT/out" 2>&1 && [ -L /etc/lighttpd/conf-enabled/50-mcpauth.conf ] &&
	[ -L /etc/lighttpd/conf-enabled/10-fastcgi.conf ]; then
	ok "lighty-enable-mod mcpauth (with fastcgi, its dependency)"
else
	not_ok "lighty-enable-mod mcpauth: $(cat "$TMP_ROOT/out")"
fi
if "$LIGHTTPD" -tt -f /etc/lighttpd/lighttpd.conf >"$TMP_ROOT/out" 2>&1; then
	ok "Debian's lighttpd.conf with the module enabled passes lighttpd -tt"
else
	not_ok "lighttpd -tt with the module: $(head -5 "$TMP_ROOT/out")"
fi

# lighttpd as on Debian (root, then www-data), on a loopback port of its own
# rather than Debian's port 80: the modules the snippet depends on, then it.
start_lighttpd() {
	mkdir -p "$TMP_ROOT/htdocs"
	: >>"$TMP_ROOT/error.log"
	chown www-data: "$TMP_ROOT/error.log"
	cat >"$TMP_ROOT/lighttpd.conf" <<-EOF
		server.document-root = "$TMP_ROOT/htdocs"
		server.port = $MCPAUTH_PORT
		server.bind = "127.0.0.1"
		server.errorlog = "$TMP_ROOT/error.log"
		server.username = "www-data"
		server.groupname = "www-data"
		include "/etc/lighttpd/conf-available/10-fastcgi.conf"
		include "/etc/lighttpd/conf-available/50-mcpauth.conf"
	EOF
	"$LIGHTTPD" -D -f "$TMP_ROOT/lighttpd.conf" 2>>"$TMP_ROOT/server.stderr" &
	SERVER_PID=$!
	local i
	for i in $(seq 1 100); do
		curl -s -o /dev/null --max-time 2 "$BASE/" && return 0
		sleep 0.1
	done
	return 1
}
MCPAUTH_ERRORLOG="$TMP_ROOT/error.log"
start_programs_here && ok "the programs started as the units describe them" || not_ok "start the programs: $(cat "$TMP_ROOT/programs/spawn.log")"
start_lighttpd && ok "lighttpd with the package's snippet on $BASE" || not_ok "lighttpd did not answer: $(server_log | tail -5)"

SMOKE_PW=smoke-password-$RANDOM
printf '%s\n' "$SMOKE_PW" | "$MCPAUTH" user add smoke@example.com --name Smoke --permissions read:profile >"$TMP_ROOT/out" 2>&1
SMOKE_ID=$(cat "$TMP_ROOT/out")
expect_eq "$("$MCPAUTH" users | cut -f2)" smoke@example.com "the installed mcpauth adds a user"
expect_eq "$(stat -c %U "$STATE/mcpauth.db")" mcpauth "the database stays mcpauth's after the tool wrote to it as root"

smoke() { # smoke WHEN
	req GET /
	expect_status 200 "$1: the index"
	req GET /.well-known/jwks.json
	expect_status 200 "$1: JWKS"
	expect_json '.keys[0].kid' "$(jq -r '.keys[0].kid' "$STATE/jwks.json")" "$1: JWKS publishes the key made at install"
	req POST /auth/login -d "{\"email\":\"smoke@example.com\",\"password\":\"$SMOKE_PW\"}"
	expect_status 200 "$1: login"
	TOKEN=$(jbody .access_token)
	req GET /api/profile -H "Authorization: Bearer $TOKEN"
	expect_status 200 "$1: profile with the token"
	expect_json .profile.id "$SMOKE_ID" "$1: the profile is the user's"
	req GET /api/profile
	expect_status 401 "$1: profile without a token"
	expect_json .error "No token provided" "$1: the 401 is the suite's JSON"
	req POST /mcp -H 'Accept: application/json, text/event-stream' -H "Authorization: Bearer $TOKEN" \
		-d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
	expect_status 200 "$1: /mcp tools/list"
	expect_json '[.result.tools[].name] | index("get_api_profile") != null' true "$1: tools/list holds get_api_profile"
	n=$(pgrep -u mcpauth -f '^/usr/libexec/mcpauth/' | wc -l)
	if [ "$n" -ge 4 ]; then ok "$1: the programs run as mcpauth ($n)"; else not_ok "$1: the programs run as mcpauth ($n)"; fi
	expect_eq "$(ps -o user= -p "$(pgrep -d, -f '^/usr/libexec/mcpauth/')" | grep -vc '^mcpauth$')" 0 "$1: no program runs as another user"
}
smoke install
FIRST_TOKEN=$TOKEN
stop_server

# nginx, as docs/operations.md has it: part 1 linked into Debian's conf.d
# (nginx -t over Debian's own nginx.conf), part 2 in the site's server block;
# here a server of its own on the same loopback port, as www-data.
# One process per program under the units, one connection at a time: the
# package's nginx files keep no idle connection to them.
expect_eq "$(grep -hE '^[^#]*(keepalive|fastcgi_keep_conn +on)' /etc/mcpauth/mcpauth-nginx*.conf)" "" \
	"the package's nginx files keep no idle connections to the programs"
if [ -x "$NGINX" ]; then
	ln -s /etc/mcpauth/mcpauth-nginx-upstream.conf /etc/nginx/conf.d/
	if "$NGINX" -t -c /etc/nginx/nginx.conf >"$TMP_ROOT/out" 2>&1; then
		ok "Debian's nginx.conf with the package's upstreams in conf.d passes nginx -t"
	else
		not_ok "nginx -t: $(head -5 "$TMP_ROOT/out")"
	fi
	mkdir -p "$TMP_ROOT/nginx/tmp" && chown www-data: "$TMP_ROOT/nginx/tmp"
	cat >"$TMP_ROOT/nginx/nginx.conf" <<-EOF
		daemon off;
		worker_processes 1;
		pid $TMP_ROOT/nginx/nginx.pid;
		user www-data www-data;
		events { worker_connections 64; }
		http {
		  access_log off;
		  client_body_temp_path $TMP_ROOT/nginx/tmp/body;
		  fastcgi_temp_path $TMP_ROOT/nginx/tmp/fastcgi;
		  proxy_temp_path $TMP_ROOT/nginx/tmp/proxy;
		  include /etc/nginx/conf.d/mcpauth-nginx-upstream.conf;
		  server {
		    listen 127.0.0.1:$MCPAUTH_PORT;
		    server_name 127.0.0.1;
		    include /etc/mcpauth/mcpauth-nginx.conf;
		  }
		}
	EOF
	"$NGINX" -e "$MCPAUTH_ERRORLOG" -p "$TMP_ROOT/nginx" -c "$TMP_ROOT/nginx/nginx.conf" 2>>"$TMP_ROOT/server.stderr" &
	SERVER_PID=$!
	for i in $(seq 1 100); do
		curl -s -o /dev/null --max-time 2 "$BASE/" && break
		sleep 0.1
	done
	smoke nginx
	req GET /api/profile -H "Authorization: Bearer $FIRST_TOKEN"
	expect_status 200 "nginx: the token lighttpd's login gave"
	stop_server
else
	echo "# nginx is not installed: the package was served under lighttpd only"
fi
start_lighttpd || not_ok "lighttpd again after nginx"

# --- upgrade over itself ------------------------------------------------------------
keys_before=$(cd "$STATE" && sha256sum ./*.pem jwks.json 2>/dev/null)
env_before=$(sha256sum /etc/mcpauth/mcpauth.env)
stop_programs_here # as the package's prerm stops mcpauth.target under systemd
if [ -n "$DEB2" ] && dpkg -i "$DEB2" </dev/null >"$TMP_ROOT/dpkg.log" 2>&1; then
	ok "dpkg -i $(basename "$DEB2") over $VERSION"
else
	not_ok "dpkg -i the upgrade: $(tail -10 "$TMP_ROOT/dpkg.log")"
fi
expect_eq "$(dpkg-query -W -f='${db:Status-Status} ${Version}' mcpauth)" "installed $UPVERSION" "dpkg: installed, $UPVERSION"
expect_eq "$(cd "$STATE" && sha256sum ./*.pem jwks.json 2>/dev/null)" "$keys_before" "the upgrade kept the keys"
expect_eq "$(sha256sum /etc/mcpauth/mcpauth.env)" "$env_before" "the upgrade kept the operator's mcpauth.env"
expect_eq "$("$MCPAUTH" users | cut -f2)" smoke@example.com "the upgrade kept the user, added none"
start_programs_here || not_ok "restart the programs after the upgrade"
req GET /api/profile -H "Authorization: Bearer $FIRST_TOKEN"
expect_status 200 "a token issued before the upgrade still verifies"
expect_json .profile.id "$SMOKE_ID" "and it is the same user's"
smoke upgrade
expect_clean_log
stop_server

# --- remove, then purge -----------------------------------------------------------------
stop_programs_here
if "${APT[@]}" remove mcpauth >>"$TMP_ROOT/apt.log" 2>&1; then ok "apt-get remove mcpauth"; else not_ok "apt-get remove: $(tail -5 "$TMP_ROOT/apt.log")"; fi
expect_eq "$(dpkg-query -W -f='${db:Status-Status}' mcpauth)" config-files "removed, its configuration kept"
[ ! -e "$MCPAUTH" ] && [ ! -e /usr/libexec/mcpauth/auth ] && ok "remove: the programs are gone" || not_ok "remove: the programs are gone"
expect_eq "$(cd "$STATE" 2>/dev/null && sha256sum ./*.pem jwks.json 2>/dev/null)" "$keys_before" "remove: the state (keys) is kept"
[ -f "$STATE/mcpauth.db" ] && ok "remove: the database is kept" || not_ok "remove: the database is kept"
[ -f /etc/mcpauth/mcpauth.env ] && ok "remove: /etc/mcpauth/mcpauth.env is kept" || not_ok "remove: mcpauth.env is kept"
getent passwd mcpauth >/dev/null && ok "remove: the user is kept" || not_ok "remove: the user is kept"

if "${APT[@]}" purge mcpauth >>"$TMP_ROOT/apt.log" 2>&1; then ok "apt-get purge mcpauth"; else not_ok "apt-get purge: $(tail -5 "$TMP_ROOT/apt.log")"; fi
INSTALLED=
expect_eq "$(dpkg-query -W -f='${db:Status-Status}' mcpauth 2>/dev/null)" "" "purged: dpkg knows no mcpauth"
for d in /etc/mcpauth /var/lib/mcpauth /run/mcpauth /etc/lighttpd/conf-enabled/50-mcpauth.conf \
	/etc/nginx/conf.d/mcpauth-nginx-upstream.conf; do
	[ ! -e "$d" ] && [ ! -L "$d" ] && ok "purge: no $d" || not_ok "purge: $d is left"
done
getent passwd mcpauth >/dev/null && not_ok "purge: the user mcpauth is left" || ok "purge: no user mcpauth"
getent group mcpauth >/dev/null && not_ok "purge: the group mcpauth is left" || ok "purge: no group mcpauth"
# Every path dpkg -L listed is gone, but for the directories other packages
# share (/usr/bin, /etc/lighttpd/conf-available...): the package's own are
# named after it.
left=
while read -r f; do
	[ -e "$f" ] || [ -L "$f" ] || continue
	[ -d "$f" ] && [ "${f##*/}" != mcpauth ] && continue
	left="$left $f"
done <"$TMP_ROOT/files"
expect_eq "$left" "" "purge: nothing dpkg -L listed is left"
# Nor anything by the package's name or the user's id where a package puts things.
found=$(find /etc /lib /usr /var /run /opt /srv \( -path /usr/local -o -path /var/tmp \) -prune -o \
	\( -name '*mcpauth*' -o -uid "${uid:-99999}" \) -print 2>/dev/null | head -5)
expect_eq "$found" "" "purge: no file named mcpauth or owned by its user is left"
[ -n "$FASTCGI_WAS_ENABLED" ] || rm -f /etc/lighttpd/conf-enabled/10-fastcgi.conf

echo "# the whole test: $(($(date +%s) - T0)) s"
finish
