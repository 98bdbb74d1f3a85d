#!/usr/bin/env bash
# under.sh SERVER: the integration suite (run.sh, api.sh, cli.sh, mcp.sh and
# hosts.sh, unchanged) under one web server: lighttpd, apache-fcgid,
# apache-proxy-fcgi, apache-cgi, lighttpd-cgi or nginx. Each suite starts that server
# itself on a free loopback port with a temporary state directory. Ends with
# the suites' totals, "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
server=$1
: "${APACHE2:=$(command -v apache2 || echo /usr/sbin/apache2)}"
: "${SPAWN_FCGI:=$(command -v spawn-fcgi || echo /usr/bin/spawn-fcgi)}"
case "$server" in
apache-*)
	if [ ! -x "$APACHE2" ]; then
		echo "SKIP: Apache is not installed (apt-get install apache2 libapache2-mod-fcgid)"
		exit 77
	fi
	;;
esac
: "${NGINX:=$(command -v nginx || echo /usr/sbin/nginx)}"
if [ "$server" = nginx ] && [ ! -x "$NGINX" ]; then
	echo "SKIP: nginx is not installed (apt-get install nginx spawn-fcgi)"
	exit 77
fi
if { [ "$server" = apache-proxy-fcgi ] || [ "$server" = nginx ]; } && [ ! -x "$SPAWN_FCGI" ]; then
	echo "SKIP: spawn-fcgi is not installed (apt-get install spawn-fcgi)"
	exit 77
fi

passed=0 failed=0
for suite in run.sh api.sh cli.sh mcp.sh hosts.sh; do
	out=$(MCPAUTH_TEST_SERVER=$server "$here/$suite" 2>&1)
	# Prefixed with the server and suite; failures keep "not ok" in front.
	printf '%s\n' "$out" | sed -E "s|^not ok - |not ok - $server $suite: |; t; s|^|$server $suite: |"
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
	if [ -z "$line" ]; then
		failed=$((failed + 1))
		continue
	fi
	set -- $line
	passed=$((passed + $1))
	failed=$((failed + $3))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
