#!/usr/bin/env bash
# nginx with the shipped configuration (nginx-conf/, kept connections) and
# spawn-fcgi: the integration suite (run.sh, api.sh, cli.sh, mcp.sh,
# hosts.sh, unchanged), then nginx-front.sh (nginx's own refusals in JSON,
# kept connections, the idle bound). Ends with "N passed, N failed".
here=$(cd "$(dirname "$0")" && pwd)
total() { # the last "N passed, N failed" of the output in $1, as "N N"
	local line
	line=$(printf '%s\n' "$1" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
	[ -n "$line" ] || line="0 passed, 1 failed"
	set -- $line
	echo "$1 $3"
}
suite=$("$here/under.sh" nginx 2>&1)
[ $? -ne 77 ] || { printf '%s\n' "$suite"; exit 77; }
printf '%s\n' "$suite" | sed '$d'
front=$("$here/nginx-front.sh" 2>&1)
printf '%s\n' "$front" | sed -E "s|^not ok - |not ok - nginx nginx-front.sh: |; t; s|^|nginx nginx-front.sh: |"
read -r p1 f1 <<<"$(total "$suite")"
read -r p2 f2 <<<"$(total "$front")"
echo "$((p1 + p2)) passed, $((f1 + f2)) failed"
[ $((f1 + f2)) -eq 0 ]
