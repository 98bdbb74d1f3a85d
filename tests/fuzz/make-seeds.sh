#!/usr/bin/env bash
# Writes the seed inputs of the fuzz targets into tests/fuzz/corpus/<target>/
# (committed; run again after changing it). The first byte of a token or
# mcp input selects a mode; see each target's comment.
set -euo pipefail
cd "$(dirname "$0")"
fix=../fixtures
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
seed() { # seed TARGET NAME: stdin into corpus/TARGET/NAME
	mkdir -p "corpus/$1"
	cat >"corpus/$1/$2"
}

# --- token: 0x00 + an Authorization value, or 0x01 + header JSON + NUL + payload
H='{"alg":"RS256","typ":"JWT","kid":"test-key-1"}'
P='{"iss":"https://issuer.test/","sub":"auth0|user123","aud":"https://api.test","iat":1699999940,"exp":1700003600,"email":"user@example.com","name":"Test User","permissions":["read:users","write:users"],"scope":"openid profile email"}'
sign() { printf '%s.%s' "$1" "$2" | openssl dgst -sha256 -sign "$fix/key1.pem" -binary | b64url; }
h=$(printf '%s' "$H" | b64url)
p=$(printf '%s' "$P" | b64url)
tok="$h.$p.$(sign "$h" "$p")"
printf '\0Bearer %s' "$tok" | seed token bearer-valid
printf '\0bearer   %s  ' "$tok" | seed token bearer-lowercase-spaces
printf '\0Bearer %s.%s.' "$h" "$p" | seed token signature-stripped
printf '\0Bearer %s.%s' "$h" "$p" | seed token two-segments
printf '\0Bearer %s.AAAA' "$tok" | seed token four-segments
printf '\0Bearer %s.%s.%s' "$(printf '{"alg":"none"}' | b64url)" "$p" "" | seed token alg-none
printf '\0Basic dXNlcjpwYXNz' | seed token basic
printf '\0Bearer' | seed token bearer-only
printf '\0Bearer a.b.c' | seed token short
printf '\1%s\0%s' "$H" "$P" | seed token signed-valid
printf '\1%s\0%s' '{"alg":"RS256","kid":"test-key-1","alg":"none"}' "$P" | seed token signed-dup-alg
printf '\1%s\0%s' "$H" '{"iss":"https://issuer.test/","sub":"a","aud":["x","https://api.test"],"exp":1700003600,"nbf":1699999999,"scope":"email"}' | seed token signed-aud-array
printf '\1%s\0%s' "$H" '{"iss":"https://issuer.test/","sub":"a","aud":"https://api.test","exp":1e300}' | seed token signed-exp-huge
printf '\1%s\0%s' "$H" '{"iss":"https://issuer.test/","sub":"a","aud":"https://api.test","exp":1700003600,"permissions":["a",1]}' | seed token signed-permissions-mixed
printf '\1%s\0%s' "$H" '{"iss":"https://issuer.test/","sub":"a","aud":"https://api.test","exp":1700003600,"s\u0075b":"b"}' | seed token signed-dup-escaped
printf '\1%s\0%s' "$H" '{"iss":"https://issuer.test/","sub":"\xc0\xaf","aud":"https://api.test","exp":1700003600}' | seed token signed-overlong-utf8
printf '\1%s\0%s' '{"alg":"RS256","kid":"test-key-1","crit":["b64"]}' "$P" | seed token signed-crit

# --- jwks: JWKS documents
cp "$fix/key1.jwks.json" corpus/jwks/fixture
k=$(jq -c '.keys[0]' "$fix/key1.jwks.json")
printf '{"keys":[%s,%s]}' "$k" "$(jq -c '.kid = "second"' <<<"$k")" | seed jwks two-keys
printf '{"keys":[%s,%s]}' "$k" "$k" | seed jwks duplicate-kid
printf '{"keys":[%s]}' "$(jq -c '.use = "enc"' <<<"$k")" | seed jwks use-enc
printf '{"keys":[%s]}' "$(jq -c '.alg = "RS512"' <<<"$k")" | seed jwks alg-rs512
printf '{"keys":[%s]}' "$(jq -c 'del(.kid)' <<<"$k")" | seed jwks no-kid
printf '{"keys":[%s]}' "$(jq -c '.n = "AQAB"' <<<"$k")" | seed jwks small-modulus
printf '{"keys":[%s]}' "$(jq -c '.kid = "a\"b\\c"' <<<"$k")" | seed jwks regress-kid-quote
printf '{"keys":[%s]}' "$(jq -c '.e = "AA"' <<<"$k")" | seed jwks regress-e-zero
printf '{"keys":[%s]}' "$(jq -c '.e = "Ag"' <<<"$k")" | seed jwks e-even
printf '{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA","kid":"ec"}]}' | seed jwks ec-key
printf '{"keys":{}}' | seed jwks keys-not-array
printf '[]' | seed jwks not-object
printf '{"keys":[1,"x",null,[]]}' | seed jwks junk-keys

# --- route: a method selector byte + path[?query]
printf '\0/' | seed route root
printf '\0/api/auth0/user/auth0%%7Cuser123' | seed route user-id-encoded
printf '\1/api/auth0/user/x' | seed route post-user
printf '\0/api/user/x?y=1&id=%%41%%42' | seed route query
printf '\2/a/b%%2Fc/c/d' | seed route put-params
printf '\0/x/1/2/3/4' | seed route four-params
printf '\0/y/1/2/3/4/5' | seed route five-params
printf '\4/many' | seed route many-methods
printf '\5/many' | seed route many-methods-head
printf '\0/rows/x' | seed route row-without-handler
printf '\0/%%zz' | seed route bad-escape
printf '\0/api/auth0/user/%%00' | seed route nul-escape
printf '\0//api//profile/' | seed route slashes
printf '\0/api/profile?access_token=x' | seed route profile-query
printf '\0/find?q=openid%%20email&n=5&all=true&x=1' | seed route query-fields
printf '\0/find?n=-6&q=' | seed route query-fields-refused

# --- mcp: a selector byte (endpoint, token, headers) + the body
rpc() { printf '%b%s' "$1" "$2"; }
rpc '\0' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"fuzz","version":"1"}}}' | seed mcp initialize
rpc '\0' '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' | seed mcp tools-list
rpc '\0' '{"jsonrpc":"2.0","method":"notifications/initialized"}' | seed mcp notification
rpc '\0' '{"jsonrpc":"2.0","id":3,"method":"ping"}' | seed mcp ping
rpc '\4' '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"get_api_profile","arguments":{}}}' | seed mcp call-profile-user
rpc '\010' '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"get_api_auth0_user_id","arguments":{"id":"auth0|user123"}}}' | seed mcp call-user-admin
rpc '\010' '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"post_api_users","arguments":{"name":"Fuzz","email":"fuzz@example.com"}}}' | seed mcp call-create-admin
rpc '\010' '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"post_api_admin_permissions","arguments":{"userId":"auth0|readonly789","permissions":["read:profile"]}}}' | seed mcp call-permissions-admin
rpc '\4' '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"put_api_profile","arguments":{"name":"Fuzzed"}}}' | seed mcp call-put-profile
rpc '\010' '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"get_api_users","arguments":{"x":1}}}' | seed mcp call-unknown-argument
rpc '\014' '{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"get_api_email"}}' | seed mcp call-expired
rpc '\0' '{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"get_api_profile"}}' | seed mcp call-no-token
rpc '\0' '[{"jsonrpc":"2.0","id":1,"method":"ping"}]' | seed mcp batch
rpc '\0' '{"jsonrpc":"2.0","id":1,"result":{}}' | seed mcp client-response
rpc '\0' '{"jsonrpc":"1.0","id":null,"method":7}' | seed mcp bad-message
rpc '\0' '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[]}' | seed mcp params-array
rpc '\020' '{"jsonrpc":"2.0","id":1,"method":"ping"}' | seed mcp text-plain
rpc '\200' '{"jsonrpc":"2.0","id":1,"method":"ping"}' | seed mcp protocol-header
rpc '\100' '{"jsonrpc":"2.0","id":1,"method":"ping"}' | seed mcp evil-origin
rpc '\1' '{"toolName":"GET_/api/profile","args":{}}' | seed mcp invoke-express-no-token
rpc '\5' '{"toolName":"GET /api/profile"}' | seed mcp invoke-title-user
rpc '\11' '{"toolName":"get_api_user_id","args":{"id":"auth0|admin456"}}' | seed mcp invoke-mcp-name-admin
rpc '\1' '{"toolName":"POST_/auth/login","args":{"email":"user@example.com","password":"wrong"}}' | seed mcp invoke-login
rpc '\1' '{"toolName":"nope","args":[]}' | seed mcp invoke-bad
rpc '\3' '' | seed mcp tools-get
rpc '\0' '{"a":' | seed mcp truncated
# --- fcgi: the bytes a web server sends on one connection
python3 - <<'PY'
import os, struct
def rec(t, c=b"", i=1, pad=0):
    return struct.pack("!BBHHBx", 1, t, i, len(c), pad) + c + b"\0" * pad
def pairs(env):
    out = b""
    for k, v in env:
        k, v = k.encode(), v.encode()
        ln = lambda n: bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)
        out += ln(len(k)) + ln(len(v)) + k + v
    return out
def req(method, uri, body=b"", i=1, keep=0, extra=()):
    env = [("REQUEST_METHOD", method), ("REQUEST_URI", uri), ("HTTP_HOST", "127.0.0.1"), ("REMOTE_ADDR", "127.0.0.1")]
    if body:
        env += [("CONTENT_TYPE", "application/json"), ("CONTENT_LENGTH", str(len(body)))]
    env += list(extra)
    out = rec(1, struct.pack("!HB5x", 1, keep), i) + rec(4, pairs(env), i) + rec(4, b"", i)
    return out + (rec(5, body, i) if body else b"") + rec(5, b"", i)
os.makedirs("corpus/fcgi", exist_ok=True)
def seed(name, data):
    open("corpus/fcgi/" + name, "wb").write(data)
seed("get-index", req("GET", "/"))
seed("get-profile-no-token", req("GET", "/api/profile"))
seed("get-profile-bad-token", req("GET", "/api/profile", extra=[("HTTP_AUTHORIZATION", "Bearer a.b.c")]))
seed("put-profile-body", req("PUT", "/api/profile", b'{"name":"x"}'))
seed("keep-conn-two", req("GET", "/", keep=1) + req("GET", "/api/email", keep=1))
seed("padded-split-body", rec(1, struct.pack("!HB5x", 1, 0)) + rec(4, pairs([("REQUEST_METHOD", "PUT"), ("REQUEST_URI", "/api/profile"), ("CONTENT_LENGTH", "12")])) + rec(4) + rec(5, b'{"name"', pad=1) + rec(5, b':"x"}', pad=3) + rec(5))
seed("get-values", rec(9, pairs([("FCGI_MAX_CONNS", ""), ("FCGI_MPXS_CONNS", "")]), 0))
seed("unknown-management", rec(42, b"abc", 0))
seed("authorizer-role", rec(1, struct.pack("!HB5x", 2, 1)) + req("GET", "/"))
seed("second-id-while-busy", rec(1, struct.pack("!HB5x", 1, 0), 1) + rec(1, struct.pack("!HB5x", 1, 0), 2) + rec(4, b"", 1) + rec(5, b"", 1))
seed("abort", rec(1, struct.pack("!HB5x", 1, 1)) + rec(2) + req("GET", "/"))
seed("long-pair-length", rec(1, struct.pack("!HB5x", 1, 0)) + rec(4, b"\x80\x00\x01\x00\x01REQUEST_METHOD") + rec(4) + rec(5))
seed("content-length-over-cap", req("POST", "/api/profile", extra=[("CONTENT_LENGTH", "70000")]))
seed("nul-in-value", rec(1, struct.pack("!HB5x", 1, 0)) + rec(4, pairs([("REQUEST_URI", "/\0x")])) + rec(4) + rec(5))
PY

echo "seeds: $(ls corpus/token | wc -l) token, $(ls corpus/jwks | wc -l) jwks, $(ls corpus/route | wc -l) route, $(ls corpus/mcp | wc -l) mcp, $(ls corpus/fcgi | wc -l) fcgi"
