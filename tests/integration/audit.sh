#!/usr/bin/env bash
# The audit log against a real server with several processes of every
# program: one JSON line per security event with time, event, who, address
# and route; never a token, password, hash or key; whole lines when many
# processes append at once; stderr by default.
set -u
. "$(dirname "$0")/lib.sh"

AUDIT="$TMP_ROOT/audit.log"
export MCPAUTH_AUDIT_LOG="$AUDIT" MCPAUTH_LOGIN_ADDR_LIMIT=1000
start_server 3 || { echo "0 passed, 1 failed"; exit 1; }
au() { printf 'Authorization: Bearer %s' "$1"; }
json() {
	local method=$1 path=$2 data=$3
	shift 3
	req "$method" "$path" -H 'Content-Type: application/json' -d "$data" "$@"
}
# Secrets handed to or by the server, to look for in the logs at the end.
SECRETS=()
PW='S3cret-Horse-42!'
BADPW='Wr0ng-Battery-99?'

USER=$(login user@example.com password)
ADMIN=$(login admin@example.com admin)
SECRETS+=("$USER" "$ADMIN")

# --- the events --------------------------------------------------------------
json POST /api/users '{"name":"Audited","email":"audited@example.com","password":"'"$PW"'","permissions":["read:profile"]}' -H "$(au "$ADMIN")"
expect_status 201 "admin creates a user with a password"
NEWID=$(jbody .id)
json POST /auth/login '{"email":"audited@example.com","password":"'"$PW"'","scope":"openid offline_access"}'
expect_status 200 "the new user logs in with offline_access"
RT1=$(jbody .refresh_token)
SECRETS+=("$(jbody .access_token)" "$RT1")
json POST /auth/refresh '{"refresh_token":"'"$RT1"'"}'
RT2=$(jbody .refresh_token)
SECRETS+=("$(jbody .access_token)" "$RT2")
json POST /auth/refresh '{"refresh_token":"'"$RT1"'"}'
expect_status 401 "reuse"
json POST /auth/login '{"email":"audited@example.com","password":"'"$PW"'","scope":"offline_access"}'
RT3=$(jbody .refresh_token)
SECRETS+=("$(jbody .access_token)" "$RT3")
json POST /auth/logout '{"refresh_token":"'"$RT3"'"}'
expect_status 200 "logout"
json POST /auth/login '{"email":"audited@example.com","password":"'"$BADPW"'"}'
json POST /auth/login '{"email":"nobody@example.com","password":"'"$BADPW"'"}'
for i in 1 2 3 4 5; do json POST /auth/login '{"email":"locked@example.com","password":"'"$BADPW"'"}'; done
json POST /auth/login '{"email":"locked@example.com","password":"'"$BADPW"'"}'
expect_status 429 "rate limited"
req GET /api/profile -H "Authorization: Bearer invalid"
KID=$(server_kid)
NOW=$(date +%s)
EXPIRED=$(sign_token "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"$KID\"}" \
	"{\"iss\":\"$MCPAUTH_ISSUER\",\"aud\":\"https://your-api.example.com\",\"sub\":\"auth0|user123\",\"exp\":$((NOW - 600)),\"permissions\":[\"read:profile\"]}" \
	"$(server_signing_key)")
WRONGAUD=$(sign_token "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"$KID\"}" \
	"{\"iss\":\"$MCPAUTH_ISSUER\",\"aud\":\"https://other.example.com\",\"sub\":\"auth0|user123\",\"exp\":$((NOW + 600))}" \
	"$(server_signing_key)")
SECRETS+=("$EXPIRED" "$WRONGAUD")
req GET /api/profile -H "$(au "$EXPIRED")"
expect_status 401 "expired token"
req GET /api/email -H "$(au "$WRONGAUD")"
expect_status 401 "wrong audience"
req GET /api/users -H "$(au "$USER")"
expect_status 403 "permission denied"
json POST /auth/login '{"email":"user@example.com","password":"password","scope":"offline_access"}'
NARROW=$(jbody .access_token)
SECRETS+=("$NARROW" "$(jbody .refresh_token)")
req GET /api/email -H "$(au "$NARROW")"
expect_status 403 "scope denied"
json POST /api/admin/permissions '{"userId":"'"$NEWID"'","permissions":["read:profile","read:users"]}' -H "$(au "$ADMIN")"
expect_status 200 "permissions changed"
json PUT /api/profile '{"name":"John Audited"}' -H "$(au "$USER")"
expect_status 200 "profile updated"
# Through the MCP program: its own process, its own descriptor on the log.
json POST /mcp/invoke '{"toolName":"GET_/api/users"}' -H "$(au "$USER")"
expect_status 403 "permission denied through MCP"

# --- every line is one JSON object with the common fields --------------------
lines=$(wc -l <"$AUDIT")
if [ "$lines" -ge 20 ]; then ok "the audit log has $lines lines"; else not_ok "only $lines audit lines"; fi
bad=$(while IFS= read -r l; do printf '%s\n' "$l" | jq -e 'type == "object"' >/dev/null 2>&1 || echo x; done <"$AUDIT" | wc -l)
expect_eq "$bad" 0 "every line is a JSON object"
bad=$(jq -c 'select((.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$") | not)
	or (.event | type) != "string" or .addr != "127.0.0.1" or (.method | type) != "string"
	or (.route | startswith("/") | not))' "$AUDIT" | head -3)
expect_eq "$bad" "" "every line: ISO 8601 time, event, address, method, route"

# event FILTER DESC: exactly... at least one line matches the jq condition.
event() {
	local n
	n=$(jq -c "select($1)" "$AUDIT" | wc -l)
	if [ "$n" -ge 1 ]; then ok "$2"; else not_ok "$2: no line with $1"; fi
}
event '.event == "login_success" and .sub == "auth0|user123" and .email == "user@example.com" and .method == "POST" and .route == "/auth/login"' "login_success: sub, email, route"
event ".event == \"login_success\" and .sub == \"$NEWID\" and .scope == \"openid offline_access\" and (.family | length) == 22" "login_success with offline_access: scope and family"
event ".event == \"refresh\" and .sub == \"$NEWID\" and .route == \"/auth/refresh\"" "refresh"
event ".event == \"refresh_reuse_detected\" and .sub == \"$NEWID\" and (.family | length) == 22" "refresh_reuse_detected names the user and family"
event ".event == \"logout\" and .sub == \"$NEWID\" and .route == \"/auth/logout\"" "logout"
event ".event == \"login_failure\" and .email == \"audited@example.com\" and .sub == \"$NEWID\" and .reason == \"wrong password\"" "login_failure, known email"
event '.event == "login_failure" and .email == "nobody@example.com" and .reason == "unknown email" and (has("sub") | not)' "login_failure, unknown email"
event '.event == "login_rate_limited" and .email == "locked@example.com" and .limit == "email" and (.retry_after | tonumber) > 0' "login_rate_limited"
event '.event == "token_rejected" and .reason == "not three segments" and .route == "/api/profile" and .method == "GET"' "token_rejected: malformed, with token_verify's reason"
event '.event == "token_rejected" and .reason == "expired"' "token_rejected: expired"
event '.event == "token_rejected" and .reason == "wrong aud" and .route == "/api/email"' "token_rejected: wrong aud"
event '.event == "permission_denied" and .sub == "auth0|user123" and .need == "read:users" and .route == "/api/users"' "permission_denied: sub, need, route"
event '.event == "scope_denied" and .sub == "auth0|user123" and .need == "email"' "scope_denied"
event ".event == \"user_created\" and .sub == \"auth0|admin456\" and .target == \"$NEWID\" and .target_email == \"audited@example.com\" and .permissions == \"read:profile\"" "user_created: who, whom, permissions"
event ".event == \"permissions_changed\" and .sub == \"auth0|admin456\" and .target == \"$NEWID\" and .permissions == \"read:profile read:users\"" "permissions_changed"
event '.event == "profile_updated" and .sub == "auth0|user123" and .new_name == "John Audited" and .route == "/api/profile" and .method == "PUT"' "profile_updated"
n=$(jq -c 'select(.event == "permission_denied" and .route == "/api/users")' "$AUDIT" | wc -l)
expect_eq "$n" 2 "the MCP tool call's denial is logged too, with the route it ran"

# --- never a secret -----------------------------------------------------------
leaks=0
for s in "${SECRETS[@]}" "$PW" "$BADPW" "scrypt\$" "BEGIN" "PRIVATE" "eyJ"; do
	[ -n "$s" ] || continue
	if grep -qF -- "$s" "$AUDIT"; then leaks=$((leaks + 1)); echo "# leaked into the audit log: ${s:0:12}..."; fi
	if server_log | grep -qF -- "$s"; then leaks=$((leaks + 1)); echo "# leaked into the error log: ${s:0:12}..."; fi
done
expect_eq "$leaks" 0 "no token, refresh token, password, hash or key in the audit or error log (${#SECRETS[@]} tokens checked)"
hashes=$(db_sql "SELECT lower(hex(hash)) FROM refresh_tokens")
n=0
for h in $hashes; do grep -qi -- "$h" "$AUDIT" && n=$((n + 1)); done
expect_eq "$n" 0 "no refresh-token hash in the audit log"

# --- many processes appending at once: whole lines -----------------------------
before=$(wc -l <"$AUDIT")
long=$(head -c 200 /dev/zero | tr '\0' x)
pids=()
for i in $(seq 1 40); do
	curl -s -o /dev/null --max-time 60 -H 'Content-Type: application/json' \
		-d "{\"email\":\"$long-$i@example.com\",\"password\":\"nope\"}" "$BASE/auth/login" &
	pids+=($!)
	curl -s -o /dev/null --max-time 60 -H "$(au "$USER")" "$BASE/api/users" &
	pids+=($!)
	curl -s -o /dev/null --max-time 60 -H "Authorization: Bearer a.b.c" "$BASE/api/profile" &
	pids+=($!)
done
wait "${pids[@]}"
after=$(wc -l <"$AUDIT")
expect_eq "$((after - before))" 120 "120 concurrent events: 120 lines"
bad=$(tail -n 120 "$AUDIT" | while IFS= read -r l; do printf '%s\n' "$l" | jq -e .event >/dev/null 2>&1 || echo x; done | wc -l)
expect_eq "$bad" 0 "each of them a whole JSON line"
n=$(tail -n 120 "$AUDIT" | jq -r 'select(.event == "login_failure") | .email' | grep -cE "^x{200}-[0-9]+@example.com$")
expect_eq "$n" 40 "the 40 long emails arrived intact"
expect_eq "$(stat -c %a "$AUDIT")" 600 "the audit log is created mode 0600"
expect_clean_log
stop_server

# --- the default: stderr, which lighttpd keeps in its log ----------------------
unset MCPAUTH_AUDIT_LOG
start_server 1 || { echo "$PASS passed, $((FAIL + 1)) failed"; exit 1; }
req POST /auth/login -H 'Content-Type: application/json' -d '{"email":"stderr@example.com","password":"'"$BADPW"'"}'
line=$(server_log | grep -E '^\{"time":' | grep '"email":"stderr@example.com"' | tail -1)
expect_eq "$(printf '%s' "$line" | jq -r .event)" login_failure "without MCPAUTH_AUDIT_LOG the lines go to stderr (the server's log)"
if server_log | grep -qF -- "$BADPW"; then not_ok "the password is in the error log"; else ok "no password in the error log"; fi

# --- a bad setting stops the program at start with one line --------------------
out=$(MCPAUTH_AUDIT_LOG=relative.log "$MCPAUTH_BINDIR/auth" </dev/null 2>&1)
rc=$?
expect_eq "$rc:$out" "1:mcpauth-auth: MCPAUTH_AUDIT_LOG must be stderr or an absolute file path" "a relative MCPAUTH_AUDIT_LOG stops the program"
out=$(MCPAUTH_AUDIT_LOG=/nonexistent-dir/audit.log "$MCPAUTH_BINDIR/profile" </dev/null 2>&1)
rc=$?
if [ "$rc" = 1 ] && printf '%s' "$out" | grep -q "cannot open the audit log /nonexistent-dir/audit.log"; then
	ok "an audit log that cannot be opened stops the program"
else
	not_ok "unopenable audit log: rc $rc: $out"
fi
unset MCPAUTH_LOGIN_ADDR_LIMIT
finish
