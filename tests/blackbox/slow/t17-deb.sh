#!/bin/sh
# The Debian package (issue 21): `make deb` in a copy of the source tree,
# its files against `make install PREFIX=/usr`'s, lintian on it, then, as
# root, `apt-get install` of it on this machine, a push through the
# installed program to the stand-in API, and `apt-get remove`, which
# leaves the machine as it was. Without root or apt-get the installing
# cases are skipped; on a machine that has cf-purge-hook installed already
# they are skipped too, so that the test never replaces or removes it.
#
# Long: about a minute, most of it the build and lintian. The build is in
# a copy so that the checkout's objects (maybe SANITIZE=1 ones, which the
# suites after this one use) are not rebuilt with Debian's flags.
. "$(dirname "$0")/../lib.sh"

SRC=$TRASH/src
VERSION=$(sed -n 's/^VERSION = //p' "$ROOT/Makefile")
LOCK=/run/lock/cf-purge-hook-t17.lock
INSTALLED=

# Whatever happens, a package this test installed does not outlive it.
remove_package() {
	if [ -n "$INSTALLED" ]; then
		apt-get remove -y -q -o DPkg::Lock::Timeout=300 cf-purge-hook \
			>"$TRASH/remove.log" 2>&1
		INSTALLED=
	fi
}
trap 'remove_package; cleanup' EXIT

if ! command -v dpkg-deb >/dev/null 2>&1; then
	skip "the package" "not a Debian system: dpkg-deb is missing"
	finish
	exit
fi
ARCH=$(dpkg --print-architecture)
DEB=cf-purge-hook_${VERSION}_$ARCH.deb

# The source as the developer sees it: tracked and new files, without
# what .gitignore leaves out (objects, the program, earlier packages).
mkdir -p "$SRC"
git -C "$ROOT" -c safe.directory="$ROOT" ls-files -z --cached --others --exclude-standard |
	(cd "$ROOT" && tar --null -T - -cf -) | tar -C "$SRC" -xf -

expect "make deb builds $DEB" '
	make -C "$SRC" -j2 deb &&
	test -f "$SRC/$DEB"
'
if [ ! -f "$SRC/$DEB" ]; then
	finish
	exit
fi
cp "$SRC/$DEB" "$TRASH/"

# The paths of a folder or of a package, one a line, without "./".
paths_of_dir() {
	(cd "$1" && find . -mindepth 1) | sed 's|^\./||' | LC_ALL=C sort
}
paths_of_deb() {
	dpkg-deb -c "$1" | sed -e 's|.* \./||' -e 's|/$||' -e '/^$/d' |
		LC_ALL=C sort
}

expect 'the package holds the paths of make install PREFIX=/usr, and Debian'"'"'s copyright and changelog.gz' '
	make -C "$SRC" -o cf-purge-hook install DESTDIR="$TRASH/a" PREFIX=/usr &&
	paths_of_dir "$TRASH/a" >"$TRASH/install.paths" &&
	paths_of_deb "$TRASH/$DEB" >"$TRASH/deb.paths" &&
	{ cat "$TRASH/install.paths" &&
	  echo usr/share/doc/cf-purge-hook/changelog.gz &&
	  echo usr/share/doc/cf-purge-hook/copyright; } |
		LC_ALL=C sort >"$TRASH/expect" &&
	diff -u "$TRASH/expect" "$TRASH/deb.paths" &&
	grep -qx usr/bin/cf-purge-hook "$TRASH/deb.paths" &&
	grep -qx usr/share/man/man1/cf-purge-hook.1.gz "$TRASH/deb.paths" &&
	grep -qx usr/share/doc/cf-purge-hook/cf-purge-hook.ini.example "$TRASH/deb.paths" &&
	grep -qx usr/share/doc/cf-purge-hook/examples/servers.md "$TRASH/deb.paths"
'

expect 'the files are the same as make install'"'"'s, but for the binary, which is stripped' '
	dpkg-deb -x "$TRASH/$DEB" "$TRASH/x" &&
	(cd "$TRASH/a" && find . -type f ! -path ./usr/bin/cf-purge-hook) |
	while read -r f; do
		cmp "$TRASH/a/$f" "$TRASH/x/$f" || exit 1
	done &&
	readelf -S "$TRASH/a/usr/bin/cf-purge-hook" | grep -q "\.symtab" &&
	! readelf -S "$TRASH/x/usr/bin/cf-purge-hook" | grep -q "\.symtab" &&
	zcat "$TRASH/x/usr/share/doc/cf-purge-hook/changelog.gz" |
		head -n 1 | grep -q "^cf-purge-hook ($VERSION) "
'

expect 'the control file: version, architecture, and Debian'"'"'s libgit2, cJSON, inih and libcurl packages' '
	dpkg-deb -f "$TRASH/$DEB" Package Version Architecture >"$TRASH/actual" &&
	printf "Package: cf-purge-hook\nVersion: %s\nArchitecture: %s\n" \
		"$VERSION" "$ARCH" >"$TRASH/expect" &&
	diff -u "$TRASH/expect" "$TRASH/actual" &&
	dpkg-deb -f "$TRASH/$DEB" Depends >"$TRASH/depends" &&
	cat "$TRASH/depends" &&
	grep -Eq "(^|, )libgit2-[0-9.]+ \(>= " "$TRASH/depends" &&
	grep -Eq "(^|, )libcjson1 \(>= " "$TRASH/depends" &&
	grep -Eq "(^|, )libinih1 \(>= " "$TRASH/depends" &&
	grep -Eq "(^|, )libcurl4 \(>= [0-9.]+\) \| libcurl3-gnutls \(>= [0-9.]+\)(,|$)" "$TRASH/depends"
'

if ! command -v lintian >/dev/null 2>&1 && [ "$(id -u)" = 0 ] &&
    command -v apt-get >/dev/null 2>&1; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		-o DPkg::Lock::Timeout=300 --no-install-recommends lintian \
		>"$TRASH/lintian-install.log" 2>&1
fi
if command -v lintian >/dev/null 2>&1; then
	expect 'lintian reports no error' '
		code lintian --pedantic -I "$TRASH/$DEB" >"$TRASH/lintian.out" 2>&1
		cat "$TRASH/lintian.out" &&
		! grep "^E:" "$TRASH/lintian.out" &&
		test "$CODE" = 0
	'
	# Warnings are not failures, but are shown.
	grep '^[WIP]:' "$TRASH/lintian.out" | sed 's/^/# lintian: /'
else
	skip lintian "it is not installed and cannot be (needs root and apt-get)"
fi

# Installing: only as root with apt-get, one run at a time on the machine
# (another checkout's t17 would install and remove under this one), and
# never over a cf-purge-hook that is already there.
why=
if [ "$(id -u)" != 0 ]; then
	why="installing a package needs root"
elif ! command -v apt-get >/dev/null 2>&1; then
	why="apt-get is missing"
else
	exec 9>"$LOCK"
	if ! flock -w 600 9; then
		why="another run of t17 held '$LOCK' for 10 minutes"
	elif dpkg -s cf-purge-hook >/dev/null 2>&1; then
		why="cf-purge-hook is installed already; this test would replace it"
	elif [ -e /usr/bin/cf-purge-hook ]; then
		why="/usr/bin/cf-purge-hook exists already; this test would replace it"
	fi
fi
if [ -n "$why" ]; then
	skip "apt-get install, a push, apt-get remove" "$why"
	finish
	exit
fi

INSTALLED=yes
expect 'apt-get installs the package' '
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		-o DPkg::Lock::Timeout=300 "$TRASH/$DEB" &&
	dpkg -s cf-purge-hook | grep -x "Status: install ok installed" &&
	dpkg -s cf-purge-hook | grep -x "Version: $VERSION"
'

expect 'the installed program says its version' '
	/usr/bin/cf-purge-hook --version >"$TRASH/version" &&
	cat "$TRASH/version" &&
	grep -q "^cf-purge-hook $VERSION (libgit2 " "$TRASH/version"
'

expect 'man finds the man page, and the docs are in /usr/share/doc' '
	if command -v man >/dev/null 2>&1; then
		test "$(man -w cf-purge-hook)" = /usr/share/man/man1/cf-purge-hook.1.gz
	else
		test -f /usr/share/man/man1/cf-purge-hook.1.gz
	fi &&
	d=/usr/share/doc/cf-purge-hook &&
	test -f $d/README.md && test -f $d/cf-purge-hook.ini.example &&
	test -f $d/examples/servers.md && test -f $d/copyright &&
	test -f $d/changelog.gz
'

start_stub || exit 1
git init -q --bare "$TRASH/deploy.git"

expect 'the installed program installs itself as a repository'"'"'s hook' '
	/usr/bin/cf-purge-hook -C "$TRASH/deploy.git" install &&
	grep -x "exec '"'"'/usr/bin/cf-purge-hook'"'"' hook" \
		"$TRASH/deploy.git/hooks/post-receive" &&
	test -x "$TRASH/deploy.git/hooks/post-receive" &&
	test -f "$TRASH/deploy.git/cf-purge-hook.ini"
'

# The starting config points nowhere yet: the tests' own, to the stand-in.
write_config "$TRASH/deploy.git/cf-purge-hook.ini"
git init -q "$TRASH/site"
cd "$TRASH/site" || exit 1
git remote add origin "$TRASH/deploy.git"
mkdir -p public
echo home >public/index.html
echo style >public/style.css
commit_all "first deploy"
git push -q origin main 2>"$TRASH/push.err"
echo home2 >public/index.html
commit_all "second deploy"

expect 'a push through the installed hook purges what it changed' '
	clear_log &&
	git push origin main 2>"$TRASH/push.err" &&
	cat "$TRASH/push.err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/ https://example.com/index.html" &&
	grep "^remote: cf-purge-hook: purged 2 URLs in 1 request" "$TRASH/push.err"
'
cd "$TRASH" || exit 1

expect 'apt-get remove takes the program, its man page and its docs away' '
	DEBIAN_FRONTEND=noninteractive apt-get remove -y -q \
		-o DPkg::Lock::Timeout=300 cf-purge-hook &&
	! dpkg -s cf-purge-hook 2>/dev/null | grep -q "^Status: install ok" &&
	test ! -e /usr/bin/cf-purge-hook &&
	test ! -e /usr/share/man/man1/cf-purge-hook.1.gz &&
	test ! -e /usr/share/doc/cf-purge-hook
'
# Else the trap tries again.
if ! dpkg -s cf-purge-hook 2>/dev/null | grep -q "^Status: install ok"; then
	INSTALLED=
fi

finish
