#!/bin/sh
# mkman.sh MCPAUTH VERSION: prints the mcpauth(1) manual page, made from
# the tool's own help (`mcpauth --help` and `mcpauth COMMAND --help`), so
# that the page and the tool cannot disagree. Run by make after the tool is
# built; tests/unit/man.sh checks the result.
set -eu
tool=$1
version=${2:-}

# roff: a backslash is \e, a hyphen \- (so options render as typed), and a
# line that starts with . or ' is text, not a request.
esc() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

help=$("$tool" --help)
synopses=$(printf '%s\n' "$help" | sed -n '/^commands:$/,/^$/{/^  /s/^  //p;}')
# After the command list: the settings paragraph, then the exit codes.
about=$(printf '%s\n' "$help" | sed -n '/^commands:$/,$p' | sed '1,/^$/d' | sed '/^exit codes:/,$d' | sed '/^$/d')
codes=$(printf '%s\n' "$help" | sed -n '/^exit codes:/,$p' | tr '\n' ' ' | sed -e 's/^exit codes: *//' -e 's/ *$//')

cat <<EOF
.TH MCPAUTH 1 "" "mcpauth $version" "User Commands"
.nh
.ad l
.SH NAME
mcpauth \\- the operator's command line of the mcpauth suite: users, keys and tokens
.SH SYNOPSIS
.B mcpauth
[\\fB\\-\\-state\\-dir\\fR \\fIDIR\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]
.br
.B mcpauth
\\fICOMMAND\\fR \\fB\\-\\-help\\fR
.SH DESCRIPTION
.B mcpauth
looks after what the suite's programs share in their state directory: the
users and their permissions, the signing keys, and the tokens made from
them. Each command is described below.
.PP
EOF
printf '%s\n' "$about" | esc
echo ".SH COMMANDS"
printf '%s\n' "$synopses" | while IFS= read -r syn; do
	# The command's name: its leading lower-case words ("user add").
	name=$(printf '%s\n' "$syn" | awk '{ n = ""; for (i = 1; i <= NF && $i ~ /^[a-z][a-z-]*$/; i++) n = n (n ? " " : "") $i; print n }')
	echo ".TP"
	printf '.B %s\n' "$(printf '%s\n' "$syn" | esc)"
	# shellcheck disable=SC2086 # the name's words are separate arguments
	"$tool" $name --help | sed '1,/^$/d' | esc
done
echo ".SH EXIT STATUS"
printf '%s\n' "$codes" | tr ',' '\n' | sed 's/^ *//' | while IFS= read -r c; do
	[ -n "$c" ] || continue
	echo ".TP"
	printf '.B %s\n' "${c%% *}"
	printf '%s\n' "${c#* }" | esc
done
cat <<'EOF'
.SH FILES
In the state directory (MCPAUTH_STATE_DIR, mode 0700, each file 0600):
.TP
.I signing\-key.pem
the local issuer's private key
.TP
.I jwks.json
its public keys, with the retire time of keys rotated out
.TP
.I mcpauth.db
the SQLite database: users, refresh tokens, failed logins
.SH SEE ALSO
The manual in the source tree's
.IR docs/ :
.I operations.md
(deployment, every setting, this tool),
.I security.md
and
.IR api.md .
EOF
