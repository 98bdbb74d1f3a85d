# Shared by serve.sh and check.sh: install what is missing (Debian 12),
# then build. Sourced, not run.
# shellcheck shell=bash

MCPAUTH_PACKAGES="build-essential autoconf automake pkg-config libjson-c-dev libssl-dev libjwt-dev
libsqlite3-dev sqlite3 libcurl4-openssl-dev libfcgi-dev check lighttpd curl jq openssl nodejs npm
apache2 libapache2-mod-fcgid spawn-fcgi nginx clang libclang-rt-14-dev wrk python3 groff-base man-db clang-format oathtool
libqrencode-dev libpq-dev
chromium gnuplot-nox"
# What only the tests use: the Debian package's build and checks
# (tests/package/deb.sh) and a real PostgreSQL 15 (tests/integration/pg.sh).
# check.sh installs them; ./serve.sh does not need them.
MCPAUTH_TEST_PACKAGES="dpkg-dev debhelper fakeroot lintian postgresql-15"

# have_package NAME: dpkg has it, or its command is already there from
# another package (NodeSource's nodejs ships npm and conflicts with
# Debian's npm: installing that one would remove it).
have_package() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' && return 0
	case $1 in
	nodejs) command -v node >/dev/null ;;
	npm) command -v npm >/dev/null ;;
	*) return 1 ;;
	esac
}

ensure_packages() {
	local missing=() p
	for p in $MCPAUTH_PACKAGES "$@"; do
		have_package "$p" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "mcpauth needs these Debian packages; install them as root with:" >&2
		echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
	echo "installing: ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
	# The lighttpd, apache2 and nginx packages start a system server on port
	# 80, and postgresql-15 a cluster on 5432; the suite runs its own, so
	# leave the machine as it was.
	for p in lighttpd apache2 nginx postgresql-15; do
		if printf '%s\n' "${missing[@]}" | grep -qx "$p"; then
			(systemctl disable --now "${p%-15}" || service "${p%-15}" stop) >/dev/null 2>&1 || true
		fi
	done
}

# build DIR [configure args]: an out-of-tree build in DIR (autoreconf,
# configure and make as needed), so plain and sanitizer builds live side
# by side.
build() {
	local dir=$1 src=$PWD
	shift
	[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi >&2
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ] || [ configure -nt "$dir/Makefile" ]; then
		(cd "$dir" && "$src/configure" -q "$@") >&2
	fi
	make -s -C "$dir" -j"$(nproc)" >&2
}
