#!/usr/bin/env bash
# Integration tests: a real lighttpd with the built programs, real signed
# tokens, a real SQLite file; every route and error of the suite over HTTP.
set -u
. "$(dirname "$0")/lib.sh"

start_server 2 || { echo "0 passed, 1 failed"; exit 1; }

# --- index ---------------------------------------------------------------
req GET /
expect_status 200 "GET / is public"
expect_json .message "Auth0 Integration Example" "index message"
expect_json '.auth0.audience' "https://your-api.example.com" "index shows the audience"
expect_json '[.endpoints.protected[] | select(.path == "/api/profile")][0].requires' \
	"permission read:profile" "index lists /api/profile with its permission, from the route table"
expect_json '[.endpoints.public[].path] | index("/auth/login") != null' "true" "index lists /auth/login as public"
expect_header Content-Type '^application/json' "JSON content type"
expect_header X-Content-Type-Options '^nosniff$' "nosniff on every answer"

# --- JWKS ----------------------------------------------------------------
req GET /.well-known/jwks.json
expect_status 200 "JWKS is public"
expect_json '.keys | length' 1 "one signing key published"
expect_json '.keys[0].kty + " " + .keys[0].alg + " " + .keys[0].use' "RSA RS256 sig" "JWKS key is an RS256 signing key"
expect_json '.keys[0] | has("d")' false "JWKS holds no private part"
KID=$(jbody '.keys[0].kid')
if keys_in_store; then
	skip_on_pg "signing key file mode 0600: the keys live in the store, in no file"
else
	expect_eq "$(stat -c %a "$MCPAUTH_STATE_DIR/signing-key.pem")" 600 "signing key file mode 0600"
fi

# --- login ---------------------------------------------------------------
req POST /auth/login -H 'Content-Type: application/json' -d '{"email":"user@example.com","password":"password"}'
expect_status 200 "login with the right password"
expect_json .token_type Bearer "token_type Bearer"
expect_json .expires_in 3600 "expires_in 3600"
expect_json '.user.sub + "|" + .user.email + "|" + .user.name' "auth0|user123|user@example.com|John Doe" "login returns the user"
expect_header Cache-Control 'no-store' "token response not cached"
USER_TOKEN=$(jbody .access_token)
HDR=$(printf '%s' "${USER_TOKEN%%.*}" | tr '_-' '/+' | base64 -d 2>/dev/null)
expect_eq "$(printf '%s' "$HDR" | jq -r '.alg + " " + .kid')" "RS256 $KID" "token header: RS256 and the JWKS kid"
PAYLOAD=$(printf '%s' "$USER_TOKEN" | cut -d. -f2 | tr '_-' '/+')
while [ $(( ${#PAYLOAD} % 4 )) -ne 0 ]; do PAYLOAD="$PAYLOAD="; done
CLAIMS=$(printf '%s' "$PAYLOAD" | base64 -d)
expect_eq "$(printf '%s' "$CLAIMS" | jq -r '[.iss, .sub, .aud, (.exp - .iat), (.nbf == .iat), (.jti | length > 10), .email, .name, (.permissions | join(",")), .scope] | map(tostring) | join("|")')" \
	"$MCPAUTH_ISSUER|auth0|user123|https://your-api.example.com|3600|true|true|user@example.com|John Doe|read:profile,write:profile|openid profile email" \
	"token claims"

req POST /auth/login -d '{"email":"USER@example.com","password":"password"}'
expect_status 200 "email matched case-insensitively"
req POST /auth/login -d '{"email":"user@example.com","password":"wrong"}'
expect_status 401 "wrong password"
expect_json '.error + "|" + .message' "Invalid credentials|Authentication failed" "wrong password body"
req POST /auth/login -d '{"email":"nobody@example.com","password":"password"}'
expect_status 401 "unknown user"
expect_json '.error + "|" + .message' "Invalid credentials|Authentication failed" "unknown user: same body as a wrong password"
req POST /auth/login -d '{"email":"user@example.com"'
expect_status 400 "malformed JSON"
expect_json .error "Invalid JSON" "malformed JSON body"
req POST /auth/login -d '{"email":"user@example.com"}'
expect_status 400 "missing password"
expect_json '.message | length > 0' true "missing field has a message"
req POST /auth/login -d '{"email":1,"password":"x"}'
expect_status 400 "email of the wrong type"
req POST /auth/login -d '[1,2]'
expect_status 400 "body not an object"
head -c 70000 /dev/zero | tr '\0' 'a' > "$TMP_ROOT/big"
req POST /auth/login -H 'Content-Type: application/json' --data-binary @"$TMP_ROOT/big"
expect_status 413 "body over 64 KiB"
expect_json .error "Payload too large" "413 body"
req GET /auth/login
expect_status 405 "GET on a POST route"
expect_header Allow '^POST$' "405 names the allowed method"
expect_json '.error | length > 0' true "405 has a JSON error"

# --- /auth/* take JSON only: a form of another site cannot post to them ---
# A wrong password per try would feed the rate limit: these carry none.
LOGIN_JSON='{"email":"user@example.com","password":"password"}'
req POST /auth/login -H 'Content-Type: application/json; charset=utf-8' -d "$LOGIN_JSON"
expect_status 200 "login: application/json; charset=utf-8 accepted"
for route in /auth/login /auth/refresh /auth/logout; do
	for ctype in 'text/plain' 'application/x-www-form-urlencoded' 'application/jsonx' ''; do
		req POST "$route" -H "Content-Type: $ctype" -d "$LOGIN_JSON"
		expect_status 415 "$route with Content-Type '${ctype:-none}' refused"
		expect_json '.error + "|" + (.message | length > 0 | tostring)' "Unsupported media type|true" \
			"$route with Content-Type '${ctype:-none}': JSON error body"
	done
	req POST "$route" -F "email=user@example.com" -F "password=password"
	expect_status 415 "$route with multipart/form-data refused"
	expect_header Content-Type '^application/json' "$route multipart 415 is JSON"
done

ADMIN_TOKEN=$(login admin@example.com admin)
VIEWER_TOKEN=$(login viewer@example.com readonly)

# --- profile -------------------------------------------------------------
req GET /api/profile -H "Authorization: Bearer $USER_TOKEN"
expect_status 200 "user reads the profile"
expect_json '.profile.id + "|" + .profile.email + "|" + .profile.name' "auth0|user123|user@example.com|John Doe" "profile body"
expect_json '.permissions | join(",")' "read:profile,write:profile" "profile permissions"
expect_json .scope "openid profile email" "profile scope"
req GET /api/profile -H "authorization: bearer $VIEWER_TOKEN"
expect_status 200 "scheme and header name are case-insensitive"
expect_json .profile.id "auth0|readonly789" "viewer profile"
req GET /api/profile -H "Authorization: BEARER   $ADMIN_TOKEN"
expect_status 200 "upper-case scheme, several spaces"

# --- errors --------------------------------------------------------------
req GET /api/profile
expect_status 401 "no token"
expect_json '.error + "|" + .message' "No token provided|Authorization header with Bearer token required" "no token body"
expect_header WWW-Authenticate '^Bearer ' "401 challenge"
expect_header WWW-Authenticate 'resource_metadata="http://127.0.0.1:[0-9]+/.well-known/oauth-protected-resource"$' \
	"401 names the metadata of the resource at the root (RFC 9728 section 3.3)"
expect_header WWW-Authenticate 'scope="read:profile offline_access"' "401 names the scope the route needs"
req GET /api/profile -H "Authorization: Basic dXNlcjpwYXNz"
expect_status 401 "Basic is not a Bearer token"
expect_json .error "No token provided" "Basic: no token body"
req GET /api/profile -H "Authorization: Bearer invalid"
expect_status 401 "invalid token"
expect_json '.error + "|" + .message' "Invalid token|Token validation failed" "invalid token body"
expect_header WWW-Authenticate 'error="invalid_token"' "invalid token challenge"
req GET "/api/profile?access_token=$USER_TOKEN"
expect_status 401 "a token in the query string is not accepted"

KEY=$(server_signing_key)
NOW=$(date +%s)
claims() { # claims EXP_OFFSET [extra jq]
	jq -nc --argjson now "$NOW" --argjson off "$1" --arg iss "$MCPAUTH_ISSUER" "{iss:\$iss,sub:\"auth0|user123\",aud:\"https://your-api.example.com\",iat:\$now,exp:(\$now+\$off),permissions:[\"read:profile\"],scope:\"openid\"} ${2:-}"
}
H="{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"$KID\"}"

T=$(sign_token "$H" "$(claims 600)" "$KEY")
req GET /api/profile -H "Authorization: Bearer $T"
expect_status 200 "a token we signed by hand with the server key is accepted"
T=$(sign_token "$H" "$(claims -120)" "$KEY")
req GET /api/profile -H "Authorization: Bearer $T"
expect_status 401 "expired token"
expect_json '.error + "|" + .message' "Token expired|Please obtain a new token" "expired body"
expect_header WWW-Authenticate 'error="invalid_token"' "expired challenge"
T=$(sign_token "$H" "$(claims -10)" "$KEY")
req GET /api/profile -H "Authorization: Bearer $T"
expect_status 200 "expired 10 s ago is inside the 30 s leeway"
T=$(sign_token "$H" "$(claims 600 '| .nbf = $now + 300')" "$KEY")
req GET /api/profile -H "Authorization: Bearer $T"
expect_status 401 "not yet valid"
expect_json .error "Invalid token" "nbf body"
T=$(sign_token "$H" "$(claims 600 '| .aud = "https://other.example.com"')" "$KEY")
req GET /api/profile -H "Authorization: Bearer $T"
expect_status 401 "wrong audience"
T=$(sign_token "$H" "$(claims 600 '| .aud = ["x","https://your-api.example.com"]')" "$KEY")
req GET /api/profile -H "Authorization: Bearer $T"
expect_status 200 "audience array containing ours"
T=$(sign_token "$H" "$(claims 600 '| .iss = "https://evil.example.com/"')" "$KEY")
req GET /api/profile -H "Authorization: Bearer $T"
expect_status 401 "wrong issuer"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TMP_ROOT/foreign.pem" 2>/dev/null
T=$(sign_token "$H" "$(claims 600)" "$TMP_ROOT/foreign.pem")
req GET /api/profile -H "Authorization: Bearer $T"
expect_status 401 "signed with a foreign key"
T=$(sign_token '{"alg":"none","typ":"JWT"}' "$(claims 600)" "$KEY")
req GET /api/profile -H "Authorization: Bearer ${T%.*}."
expect_status 401 "alg none"
T=$(sign_token "{\"alg\":\"rs256\",\"kid\":\"$KID\"}" "$(claims 600)" "$KEY")
req GET /api/profile -H "Authorization: Bearer $T"
expect_status 401 "alg in lower case"
PUB=$(openssl pkey -in "$KEY" -pubout)
HS_H=$(printf '{"alg":"HS256","kid":"%s"}' "$KID" | b64url)
HS_P=$(claims 600 | b64url)
HS_S=$(printf '%s.%s' "$HS_H" "$HS_P" | openssl dgst -sha256 -hmac "$PUB" -binary | b64url)
req GET /api/profile -H "Authorization: Bearer $HS_H.$HS_P.$HS_S"
expect_status 401 "HS256 signed with the public key"
T=$(sign_token "$H" "$(claims 600)" "$KEY")
TAMPERED="${T%%.*}.$(claims 600 '| .permissions = ["admin:all","read:profile"]' | b64url).${T##*.}"
req GET /api/profile -H "Authorization: Bearer $TAMPERED"
expect_status 401 "tampered payload"
LONG=$(head -c 8187 /dev/zero | tr '\0' 'a')
req GET /api/profile -H "Authorization: Bearer $LONG.aa.aa"
expect_status 401 "token of 8 KiB + 1"
expect_json .error "Invalid token" "8 KiB + 1 token body"
LONG=$(head -c 10000 /dev/zero | tr '\0' 'a')
req GET /api/profile -H "Authorization: Bearer $LONG.$LONG.aa"
expect_status 401 "token of 20 KB"
expect_json .error "Invalid token" "oversized token body"

T=$(sign_token "$H" "$(claims 600 '| .permissions = ["read:users"]')" "$KEY")
req GET /api/profile -H "Authorization: Bearer $T"
expect_status 403 "missing permission"
expect_json '.error + "|" + .message' "Insufficient permissions|Permission 'read:profile' required" "403 body"
expect_json '.userPermissions | join(",")' "read:users" "403 lists the caller's permissions"
expect_header WWW-Authenticate 'error="insufficient_scope", scope="read:profile"' "403 challenge names the permission"

# --- routing -------------------------------------------------------------
req GET /nope
expect_status 404 "unknown path"
expect_json '.error | length > 0' true "404 is JSON"
req GET /api/profile/extra -H "Authorization: Bearer $USER_TOKEN"
expect_status 404 "a path under a program's prefix that is not its own"
req DELETE /api/profile -H "Authorization: Bearer $USER_TOKEN"
expect_status 405 "wrong method on /api/profile"
expect_header Allow 'GET' "Allow lists GET"

# --- the local issuer's programs never load libcurl (Auth0 mode does) -------
read -r NPROGS NCURL <<<"$(programs_mapping 'libcurl\.so')"
# (mod_fcgid starts a program at its first request: at least profile runs.
# A CGI program exits once it has answered: none may be left running.)
case $MCPAUTH_TEST_SERVER in
*-cgi) expect_eq "$NPROGS" 0 "no CGI program is left running after its answer" ;;
*)
	if [ "$NPROGS" -ge 1 ] && [ "$NCURL" -eq 0 ]; then
		ok "none of the $NPROGS programs maps libcurl in local-issuer mode"
	else
		not_ok "libcurl mapped by $NCURL of $NPROGS programs in local-issuer mode"
	fi
	;;
esac

# --- the server is still healthy, and keys were not re-read per request ---
req GET /api/profile -H "Authorization: Bearer $USER_TOKEN"
expect_status 200 "still answering after every refusal"
expect_clean_log

finish
