#!/usr/bin/env bash
# The operator's tool, mcpauth: each command and its exit code, passwords
# read from stdin or the terminal with echo off (never argv), and what the
# programs make of its work over HTTP: users it adds log in, permissions it
# grants show up in tokens, tokens it mints verify, and rotate-key keeps old
# tokens valid while new ones carry the new kid after a graceful restart.
set -u
. "$(dirname "$0")/lib.sh"

MCPAUTH="$top_builddir/tools/mcpauth"
# expect_rc WANT DESC CMD...: runs CMD (stdout in $TMP_ROOT/out, stderr in
# $TMP_ROOT/err) and checks its exit code.
expect_rc() {
	local want=$1 desc=$2 rc
	shift 2
	"$@" >"$TMP_ROOT/out" 2>"$TMP_ROOT/err"
	rc=$?
	if [ "$rc" = "$want" ]; then ok "$desc (exit $want)"; else
		not_ok "$desc: expected exit $want, got $rc: $(head -c 300 "$TMP_ROOT/err")"
	fi
}
out() { cat "$TMP_ROOT/out"; }
err() { cat "$TMP_ROOT/err"; }
mcp() { "$MCPAUTH" "$@"; }
claims_of() { printf '%s' "$1" | cut -d. -f2 | tr '_-' '/+' | { p=$(cat); while [ $(( ${#p} % 4 )) -ne 0 ]; do p="$p="; done; printf '%s' "$p"; } | base64 -d; }
kid_of() { printf '%s' "${1%%.*}" | tr '_-' '/+' | { p=$(cat); while [ $(( ${#p} % 4 )) -ne 0 ]; do p="$p="; done; printf '%s' "$p"; } | base64 -d | jq -r .kid; }

# --- help and usage ---------------------------------------------------------
expect_rc 0 "--help" mcp --help
if out | grep -q 'exit codes: 0 done, 1 error, 2 bad usage'; then ok "--help lists the exit codes"; else not_ok "--help lists the exit codes"; fi
for c in init "user add" "user del" users passwd grant revoke rotate-key keys mint verify; do
	# shellcheck disable=SC2086
	expect_rc 0 "$c --help" mcp $c --help
	if out | grep -q "^usage: mcpauth $c"; then ok "$c --help shows its usage"; else not_ok "$c --help shows its usage: $(out | head -1)"; fi
done
expect_rc 0 "help rotate-key" mcp help rotate-key
expect_rc 2 "no command" mcp
expect_rc 2 "unknown command" mcp frobnicate
expect_rc 2 "unknown option" mcp users --frob
expect_rc 1 "a bad setting stops the tool" env MCPAUTH_LEEWAY=zz "$MCPAUTH" users
if err | grep -q 'MCPAUTH_LEEWAY must be an integer'; then ok "a bad setting is named"; else not_ok "a bad setting is named: $(err)"; fi

# --- init ---------------------------------------------------------------------
FRESH="$TMP_ROOT/fresh"
expect_rc 1 "users before init" mcp --state-dir "$FRESH" users
if err | grep -q "run 'mcpauth init' first"; then ok "says to run init"; else not_ok "says to run init: $(err)"; fi
expect_rc 0 "init" mcp --state-dir "$FRESH" init
expect_eq "$(stat -c %a "$FRESH")" 700 "state directory mode 0700"
expect_eq "$(stat -c %a "$FRESH/signing-key.pem")" 600 "signing key mode 0600"
expect_eq "$(jq -r '.keys | length' "$FRESH/jwks.json")" 1 "one key published"
expect_eq "$(out | sed -n 's/^signing key kid //p')" "$(jq -r '.keys[0].kid' "$FRESH/jwks.json")" "init prints the kid it publishes"
expect_rc 0 "users on a fresh database" mcp --state-dir "$FRESH" users
expect_eq "$(out | wc -l)" 0 "init creates no demo users"
KID_BEFORE=$(jq -r '.keys[0].kid' "$FRESH/jwks.json")
expect_rc 0 "init again" mcp --state-dir "$FRESH" init
expect_eq "$(jq -r '.keys[0].kid' "$FRESH/jwks.json")" "$KID_BEFORE" "init again keeps the key"
expect_rc 0 "init --demo-users" mcp --state-dir "$TMP_ROOT/demo" init --demo-users
expect_rc 0 "users with demo users" mcp --state-dir "$TMP_ROOT/demo" users
expect_eq "$(out | cut -f2 | sort | tr '\n' ' ')" "admin@example.com user@example.com viewer@example.com " "init --demo-users seeds the demo users"
if [ "$(id -u)" -eq 0 ]; then
	U=${MCPAUTH_TEST_USER:-www-data}
	id "$U" >/dev/null 2>&1 || U=nobody
	chmod 711 "$TMP_ROOT"
	expect_rc 0 "init --user" mcp --state-dir "$TMP_ROOT/owned" init --user "$U"
	expect_eq "$(stat -c %U "$TMP_ROOT/owned") $(stat -c %U "$TMP_ROOT/owned/signing-key.pem") $(stat -c %U "$TMP_ROOT/owned/mcpauth.db")" \
		"$U $U $U" "init --user gives the directory and its files to $U"
	echo 'pw-for-owned' | mcp --state-dir "$TMP_ROOT/owned" user add own@example.com >/dev/null 2>&1
	mcp --state-dir "$TMP_ROOT/owned" rotate-key >/dev/null 2>&1
	expect_eq "$(find "$TMP_ROOT/owned" ! -user "$U" | wc -l)" 0 "run as root later, the tool still writes as $U"
	expect_rc 2 "init --user with an unknown user" mcp --state-dir "$TMP_ROOT/x" init --user no-such-user-mcpauth
fi

# --- a server on the tool's state directory ------------------------------------
start_server 2 || { echo "0 passed, 1 failed"; exit 1; }
S="$MCPAUTH_STATE_DIR"
expect_rc 0 "init on the server's state directory" mcp init

# --- user add, passwords --------------------------------------------------------
PW='correct horse battery'
expect_rc 0 "user add, password on stdin" sh -c "printf '%s\n' '$PW' | '$MCPAUTH' user add ops@example.com --name 'Ops Person' --permissions 'read:profile'"
OPS_ID=$(out)
if printf '%s' "$OPS_ID" | grep -Eq '^auth0\|[0-9a-f]{12}$'; then ok "user add prints the new id"; else not_ok "user add prints the new id: $OPS_ID"; fi
expect_rc 4 "user add with a taken email" sh -c "echo x | '$MCPAUTH' user add OPS@example.com"
expect_rc 2 "user add with a bad email" sh -c "echo x | '$MCPAUTH' user add not-an-email"
expect_rc 2 "user add with a bad permission" sh -c "echo x | '$MCPAUTH' user add p@example.com --permissions 'Admin'"
expect_rc 2 "a password option is refused" mcp user add p@example.com --password secret
expect_rc 1 "user add with an empty password" sh -c "echo | '$MCPAUTH' user add p@example.com"
expect_rc 0 "user add --no-password" mcp user add nopw@example.com --no-password
req POST /auth/login -d '{"email":"nopw@example.com","password":"x"}'
expect_status 401 "a user added without a password cannot log in"

req POST /auth/login -d "{\"email\":\"ops@example.com\",\"password\":\"$PW\"}"
expect_status 200 "the added user logs in with the password given on stdin"
expect_json .user.name "Ops Person" "the added user's name"
OPS_TOKEN=$(jbody .access_token)
req GET /api/profile -H "Authorization: Bearer $OPS_TOKEN"
expect_status 200 "the added user reads the profile"
expect_json .profile.id "$OPS_ID" "the profile is the added user's"

expect_rc 2 "passwd refuses a password on the command line" mcp passwd ops@example.com 'new-secret'
req POST /auth/login -d "{\"email\":\"ops@example.com\",\"password\":\"new-secret\"}"
expect_status 401 "the refused command changed nothing"
expect_rc 3 "passwd for an unknown user" sh -c "echo x | '$MCPAUTH' passwd nobody@example.com"
expect_rc 0 "passwd from stdin" sh -c "printf 'second-secret\n' | '$MCPAUTH' passwd ops@example.com"
req POST /auth/login -d "{\"email\":\"ops@example.com\",\"password\":\"$PW\"}"
expect_status 401 "the old password no longer works"
req POST /auth/login -d '{"email":"ops@example.com","password":"second-secret"}'
expect_status 200 "the new password works"

# At a terminal: typed twice, echo off. script(1) gives the tool a pty;
# each line is sent only once its prompt shows, so echo is already off.
tty_passwd() { # tty_passwd FIRST SECOND: the screen in $TMP_ROOT/screen
	local fifo="$TMP_ROOT/tty.in" i
	rm -f "$fifo" "$TMP_ROOT/screen"
	mkfifo "$fifo"
	script -qfec "'$MCPAUTH' passwd ops@example.com" "$TMP_ROOT/screen" <"$fifo" >/dev/null 2>&1 &
	local pid=$!
	exec 3>"$fifo"
	for i in $(seq 1 100); do grep -q 'New password:' "$TMP_ROOT/screen" 2>/dev/null && break; sleep 0.1; done
	printf '%s\n' "$1" >&3
	for i in $(seq 1 100); do grep -q 'Again:' "$TMP_ROOT/screen" 2>/dev/null && break; sleep 0.1; done
	printf '%s\n' "$2" >&3
	wait "$pid"
	TTY_RC=$?
	exec 3>&-
}
if command -v script >/dev/null; then
	tty_passwd 'typed-at-tty-1' 'typed-at-tty-1'
	expect_eq "$TTY_RC" 0 "passwd at a terminal"
	if grep -q 'Again:' "$TMP_ROOT/screen"; then ok "the terminal shows both prompts"; else not_ok "the terminal shows both prompts"; fi
	if grep -q 'typed-at-tty' "$TMP_ROOT/screen"; then not_ok "the password typed is not echoed"; else ok "the password typed is not echoed"; fi
	req POST /auth/login -d '{"email":"ops@example.com","password":"typed-at-tty-1"}'
	expect_status 200 "the password typed at the terminal works"
	tty_passwd 'typed-at-tty-2' 'typed-differently'
	expect_eq "$TTY_RC" 1 "two different passwords at the terminal are refused"
	req POST /auth/login -d '{"email":"ops@example.com","password":"typed-at-tty-1"}'
	expect_status 200 "a refused change keeps the password"
else
	not_ok "script(1) is needed for the terminal test (bsdutils)"
fi

# --- grant, revoke, users -------------------------------------------------------
expect_rc 0 "grant" mcp grant ops@example.com read:users write:users
expect_eq "$(out)" "read:profile read:users write:users" "grant prints the new set"
expect_rc 0 "grant again (no duplicates)" mcp grant ops@example.com read:users
expect_eq "$(out)" "read:profile read:users write:users" "granting a held permission changes nothing"
OPS_TOKEN=$(login ops@example.com typed-at-tty-1)
req GET /api/users -H "Authorization: Bearer $OPS_TOKEN"
expect_status 200 "the next token carries the granted permission"
expect_rc 0 "revoke" mcp revoke ops@example.com read:users write:users
expect_eq "$(out)" "read:profile" "revoke prints the new set"
OPS_TOKEN=$(login ops@example.com typed-at-tty-1)
req GET /api/users -H "Authorization: Bearer $OPS_TOKEN"
expect_status 403 "the next token lacks the revoked permission"
expect_rc 2 "grant a malformed permission" mcp grant ops@example.com 'drop table'
expect_rc 2 "grant without a permission" mcp grant ops@example.com
expect_rc 3 "grant to an unknown user" mcp grant nobody@example.com read:users
expect_rc 0 "users" mcp users
if out | grep -q "^$OPS_ID	ops@example.com	Ops Person	read:profile\$"; then ok "users lists id, email, name, permissions"; else not_ok "users lists the user: $(out)"; fi
expect_rc 0 "users --json" mcp users --json
expect_eq "$(out | jq -r '.[] | select(.email == "ops@example.com") | .id + " " + (.permissions | join(","))')" "$OPS_ID read:profile" "users --json"
expect_rc 0 "user list (another name)" mcp user list

# --- mint, verify ---------------------------------------------------------------
expect_rc 0 "mint" mcp mint ops@example.com --ttl 300
MINTED=$(out)
expect_eq "$(claims_of "$MINTED" | jq -r '[.sub, .iss, .aud, (.exp - .iat), (.permissions | join(","))] | join(" ")')" \
	"$OPS_ID $MCPAUTH_ISSUER https://your-api.example.com 300 read:profile" "minted claims"
req GET /api/profile -H "Authorization: Bearer $MINTED"
expect_status 200 "the server accepts a minted token"
expect_rc 0 "verify a minted token (stdin)" sh -c "printf '%s\n' '$MINTED' | '$MCPAUTH' verify"
if out | tail -1 | grep -q "^valid: sub $OPS_ID"; then ok "verify says valid"; else not_ok "verify says valid: $(out | tail -1)"; fi
expect_rc 0 "verify a Bearer header value" mcp verify "Bearer $MINTED"
TAMPERED="${MINTED%%.*}.$(claims_of "$MINTED" | jq -c '.permissions = ["admin:all"]' | b64url).${MINTED##*.}"
expect_rc 5 "verify a tampered token" mcp verify "$TAMPERED"
expect_eq "$(out | tail -1)" "invalid: bad signature" "verify says why: bad signature"
expect_eq "$(out | sed -n '/^claims:/,$p' | sed '1s/^claims: //;$d' | jq -r '.permissions[0]')" "admin:all" "verify still shows the claims it cannot trust"
expect_rc 5 "verify garbage" mcp verify not-a-token
expect_eq "$(out | tail -1)" "invalid: not three segments" "verify says why: not three segments"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TMP_ROOT/foreign.pem" 2>/dev/null
FOREIGN=$(sign_token '{"alg":"RS256","kid":"someone-else"}' "$(claims_of "$MINTED")" "$TMP_ROOT/foreign.pem")
expect_rc 5 "verify a token of an unknown key" mcp verify "$FOREIGN"
expect_eq "$(out | tail -1)" "invalid: unknown kid" "verify says why: unknown kid"
OTHER_AUD=$(env AUTH0_AUDIENCE=https://other.example.com "$MCPAUTH" mint ops@example.com)
expect_rc 5 "verify a token for another audience" mcp verify "$OTHER_AUD"
expect_eq "$(out | tail -1)" "invalid: wrong aud" "verify says why: wrong aud"
# A token of the authorization flow: aud is the resource it was asked for.
KEYFILE="$MCPAUTH_STATE_DIR/signing-key.pem"
FLOW=$(sign_token "{\"alg\":\"RS256\",\"kid\":\"$(server_kid)\"}" \
	"$(claims_of "$MINTED" | jq -c --arg a "$BASE/mcp" '.aud = $a | .client_id = "https://client.example/app.json"')" "$KEYFILE")
expect_rc 0 "verify a token bound to the MCP resource (aud = its URL)" mcp verify "$FLOW"
NOTOURS=$(sign_token "{\"alg\":\"RS256\",\"kid\":\"$(server_kid)\"}" \
	"$(claims_of "$MINTED" | jq -c '.aud = "http://evil.example/mcp"')" "$KEYFILE")
expect_rc 5 "verify a token bound to a host this suite does not answer for" mcp verify "$NOTOURS"
SHORT=$(mcp mint ops@example.com --ttl 1)
sleep 2
expect_rc 6 "verify an expired token" env MCPAUTH_LEEWAY=0 "$MCPAUTH" verify "$SHORT"
if out | tail -1 | grep -q '^expired'; then ok "verify says expired"; else not_ok "verify says expired: $(out | tail -1)"; fi
expect_rc 0 "inside the leeway it is still valid" mcp verify "$SHORT"
expect_rc 3 "mint for an unknown user" mcp mint nobody@example.com
expect_rc 2 "mint with a bad ttl" mcp mint ops@example.com --ttl 0
expect_rc 2 "mint in Auth0 mode" env MCPAUTH_ISSUER= AUTH0_DOMAIN=tenant.example.com "$MCPAUTH" mint ops@example.com

# --- rotate-key -----------------------------------------------------------------
OLD_KID=$(jq -r '.keys[0].kid' "$S/jwks.json")
OLD_TOKEN=$(login ops@example.com typed-at-tty-1)
expect_eq "$(kid_of "$OLD_TOKEN")" "$OLD_KID" "before rotation tokens carry the first kid"
expect_rc 0 "rotate-key" mcp rotate-key
NEW_KID=$(out)
if [ -n "$NEW_KID" ] && [ "$NEW_KID" != "$OLD_KID" ]; then ok "rotate-key prints a new kid"; else not_ok "rotate-key prints a new kid: '$NEW_KID'"; fi
if err | grep -q 'Restart the programs'; then ok "rotate-key says to restart the programs"; else not_ok "rotate-key says to restart: $(err)"; fi
expect_eq "$(jq -r '[.keys[].kid] | join(" ")' "$S/jwks.json")" "$NEW_KID $OLD_KID" "jwks.json: the new key first, the old one kept"
expect_rc 0 "keys" mcp keys
expect_eq "$(out | cut -f2 | sed 's/ until.*//' | tr '\n' ',')" "signing,retired, published," "keys: the new one signs, the old one is retired"
NEW_MINTED=$(mcp mint ops@example.com)
expect_eq "$(kid_of "$NEW_MINTED")" "$NEW_KID" "minted after rotation: the new kid"
# Running programs keep the keys they loaded at start (hence the restart).
req GET /api/profile -H "Authorization: Bearer $OLD_TOKEN"
expect_status 200 "before the restart: the old token still works"
req GET /api/profile -H "Authorization: Bearer $NEW_MINTED"
case $MCPAUTH_TEST_SERVER in
*-cgi) expect_status 200 "as CGI every request loads the keys: the new key works at once" ;;
*) expect_status 401 "before the restart: a running program does not know the new key yet" ;;
esac
reload_server || not_ok "graceful restart of $MCPAUTH_TEST_SERVER"
req GET /.well-known/jwks.json
expect_json '[.keys[].kid] | join(" ")' "$NEW_KID $OLD_KID" "after a graceful restart both keys are published"
expect_json '[.keys[] | has("mcpauth_retire_at")] | any' false "the retirement note stays private"
req GET /api/profile -H "Authorization: Bearer $OLD_TOKEN"
expect_status 200 "after the restart: a token of the old key still works"
req GET /api/profile -H "Authorization: Bearer $NEW_MINTED"
expect_status 200 "after the restart: a token of the new key works"
NEW_TOKEN=$(login ops@example.com typed-at-tty-1)
expect_eq "$(kid_of "$NEW_TOKEN")" "$NEW_KID" "after the restart login signs with the new kid"
req GET /api/profile -H "Authorization: Bearer $NEW_TOKEN"
expect_status 200 "the new login token works"
expect_rc 0 "verify the old token after rotation" mcp verify "$OLD_TOKEN"

# --keep 0 drops the old key at once (a leaked key): neither published nor
# trusted after the restart, and the tool refuses its tokens straight away.
expect_rc 0 "rotate-key --keep 0" mcp rotate-key --keep 0
THIRD_KID=$(out)
if err | grep -q 'the old one is dropped'; then ok "rotate-key --keep 0 says the old key is dropped"; else not_ok "rotate-key --keep 0 says the old key is dropped: $(err)"; fi
expect_eq "$(jq -r '[.keys[].kid] | join(" ")' "$S/jwks.json")" "$THIRD_KID $OLD_KID" \
	"--keep 0: the old key leaves jwks.json at once; a key within its time stays"
expect_rc 5 "a token of a dropped key" mcp verify "$NEW_TOKEN"
expect_eq "$(out | tail -1)" "invalid: unknown kid" "a dropped key's tokens are refused: unknown kid"
reload_server || not_ok "graceful restart of $MCPAUTH_TEST_SERVER"
req GET /.well-known/jwks.json
expect_json '[.keys[].kid] | join(" ")' "$THIRD_KID $OLD_KID" "after --keep 0 and a restart the dropped key is not published"
req GET /api/profile -H "Authorization: Bearer $NEW_TOKEN"
expect_status 401 "after --keep 0 and a restart the server refuses the dropped key's tokens"
req GET /api/profile -H "Authorization: Bearer $OLD_TOKEN"
expect_status 200 "while a key still within its time keeps working"
expect_rc 0 "rotate-key once more" mcp rotate-key
FOURTH_KID=$(out)
expect_eq "$(jq -r '[.keys[].kid] | join(" ")' "$S/jwks.json")" "$FOURTH_KID $THIRD_KID $OLD_KID" \
	"the next rotation keeps the keys within their time"

# A retire time that passes while the programs run: from that second on the
# key's tokens are refused and the key is not published, with no restart;
# and a restart after it does not bring the key back.
reload_server || not_ok "graceful restart of $MCPAUTH_TEST_SERVER"
FOURTH_TOKEN=$(login ops@example.com typed-at-tty-1)
expect_eq "$(kid_of "$FOURTH_TOKEN")" "$FOURTH_KID" "after the restart login signs with the fourth kid"
KEEP=8
expect_rc 0 "rotate-key --keep $KEEP" mcp rotate-key --keep $KEEP
FIFTH_KID=$(out)
RETIRE=$(jq -r --arg k "$FOURTH_KID" '.keys[] | select(.kid == $k) | .mcpauth_retire_at' "$S/jwks.json")
reload_server || not_ok "graceful restart of $MCPAUTH_TEST_SERVER"
req GET /api/profile -H "Authorization: Bearer $FOURTH_TOKEN"
AT=$(date +%s)
if [ "$AT" -lt "$RETIRE" ]; then
	expect_status 200 "before its retire time a retired key's token works"
	req GET /.well-known/jwks.json
	expect_json '[.keys[].kid] | join(" ")' "$FIFTH_KID $FOURTH_KID $THIRD_KID $OLD_KID" "before its retire time the key is published"
else
	not_ok "the restart took past the retire time ($AT >= $RETIRE): raise KEEP"
fi
while [ "$(date +%s)" -lt "$RETIRE" ]; do sleep 0.2; done
req GET /api/profile -H "Authorization: Bearer $FOURTH_TOKEN"
expect_status 401 "from its retire time on, without a restart, the key's tokens are refused (the cached one too)"
expect_json .error "Invalid token" "a retired key's token: Invalid token"
req GET /.well-known/jwks.json
expect_json '[.keys[].kid] | join(" ")' "$FIFTH_KID $THIRD_KID $OLD_KID" "from its retire time on, without a restart, the key is not published"
expect_rc 5 "verify a retired key's token" mcp verify "$FOURTH_TOKEN"
expect_eq "$(out | tail -1)" "invalid: key retired" "the tool says the key is retired"
expect_rc 0 "keys after a retire time" mcp keys
if out | grep -q "^$FOURTH_KID	retired at $RETIRE, neither trusted nor published"; then ok "keys shows the key past its time"; else not_ok "keys shows the key past its time: $(out)"; fi
reload_server || not_ok "graceful restart of $MCPAUTH_TEST_SERVER"
req GET /api/profile -H "Authorization: Bearer $FOURTH_TOKEN"
expect_status 401 "after a restart a key past its retire time stays refused"
req GET /.well-known/jwks.json
expect_json '[.keys[].kid] | join(" ")' "$FIFTH_KID $THIRD_KID $OLD_KID" "after a restart a key past its retire time stays unpublished"
expect_rc 2 "rotate-key with a bad --keep" mcp rotate-key --keep -1
expect_rc 2 "rotate-key in Auth0 mode" env MCPAUTH_ISSUER= AUTH0_DOMAIN=tenant.example.com "$MCPAUTH" rotate-key

# --- user del -------------------------------------------------------------------
expect_rc 0 "user del" mcp user del nopw@example.com
expect_rc 3 "user del again" mcp user del nopw@example.com
expect_rc 0 "users after del" mcp users
if out | grep -q nopw@example.com; then not_ok "a deleted user is gone"; else ok "a deleted user is gone"; fi

# --- nothing secret in the logs -----------------------------------------------------
if server_log | grep -qE "typed-at-tty|second-secret|$PW|${OLD_TOKEN##*.}"; then
	not_ok "no password or token in the server's logs"
else
	ok "no password or token in the server's logs"
fi
expect_clean_log
finish
