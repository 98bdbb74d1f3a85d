#!/usr/bin/env bash
# The attack corpus, against a real lighttpd with the built programs. Each
# file in tests/attack/cases/ describes one forged or malformed token (or
# Authorization header); it is built, signed where the case says so, and
# sent three ways: GET /api/profile, POST /mcp/invoke and MCP tools/call at
# /mcp. Each answer must be the case's documented refusal, never a success
# and never a 5xx; no token may appear in an answer or in the server's log;
# and the server must still answer a good token at the end.
#
# A case file is KEY=VALUE lines (# comments):
#   title    what the case is
#   expect   invalid | expired | missing (the three 401 bodies),
#            http400 | http431 (lighttpd refuses the request itself, in JSON),
#            accept (a control: the harness can tell a success from a refusal)
#   header   the JOSE header JSON (default {"alg":"RS256","typ":"JWT","kid":"@KID@"})
#   claims   a jq filter over the good claims (default .), or
#   payload  the payload text itself
#   encode   b64url (default) | pad (base64url with =) | std (+/ and =) |
#            space | tab (a blank inside the header and payload segments)
#   sign     server (default: RS256 with the server's own key) | foreign
#            (RS256, another key) | none (empty signature) | hs256-pem |
#            hs256-jwk | hs256-n (HMAC keyed with the server's public key as
#            PEM, as its JWK, as its modulus) | junk (AAAA)
#   after    mutations of the signed token, in order: strip-sig (h.p.),
#            drop-sig (h.p), only-header (h), add-segment (h.p.s.AAAA),
#            add-two-segments, leading-dot, truncate-sig, noncanon-header
#            (last base64 character with non-zero spare bits), pad-sig,
#            tamper (payload replaced by tamper_claims, signature kept),
#            other-sig (the signature of another good token)
#   length   pad the header and the payload so the signed token is exactly
#            this many bytes
#   auth     the Authorization value (default "Bearer @TOKEN@"); @CR@, @LF@,
#            @NUL@ are those bytes (such requests go over a raw socket)
#   extra    one more raw header line, e.g. a second Authorization
#   query    a query string for the three requests
#   contains a regular expression the built token must match (so that an
#            encoding case cannot pass by not encoding what it says)
#   reason   for expect=invalid: the check that must refuse it, as the
#            verifier gives it (the "reason" of the audit log's token_rejected line)
# Placeholders in header, payload and auth: @KID@ (the server's kid),
# @NOW@, @EXP@ (ten minutes from now), @PORT@, @FOREIGN_JWK@, @FOREIGN_X5C@, @REPEAT(n,text)@, @Xhh@ (the
# byte 0xhh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib.sh"
: "${FIXTURES:=$top_srcdir/tests/fixtures}"
CASES=${ATTACK_CASES:-$here/cases}

# The corpus' tokens name this issuer (the payloads are written out whole).
export MCPAUTH_ISSUER=https://mcpauth.local/
start_server 2 || { echo "0 passed, 1 failed"; exit 1; }
PORT=${BASE##*:}
KEY="$MCPAUTH_STATE_DIR/signing-key.pem"
FOREIGN="$FIXTURES/key2.pem"
KID=$(server_kid)
NOW=$(date +%s)
W="$TMP_ROOT/attack"
mkdir -p "$W"
: >"$W/secrets"

openssl pkey -in "$KEY" -pubout >"$W/pub.pem"
curl -s "$BASE/.well-known/jwks.json" | jq -c '.keys[0]' | tr -d '\n' >"$W/jwk.json"
jq -r .n "$W/jwk.json" | tr -d '\n' >"$W/n.txt"
hexmod=$(openssl rsa -in "$FOREIGN" -noout -modulus 2>/dev/null | cut -d= -f2)
FOREIGN_JWK=$(jq -nc --arg n "$(perl -e 'print pack("H*", $ARGV[0])' "$hexmod" | b64url)" \
	'{kty:"RSA",use:"sig",alg:"RS256",kid:"attacker",n:$n,e:"AQAB"}')
FOREIGN_X5C=$(openssl req -x509 -new -key "$FOREIGN" -subj /CN=attacker -days 1 -outform DER 2>/dev/null |
	openssl base64 -A)
DEFAULT_HEADER='{"alg":"RS256","typ":"JWT","kid":"@KID@"}'

std_claims() {
	jq -nc --argjson now "$NOW" '{iss:"https://mcpauth.local/",sub:"auth0|user123",
		aud:"https://your-api.example.com",iat:$now,exp:($now+600),
		permissions:["read:profile"],scope:"openid profile email"}'
}

# expand: placeholders of stdin to stdout (bytes, not text).
expand() {
	KID="$KID" NOW="$NOW" PORT="$PORT" FJWK="$FOREIGN_JWK" FX5C="$FOREIGN_X5C" perl -0777 -pe '
		s/\@KID\@/$ENV{KID}/g; s/\@NOW\@/$ENV{NOW}/g; s/\@EXP\@/$ENV{NOW} + 600/ge; s/\@PORT\@/$ENV{PORT}/g;
		s/\@FOREIGN_JWK\@/$ENV{FJWK}/g; s/\@FOREIGN_X5C\@/$ENV{FX5C}/g;
		s/\@REPEAT\((\d+),([^)]*)\)\@/$2 x $1/ge; s/\@X([0-9A-Fa-f]{2})\@/chr(hex $1)/ge;
		s/\@CR\@/\r/g; s/\@LF\@/\n/g; s/\@NUL\@/\0/g;'
}

# encode FILE: its segment in the case's encoding.
encode() {
	case ${C[encode]:-b64url} in
	b64url) b64url <"$1" ;;
	pad) openssl base64 -A <"$1" | tr '+/' '-_' ;;
	std) openssl base64 -A <"$1" ;;
	space) b64url <"$1" | sed -E 's/^(.{6})/\1 /' ;;
	tab) b64url <"$1" | sed -E 's/^(.{6})/\1\t/' ;;
	esac
}

# sign SIGNING_INPUT_FILE: the signature segment.
sign() {
	case ${C[sign]:-server} in
	server) openssl dgst -sha256 -sign "$KEY" -binary <"$1" | b64url ;;
	foreign) openssl dgst -sha256 -sign "$FOREIGN" -binary <"$1" | b64url ;;
	none) ;;
	junk) printf AAAA ;;
	hs256-pem) openssl dgst -sha256 -mac HMAC -macopt "key:$(cat "$W/pub.pem")" -binary <"$1" | b64url ;;
	hs256-jwk) openssl dgst -sha256 -mac HMAC -macopt "key:$(cat "$W/jwk.json")" -binary <"$1" | b64url ;;
	hs256-n) openssl dgst -sha256 -mac HMAC -macopt "key:$(cat "$W/n.txt")" -binary <"$1" | b64url ;;
	esac
}

b64len() { echo $(((4 * $1 + 2) / 3)); }

# pad_to TARGET: adds "pad" members to header.json and payload.json so that
# the signed token is exactly TARGET bytes.
pad_to() {
	local target=$1 hn pn sl kh hx h64 p64 kp
	sl=$(printf x | openssl dgst -sha256 -sign "$KEY" -binary | b64url | wc -c)
	for kh in -1 0 1 2 3; do
		hn=$(wc -c <"$W/header.json")
		# ,"pad":"" is 9 bytes: kh = -1 adds nothing to the header.
		[ "$kh" -ge 0 ] && hn=$((hn + 9 + kh))
		h64=$(b64len "$hn")
		p64=$((target - h64 - sl - 2))
		[ $((p64 % 4)) -eq 1 ] && continue
		pn=$(wc -c <"$W/payload.json")
		kp=$((p64 * 3 / 4 - pn - 9))
		[ "$kp" -ge 0 ] || continue
		[ "$(b64len $((pn + 9 + kp)))" -eq "$p64" ] || continue
		if [ "$kh" -ge 0 ]; then
			jq -c --arg p "$(head -c "$kh" /dev/zero | tr '\0' h)" '. + {pad:$p}' "$W/header.json" |
				tr -d '\n' >"$W/h.tmp" && mv "$W/h.tmp" "$W/header.json"
		fi
		jq -c --rawfile p <(head -c "$kp" /dev/zero | tr '\0' p) '. + {pad:$p}' "$W/payload.json" |
			tr -d '\n' >"$W/p.tmp" && mv "$W/p.tmp" "$W/payload.json"
		return 0
	done
	return 1
}

# build: the case's token into $W/token.
build_token() {
	local h p s m
	printf '%s' "${C[header]:-$DEFAULT_HEADER}" | expand >"$W/header.json"
	if [[ -v C[payload] ]]; then
		printf '%s' "${C[payload]}" | expand >"$W/payload.json"
	else
		std_claims | jq -c "${C[claims]:-.}" | tr -d '\n' >"$W/payload.json"
	fi
	if [ -n "${C[length]:-}" ] && ! pad_to "${C[length]}"; then
		echo "cannot pad to ${C[length]}" >&2
		return 1
	fi
	h=$(encode "$W/header.json")
	p=$(encode "$W/payload.json")
	printf '%s.%s' "$h" "$p" >"$W/input"
	s=$(sign "$W/input")
	for m in ${C[after]:-}; do
		case $m in
		strip-sig) s= ;;
		drop-sig) printf '%s.%s' "$h" "$p" >"$W/token"; return 0 ;;
		only-header) printf '%s' "$h" >"$W/token"; return 0 ;;
		add-segment) s="$s.AAAA" ;;
		add-two-segments) s="$s.AAAA.BBBB" ;;
		leading-dot) h=".$h" ;;
		truncate-sig) s=${s%????} ;;
		pad-sig) s=$(printf '%s' "$s" | perl -pe 's/$/"=" x ((4 - length() % 4) % 4)/e') ;;
		noncanon-header)
			# The spare bits of the last character: canonical is 0; set them.
			[ $((${#h} % 4)) -ne 0 ] || { echo "noncanon-header: the header has no spare bits" >&2; return 1; }
			local last=${h: -1}
			h="${h%?}$(printf '%s' "$last" | tr 'AEIMQUYcgkosw048' 'BFJNRVZdhlptx159')"
			;;
		tamper) p=$(std_claims | jq -c "${C[tamper_claims]}" | tr -d '\n' | b64url) ;;
		other-sig)
			local other
			other=$(std_claims | jq -c '.jti = "another"' | tr -d '\n' | b64url)
			s=$(printf '%s.%s' "$h" "$other" | openssl dgst -sha256 -sign "$KEY" -binary | b64url)
			;;
		*) echo "unknown mutation $m" >&2; return 1 ;;
		esac
	done
	printf '%s.%s.%s' "$h" "$p" "$s" >"$W/token"
	# Whatever is long enough to be recognised goes on the list of
	# strings that must never show in an answer or a log.
	[ ${#s} -ge 40 ] && printf '%s\n' "$s" >>"$W/secrets"
	return 0
}

# The Authorization value: the case's template with the token in it.
build_auth() {
	local tmpl='Bearer @TOKEN@'
	[[ -v C[auth] ]] && tmpl=${C[auth]}
	printf '%s' "${tmpl%%@TOKEN@*}" | expand >"$W/auth"
	if [ "$tmpl" != "${tmpl%%@TOKEN@*}" ]; then
		cat "$W/token" >>"$W/auth"
		local rest=${tmpl#*@TOKEN@}
		# A second @TOKEN@ (two tokens in one header).
		if [ "$rest" != "${rest%%@TOKEN@*}" ]; then
			printf '%s' "${rest%%@TOKEN@*}" | expand >>"$W/auth"
			cat "$W/token" >>"$W/auth"
			rest=${rest#*@TOKEN@}
		fi
		printf '%s' "$rest" | expand >>"$W/auth"
	fi
}

# send TARGET: one request of the three kinds, with $W/auth. Sets STATUS;
# the answer is in $TMP_ROOT/body and $TMP_ROOT/headers.
INVOKE_BODY='{"toolName":"GET_/api/profile","args":{}}'
RPC_BODY='{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"get_api_profile","arguments":{}}}'
send() {
	local method=GET path=/api/profile data=
	case $1 in
	invoke) method=POST path=/mcp/invoke data=$INVOKE_BODY ;;
	rpc) method=POST path=/mcp data=$RPC_BODY ;;
	esac
	[ -n "${C[query]:-}" ] && path="$path?$(printf '%s' "${C[query]}" | sed "s|@TOKEN@|$(cat "$W/token")|")"
	# curl refuses CR, LF and NUL in a header and arguments over 128 KiB:
	# such requests are written to a socket by hand.
	if [ -n "${C[extra]:-}" ] || [ "$(wc -c <"$W/auth")" -gt 100000 ] || ! perl -0777 -ne 'exit 1 if /[\r\n\0]/' "$W/auth"; then
		send_raw "$method" "$path" "$data"
		return
	fi
	local args=(-H "Authorization: $(cat "$W/auth")")
	[ -s "$W/auth" ] || args=()
	if [ -n "$data" ]; then
		args+=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream'
			--data-binary "$data")
	fi
	req "$method" "$path" "${args[@]}"
}

send_raw() {
	local method=$1 path=$2 data=$3
	{
		printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n' "$method" "$path" "$PORT"
		printf 'Authorization: '
		cat "$W/auth"
		printf '\r\n'
		[ -n "${C[extra]:-}" ] && printf '%s\r\n' "${C[extra]}" | expand
		if [ -n "$data" ]; then
			printf 'Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: %d\r\n' "${#data}"
		fi
		printf '\r\n%s' "$data"
	} >"$W/request"
	: >"$W/response"
	if exec 3<>"/dev/tcp/127.0.0.1/$PORT"; then
		cat "$W/request" >&3 2>/dev/null
		timeout 20 cat <&3 >"$W/response" 2>/dev/null
		exec 3<&-
	fi
	STATUS=$(head -1 "$W/response" | cut -d' ' -f2)
	: "${STATUS:=000}"
	perl -0777 -ne 'print $1 if /^(.*?)\r\n\r\n/s' "$W/response" >"$TMP_ROOT/headers"
	perl -0777 -ne 'print $1 if /^.*?\r\n\r\n(.*)$/s' "$W/response" >"$TMP_ROOT/body"
}

# check CASE TARGET: the answer is the one the case expects.
check() {
	local name=$1 target=$2 want_status err msg problems=()
	local e=${C[expect]}
	case $e in
	invalid) want_status=401 err="Invalid token" msg="Token validation failed" ;;
	expired) want_status=401 err="Token expired" msg="Please obtain a new token" ;;
	missing) want_status=401 err="No token provided" msg="Authorization header with Bearer token required" ;;
	http400) want_status=400 err="Bad request" ;;
	http431) want_status=431 err="Request header fields too large" ;;
	accept) want_status=200 ;;
	*) not_ok "$name: unknown expect '$e'"; return ;;
	esac
	[ "$STATUS" = "$want_status" ] || problems+=("status $STATUS, want $want_status")
	case $e in
	invalid | expired | missing)
		case $target in
		profile)
			[ "$(jbody .error)|$(jbody .message)" = "$err|$msg" ] || problems+=("body $(head -c 200 "$TMP_ROOT/body")")
			local www
			www=$(header WWW-Authenticate)
			[[ $www == Bearer\ realm=\"mcpauth\"* ]] || problems+=("no Bearer challenge")
			if [ "$e" = missing ]; then
				[[ $www != *error=* ]] || problems+=("challenge has an error: $www")
			else
				[[ $www == *'error="invalid_token"'* ]] || problems+=("challenge without invalid_token: $www")
			fi
			;;
		invoke)
			[ "$(jbody '[.ok, .status, .result.error, .result.message] | map(tostring) | join("|")')" = "false|401|$err|$msg" ] ||
				problems+=("body $(head -c 200 "$TMP_ROOT/body")")
			;;
		rpc)
			[ "$(jbody '[.jsonrpc, .id, .error.code, .error.data.error] | map(tostring) | join("|")')" = "2.0|7|-32001|$err" ] ||
				problems+=("body $(head -c 200 "$TMP_ROOT/body")")
			[ "$(jbody 'has("result")')" = false ] || problems+=("a result next to the error")
			;;
		esac
		;;
	http400 | http431)
		[ "$(jbody .error)" = "$err" ] || problems+=("body $(head -c 200 "$TMP_ROOT/body")")
		header Content-Type | grep -q '^application/json' || problems+=("Content-Type $(header Content-Type)")
		;;
	accept)
		case $target in
		profile) [ "$(jbody .profile.id)" = "auth0|user123" ] || problems+=("body $(head -c 200 "$TMP_ROOT/body")") ;;
		invoke) [ "$(jbody '.ok and .result.profile.id == "auth0|user123"')" = true ] || problems+=("body $(head -c 200 "$TMP_ROOT/body")") ;;
		rpc) [ "$(jbody '.result.isError == false and .result.structuredContent.profile.id == "auth0|user123"')" = true ] ||
			problems+=("body $(head -c 200 "$TMP_ROOT/body")") ;;
		esac
		;;
	esac
	case $STATUS in 5??) problems+=("a 5xx") ;; esac
	if [ -s "$W/secrets" ] && grep -qF -f "$W/secrets" "$TMP_ROOT/body" "$TMP_ROOT/headers" 2>/dev/null; then
		problems+=("the token is in the answer")
	fi
	if [ ${#problems[@]} -eq 0 ]; then
		ok "$name via $target: $STATUS ${err:-accepted}"
	else
		not_ok "$name via $target ($(printf '%s; ' "${problems[@]}"))"
	fi
}

# check_reason CASE LINES: an invalid token is refused by the check the
# case names, as the log (after its first LINES lines) says.
check_reason() {
	[ "${C[expect]}" = invalid ] || return 0
	local got
	got=$(server_log | tail -n +"$(($2 + 1))" | grep '"event":"token_rejected"' |
		jq -r 'select(.route == "/api/profile") | .reason' 2>/dev/null | head -1)
	if [ -z "${C[reason]:-}" ]; then
		not_ok "$1: an invalid case needs reason= (the verifier said: $got)"
	elif [ "$got" = "${C[reason]}" ]; then
		ok "$1 refused because: $got"
	else
		not_ok "$1: refused because '$got', not '${C[reason]}'"
	fi
}

declare -A C
ncases=0
for f in "$CASES"/*.case; do
	name=$(basename "$f" .case)
	C=()
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in '' | '#'*) continue ;; esac
		C[${line%%=*}]=${line#*=}
	done <"$f"
	if [ -z "${C[expect]:-}" ] || [ -z "${C[title]:-}" ]; then
		not_ok "$name: a case needs title and expect"
		continue
	fi
	ncases=$((ncases + 1))
	if ! build_token; then
		not_ok "$name: could not build the token"
		continue
	fi
	if [ -n "${C[contains]:-}" ] && ! LC_ALL=C grep -Eq -- "${C[contains]}" "$W/token"; then
		not_ok "$name: the token does not match /${C[contains]}/: the case tests nothing"
		continue
	fi
	if [ -n "${C[length]:-}" ] && [ "$(wc -c <"$W/token")" -ne "${C[length]}" ]; then
		not_ok "$name: token of $(wc -c <"$W/token") bytes, not ${C[length]}"
		continue
	fi
	build_auth
	for target in profile invoke rpc; do
		logged=$(server_log | wc -l)
		send "$target"
		check "$name" "$target"
		[ "$target" = profile ] && check_reason "$name" "$logged"
	done
done

# --- hostile bodies: what two JSON parsers would read differently -----------------
req POST /auth/login -H 'Content-Type: application/json' \
	--data-binary '{"email":"nobody@example.com","password":"x","email":"user@example.com"}'
expect_status 400 "login body with two emails"
expect_json .error "Invalid JSON" "login body with two emails: Invalid JSON"
req POST /auth/login -H 'Content-Type: application/json' \
	--data-binary '{"email":"user@example.com\u0000x","password":"password"}'
expect_status 400 "login body with a \\u0000"
req POST /auth/login -H 'Content-Type: application/json' --data-binary $'{"email":"user@example.com","password":"\xc0\xaf"}'
expect_status 400 "login body with overlong UTF-8"
req POST /mcp -H 'Content-Type: application/json' -H "Authorization: Bearer $(login user@example.com password)" \
	--data-binary '{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/call","params":{"name":"get_api_users"}}'
expect_status 400 "JSON-RPC message with two methods"
expect_json .error.code -32700 "JSON-RPC message with two methods: parse error"

# --- afterwards --------------------------------------------------------------
if [ "$ncases" -ge 100 ]; then ok "$ncases cases in the corpus"; else not_ok "only $ncases cases in the corpus"; fi
USER_TOKEN=$(login user@example.com password)
printf 'Bearer %s' "$USER_TOKEN" >"$W/auth"
C=()
C[expect]=accept
for target in profile invoke rpc; do
	send "$target"
	check "still answering a good token afterwards" "$target"
done
if grep -qF -f "$W/secrets" <(server_log); then
	not_ok "a token or signature is in the server's log"
else
	ok "no token or signature in the server's log ($(wc -l <"$W/secrets") checked)"
fi
expect_clean_log
finish
