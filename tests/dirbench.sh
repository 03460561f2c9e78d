#!/bin/sh
# tests/dirbench.sh: the figures of issue 12 for `dir`, side by side with
# git, on a generated folder of FILES files (default 100,000) of about
# SIZE bytes (default 10,000: about 1 GB). Not part of `make test` or
# `make bench`; run by hand: sh tests/dirbench.sh [FILES] [SIZE].
# Prints each ratio (best of 3 wall times) and peak memory (maximum
# resident set size, from /usr/bin/time).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CFPH=$ROOT/cf-purge-hook
FILES=${1:-100000}
SIZE=${2:-10000}
W=$(mktemp -d "${TMPDIR:-/tmp}/cfph-dirbench.XXXXXX")
trap 'rm -rf "$W"' EXIT

python3 - "$W/a" "$FILES" "$SIZE" <<'PY'
import os, random, sys
top, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(12)
blob = os.urandom(size * 4)
for i in range(n):
    d = os.path.join(top, "s%02d" % (i % 50), "f%03d" % (i // 50 % 40))
    os.makedirs(d, exist_ok=True)
    k = rnd.randrange(size * 3)
    with open(os.path.join(d, "p%06d.html" % i), "wb") as f:
        f.write(b"%d\n" % i + blob[k:k + size])
PY
cat >"$W/site.ini" <<EOC
[cloudflare]
zone_id = 023e105f4ecef8ad9ca31a8372d0c353
api_url = http://127.0.0.1:9/client/v4
spool_dir = $W/spool
retries = 0
[site]
base_url = https://example.com
[state]
dir = $W/state
EOC
export CF_API_TOKEN=bench

# best CMD...: the best of 3 wall times, in seconds.
best() {
	b=
	for _ in 1 2 3; do
		s=$(date +%s.%N)
		"$@" >/dev/null 2>&1 || true
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
	done
	echo "$b"
}
rss() {
	/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1
}
ratio() {
	echo "scale=2; $1 / $2" | bc
}

cd "$W"
find a -type f >paths
hash_git() { git hash-object --stdin-paths <paths; }
first_run() { rm -rf "$W/state"; "$CFPH" -c "$W/site.ini" dir "$W/a" --dry-run; }
hash_git >/dev/null	# the page cache, for both
g=$(best hash_git); c=$(best first_run)
gm=$(rss sh -c 'git hash-object --stdin-paths <paths')
cm=$(rss "$CFPH" -c "$W/site.ini" dir "$W/a" --dry-run)
echo "first run: $c s vs git hash-object --stdin-paths $g s: $(ratio "$c" "$g")x time; peak memory $cm KB vs $gm KB: $(ratio "$cm" "$gm")x"

# Second run, nothing changed: against git status on an index of the
# same files (object ids only; no objects written).
rm -rf "$W/state"
"$CFPH" -q -c "$W/site.ini" dir "$W/a" >/dev/null 2>&1 || true
sleep 1
"$CFPH" -q -c "$W/site.ini" dir "$W/a" >/dev/null 2>&1 || true
git init -q --bare "$W/g"
GIT_DIR=$W/g GIT_WORK_TREE=$W/a git update-index --add --info-only --stdin \
	< "$(cd a && find . -type f | sed 's|^\./||' >"$W/rel" && echo "$W/rel")"
status_git() { GIT_DIR=$W/g GIT_WORK_TREE=$W/a git status --porcelain; }
second_run() { "$CFPH" -c "$W/site.ini" dir "$W/a"; }
status_git >/dev/null
g=$(best status_git); c=$(best second_run)
gm=$(rss env GIT_DIR="$W/g" GIT_WORK_TREE="$W/a" git status --porcelain)
cm=$(rss "$CFPH" -c "$W/site.ini" dir "$W/a")
echo "second run, unchanged: $c s vs git status --porcelain $g s: $(ratio "$c" "$g")x time; peak memory $cm KB vs $gm KB: $(ratio "$cm" "$gm")x"

# Two builds differing in 1% of the files.
cp -al a b
find b -type f | sort | awk 'NR % 100 == 0' | while read -r f; do
	rm "$f" && printf 'changed %s\n' "$f" >"$f"
done
diff_git() { git diff --no-index --name-only a b; }
compare() { "$CFPH" -c "$W/site.ini" dir "$W/a" "$W/b" --dry-run; }
g=$(best diff_git); c=$(best compare)
gm=$(rss git diff --no-index --name-only a b)
cm=$(rss "$CFPH" -c "$W/site.ini" dir "$W/a" "$W/b" --dry-run)
echo "dir OLD NEW, $(($FILES / 100)) files differ: $c s vs git diff --no-index --name-only $g s: $(ratio "$c" "$g")x time; peak memory $cm KB vs $gm KB: $(ratio "$cm" "$gm")x"
