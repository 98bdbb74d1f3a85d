#!/usr/bin/env bash
# make install DESTDIR=<tmp>: the layout, then the installed tree served with
# the installed configuration, as shipped, under lighttpd (production
# configuration), Apache + mod_fcgid and Apache + mod_proxy_fcgi with
# spawn-fcgi, and as plain CGI (lighttpd mod_cgi, Apache mod_cgid); smoke
# tests under each (login, profile, 401, /mcp), programs run as
# an unprivileged user. To serve the tree from the paths it was configured
# for without touching the machine, the test runs in a private mount
# namespace (root only) where DESTDIR's copy of the prefix is bind-mounted
# over the prefix; elsewhere only the layout is checked.
set -u
if [ -z "${MCPAUTH_IN_NS:-}" ] && [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
	MCPAUTH_IN_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
MCPAUTH_TEST_SERVER=lighttpd-production
. "$(dirname "$0")/lib.sh"
: "${prefix:?} ${bindir:?} ${mcpauthexecdir:?} ${pkgsysconfdir:?} ${pkgstatedir:?} ${pkglogdir:?}"

# --- make install DESTDIR ---------------------------------------------------------
D="$TMP_ROOT/dest"
if make -s -C "$top_builddir" install DESTDIR="$D" >"$TMP_ROOT/install.out" 2>&1; then
	ok "make install DESTDIR=$D"
else
	not_ok "make install DESTDIR: $(tail -5 "$TMP_ROOT/install.out")"
	finish
	exit 1
fi
expect_file() { if [ "$1" "$2" ]; then ok "$3"; else not_ok "$3: $2"; fi; }
expect_file -x "$D$bindir/mcpauth" "the tool in bindir"
expect_file -s "$D${man1dir:-$prefix/share/man/man1}/mcpauth.1" "its manual page in man1dir"
for p in auth profile admin mcp; do
	expect_file -x "$D$mcpauthexecdir/$p" "$p in libexecdir/mcpauth"
done
# The documented mod_proxy_fcgi steps (docs/operations.md: systemd units,
# spawn-fcgi loop) start
# every installed program: one left out answers 503 for its routes.
installed=$(find "$D$mcpauthexecdir" -maxdepth 1 -type f -perm -u+x -printf '%f\n' | sort | tr '\n' ' ')
expect_eq "$(grep -o 'mcpauth@[a-z]*\.socket' <(grep '^sudo systemctl enable' "$top_srcdir/docs/operations.md") |
	sed 's/mcpauth@//; s/\.socket//' | sort | tr '\n' ' ')" "$installed" "docs: systemctl enable starts every installed program"
expect_eq "$(grep -A1 '^for p in .*; do$' "$top_srcdir/docs/operations.md" | grep -B1 'spawn-fcgi' | head -1 |
	sed 's/^for p in //; s/; do$//' | tr ' ' '\n' | sort | tr '\n' ' ')" "$installed" \
	"docs: the spawn-fcgi loop starts every installed program"
for f in mcpauth-fcgid.conf mcpauth-proxy-fcgi.conf mcpauth-cgi.conf mcpauth-lighttpd.conf \
	mcpauth-lighttpd-cgi.conf mcpauth-nginx-upstream.conf mcpauth-nginx.conf mcpauth.env \
	systemd/mcpauth@.socket systemd/mcpauth@.service systemd/mcpauth.target; do
	expect_file -f "$D$pkgsysconfdir/$f" "$f in sysconfdir/mcpauth"
done
expect_file -d "$D$pkgstatedir" "the state directory in localstatedir/lib/mcpauth"
expect_eq "$(stat -c %a "$D$pkgstatedir")" 700 "the state directory is private (0700)"
expect_file -d "$D$pkglogdir" "the log directory in localstatedir/log/mcpauth"
expect_eq "$(grep -rl -- "$D" "$D$pkgsysconfdir" | wc -l)" 0 "DESTDIR does not leak into the installed configuration"
expect_eq "$(grep -rlE '@[a-z_]+@' "$D$pkgsysconfdir" | wc -l)" 0 "no placeholder is left unsubstituted"
expect_eq "$(grep -c "^ *Define MCPAUTH_LIBEXECDIR $mcpauthexecdir\$" "$D$pkgsysconfdir/mcpauth-fcgid.conf")" 1 \
	"the Apache configuration names the installed programs"
expect_eq "$(grep -c "^var.mcpauth_state   = \"$pkgstatedir\"\$" "$D$pkgsysconfdir/mcpauth-lighttpd.conf")" 1 \
	"the lighttpd configuration names the installed state directory"
expect_eq "$(grep -c "^ExecStart=$mcpauthexecdir/%i\$" "$D$pkgsysconfdir/systemd/mcpauth@.service")" 1 \
	"the systemd unit starts the installed program"
# The production lighttpd's document root: an empty directory of its own.
docroot=$(sed -n 's/^server\.document-root = "\(.*\)"$/\1/p' "$D$pkgsysconfdir/mcpauth-lighttpd.conf")
case "$docroot" in
"" | "$pkgstatedir" | "$pkgstatedir"/*) not_ok "the lighttpd document root is not the state directory: '$docroot'" ;;
*) ok "the lighttpd document root is not the state directory ($docroot)" ;;
esac
expect_file -d "$D$docroot" "the lighttpd document root is installed"
expect_eq "$(find "$D$docroot" -mindepth 1 2>/dev/null | wc -l)" 0 "the lighttpd document root is empty"

# --- serving the installed tree ---------------------------------------------------
if [ -z "${MCPAUTH_IN_NS:-}" ]; then
	echo "# serving the installed tree needs root (a private mount namespace): only the layout was checked"
	finish
	exit
fi
for d in "$bindir" "$mcpauthexecdir" "$pkgsysconfdir" "$pkgstatedir" "$pkglogdir"; do
	case "$d" in
	"$prefix"/*) ;;
	*)
		echo "# $d is outside the prefix $prefix: only the layout was checked"
		finish
		exit
		;;
	esac
done
mkdir -p "$prefix"
if mount --bind "$D$prefix" "$prefix"; then ok "the installed tree is at $prefix (in this test only)"; else
	not_ok "bind-mount $D$prefix on $prefix"
	finish
	exit 1
fi
MCPAUTH="$bindir/mcpauth"
export MCPAUTH_INSTALLED=1 MCPAUTH_BINDIR="$mcpauthexecdir" MCPAUTH_APACHE_CONF="$pkgsysconfdir"
export MCPAUTH_LIGHTTPD_CONF="$pkgsysconfdir/mcpauth-lighttpd.conf"
export MCPAUTH_LIGHTTPD_CGI_CONF="$pkgsysconfdir/mcpauth-lighttpd-cgi.conf"
unset MCPAUTH_STATE_DIR
# The installed programs and tool read the installed common-password list
# (their build default), not the source tree's.
unset MCPAUTH_PASSWORD_LIST

# The operator's steps (docs/operations.md, Deployment): init, the log directory, a user.
[ -z "$RUN_USER" ] || chown "$RUN_USER:$RUN_GROUP" "$pkglogdir"
if "$MCPAUTH" init ${RUN_USER:+--user "$RUN_USER"} >"$TMP_ROOT/out" 2>&1; then ok "mcpauth init on the installed default state directory"; else not_ok "mcpauth init: $(cat "$TMP_ROOT/out")"; fi
expect_eq "$(stat -c %U "$pkgstatedir")" "${RUN_USER:-$(id -un)}" "the state directory belongs to the programs' user"
printf 'smoke-password\n' | "$MCPAUTH" user add smoke@example.com --name Smoke --permissions read:profile >"$TMP_ROOT/out" 2>&1
SMOKE_ID=$(cat "$TMP_ROOT/out")
expect_eq "$("$MCPAUTH" users | cut -f2 | tr '\n' ' ')" "smoke@example.com " "only the user the operator added (no demo users)"

smoke() { # smoke SERVER-NAME
	local name=$1 token n
	req POST /auth/login -H 'Content-Type: application/json' -d '{"email":"smoke@example.com","password":"smoke-password"}'
	expect_status 200 "$name: login"
	token=$(jbody .access_token)
	req GET /api/profile -H "Authorization: Bearer $token"
	expect_status 200 "$name: profile with the token"
	expect_json .profile.id "$SMOKE_ID" "$name: the profile is the user's"
	req GET /api/profile
	expect_status 401 "$name: profile without a token"
	expect_json .error "No token provided" "$name: the 401 is the suite's JSON"
	req GET /api/users -H "Authorization: Bearer $token"
	expect_status 403 "$name: admin route without the permission"
	req POST /mcp -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
		-H "Authorization: Bearer $token" \
		--data-binary '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_api_profile","arguments":{}}}'
	expect_status 200 "$name: /mcp served by the installed mcp program"
	expect_json .result.structuredContent.profile.id "$SMOKE_ID" "$name: /mcp tools/call answers the user's profile"
	req GET /api/profile -H "Authorization: Bearer $("$MCPAUTH" mint smoke@example.com)"
	expect_status 200 "$name: a token minted by the installed tool"
	# (A CGI program has exited by now: nothing to look at.)
	if [ -n "$RUN_USER" ] && [ "${name%-cgi}" = "$name" ]; then
		n=$(pgrep -u "$RUN_USER" -f "^$mcpauthexecdir/auth" | wc -l)
		if [ "$n" -ge 1 ]; then ok "$name: auth runs as $RUN_USER"; else not_ok "$name: auth runs as $RUN_USER"; fi
		n=$(pgrep -u root -f "^$mcpauthexecdir/" | wc -l)
		expect_eq "$n" 0 "$name: no program runs as root"
	fi
}

# lighttpd, production configuration: several processes per program.
start_server || { not_ok "lighttpd with the installed configuration"; finish; exit 1; }
smoke lighttpd
expect_eq "$(pgrep -f "^$mcpauthexecdir/auth" | wc -l)" 4 "lighttpd: four auth processes, as configured"
if grep -q 'server started' "$pkglogdir/error.log"; then ok "lighttpd: the error log is $pkglogdir/error.log"; else not_ok "lighttpd: the error log is $pkglogdir/error.log"; fi
expect_clean_log
stop_server

if [ -x "$APACHE2" ]; then
	MCPAUTH_TEST_SERVER=apache-fcgid
	start_server 2 || not_ok "Apache + mod_fcgid with the installed configuration"
	smoke apache-fcgid
	expect_clean_log
	stop_server
fi
if [ -x "$APACHE2" ] && [ -x "$SPAWN_FCGI" ]; then
	# No MCPAUTH_STATE_DIR: the programs find the state by their built-in default.
	MCPAUTH_TEST_SERVER=apache-proxy-fcgi
	start_server 2 || not_ok "Apache + mod_proxy_fcgi with the installed configuration"
	smoke apache-proxy-fcgi
	expect_clean_log
	stop_server
fi
if [ -x "${NGINX:-}" ] && [ -x "$SPAWN_FCGI" ]; then
	MCPAUTH_TEST_SERVER=nginx
	start_server 2 || not_ok "nginx with the installed configuration"
	smoke nginx
	expect_clean_log
	stop_server
fi

# Plain CGI, with the installed files: lighttpd mod_cgi, Apache mod_cgid.
MCPAUTH_TEST_SERVER=lighttpd-cgi
start_server || not_ok "lighttpd + mod_cgi with the installed configuration"
smoke lighttpd-cgi
expect_clean_log
stop_server
if [ -x "$APACHE2" ]; then
	MCPAUTH_TEST_SERVER=apache-cgi
	start_server || not_ok "Apache + mod_cgid with the installed configuration"
	smoke apache-cgi
	expect_clean_log
	stop_server
fi

# The systemd units, checked by systemd itself (as instances of the templates).
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$TMP_ROOT/units"
	cp "$pkgsysconfdir/systemd/mcpauth@.socket" "$TMP_ROOT/units/mcpauth@auth.socket"
	cp "$pkgsysconfdir/systemd/mcpauth@.service" "$TMP_ROOT/units/mcpauth@auth.service"
	cp "$pkgsysconfdir/systemd/mcpauth.target" "$TMP_ROOT/units/"
	if (cd "$TMP_ROOT/units" && systemd-analyze verify --man=no mcpauth@auth.socket mcpauth@auth.service mcpauth.target) >"$TMP_ROOT/out" 2>&1; then
		ok "systemd-analyze verify accepts the units"
	else
		not_ok "systemd-analyze verify: $(head -5 "$TMP_ROOT/out")"
	fi
fi
finish
