#!/usr/bin/env bash
# The whole API with the three demo users' real tokens: every route, every
# role, every documented error; writes survive a restart; demo tokens.
set -u
. "$(dirname "$0")/lib.sh"

start_server 2 || { echo "0 passed, 1 failed"; exit 1; }
USER=$(login user@example.com password)
ADMIN=$(login admin@example.com admin)
VIEWER=$(login viewer@example.com readonly)
au() { printf 'Authorization: Bearer %s' "$1"; }

# --- role table: who may call what ----------------------------------------
# role token method path expected-status [body]
check_role() {
	local role=$1 tok=$2 method=$3 path=$4 want=$5 data=${6:-}
	if [ -n "$data" ]; then
		req "$method" "$path" -H "$(au "$tok")" -H 'Content-Type: application/json' -d "$data"
	else
		req "$method" "$path" -H "$(au "$tok")"
	fi
	expect_status "$want" "$role: $method $path"
}
check_role user   "$USER"   GET  /api/profile 200
check_role user   "$USER"   PUT  /api/profile 200 '{"name":"John Doe"}'
check_role user   "$USER"   GET  /api/email 200
check_role user   "$USER"   GET  /api/users 403
expect_json .message "Permission 'read:users' required" "user: read:users message"
check_role user   "$USER"   POST /api/users 403 '{"name":"x","email":"x@example.com"}'
check_role user   "$USER"   GET  /api/admin/users 403
expect_json '.error + "|" + .message' "Insufficient permissions|Permission 'admin:all' required" "user: admin:all body"
expect_json '.userPermissions | join(",")' "read:profile,write:profile" "user: userPermissions listed"
check_role user   "$USER"   POST /api/admin/permissions 403 '{"userId":"auth0|user123","permissions":[]}'
check_role user   "$USER"   GET  /api/auth0/user/auth0%7Cuser123 403
check_role user   "$USER"   GET  /api/user/auth0%7Cuser123 403
check_role viewer "$VIEWER" GET  /api/profile 200
check_role viewer "$VIEWER" GET  /api/users 200
check_role viewer "$VIEWER" GET  /api/auth0/user/auth0%7Cuser123 200
check_role viewer "$VIEWER" PUT  /api/profile 403 '{"name":"V"}'
expect_json .message "Permission 'write:profile' required" "viewer: write:profile message"
check_role viewer "$VIEWER" POST /api/users 403 '{"name":"x","email":"x@example.com"}'
expect_json .message "Permission 'write:users' required" "viewer: write:users message"
check_role viewer "$VIEWER" GET  /api/admin/users 403
check_role viewer "$VIEWER" POST /api/admin/permissions 403 '{"userId":"auth0|user123","permissions":[]}'
check_role admin  "$ADMIN"  GET  /api/profile 200
check_role admin  "$ADMIN"  GET  /api/users 200
check_role admin  "$ADMIN"  GET  /api/admin/users 200
check_role admin  "$ADMIN"  GET  /api/user/auth0%7Cadmin456 200
check_role admin  "$ADMIN"  GET  /api/email 200

# --- GET /api/users, /api/admin/users -------------------------------------
req GET /api/users -H "$(au "$VIEWER")"
expect_json '[.users[] | .id + "," + .name + "," + .email] | join(";")' \
	"auth0|user123,John Doe,user@example.com;auth0|admin456,Jane Admin,admin@example.com;auth0|readonly789,View Only,viewer@example.com" \
	"users list"
expect_json '.users[0] | keys | join(",")' "email,id,name" "users list fields"
req GET /api/admin/users -H "$(au "$ADMIN")"
expect_json .total 3 "admin users total"
expect_json '.users[1].permissions | join(" ")' "read:profile write:profile read:users write:users admin:all" "admin users permissions"

# --- GET /api/auth0/user/:id ----------------------------------------------
req GET /api/auth0/user/auth0%7Cuser123 -H "$(au "$ADMIN")"
expect_status 200 "user by URL-encoded id"
expect_json '.user_id + "|" + .email + "|" + .name + "|" + (.permissions | join(","))' \
	"auth0|user123|user@example.com|John Doe|read:profile,write:profile" "user by id body"
expect_json '.created_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")' true "created_at is ISO 8601 UTC"
req GET "/api/user/auth0|user123" -H "$(au "$ADMIN")"
expect_status 200 "user by raw id"
req GET /api/auth0/user/auth0%7Cnobody -H "$(au "$ADMIN")"
expect_status 404 "unknown user id"
expect_json .error "User not found" "unknown user body"
req GET /api/auth0/user/%zz -H "$(au "$ADMIN")"
expect_status 400 "bad percent-encoding in the id"

# --- /api/email -----------------------------------------------------------
req GET /api/email -H "$(au "$USER")"
expect_json '.email + "|" + (.verified | tostring)' "user@example.com|true" "email body"
KEY=$(server_signing_key)
KID=$(server_kid)
NOW=$(date +%s)
H="{\"alg\":\"RS256\",\"kid\":\"$KID\"}"
base_claims() { jq -nc --argjson now "$NOW" --arg iss "$MCPAUTH_ISSUER" '{iss:$iss,sub:"auth0|user123",aud:"https://your-api.example.com",iat:$now,exp:($now+600),permissions:["read:profile"]}'; }
T=$(sign_token "$H" "$(base_claims | jq -c '.scope = "openid profile"')" "$KEY")
req GET /api/email -H "$(au "$T")"
expect_status 403 "scope without email"
expect_json '.error + "|" + .message' "Insufficient scope|Scope 'email' required" "insufficient scope body"
expect_json '.userScopes | join(",")' "openid,profile" "userScopes listed"
expect_header WWW-Authenticate 'error="insufficient_scope", scope="email"' "scope challenge"
T=$(sign_token "$H" "$(base_claims)" "$KEY")
req GET /api/email -H "$(au "$T")"
expect_status 401 "token without a scope claim"
expect_json '.error + "|" + .message' "No scope information|Token does not contain scope information" "no scope body"
expect_header WWW-Authenticate '^Bearer ' "no scope challenge"
T=$(sign_token "$H" "$(base_claims | jq -c '.scope = "emails openid"')" "$KEY")
req GET /api/email -H "$(au "$T")"
expect_status 403 "scope matched by whole word only"

# --- PUT /api/profile -----------------------------------------------------
put_profile() { req PUT /api/profile -H "$(au "$USER")" -H 'Content-Type: application/json' -d "$1"; }
put_profile '{"name":"Johnny Doe"}'
expect_status 200 "update name"
expect_json '.message + "|" + .profile.id + "|" + .profile.name + "|" + .profile.email' \
	"Profile updated|auth0|user123|Johnny Doe|user@example.com" "update body"
req GET /api/profile -H "$(au "$USER")"
expect_json .profile.name "Johnny Doe" "a later GET shows the new name"
put_profile '{"email":"john@example.com"}'
expect_status 200 "update email"
req GET /api/email -H "$(au "$USER")"
expect_json '.email + "|" + (.verified | tostring)' "john@example.com|false" "a new email is not verified"
req POST /auth/login -d '{"email":"john@example.com","password":"password"}'
expect_json '.user.email + "|" + .user.name' "john@example.com|Johnny Doe" "a later login shows the new values"
req POST /auth/login -d '{"email":"user@example.com","password":"password"}'
expect_status 401 "the old email no longer logs in"
put_profile '{"email":"admin@example.com"}'
expect_status 409 "email used by another user"
expect_json '.error | length > 0' true "409 body"
put_profile '{"email":"ADMIN@example.com"}'
expect_status 409 "emails compared case-insensitively"
put_profile '{"name":5}'
expect_status 400 "name of the wrong type"
expect_json .message "Field 'name' must be a string" "wrong type message"
put_profile '{"name":""}'
expect_status 400 "empty name"
put_profile "{\"name\":\"$(head -c 257 /dev/zero | tr '\0' n)\"}"
expect_status 400 "name over 256 bytes"
put_profile "{\"name\":\"$(head -c 256 /dev/zero | tr '\0' n)\"}"
expect_status 200 "name of exactly 256 bytes"
put_profile '{"email":"no-at-sign"}'
expect_status 400 "email without @"
put_profile '{}'
expect_status 400 "nothing to update"
put_profile '["name"]'
expect_status 400 "body not an object"
put_profile '{"name":'
expect_status 400 "malformed JSON"
put_profile '{"name":"John Doe","email":"user@example.com"}'
expect_status 200 "restore the user"

# --- POST /api/users ------------------------------------------------------
post_user() { req POST /api/users -H "$(au "$ADMIN")" -H 'Content-Type: application/json' -d "$1"; }
post_user '{"name":"New Person","email":"new@example.com","password":"s3cret-pass","permissions":["read:profile"]}'
expect_status 201 "create a user"
expect_json '.id | test("^auth0\\|[0-9a-f]{12}$")' true "new id is auth0|<12 hex>"
expect_json '.name + "|" + .email' "New Person|new@example.com" "create body"
expect_json '.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$")' true "created is ISO 8601 UTC"
NEW_ID=$(jbody .id)
NEW=$(login new@example.com s3cret-pass)
req GET /api/profile -H "$(au "$NEW")"
expect_status 200 "the new user logs in and reads the profile"
expect_json .profile.id "$NEW_ID" "the new user's token has the new id"
post_user '{"name":"Dup","email":"new@example.com"}'
expect_status 409 "duplicate email"
post_user '{"name":"No Email"}'
expect_status 400 "missing email"
post_user '{"name":"Bad","email":"bad@example.com","permissions":["Admin:All"]}'
expect_status 400 "permission with upper case"
post_user '{"name":"Bad","email":"bad@example.com","permissions":"read:profile"}'
expect_status 400 "permissions not an array"
post_user '{"name":"NoPass","email":"nopass@example.com"}'
expect_status 201 "a user without a password"
req POST /auth/login -d '{"email":"nopass@example.com","password":"anything"}'
expect_status 401 "a user without a password cannot log in"

# --- POST /api/admin/permissions ------------------------------------------
perm() { req POST /api/admin/permissions -H "$(au "$ADMIN")" -H 'Content-Type: application/json' -d "$1"; }
perm "{\"userId\":\"$NEW_ID\",\"permissions\":[\"read:profile\",\"read:users\"]}"
expect_status 200 "set permissions"
expect_json '.message + "|" + .userId + "|" + (.permissions | join(","))' \
	"Permissions updated|$NEW_ID|read:profile,read:users" "set permissions body"
NEW=$(login new@example.com s3cret-pass)
req GET /api/users -H "$(au "$NEW")"
expect_status 200 "the next login carries the new permissions"
perm '{"userId":"auth0|nobody","permissions":["read:profile"]}'
expect_status 404 "permissions for an unknown user"
expect_json .error "User not found" "unknown user body"
perm "{\"userId\":\"$NEW_ID\",\"permissions\":[\"drop table\"]}"
expect_status 400 "permission with a space"
perm "{\"userId\":\"$NEW_ID\",\"permissions\":[1]}"
expect_status 400 "permission not a string"
perm "{\"userId\":\"$NEW_ID\"}"
expect_status 400 "permissions missing"

# --- writes survive a restart ---------------------------------------------
STATE_KEEP=$MCPAUTH_STATE_DIR
restart_server
expect_eq "$MCPAUTH_STATE_DIR" "$STATE_KEEP" "same state directory after restart"
NEW=$(login new@example.com s3cret-pass)
req GET /api/users -H "$(au "$NEW")"
expect_status 200 "after a restart: the created user logs in with the stored permissions"
req GET "/api/user/$NEW_ID" -H "$(au "$ADMIN")"
expect_status 200 "after a restart: the old token still verifies (same key)"
expect_json .name "New Person" "after a restart: the created user is there"
expect_clean_log
stop_server

# --- demo tokens ------------------------------------------------------------
MCPAUTH_DEMO_TOKENS=1 start_server 1 || { not_ok "server with demo tokens"; finish; exit 1; }
req GET /api/profile -H "Authorization: Bearer mock-jwt-user"
expect_status 200 "demo token mock-jwt-user"
expect_json .profile.id "auth0|user123" "mock-jwt-user is the demo user"
req GET /api/admin/users -H "Authorization: Bearer mock-jwt-user"
expect_status 403 "mock-jwt-user cannot list admin users"
req GET /api/admin/users -H "Authorization: Bearer mock-jwt-admin"
expect_status 200 "mock-jwt-admin lists admin users"
req GET /api/users -H "Authorization: Bearer mock-jwt-readonly"
expect_status 200 "mock-jwt-readonly lists users"
req PUT /api/profile -H "Authorization: Bearer mock-jwt-readonly" -d '{"name":"x"}'
expect_status 403 "mock-jwt-readonly cannot write"
if server_log | grep -q 'WARNING: MCPAUTH_DEMO_TOKENS=1'; then ok "demo mode warns at start-up"; else not_ok "demo mode warns at start-up"; fi
stop_server
start_server 1 || { not_ok "server without demo tokens"; finish; exit 1; }
req GET /api/profile -H "Authorization: Bearer mock-jwt-user"
expect_status 401 "demo tokens are off by default"
stop_server
if MCPAUTH_DEMO_TOKENS=1 AUTH0_DOMAIN=tenant.example.com MCPAUTH_ISSUER= MCPAUTH_STATE_DIR="$TMP_ROOT/x" \
	"$MCPAUTH_BINDIR/auth" </dev/null 2>"$TMP_ROOT/demo.err"; then
	not_ok "demo tokens with AUTH0_DOMAIN are refused at start-up"
else
	expect_eq "$(grep -c 'MCPAUTH_DEMO_TOKENS' "$TMP_ROOT/demo.err")" 1 "demo tokens with AUTH0_DOMAIN are refused at start-up"
fi

# --- demo users: only when asked, and a warning while their passwords work ---
# Counted in what was logged since a mark taken before each (re)start: under
# plain CGI every request is a start and warns again, so a count of the
# whole log says nothing about the start at hand.
MCPAUTH_TOOL="$top_builddir/tools/mcpauth"
DEMO_WARNING='WARNING: demo users log in with their published passwords'
rm -rf "$TMP_ROOT/state"
mark=$(log_mark)
MCPAUTH_TEST_DEMO_USERS=0 start_server 1 || { not_ok "server on a state directory nobody seeded"; finish; exit 1; }
req POST /auth/login -d '{"email":"admin@example.com","password":"admin"}'
expect_status 401 "a database the programs made themselves has no admin@example.com/admin"
expect_eq "$("$MCPAUTH_TOOL" users | wc -l)" 0 "the programs created no user"
req GET /api/profile # profile too, where programs start on demand
expect_eq "$(log_since "$mark" | grep -c "$DEMO_WARNING")" 0 "no demo users: no warning"
stop_server
rm -rf "$TMP_ROOT/state"
mark=$(log_mark)
start_server 1 || { not_ok "server with the demo users asked for"; finish; exit 1; }
req POST /auth/login -d '{"email":"admin@example.com","password":"admin"}'
expect_status 200 "demo users asked for (mcpauth init --demo-users): admin@example.com logs in"
starts=$(log_since "$mark" | grep -c "$DEMO_WARNING: user@example.com admin@example.com viewer@example.com;")
if [ "$starts" -ge 1 ]; then ok "the program warns at start, naming the demo users"; else not_ok "no demo-user warning at start: $(server_log | tail -3)"; fi
mark=$(log_mark)
restart_server
again=$(log_since "$mark" | grep -c "$DEMO_WARNING")
if [ "$again" -ge 1 ]; then ok "the warning comes again at the next start ($starts, then $again)"; else not_ok "no warning at the next start ($starts, then $again)"; fi
printf 'not-the-demo-password\n' | "$MCPAUTH_TOOL" passwd admin@example.com >/dev/null 2>&1
"$MCPAUTH_TOOL" user del user@example.com >/dev/null 2>&1
mark=$(log_mark)
restart_server
req GET /
sleep 2 # the programs started by now have logged (a changed hash costs them a scrypt)
n=$(log_since "$mark" | grep -c "$DEMO_WARNING: viewer@example.com;")
if [ "$n" -ge 1 ]; then ok "a changed password and a deleted user are no longer named"; else not_ok "viewer@example.com alone not named: $(log_since "$mark" | grep "$DEMO_WARNING" | tail -1)"; fi
expect_eq "$(log_since "$mark" | grep "$DEMO_WARNING" | grep -c 'admin@example.com\|user@example.com')" 0 \
	"after the restart no warning names the changed or deleted user"
"$MCPAUTH_TOOL" passwd viewer@example.com --none >/dev/null 2>&1
stop_server
mark=$(log_mark)
launch_server 1 || not_ok "server restarts"
req GET /
req POST /auth/login -d '{"email":"viewer@example.com","password":"viewer"}'
sleep 2
expect_eq "$(log_since "$mark" | grep -c "$DEMO_WARNING")" 0 "no demo password left: no warning at start"
expect_clean_log
stop_server

finish
