#!/usr/bin/env bash
#
# Compares mapping/pattern.c with git itself. In a temporary repository it
# builds a tree of files and directories (nested, dotfiles, spaces, UTF-8,
# shell and glob characters in names), then for each case below writes the
# case's patterns to the top .gitignore and asks both
# "git check-ignore --no-index" and the matcher about every path.
#
# Usage: tests/pattern_vs_git.sh
# PATTERN_DRIVER may name an already built driver (the program in the
# heredoc below); otherwise it is compiled with ${CC:-cc}.
# Prints each disagreement and "N passed, N failed"; exits 1 on any.

set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pattern_vs_git.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Keep the user's and the system's configuration (global excludes files
# above all) out of git's verdicts.
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
unset GIT_DIR GIT_WORK_TREE GIT_CONFIG_PARAMETERS
mkdir -p "$HOME"
export LC_ALL=C

# The driver: argv[1] is a file of patterns, one a line; stdin has one
# path a line, each after "d " for a directory or "f " for a file. For
# each path it prints the list's verdict and, after a space, whether the
# last pattern alone matches (pattern_match, which ignores '!').
cat >"$tmp/driver.c" <<'EOF'
#include <stdio.h>
#include <string.h>

#include "pattern.h"

int main(int argc, char **argv)
{
	struct pattern_list l = PATTERN_LIST_INIT;
	struct err e;
	char line[4096];
	FILE *f;

	if (argc != 2 || !(f = fopen(argv[1], "r"))) {
		fputs("usage: driver PATTERN-FILE <PATHS\n", stderr);
		return 2;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (pattern_list_add(&l, line, &e) < 0) {
			fprintf(stderr, "driver: pattern '%s': %s\n", line,
				e.msg);
			return 2;
		}
	}
	fclose(f);
	while (fgets(line, sizeof(line), stdin)) {
		int is_dir = line[0] == 'd';
		const char *path = line + 2;

		line[strcspn(line, "\n")] = '\0';
		printf("%d %d\n", pattern_list_match(&l, path, is_dir),
		       l.n ? pattern_match(l.v[l.n - 1], path, is_dir) : 0);
	}
	pattern_list_clear(&l);
	return 0;
}
EOF

driver=${PATTERN_DRIVER:-}
if [ -z "$driver" ]; then
	driver="$tmp/driver"
	${CC:-cc} -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror -I"$ROOT/mapping" \
		-o "$driver" "$tmp/driver.c" "$ROOT/mapping/pattern.c" \
		"$ROOT/util/util.c"
fi

repo="$tmp/repo"
git init -q "$repo"
cd "$repo"

# The tree: these directories at the top and, a level down, under each
# of them, plus a few deep chains; these files in every directory.
dirs=(a b build docs foo .hidden 'x y' 'é' 'a[1]')
subs=(a .hidden 'x y')
files=(a b ab foo foo.txt foo.c index.html .env 'x y.md' 'naïve.md'
	'#tag' '!bang' '%25.html' 'a[1]' 'q?' 'st*r'
	':colon' "tab$(printf '\t')name" "vt$(printf '\v')name" 'ÄÖ.TXT' 'b.txt ')
deep=(a/b/c/d/e 'docs/x y/z/é' build/a/b/build foo/foo/foo/foo .hidden/.a/.b)

for d in "${dirs[@]}"; do
	mkdir -p "$d"
	for s in "${subs[@]}"; do
		mkdir -p "$d/$s"
	done
done
for d in "${deep[@]}"; do
	mkdir -p "$d"
done
# A name that is a directory somewhere stays one there.
while IFS= read -r -d '' d; do
	for f in "${files[@]}"; do
		[ -e "$d/$f" ] || : >"$d/$f"
	done
done < <(find . -name .git -prune -o -type d -print0)

paths=()
# Every directory and file, as git would name them, leaving out .git and
# the .gitignore that holds the patterns.
while IFS= read -r -d '' p; do
	paths+=("${p#./}")
done < <(find . -mindepth 1 \( -name .git -prune \) -o \
	\( -path ./.gitignore -prune \) -o -print0 | sort -z)

typed="$tmp/paths.typed"
: >"$typed"
for p in "${paths[@]}"; do
	if [ -d "$p" ]; then
		printf 'd %s\n' "$p" >>"$typed"
	else
		printf 'f %s\n' "$p" >>"$typed"
	fi
done

# One case a line; the patterns of a case are separated by " | ". The
# order of patterns within a case matters (last match wins).
cases=$(cat <<'EOF'
foo
/foo
foo/
/foo/
a/b
a/b/
*.txt
*.TXT
foo.*
.hidden
.*
*
**
/**
*/
*/*
**/foo
**/a/b
**/build/
a/**
a/**/
a/**/b
a/**/b/**
**/b/**/foo.txt
***/foo.txt
a/***
foo***
a**/b
a/b**
a/b/foo.txt | !a/b**
a/**\/b
**\/foo.txt
a//b
*/foo.txt
/*/foo.txt
?
??
?.md
a?b
na?ve.md
na??ve.md
[ab]
[!ab]
[^ab]*
[a-c]*
[]ab]*
[a-]*
[--0]*
[[:]*
*[[:]*
*[[:digit:]]*
*[[:upper:]]*
*[[:space:]]*
*[[:blank:]]*
*[[:cntrl:]]*
[[:alpha:]]
*[[:punct:]]*
[[:alnum:]]*[[:xdigit:]]
[[:lower:][:digit:]]*
\#tag
\!bang
!bang
%25.html
*%*
x y
x\ y
x y/
x?y.md
*.txt\ 
é
*é*
[é]
ÄÖ.*
a\[1\]
a[[]1]
q\?
st\*r
st*r
\a\b
docs/*.html
docs/**/*.html
/docs/
foo/ | !foo/foo.txt
foo/* | !foo/foo.txt
foo/** | !foo/foo.txt
* | !*/ | !*.txt
/* | !/docs
*.txt | !foo.txt
a/ | !a/b
a/ | !a/b/ | !a/b/**
a/* | !a/b
build | !build/foo.c
!foo.txt
foo.txt | !foo.txt | foo.txt
!foo | foo
.* | !.env
*/ | !a/
**/ | !**/b/
a/b/** | !a/b/foo.txt
EOF
)

passed=0
failed=0
checked=0
ignored=0
while IFS= read -r line; do
	[ -n "$line" ] || continue
	printf '%s\n' "${line// | /$'\n'}" >.gitignore
	mapfile -t ours < <("$driver" .gitignore <"$typed")
	# "./" keeps a name that starts with ':' from reading as pathspec
	# magic.
	mapfile -d '' -t git < <(printf './%s\0' "${paths[@]}" |
		git check-ignore --no-index -v -n -z --stdin || true)
	if [ "${#ours[@]}" -ne "${#paths[@]}" ] ||
	   [ "${#git[@]}" -ne $((4 * ${#paths[@]})) ]; then
		printf 'case [%s]: driver or git gave the wrong number of ' \
			"$line" >&2
		printf 'answers (%d and %d fields for %d paths)\n' \
			"${#ours[@]}" "${#git[@]}" "${#paths[@]}" >&2
		failed=$((failed + 1))
		continue
	fi
	mismatches=0
	single=0
	case "$line" in
	*' | '* | '!'*) ;;
	*) single=1 ;;
	esac
	for i in "${!paths[@]}"; do
		# Fields: source, line number, pattern, path. The path is
		# ignored only when the deciding pattern is not a '!' one.
		pat=${git[4 * i + 2]}
		want=0
		if [ -n "$pat" ] && [ "${pat#!}" = "$pat" ]; then
			want=1
			ignored=$((ignored + 1))
		fi
		got=${ours[i]% *}
		alone=${ours[i]#* }
		if [ "$got" = "$want" ] &&
		   { [ "$single" = 0 ] || [ "$alone" = "$want" ]; }; then
			checked=$((checked + 1))
		else
			mismatches=$((mismatches + 1))
			printf 'MISMATCH case [%s] path [%s]: git %s (by [%s])' \
				"$line" "${paths[i]}" "$want" "$pat"
			printf ', pattern_list_match %s, pattern_match %s\n' \
				"$got" "$alone"
		fi
	done
	# Each case (one pattern list against every path) counts once.
	if [ "$mismatches" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done <<<"$cases"

echo "${#paths[@]} paths, $checked verdicts agreed; git ignored $ignored"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
