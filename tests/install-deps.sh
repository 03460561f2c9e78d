#!/bin/sh
# Installs what building and testing need, from Debian's packages, when
# something is missing. Run as root it uses apt-get; otherwise it prints the
# command to run and fails.
set -u

missing=""
need_pkg() {	# pkg-config name, Debian package
	pkg-config --exists "$1" 2>/dev/null || missing="$missing $2"
}
need_cmd() {	# command, Debian package
	command -v "$1" >/dev/null 2>&1 || missing="$missing $2"
}

need_cmd cc gcc
need_cmd pkg-config pkg-config
need_pkg libgit2 libgit2-dev
need_pkg libcurl libcurl4-openssl-dev
need_pkg libcjson libcjson-dev
need_pkg inih libinih-dev
need_cmd git git
need_cmd python3 python3
need_cmd curl curl
# t7 and t16 read the CI examples and action.yml with python3's yaml
# module; t16 runs shellcheck on the action's scripts, and
# gitlab-ci-local (from npm, when node is there) copies with rsync.
python3 -c 'import yaml' 2>/dev/null || missing="$missing python3-yaml"
need_cmd shellcheck shellcheck
need_cmd rsync rsync

[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "cf-purge-hook: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq &&
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		{ echo "cf-purge-hook: cannot install:$missing" >&2; exit 1; }
	exit 0
fi
echo "cf-purge-hook: missing packages:$missing" >&2
echo "cf-purge-hook: run: sudo apt-get install$missing" >&2
exit 1
