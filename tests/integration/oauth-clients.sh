#!/usr/bin/env bash
# OAuth clients against a real server: Dynamic Client Registration (RFC
# 7591) at POST /oauth/register with its checks, limits, stored hashes
# and audit line; Client ID Metadata Documents served over real HTTPS on
# loopback by a test CA, behind the SSRF guard.
set -u
. "$(dirname "$0")/lib.sh"

mkdir_server "$TMP_ROOT/log" # the programs' user writes there (under CGI it is not root)
AUDIT="$TMP_ROOT/log/audit.log"
export MCPAUTH_AUDIT_LOG="$AUDIT"
DB() { db_sql "$1"; }
register() { req POST /oauth/register -d "$1"; }
sha256hex() { printf '%s' "$1" | openssl dgst -sha256 -r | cut -d' ' -f1 | tr a-f A-F; }
# expect_refusal STATUS ERROR DESC: the RFC 7591 error shape, with the suite's message.
expect_refusal() {
	expect_status "$1" "$3"
	expect_json '.error' "$2" "$3: error $2"
	expect_json '(.error_description | length > 0) and .message == .error_description' true \
		"$3: error_description and message"
}

# --- registration limits: per address, then in all ---------------------------
export MCPAUTH_REGISTER_LIMIT=3
start_server 1 || { echo "0 passed, 1 failed"; exit 1; }
PUB='{"redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none"}'
bad=0
for i in 1 2 3; do register "$PUB"; [ "$STATUS" = 201 ] || bad=$((bad + 1)); done
expect_eq "$bad" 0 "three registrations from one address: 201 each"
register "$PUB"
expect_refusal 429 too_many_requests "the 4th registration within the hour"
ra=$(header Retry-After)
if [ "${ra:-0}" -ge 3590 ] && [ "${ra:-0}" -le 3600 ]; then ok "Retry-After ($ra) is the rest of the hour"; else not_ok "Retry-After '$ra'"; fi
expect_eq "$(DB 'SELECT count(*) FROM oauth_clients')" 3 "the refused registration stored nothing"
grep -q '"event":"client_registration_limited"' "$AUDIT" && ok "audit: client_registration_limited" ||
	not_ok "no client_registration_limited audit line"
stop_server
export MCPAUTH_REGISTER_LIMIT=1000 MCPAUTH_CLIENT_LIMIT=4
restart_server 1
register "$PUB"
expect_status 201 "the 4th client fits under MCPAUTH_CLIENT_LIMIT=4"
register "$PUB"
expect_refusal 503 temporarily_unavailable "the 5th client: the store is full"
expect_eq "$(DB 'SELECT count(*) FROM oauth_clients')" 4 "the store holds at most MCPAUTH_CLIENT_LIMIT clients"
server_log | grep -q 'MCPAUTH_CLIENT_LIMIT' && ok "a full store is logged for the operator" ||
	not_ok "a full store is not logged"
stop_server
unset MCPAUTH_CLIENT_LIMIT
restart_server 2

# --- a public client ------------------------------------------------------
register '{"client_name":"Test Agent","client_uri":"https://agent.example/","redirect_uris":["http://127.0.0.1:33418/callback","com.example.agent:/oauth"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"response_types":["code"],"logo_uri":"https://agent.example/logo.png"}'
expect_status 201 "a public client registers"
expect_json '.client_id | test("^[A-Za-z0-9_-]{22}$")' true "client_id: 128 random bits, base64url"
expect_json 'has("client_secret")' false "a public client gets no secret"
expect_json '.token_endpoint_auth_method' none "token_endpoint_auth_method as asked"
expect_json '.redirect_uris | join(" ")' "http://127.0.0.1:33418/callback com.example.agent:/oauth" "redirect_uris as registered"
expect_json '.grant_types | join(" ")' "authorization_code refresh_token" "grant_types as registered"
expect_json '.response_types | join(" ")' code "response_types as registered"
expect_json '.client_name + "|" + .client_uri' "Test Agent|https://agent.example/" "client_name and client_uri"
expect_json 'has("logo_uri")' false "unknown metadata is ignored, not echoed"
now=$(date +%s)
expect_json "(.client_id_issued_at - $now) | fabs < 30" true "client_id_issued_at is now"
expect_header Cache-Control '^no-store$' "the answer is never cached"
expect_header Content-Type '^application/json' "the answer is JSON"
PUBLIC_ID=$(jbody .client_id)
expect_eq "$(DB "SELECT auth_method || '|' || CASE WHEN secret_hash IS NULL THEN 1 ELSE 0 END FROM oauth_clients WHERE client_id='$PUBLIC_ID'")" "none|1" "stored: public, no secret hash"
line=$(grep '"event":"client_registered"' "$AUDIT" | grep "$PUBLIC_ID" | tail -1)
expect_eq "$(printf '%s' "$line" | jq -r '.client_name + "|" + .auth_method + "|" + .addr')" "Test Agent|none|127.0.0.1" "audit: client_registered with the client and the address"

# --- a confidential client: RFC 7591's default method ------------------------
register '{"redirect_uris":["https://app.example/cb"],"client_name":"Web App","scope":"openid read:profile no:such-scope"}'
expect_status 201 "a client without token_endpoint_auth_method registers"
expect_json '.token_endpoint_auth_method' client_secret_basic "the default is client_secret_basic (RFC 7591)"
expect_json '.client_secret | test("^[A-Za-z0-9_-]{43}$")' true "client_secret: 256 random bits, base64url"
expect_json '.client_secret_expires_at' 0 "client_secret_expires_at: 0 (never)"
expect_json '.grant_types | join(" ")' authorization_code "grant_types default: authorization_code"
expect_json '.scope' "openid read:profile" "scope: the words the suite does not know are dropped"
CONF_ID=$(jbody .client_id)
SECRET=$(jbody .client_secret)
expect_eq "$(DB "SELECT hex(secret_hash) FROM oauth_clients WHERE client_id='$CONF_ID'")" "$(sha256hex "$SECRET")" \
	"only the secret's SHA-256 is stored"
if grep -rqa -- "$SECRET" "$MCPAUTH_STATE_DIR" "$AUDIT" || db_dump | grep -qa -- "$SECRET" || server_log | grep -qa -- "$SECRET"; then not_ok "the secret is written somewhere"; else ok "the secret is in no file: database, audit log, error log"; fi
register '{"redirect_uris":["https://app.example/cb"],"token_endpoint_auth_method":"client_secret_post"}'
expect_json '.token_endpoint_auth_method + "|" + (.client_secret | length | tostring)' "client_secret_post|43" "client_secret_post gets a secret too"
[ "$(jbody .client_secret)" != "$SECRET" ] && ok "each secret is new" || not_ok "the same secret twice"

# --- redirect URIs ----------------------------------------------------------
for good in 'http://localhost:8080/cb' 'http://[::1]/cb?x=1' 'https://app.example:8443/oauth/cb' 'com.example.app:/cb' 'com.example.app://callback/path'; do
	register "{\"redirect_uris\":[\"$good\"],\"token_endpoint_auth_method\":\"none\"}"
	expect_status 201 "redirect URI $good is accepted"
done
long="https://app.example/$(head -c 1100 /dev/zero | tr '\0' a)"
for bad in 'http://app.example/cb' 'http://192.168.1.5/cb' 'https://app.example/cb#frag' '/relative/cb' 'javascript:alert(1)' \
	'data:text/html,hi' 'myapp:/cb' 'https://user@app.example/cb' 'https://app.example/a b' 'HTTPS://APP.example/cb' "$long"; do
	register "{\"redirect_uris\":[\"$bad\"],\"token_endpoint_auth_method\":\"none\"}"
	expect_refusal 400 invalid_redirect_uri "redirect URI ${bad:0:40} is refused"
done
register '{"token_endpoint_auth_method":"none"}'
expect_refusal 400 invalid_redirect_uri "redirect_uris missing"
register '{"redirect_uris":[],"token_endpoint_auth_method":"none"}'
expect_refusal 400 invalid_redirect_uri "redirect_uris empty"
register '{"redirect_uris":"https://app.example/cb"}'
expect_refusal 400 invalid_redirect_uri "redirect_uris a string, not an array"
register "{\"redirect_uris\":[$(for i in $(seq 1 11); do printf '"https://app.example/%s",' "$i"; done | sed 's/,$//')]}"
expect_refusal 400 invalid_redirect_uri "11 redirect URIs (at most 10)"

# --- other metadata -----------------------------------------------------------
R='"redirect_uris":["https://app.example/cb"]'
for bad in '"token_endpoint_auth_method":"private_key_jwt"' '"token_endpoint_auth_method":"tls_client_auth"' \
	'"grant_types":["implicit"]' '"grant_types":["password","authorization_code"]' '"grant_types":["refresh_token"]' \
	'"response_types":["token"]' '"client_name":42' '"client_name":""' '"client_uri":"javascript:alert(1)"' \
	'"scope":7' '"grant_types":"authorization_code"'; do
	register "{$R,$bad}"
	expect_refusal 400 invalid_client_metadata "metadata $bad is refused"
done
register '[]'
expect_refusal 400 invalid_client_metadata "a JSON array, not an object"
register '{"redirect_uris":['
expect_refusal 400 invalid_client_metadata "malformed JSON"
req POST /oauth/register -H 'Content-Type: application/x-www-form-urlencoded' -d 'redirect_uris=https://app.example/cb'
expect_status 415 "a form body: 415 (JSON only, RFC 7591)"
req GET /oauth/register
expect_status 405 "GET /oauth/register: 405"
# A model has no business registering clients: no tool, so no secret in its context.
req GET /mcp/tools -H "Authorization: Bearer $(login admin@example.com admin)"
expect_json '[.tools[].name | select(test("oauth"))] | length' 0 "/oauth/register is not an MCP tool"
expect_json '.tools | length > 5' true "(the tool list itself is there)"

# --- the mcpauth tool ----------------------------------------------------------
MCPAUTH="$top_builddir/tools/mcpauth"
list=$("$MCPAUTH" client list)
expect_eq "$(printf '%s\n' "$list" | awk -F'\t' -v id="$PUBLIC_ID" '$1 == id { print $2 "|" $4 "|" $5 }')" \
	"none|Test Agent|http://127.0.0.1:33418/callback com.example.agent:/oauth" "client list: method, name, redirect URIs"
expect_eq "$(printf '%s\n' "$list" | wc -l)" "$(DB 'SELECT count(*) FROM oauth_clients')" "client list: one line per client"
printf '%s' "$list" | grep -qF -- "$SECRET" && not_ok "client list shows a secret" || ok "client list shows no secret"
"$MCPAUTH" client delete "$CONF_ID"
expect_eq "$?" 0 "client delete: exit 0"
expect_eq "$(DB "SELECT count(*) FROM oauth_clients WHERE client_id='$CONF_ID'")" 0 "client delete removes the row"
"$MCPAUTH" client delete "$CONF_ID" 2>"$TMP_ROOT/err"
expect_eq "$?" 3 "client delete of an unknown client: exit 3"
grep -q "no registered client" "$TMP_ROOT/err" && ok "client delete says why" || not_ok "client delete: $(cat "$TMP_ROOT/err")"

# --- Client ID Metadata Documents ----------------------------------------------
# Served over real HTTPS by tests/integration/client-docs.js with a
# certificate (127.0.0.1 and localhost) from a CA made here; client_lookup
# runs oauthclient_find in one process, as a FastCGI program would, with
# the settings from the environment.
T="$TMP_ROOT/docs"
mkdir -p "$T"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 \
	-subj "/CN=mcpauth test CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$T/server.key" -out "$T/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$T/ext"
openssl x509 -req -in "$T/server.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -days 2 \
	-extfile "$T/ext" -out "$T/server.pem" 2>/dev/null
NODE=${NODE:-$(command -v node || command -v nodejs)}
"$NODE" "$top_srcdir/tests/integration/client-docs.js" "$T/server.pem" "$T/server.key" "$T/port" 2>>"$TMP_ROOT/docs.log" &
DOCS_PID=$!
trap 'kill "$DOCS_PID" 2>/dev/null; cleanup' EXIT
for i in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.1; done
P=$(cat "$T/port")
D="https://127.0.0.1:$P/docs"
LOOKUP="$top_builddir/tests/integration/client_lookup"
# The lookups' own store, apart from the server's: a state directory and,
# on PostgreSQL, its database.
LOOKUP_STORE=("MCPAUTH_STATE_DIR=$TMP_ROOT/lookup-state")
if on_pg; then
	mkdir -p -m 700 "$TMP_ROOT/lookup-state"
	LOOKUP_STORE+=("MCPAUTH_DATABASE_URL=$(db_url_of "$TMP_ROOT/lookup-state")")
fi
# lookup ARGS...: one JSON line per client_id, in $TMP_ROOT/lookup.
lookup() {
	env "${LOOKUP_STORE[@]}" MCPAUTH_CA_FILE="$T/ca.pem" "$LOOKUP" "$@" >"$TMP_ROOT/lookup" 2>"$TMP_ROOT/lookup.err"
}
# line N FILTER: jq of the Nth answer.
line() { sed -n "${1}p" "$TMP_ROOT/lookup" | jq -r "$2"; }
hits() { curl -s --cacert "$T/ca.pem" "https://127.0.0.1:$P/_counts" | jq -r --arg p "$1" '.[$p] // 0'; }

# The guard: loopback is refused before any connection, by address or by name.
lookup "$D/good.json" "https://localhost:$P/docs/good.json" "https://[::1]:$P/docs/good.json"
expect_eq "$(line 1 '.status + "|" + (.err | test("not public") | tostring)')" "invalid|true" "a document on 127.0.0.1 is refused without the test setting"
expect_eq "$(line 2 '.status + "|" + (.err | test("not public") | tostring)')" "invalid|true" "a name resolving to loopback (localhost) is refused"
expect_eq "$(line 3 .status)" invalid "[::1] is refused"
expect_eq "$(hits /docs/good.json)" 0 "the guard refused before connecting: the server saw no request"
lookup "http://127.0.0.1:$P/docs/good.json" "https://127.0.0.1:$P" "https://127.0.0.1:$P/" \
	"https://u@127.0.0.1:$P/docs/good.json" "$D/../docs/good.json" "$D/good.json#x" "$D/%67ood.json" "HTTPS://127.0.0.1:$P/docs/good.json"
for n in 1 2 3 4 5 6 7 8; do
	[ "$(line $n .status)" = invalid ] && ok "client_id $(sed -n "${n}p" "$TMP_ROOT/lookup" | jq -r .err | cut -c1-50): refused" ||
		not_ok "malformed client_id $n accepted: $(sed -n "${n}p" "$TMP_ROOT/lookup")"
done
expect_eq "$(line 1 .err)" "A client_id URL must be https" "a non-https client_id: refused, saying why"

export MCPAUTH_CLIENT_DOCUMENT_ALLOW_PRIVATE=1
lookup "$D/good.json" "$D/good.json" +59 "$D/good.json"
expect_eq "$(line 1 '.status + "|" + .client_id + "|" + .client_name + "|" + .auth')" "ok|$D/good.json|Doc Agent|none" \
	"with the test setting: the document is the client"
expect_eq "$(line 1 '.redirect_uris | join(" ")')" "http://127.0.0.1/callback https://agent.example/cb" "its redirect_uris"
expect_eq "$(hits /docs/good.json)" 1 "looked up three times in one process: fetched once (cached)"
# Lifetimes: max-age within [60 s, 1 day], 600 s without one.
lookup "$D/maxage.json" +100 "$D/maxage.json" +30 "$D/maxage.json"
expect_eq "$(hits /docs/maxage.json)" 2 "max-age=120: kept 100 s, fetched again after 130 s"
lookup "$D/nostore.json" +50 "$D/nostore.json" +20 "$D/nostore.json"
expect_eq "$(hits /docs/nostore.json)" 2 "no-store: still kept the 60 s minimum"
lookup "$D/longlived.json" +86000 "$D/longlived.json" +500 "$D/longlived.json"
expect_eq "$(hits /docs/longlived.json)" 2 "max-age of a year: kept one day at most"
lookup "$D/good-a.json" +590 "$D/good-a.json" +20 "$D/good-a.json"
expect_eq "$(hits /docs/good-a.json)" 2 "no Cache-Control: kept 600 s"
# Bounded: 64 entries, the least used goes first.
args=()
for i in $(seq 1 70); do args+=("$D/good.json?n=$i"); done
lookup "${args[@]}" "$D/good.json?n=70" "$D/good.json?n=1"
expect_eq "$(grep -c '"status":"ok"' "$TMP_ROOT/lookup")" 72 "70 documents with a query: each a client"
expect_eq "$(hits '/docs/good.json?n=70')" 1 "the cache holds the newest"
expect_eq "$(hits '/docs/good.json?n=1')" 2 "the cache is bounded: the oldest of 70 was dropped and fetched again"

# Documents refused, each with its reason.
lookup "$D/mismatch.json" "$D/mismatch-slash.json" "$D/redirect.json" "$D/big.json" "$D/fits.json" "$D/text.json" \
	"$D/charset.json" "$D/secret.json" "$D/withsecret.json" "$D/pkjwt.json" "$D/nouris.json" "$D/baduri.json" \
	"$D/garbage.json" "$D/array.json" "$D/none.json" "$D/noname.json"
expect_eq "$(line 1 '.status + "|" + .err')" "invalid|The document's client_id must equal the URL it was fetched from" "a document whose client_id differs from its URL"
expect_eq "$(line 2 .status)" invalid "a client_id differing by a trailing slash"
expect_eq "$(line 3 '.status + "|" + (.err | test("redirect") | tostring)')" "invalid|true" "a redirect answer: refused"
expect_eq "$(hits /docs/good.json)" 1 "the redirect was not followed"
expect_eq "$(line 4 '.status + "|" + .err')" "invalid|The client's document is larger than 5120 bytes" "a document of 5121 bytes: refused"
expect_eq "$(line 5 .status)" ok "a document of 5120 bytes: accepted"
expect_eq "$(line 6 '.status + "|" + .err')" "invalid|The client's document is not application/json" "text/plain: refused"
expect_eq "$(line 7 .status)" ok "application/json; charset=utf-8: accepted"
expect_eq "$(line 8 '.status + "|" + (.err | test("must be none") | tostring)')" "invalid|true" "client_secret_basic in a document: refused"
expect_eq "$(line 9 .status)" invalid "a document holding a client_secret: refused"
expect_eq "$(line 10 '.status + "|" + (.err | test("private_key_jwt") | tostring)')" "invalid|true" "private_key_jwt: refused as unsupported"
expect_eq "$(line 11 .status)" invalid "a document without redirect_uris: refused"
expect_eq "$(line 12 .status)" invalid "a document with an http redirect URI off loopback: refused"
expect_eq "$(line 13 .status)" invalid "a document that is not JSON: refused"
expect_eq "$(line 14 .status)" invalid "a JSON array: refused"
expect_eq "$(line 15 '.status + "|" + .err')" "unavailable|The client's document URL answered HTTP 404" "a 404: unavailable"
expect_eq "$(line 16 .client_name)" "$D/noname.json" "no client_name: the URL is the name"
lookup "$D/mismatch.json?n" "$D/mismatch.json?n" +61 "$D/mismatch.json?n"
expect_eq "$(hits '/docs/mismatch.json?n')" 2 "a refused document is not fetched again for 60 s"
# Time and trust.
start=$(date +%s%N)
MCPAUTH_HTTP_TIMEOUT=2 lookup "$D/slow.json"
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "$(line 1 .status)" unavailable "a server slower than MCPAUTH_HTTP_TIMEOUT: unavailable"
if [ "$ms" -lt 5000 ]; then ok "given up after $ms ms (MCPAUTH_HTTP_TIMEOUT=2)"; else not_ok "the slow document took $ms ms"; fi
env -u MCPAUTH_CA_FILE "${LOOKUP_STORE[@]}" "$LOOKUP" "$D/good.json?ca" >"$TMP_ROOT/lookup"
expect_eq "$(line 1 '.status + "|" + (.err | test("certificate") | tostring)')" "unavailable|true" "a certificate from no trusted CA: refused"
if grep -q "shh" "$TMP_ROOT/lookup.err" "$TMP_ROOT/lookup"; then not_ok "a document's secret reached a log"; else ok "a document's secret is not logged"; fi

# The programs say at start that the guard is lifted.
stop_server
restart_server 1
server_log | grep -q 'WARNING: MCPAUTH_CLIENT_DOCUMENT_ALLOW_PRIVATE=1' && ok "the lifted guard is logged at start" ||
	not_ok "no start-up warning for MCPAUTH_CLIENT_DOCUMENT_ALLOW_PRIVATE=1"
unset MCPAUTH_CLIENT_DOCUMENT_ALLOW_PRIVATE

expect_clean_log
finish
