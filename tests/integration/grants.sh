#!/usr/bin/env bash
# Who may grant what, tried as an attacker would against a real server
# (issue 13, item 1): a caller never grants a permission its token does not
# hold, through POST /api/users or POST /api/admin/permissions, over HTTP,
# /mcp/invoke or MCP tools/call alike; each refusal is a 403 naming the
# permission, stores nothing and is audited. The operator's mcpauth tool
# stays allowed to grant anything.
set -u
. "$(dirname "$0")/lib.sh"

AUDIT="$TMP_ROOT/audit.log"
export MCPAUTH_AUDIT_LOG="$AUDIT" MCPAUTH_LOGIN_ADDR_LIMIT=1000
start_server 2 || { echo "0 passed, 1 failed"; exit 1; }
MCPAUTH="$top_builddir/tools/mcpauth"
au() { printf 'Authorization: Bearer %s' "$1"; }
json() {
	local method=$1 path=$2 data=$3
	shift 3
	req "$method" "$path" -H 'Content-Type: application/json' -d "$data" "$@"
}
call() { # call TOOL ARGS_JSON [curl args]: MCP tools/call at /mcp
	local tool=$1 args=$2
	shift 2
	req POST /mcp -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' "$@" \
		--data-binary "$(jq -nc --arg t "$tool" --argjson a "$args" \
			'{jsonrpc:"2.0",id:7,method:"tools/call",params:{name:$t,arguments:$a}}')"
}
invoke() { # invoke TOOL ARGS_JSON [curl args]: POST /mcp/invoke
	local tool=$1 args=$2
	shift 2
	req POST /mcp/invoke -H 'Content-Type: application/json' "$@" \
		--data-binary "$(jq -nc --arg t "$tool" --argjson a "$args" '{toolName:$t,args:$a}')"
}
# refused_grant PERMISSION DESC: the last answer is the 403 naming PERMISSION.
refused_grant() {
	expect_status 403 "$2"
	expect_json '.error + "|" + .permission' "Permission not held|$1" "$2: the body names '$1'"
	expect_json .message "Cannot grant '$1': the caller does not hold it" "$2: the message says why"
}
# no_user EMAIL DESC: no user has EMAIL (the admin's list).
no_user() {
	req GET /api/admin/users -H "$(au "$ADMIN")"
	expect_json "[.users[] | select(.email == \"$1\")] | length" 0 "$2"
}
audited() { # audited JQ_FILTER DESC: the audit log has a line matching it
	local n
	n=$(jq -c "select($1)" "$AUDIT" 2>/dev/null | wc -l)
	if [ "$n" -ge 1 ]; then ok "$2"; else not_ok "$2: no audit line with $1"; fi
}

ADMIN=$(login admin@example.com admin)
PW='Ops-Horse-Battery-7'

# --- the attack: a read:users write:users account mints an administrator ------
json POST /api/users '{"name":"Ops","email":"ops@example.com","password":"'"$PW"'","permissions":["read:users","write:users"]}' \
	-H "$(au "$ADMIN")"
expect_status 201 "admin creates ops with read:users write:users (held by the admin)"
OPS_ID=$(jbody .id)
OPS=$(login ops@example.com "$PW")
json POST /api/users '{"name":"Evil","email":"evil@example.com","password":"evil-pass-1","permissions":["admin:all"]}' \
	-H "$(au "$OPS")"
refused_grant admin:all "write:users alone cannot create an admin:all user"
expect_eq "$(login evil@example.com evil-pass-1)" null "the refused user does not exist: no login"
no_user evil@example.com "the refused user is not stored"
EVIL=$(login evil@example.com evil-pass-1)
req GET /api/admin/users -H "$(au "$EVIL")"
expect_status 401 "no way into /api/admin/* through the refused user"
audited ".event == \"grant_refused\" and .sub == \"$OPS_ID\" and .permission == \"admin:all\" and .target_email == \"evil@example.com\" and .route == \"/api/users\"" \
	"grant_refused is audited: who, which permission, for whom, on which route"

json POST /api/users '{"name":"Mixed","email":"mixed@example.com","permissions":["read:users","admin:all"]}' -H "$(au "$OPS")"
refused_grant admin:all "one held and one not: refused, naming the one not held"
no_user mixed@example.com "nothing of a refused request is stored"
json POST /api/users '{"name":"Profile","email":"profile@example.com","permissions":["read:profile"]}' -H "$(au "$OPS")"
refused_grant read:profile "not only admin:all: any permission the caller lacks"

json POST /api/users '{"name":"Reader","email":"reader@example.com","password":"reader-pass-1","permissions":["read:users"]}' \
	-H "$(au "$OPS")"
expect_status 201 "ops grants what it holds"
json POST /api/users '{"name":"Plain","email":"plain@example.com"}' -H "$(au "$OPS")"
expect_status 201 "ops creates a user with no permissions"
req GET /api/users -H "$(au "$(login reader@example.com reader-pass-1)")"
expect_status 200 "the user ops created works with what it was given"

json POST /api/admin/permissions '{"userId":"'"$OPS_ID"'","permissions":["read:users","write:users","admin:all"]}' \
	-H "$(au "$OPS")"
expect_status 403 "ops cannot raise itself through /api/admin/permissions (admin:all needed)"

# --- the same through the MCP tools (the same handlers) ------------------------
call post_api_users '{"name":"Evil2","email":"evil2@example.com","password":"evil-pass-2","permissions":["admin:all"]}' \
	-H "$(au "$OPS")"
expect_json '(.result.isError | tostring) + "|" + (.result.content[0].text | fromjson | .error + "|" + .permission)' \
	"true|Permission not held|admin:all" "tools/call post_api_users: isError with the 403 body naming admin:all"
no_user evil2@example.com "tools/call: the refused user is not stored"
invoke POST_/api/users '{"name":"Evil3","email":"evil3@example.com","password":"evil-pass-3","permissions":["admin:all"]}' \
	-H "$(au "$OPS")"
expect_status 403 "/mcp/invoke POST_/api/users: the route's 403"
expect_json '(.ok | tostring) + "|" + (.status | tostring) + "|" + .result.permission' "false|403|admin:all" \
	"/mcp/invoke: the 403 body names admin:all"
no_user evil3@example.com "/mcp/invoke: the refused user is not stored"
n=$(jq -c 'select(.event == "grant_refused" and .permission == "admin:all")' "$AUDIT" 2>/dev/null | wc -l)
expect_eq "$n" 4 "every refusal, direct or through a tool, is audited once"

# --- /api/admin/permissions: admin:all grants only what it holds ---------------
# An administrator holding admin:all alone (made by the operator's tool,
# which may grant anything).
if printf 'Lim-Admin-Pass-9\n' | "$MCPAUTH" user add lim@example.com --permissions 'admin:all' >"$TMP_ROOT/out" 2>&1; then
	ok "mcpauth user add grants admin:all (the operator's tool)"
else
	not_ok "mcpauth user add grants admin:all: $(cat "$TMP_ROOT/out")"
fi
LIM=$(login lim@example.com Lim-Admin-Pass-9)
json POST /api/admin/permissions '{"userId":"auth0|readonly789","permissions":["read:profile","read:users","write:users"]}' \
	-H "$(au "$LIM")"
refused_grant write:users "admin:all does not grant a permission it does not hold"
req GET /api/user/auth0%7Creadonly789 -H "$(au "$ADMIN")"
expect_json '.permissions | join(" ")' "read:profile read:users" "the refused change stored nothing"
audited '.event == "grant_refused" and .permission == "write:users" and .target == "auth0|readonly789" and .route == "/api/admin/permissions"' \
	"grant_refused through /api/admin/permissions is audited"
json POST /api/admin/permissions '{"userId":"auth0|readonly789","permissions":["read:users","read:profile"]}' -H "$(au "$LIM")"
expect_status 200 "keeping what the user already holds is no grant"
json POST /api/admin/permissions '{"userId":"auth0|readonly789","permissions":["read:profile"]}' -H "$(au "$LIM")"
expect_status 200 "taking away is no grant"
json POST /api/admin/permissions '{"userId":"auth0|readonly789","permissions":["read:profile","read:users"]}' -H "$(au "$LIM")"
refused_grant read:users "giving back what it lacks itself is a grant: refused"
json POST /api/admin/permissions '{"userId":"auth0|readonly789","permissions":["read:profile","admin:all"]}' -H "$(au "$LIM")"
expect_status 200 "admin:all grants admin:all"
json POST /api/admin/permissions '{"userId":"auth0|readonly789","permissions":["read:profile","read:users"]}' -H "$(au "$ADMIN")"
expect_status 200 "an admin holding every permission grants them"
json POST /api/admin/permissions '{"userId":"auth0|nobody","permissions":["write:users"]}' -H "$(au "$LIM")"
expect_status 404 "an unknown user is 404, whatever is asked"
call post_api_admin_permissions '{"userId":"auth0|user123","permissions":["read:profile","write:profile","write:users"]}' \
	-H "$(au "$LIM")"
expect_json '(.result.isError | tostring) + "|" + (.result.content[0].text | fromjson | .permission)' "true|write:users" \
	"tools/call post_api_admin_permissions: isError naming write:users"
invoke POST_/api/admin/permissions '{"userId":"auth0|user123","permissions":["read:profile","write:profile","write:users"]}' \
	-H "$(au "$LIM")"
expect_json '(.status | tostring) + "|" + .result.permission' "403|write:users" "/mcp/invoke POST_/api/admin/permissions: 403 naming write:users"
req GET /api/user/auth0%7Cuser123 -H "$(au "$ADMIN")"
expect_json '.permissions | join(" ")' "read:profile write:profile" "the tools' refused changes stored nothing"

# --- the operator's tool stays allowed ------------------------------------------
if "$MCPAUTH" grant plain@example.com admin:all >"$TMP_ROOT/out" 2>&1; then
	ok "mcpauth grant gives admin:all"
else
	not_ok "mcpauth grant gives admin:all: $(cat "$TMP_ROOT/out")"
fi
req GET /api/admin/users -H "$(au "$ADMIN")"
expect_json '.users[] | select(.email == "plain@example.com") | .permissions | join(" ")' admin:all \
	"the tool's grant is stored"

# Never a password in the log.
if grep -qF -e "$PW" -e evil-pass -e Lim-Admin-Pass "$AUDIT" <(server_log); then
	not_ok "no password in the audit or server log"
else
	ok "no password in the audit or server log"
fi
expect_clean_log
finish
