#!/bin/sh
# Builds cf-purge-hook_VERSION_ARCH.deb in the top folder; `make deb` runs
# it with the Makefile's VERSION. The package holds exactly the files of
# `make install PREFIX=/usr` (the binary stripped, as Debian ships them),
# plus what Debian asks of every package: /usr/share/doc/cf-purge-hook/
# copyright and changelog.gz, and DEBIAN/control and md5sums. The
# files it takes them from are in packaging/debian/.
#
# Needs dpkg-deb. With dpkg-dev (dpkg-buildflags, dpkg-shlibdeps) the
# binary is built with Debian's hardening flags and Depends is computed
# from the libraries it links; without, Depends is Debian 12's. The
# objects are rebuilt with those flags, so the next plain `make` rebuilds
# them again (the Makefile's .build-flags sees the change).
set -eu

VERSION=${1:?usage: sh packaging/build-deb.sh VERSION}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEBIAN=$ROOT/packaging/debian
MAKE=${MAKE:-make}

die() {
	echo "cf-purge-hook: $*" >&2
	exit 1
}

command -v dpkg-deb >/dev/null 2>&1 ||
	die "cannot build a package: 'dpkg-deb' is missing (Debian's dpkg)"
ARCH=$(dpkg --print-architecture)
DEB=cf-purge-hook_${VERSION}_$ARCH.deb

# The changelog's newest entry names the version the package says it is.
top=$(sed -n '1s/^cf-purge-hook (\([^)]*\)).*/\1/p' "$DEBIAN/changelog")
[ "$top" = "$VERSION" ] ||
	die "'packaging/debian/changelog' starts with version '$top', not" \
	    "'$VERSION': add an entry for $VERSION at its top"

# Timestamps in the package (and gzip -n's lack of them) make two builds
# of one commit the same file.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null ||
		date +%s)
	export SOURCE_DATE_EPOCH
fi

# The layout of a source package, which dpkg-shlibdeps expects.
STAGE=$(mktemp -d "${TMPDIR:-/tmp}/cfph-deb.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
PKG=$STAGE/debian/cf-purge-hook
DOC=$PKG/usr/share/doc/cf-purge-hook

cd "$ROOT"
if command -v dpkg-buildflags >/dev/null 2>&1; then
	export DEB_BUILD_MAINT_OPTIONS=hardening=+all
	CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
	LDFLAGS=$(dpkg-buildflags --get LDFLAGS)
else
	# What dpkg-buildflags gives on Debian 12, less -ffile-prefix-map.
	CFLAGS="-g -O2 -fstack-protector-strong -Wformat \
-Werror=format-security -D_FORTIFY_SOURCE=2"
	LDFLAGS="-Wl,-z,relro -Wl,-z,now"
fi
# SANITIZE= so that a developer's SANITIZE=1 never reaches a package.
$MAKE --no-print-directory SANITIZE= CFLAGS="$CFLAGS" LDFLAGS="$LDFLAGS" \
	install DESTDIR="$PKG" PREFIX=/usr >"$STAGE/make.log" 2>&1 ||
	{ cat "$STAGE/make.log" >&2; die "cannot build the package: 'make install' failed"; }

# What dh_strip does to a program; the symbols stay in the build tree.
strip --remove-section=.comment --remove-section=.note --strip-unneeded \
	"$PKG/usr/bin/cf-purge-hook"
install -m 644 "$DEBIAN/copyright" "$DOC/copyright"
# A native package (its version has no Debian revision: the packaging
# lives with the program) keeps its changelog as changelog.gz, not
# changelog.Debian.gz (lintian: wrong-name-for-changelog-of-native-package).
gzip -n9c "$DEBIAN/changelog" >"$DOC/changelog.gz"
chmod 644 "$DOC/changelog.gz"
# mktemp's folder is 700, and a umask of 077 makes install's folders so.
find "$PKG" -type d -exec chmod 755 {} +

# libcurl is loaded with dlopen() (purge/libcurl.c), so dpkg-shlibdeps
# cannot see it: it is named here, in the order the program tries its
# sonames, at the version purge/libcurl.c refuses to run below.
curl_min=$(sed -n 's/^#define MIN_VERSION_NUM 0x\(..\)\(..\)\(..\).*/0x\1 0x\2 0x\3/p' \
	purge/libcurl.c)
[ -n "$curl_min" ] ||
	die "cannot find MIN_VERSION_NUM in 'purge/libcurl.c' for Depends"
# shellcheck disable=SC2086
curl_min=$(printf '%d.%d.%d' $curl_min)
curl_dep="libcurl4 (>= $curl_min) | libcurl3-gnutls (>= $curl_min)"

mkdir -m 755 "$PKG/DEBIAN"
if command -v dpkg-shlibdeps >/dev/null 2>&1; then
	# dpkg-shlibdeps wants a source package's debian/control, and
	# the package's DEBIAN folder, to exist.
	printf 'Source: cf-purge-hook\n\nPackage: cf-purge-hook\nArchitecture: any\n' \
		>"$STAGE/debian/control"
	shlibs=$(cd "$STAGE" &&
		dpkg-shlibdeps -O debian/cf-purge-hook/usr/bin/cf-purge-hook |
		sed -n 's/^shlibs:Depends=//p')
	[ -n "$shlibs" ] || die "cannot build a package: dpkg-shlibdeps found no libraries"
else
	objdump -p "$PKG/usr/bin/cf-purge-hook" | grep -q 'NEEDED *libgit2\.so\.1\.5$' ||
		die "cannot tell this system's library packages without dpkg-shlibdeps;" \
		    "run: sudo apt-get install dpkg-dev"
	# What dpkg-shlibdeps computes on Debian 12.
	shlibs="libc6 (>= 2.34), libcjson1 (>= 1.7.13), libgit2-1.5 (>= 1.5.0), libinih1 (>= 40)"
fi

size=$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$size/" \
	-e "s/@DEPENDS@/$shlibs, $curl_dep/" \
	"$DEBIAN/control.in" >"$PKG/DEBIAN/control"
(cd "$PKG" && find usr -type f | LC_ALL=C sort | xargs md5sum) \
	>"$PKG/DEBIAN/md5sums"
chmod 644 "$PKG/DEBIAN/control" "$PKG/DEBIAN/md5sums"

dpkg-deb --root-owner-group --build "$PKG" "$ROOT/$DEB" >/dev/null
echo "built $DEB; install it with: sudo apt install ./$DEB"
