#!/usr/bin/env bash
# Refresh tokens against a real server: a login asking for offline_access
# gets one; /auth/refresh rotates it; a rotated token used again revokes
# its whole family; /auth/logout revokes the family; the family's lifetime
# is absolute; only hashes are stored; permissions come from the store.
set -u
. "$(dirname "$0")/lib.sh"

start_server 2 || { echo "0 passed, 1 failed"; exit 1; }
au() { printf 'Authorization: Bearer %s' "$1"; }
json() { req POST "$1" -H 'Content-Type: application/json' -d "$2"; }
# login_scope EMAIL PASSWORD SCOPE: the login answer in the body file.
login_scope() { json /auth/login "{\"email\":\"$1\",\"password\":\"$2\",\"scope\":\"$3\"}"; }
refresh() { json /auth/refresh "{\"refresh_token\":\"$1\"}"; }
logout() { json /auth/logout "{\"refresh_token\":\"$1\"}"; }
# The claims of a JWT (its middle segment).
claims() {
	local p
	p=$(printf '%s' "$1" | cut -d. -f2 | tr '_-' '/+')
	while [ $(( ${#p} % 4 )) -ne 0 ]; do p="$p="; done
	printf '%s' "$p" | base64 -d 2>/dev/null
}
is_refresh_token() { printf '%s' "$1" | grep -Eq '^[A-Za-z0-9_-]{43}$'; }
sha256hex() { printf '%s' "$1" | openssl dgst -sha256 -r | cut -d' ' -f1 | tr a-f A-F; }

# --- login: no refresh token unless asked for ------------------------------
json /auth/login '{"email":"user@example.com","password":"password"}'
expect_status 200 "login without scope"
expect_json 'has("refresh_token")' false "no refresh token without offline_access"
expect_json 'has("scope")' false "no scope field when none was asked for"
expect_header Cache-Control '^no-store$' "login: Cache-Control: no-store"
expect_header Pragma '^no-cache$' "login: Pragma: no-cache"
login_scope user@example.com password "openid profile email"
expect_json 'has("refresh_token")' false "no refresh token for scopes without offline_access"
expect_json .scope "openid profile email" "the scope asked for is granted"

login_scope user@example.com password "openid email offline_access bogus admin:all email"
expect_status 200 "login with offline_access"
RT1=$(jbody .refresh_token)
AT1=$(jbody .access_token)
if is_refresh_token "$RT1"; then ok "refresh token is 43 base64url characters (256 bits)"; else not_ok "refresh token shape: $RT1"; fi
expect_json .scope "openid email offline_access" "granted scope: what the user holds, plus offline_access, once each"
expect_eq "$(claims "$AT1" | jq -r .scope)" "openid email offline_access" "the access token carries the granted scope"
expect_json '.token_type + " " + (.expires_in | tostring)' "Bearer 3600" "token_type and expires_in"
req GET /api/email -H "$(au "$AT1")"
expect_status 200 "the granted email scope works"

login_scope user@example.com password "offline_access"
expect_status 200 "login asking for offline_access only"
AT_NARROW=$(jbody .access_token)
req GET /api/email -H "$(au "$AT_NARROW")"
expect_status 403 "a narrower scope is narrower: no email scope, no /api/email"
expect_json .message "Scope 'email' required" "403 names the missing scope"

login_scope_bad() { json /auth/login "{\"email\":\"user@example.com\",\"password\":\"password\",\"scope\":$1}"; }
login_scope_bad 42
expect_status 400 "scope that is not a string"
expect_json .message "Field 'scope' must be a string" "scope type message"
login_scope_bad '"openid \"x\""'
expect_status 400 "scope with a quote in it"
login_scope_bad "\"$(head -c 1100 /dev/zero | tr '\0' a)\""
expect_status 400 "scope over 1024 bytes"
login_scope user@example.com wrong "offline_access"
expect_status 401 "offline_access with a wrong password: 401"
expect_json 'has("refresh_token")' false "no refresh token for a wrong password"

# --- the store holds only the hash -----------------------------------------
rows=$(db_sql "SELECT count(*) FROM refresh_tokens WHERE hex(hash) = '$(sha256hex "$RT1")'")
expect_eq "$rows" 1 "the store has the token's SHA-256"
if db_dump | grep -qF "$RT1"; then not_ok "the token itself is in the database"; else ok "the token itself is nowhere in the database"; fi
expect_eq "$(db_sql "SELECT sub || ' ' || scope || ' ' || used || revoked FROM refresh_tokens WHERE hex(hash) = '$(sha256hex "$RT1")'")" \
	"auth0|user123 openid email offline_access 00" "row: subject, scope, not used, not revoked"
expect_eq "$(db_sql "SELECT expires_at - created_at FROM refresh_tokens WHERE hex(hash) = '$(sha256hex "$RT1")'")" \
	2592000 "default lifetime: 30 days"

# --- rotation --------------------------------------------------------------
refresh "$RT1"
expect_status 200 "refresh"
RT2=$(jbody .refresh_token)
AT2=$(jbody .access_token)
expect_header Cache-Control '^no-store$' "refresh: Cache-Control: no-store"
if is_refresh_token "$RT2" && [ "$RT2" != "$RT1" ]; then ok "refresh gives a new refresh token"; else not_ok "new refresh token: $RT2"; fi
expect_json '.scope + "|" + .user.sub + "|" + .token_type' "openid email offline_access|auth0|user123|Bearer" "refresh answer: scope, user, token_type"
req GET /api/profile -H "$(au "$AT2")"
expect_status 200 "the refreshed access token works"
expect_json .profile.id "auth0|user123" "refreshed token: same subject"
expect_eq "$(db_sql "SELECT used FROM refresh_tokens WHERE hex(hash) = '$(sha256hex "$RT1")'")" 1 "the old token is marked used"
refresh "$RT2"
expect_status 200 "refresh again with the new token"
RT3=$(jbody .refresh_token)

# --- reuse detection -------------------------------------------------------
refresh "$RT1"
expect_status 401 "reuse of a rotated token: 401"
expect_json .error "Invalid refresh token" "reuse: error"
expect_json .message "The refresh token was already used; every token of its login is now revoked" "reuse: message"
expect_header WWW-Authenticate '^Bearer realm="mcpauth"' "reuse: the 401 has a challenge"
expect_json 'has("access_token") or has("refresh_token")' false "reuse: no token in the answer"
refresh "$RT3"
expect_status 401 "after reuse, the family's newest token is revoked too"
expect_json .message "The refresh token was revoked; log in again" "revoked family message"
fam=$(db_sql "SELECT family FROM refresh_tokens WHERE hex(hash) = '$(sha256hex "$RT1")'")
expect_eq "$(db_sql "SELECT count(*) || ' ' || sum(revoked) FROM refresh_tokens WHERE family = '$fam'")" "3 3" \
	"every token of the family is revoked"
req GET /api/profile -H "$(au "$AT2")"
expect_status 200 "access tokens already issued stay valid until they expire"

# Another login's family is not touched.
login_scope viewer@example.com readonly "openid offline_access"
RTV=$(jbody .refresh_token)
refresh "$RTV"
expect_status 200 "another family still refreshes"
RTV2=$(jbody .refresh_token)

# --- concurrent use of one token: exactly one wins -------------------------
login_scope user@example.com password "offline_access"
RTC=$(jbody .refresh_token)
pids=()
for i in $(seq 1 8); do
	curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 -H 'Content-Type: application/json' \
		-d "{\"refresh_token\":\"$RTC\"}" "$BASE/auth/refresh" >"$TMP_ROOT/code.$i" &
	pids+=($!)
done
wait "${pids[@]}"
cat "$TMP_ROOT"/code.* >"$TMP_ROOT/codes"
expect_eq "$(grep -c '^200$' "$TMP_ROOT/codes")" 1 "8 concurrent refreshes of one token: exactly one 200"
expect_eq "$(grep -c '^401$' "$TMP_ROOT/codes")" 7 "the other 7: 401"

# --- logout ----------------------------------------------------------------
logout "$RTV2"
expect_status 200 "logout"
expect_json .message "Logged out" "logout message"
expect_header Cache-Control '^no-store$' "logout: Cache-Control: no-store"
refresh "$RTV2"
expect_status 401 "the token is revoked after logout"
expect_json .message "The refresh token was revoked; log in again" "logout: revoked message"
refresh "$RTV"
expect_status 401 "logout revoked the whole family (the older token too)"
logout "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
expect_status 200 "logout with an unknown token: 200 (RFC 7009)"
json /auth/logout '{}'
expect_status 400 "logout without refresh_token"
json /auth/logout '{"refresh_token":5}'
expect_status 400 "logout with a refresh_token that is not a string"

# --- refresh: bad input ----------------------------------------------------
refresh "not-a-token"
expect_status 401 "refresh with garbage: 401"
expect_json .message "The refresh token is not valid" "garbage: message"
refresh "$AT1"
expect_status 400 "an access token is no refresh token (too long for the field)"
refresh "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
expect_status 401 "a well-formed token never issued: 401"
json /auth/refresh '{"refresh_token":null}'
expect_status 400 "refresh_token null"
req POST /auth/refresh -H 'Content-Type: application/json' -d '{"refresh_token":'
expect_status 400 "refresh with a body that is not JSON"
req GET /auth/refresh
expect_status 405 "GET /auth/refresh: 405"

# --- refresh picks up the user's current permissions -----------------------
ADMIN=$(login admin@example.com admin)
login_scope user@example.com password "openid profile email offline_access"
RTP=$(jbody .refresh_token)
req POST /api/admin/permissions -H "$(au "$ADMIN")" -H 'Content-Type: application/json' \
	-d '{"userId":"auth0|user123","permissions":["read:profile"]}'
expect_status 200 "admin takes write:profile from the user"
refresh "$RTP"
expect_status 200 "refresh after the change"
RTP=$(jbody .refresh_token)
ATP=$(jbody .access_token)
expect_eq "$(claims "$ATP" | jq -c .permissions)" '["read:profile"]' "the refreshed token has the new permissions"
req PUT /api/profile -H "$(au "$ATP")" -H 'Content-Type: application/json' -d '{"name":"X"}'
expect_status 403 "the refreshed token no longer allows PUT /api/profile"
req POST /api/admin/permissions -H "$(au "$ADMIN")" -H 'Content-Type: application/json' \
	-d '{"userId":"auth0|user123","permissions":["read:profile","write:profile"]}'
refresh "$RTP"
ATP=$(jbody .access_token)
RTP=$(jbody .refresh_token)
expect_eq "$(claims "$ATP" | jq -c .permissions)" '["read:profile","write:profile"]' "and gets them back on the next refresh"

# --- through MCP: the same routes as tools ---------------------------------
req POST /mcp/invoke -H 'Content-Type: application/json' \
	-d "{\"toolName\":\"post_auth_refresh\",\"args\":{\"refresh_token\":\"$RTP\"}}"
expect_status 200 "refresh as an MCP tool"
RTM=$(jbody .result.refresh_token)
if is_refresh_token "$RTM" && [ "$RTM" != "$RTP" ]; then ok "the tool rotates too"; else not_ok "tool refresh token: $RTM"; fi
expect_header Cache-Control '^no-store$' "the tool answer keeps Cache-Control: no-store"
req POST /mcp/invoke -H 'Content-Type: application/json' \
	-d "{\"toolName\":\"post_auth_refresh\",\"args\":{\"refresh_token\":\"$RTP\"}}"
expect_status 401 "reuse through the tool is detected as well"

# --- credentials change: a new password or a deletion ends every login -----
# (issue 13 item 6), through the operator's tool as an operator would; a
# permission change is no credential change and rides the next refresh.
MCPAUTH="$top_builddir/tools/mcpauth"
tool() { "$MCPAUTH" "$@" >"$TMP_ROOT/out" 2>&1 || not_ok "mcpauth $*: $(cat "$TMP_ROOT/out")"; }
printf 'Mover-Pass-1\n' | tool user add mover@example.com --permissions 'read:profile write:profile'
login_scope mover@example.com Mover-Pass-1 "openid offline_access"
RTA=$(jbody .refresh_token)
login_scope mover@example.com Mover-Pass-1 "offline_access"
RTB=$(jbody .refresh_token)
login_scope user@example.com password "offline_access"
RTO=$(jbody .refresh_token)
tool revoke mover@example.com write:profile
refresh "$RTA"
expect_status 200 "mcpauth revoke: the refresh token still works"
RTA=$(jbody .refresh_token)
expect_eq "$(claims "$(jbody .access_token)" | jq -c .permissions)" '["read:profile"]' \
	"mcpauth revoke: the next refresh carries the narrower permissions"
tool grant mover@example.com write:profile
refresh "$RTA"
RTA=$(jbody .refresh_token)
expect_eq "$(claims "$(jbody .access_token)" | jq -c .permissions)" '["read:profile","write:profile"]' \
	"mcpauth grant: the next refresh carries it"
printf 'Mover-Pass-2\n' | tool passwd mover@example.com
refresh "$RTA"
expect_status 401 "after mcpauth passwd: a refresh token taken before is refused"
expect_json '.error + "|" + .message' "Invalid refresh token|The refresh token was revoked; log in again" \
	"after mcpauth passwd: the 401 JSON says it was revoked"
expect_header WWW-Authenticate '^Bearer ' "after mcpauth passwd: the 401 carries a challenge"
refresh "$RTB"
expect_status 401 "after mcpauth passwd: every login of the user ends, not only one"
refresh "$RTO"
expect_status 200 "another user's refresh token is untouched"
login_scope mover@example.com Mover-Pass-1 "offline_access"
expect_status 401 "the old password no longer logs in"
login_scope mover@example.com Mover-Pass-2 "offline_access"
RTC=$(jbody .refresh_token)
refresh "$RTC"
expect_status 200 "a login with the new password refreshes"
RTC=$(jbody .refresh_token)
MOVER=$(claims "$(jbody .access_token)" | jq -r .sub)
live() { db_sql "SELECT count(*) FROM refresh_tokens WHERE sub = '$MOVER' AND revoked = 0 AND used = 0"; }
expect_eq "$(live)" 1 "the user has one live refresh token"
tool user del mover@example.com
expect_eq "$(live)" 0 "mcpauth user del revokes it in the store at once"
refresh "$RTC"
expect_status 401 "after mcpauth user del: the refresh token is refused"
expect_json .error "Invalid refresh token" "after mcpauth user del: a JSON 401"

# --- tokens survive a restart; the lifetime is absolute --------------------
login_scope user@example.com password "offline_access"
RTS=$(jbody .refresh_token)
stop_server
export MCPAUTH_REFRESH_TTL=3
start_server 2 || { echo "$PASS passed, $((FAIL + 1)) failed"; exit 1; }
refresh "$RTS"
expect_status 200 "a refresh token issued before a restart still works"
login_scope user@example.com password "offline_access"
RTE=$(jbody .refresh_token)
t0=$(date +%s.%N)
refresh "$RTE"
expect_status 200 "MCPAUTH_REFRESH_TTL=3: refresh at once"
RTE2=$(jbody .refresh_token)
sleep "$(awk -v t0="$t0" -v now="$(date +%s.%N)" 'BEGIN { d = t0 + 3.5 - now; print (d > 0 ? d : 0) }')"
refresh "$RTE2"
expect_status 401 "3.5 s after login the rotated token is expired: the lifetime is the login's, not the rotation's"
expect_json .message "The refresh token expired; log in again" "expired message"
expect_clean_log
unset MCPAUTH_REFRESH_TTL
finish
