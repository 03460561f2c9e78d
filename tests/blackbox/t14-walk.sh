#!/bin/sh
# t14-walk.sh: the walk of `dir` on a folder larger than its window of
# files being hashed (built/tree.c), with names whose order is easy to
# get wrong. Each run's tree must be the one `git add -A; git write-tree`
# makes of the same folder, whether the trees are kept in memory (dir OLD
# NEW), written straight to the state's store (a first run) or only hashed
# (a dry run); and the stat cache, read and written front to back beside
# the walk, must vouch for exactly the files that did not change.

. "$(dirname "$0")/lib.sh"
CONFIG=$TRASH/site.ini
STATE=$TRASH/state
SPOOL=$TRASH/spool
W=$TRASH/www
cd "$TRASH" || exit 1

walk_config() {
	dir_ini "$CONFIG"
}

# git's tree for folder $1.
git_tree() {
	rm -rf "$TRASH/g" && git init -q --bare "$TRASH/g" &&
	GIT_DIR="$TRASH/g" GIT_WORK_TREE="$1" git add -A &&
	GIT_DIR="$TRASH/g" git write-tree
}

# The tree the state records for $W.
recorded() {
	sed -n 2p "$STATE"/sites/*[0-9a-f] 2>/dev/null | head -n 1
}

# 1,200 files in 300 folders of one to seven files, 40 folders deep in
# one place, with names that sort differently as files and as folders
# (some of them alike in their first 8 bytes).
python3 - "$W" <<'PY'
import os, sys
top = sys.argv[1]
for i in range(300):
    d = os.path.join(top, "s%d" % (i % 7), "f%03d" % i)
    os.makedirs(d, exist_ok=True)
    for j in range(i % 7 + 1):
        with open(os.path.join(d, "p%d.html" % j), "w") as f:
            f.write("page %d %d\n" % (i, j))
for name in ["b", "b.c", "b-", "b0", "a b.html", "z"]:
    with open(os.path.join(top, name), "w") as f:
        f.write(name + "\n")
os.makedirs(os.path.join(top, "b.d", "x"), exist_ok=True)
with open(os.path.join(top, "b.d", "x", "i.html"), "w") as f:
    f.write("i\n")
os.makedirs(os.path.join(top, "bb"), exist_ok=True)
with open(os.path.join(top, "bb", "b"), "w") as f:
    f.write("bb\n")
# The walk compares a name's first 8 bytes as one number, then the rest:
# folders and files that tie there, or that differ at the 8th byte only
# because one is a folder, and names of 7, 8 and 9 bytes.
for d in ["abcdefgh", "abcdefg", "abcdefghij", "abcdefghi.d"]:
    os.makedirs(os.path.join(top, "k", d), exist_ok=True)
    with open(os.path.join(top, "k", d, "i.html"), "w") as f:
        f.write(d + "\n")
for name in ["abcdefgh.c", "abcdefgh-", "abcdefgh0", "abcdefg.x", "abcdefg0",
             "abcdefghi", "abcdefghi.c", "abcdefgi", "abcdefg", "abcdef"]:
    with open(os.path.join(top, "k", name + ("" if name != "abcdefg" else
                                             "/j.html")), "w") as f:
        f.write(name + "\n")
deep = os.path.join(top, *["d%d" % k for k in range(40)])
os.makedirs(deep, exist_ok=True)
with open(os.path.join(deep, "deep.html"), "w") as f:
    f.write("deep\n")
os.makedirs(os.path.join(top, "empty", "emptier"), exist_ok=True)
with open(os.path.join(top, "run.sh"), "w") as f:
    f.write("#!/bin/sh\n")
os.chmod(os.path.join(top, "run.sh"), 0o755)
os.symlink("b.c", os.path.join(top, "latest"))
with open(os.path.join(top, b"caf\xe9.html".decode("latin-1")), "w") as f:
    f.write("not utf-8\n")
PY
FILES=$(find "$W" \( -type f -o -type l \) | wc -l)

expect 'a dry run without state only hashes the trees, and its top tree is git'"'"'s' '
	walk_config &&
	cfph -c "$CONFIG" dir "$W" --dry-run --json >"$TRASH/out" &&
	want=$(git_tree "$W") &&
	grep -q "\"new\":\"$want\"" "$TRASH/out" &&
	test ! -e "$STATE/objects/$(echo "$want" | cut -c1-2)"
'

expect 'a first run writes its trees straight to the state'"'"'s store, and records git'"'"'s tree' '
	start_stub && walk_config &&
	rm -rf "$STATE" &&
	cfph -q -c "$CONFIG" dir "$W" &&
	test "$(requests)" = "200 $ZONE purge_everything true" &&
	want=$(git_tree "$W") &&
	test "$(recorded)" = "$want" &&
	GIT_DIR="$TRASH/g" git ls-tree -r -t "$want" | awk "\$2 == \"tree\" { print \$3 }" >"$TRASH/trees" &&
	test -s "$TRASH/trees" &&
	while read -r t; do
		test -f "$STATE/objects/$(echo "$t" | cut -c1-2)/$(echo "$t" | cut -c3-)" || exit 1
	done <"$TRASH/trees"
'

expect 'the next run reads no file, sends nothing, and leaves the stat cache as it was' '
	sleep 1 &&
	cfph -q -c "$CONFIG" dir "$W" &&
	cache=$(ls "$STATE"/sites/*.stat) &&
	before=$(stat -c "%i %Y %s" "$cache") &&
	clear_log &&
	cfph -v -c "$CONFIG" dir "$W" 2>"$TRASH/err" &&
	grep -q "read 0 of $FILES files in" "$TRASH/err" &&
	test -z "$(requests)" &&
	test "$(stat -c "%i %Y %s" "$cache")" = "$before"
'

# The stat cache's header names the top tree and the digest of the links
# of the walk that wrote it: an unchanged run whose cache vouches for every
# file, and names the tree the state records, takes that tree unmade.
cache_top() {
	python3 -c 'import sys; b = open(sys.argv[1], "rb").read(); print(b[21:41].hex() if b.startswith(b"cf-purge-hook stat 2\n") else "")' \
		"$(ls "$STATE"/sites/*.stat)"
}

expect 'the stat cache names the tree the state records, and an unchanged run takes it unmade' '
	test "$(cache_top)" = "$(recorded)" &&
	test "$(recorded)" = "$(git_tree "$W")" &&
	clear_log &&
	cfph -c "$CONFIG" dir "$W" --json >"$TRASH/out" &&
	test -z "$(requests)" &&
	grep -q "\"new\":\"$(recorded)\"" "$TRASH/out"
'

expect 'a symbolic link pointed elsewhere, no file changed: the link is purged, and the cache names the new tree' '
	ln -s b "$W/s1/lnk.html" &&
	cfph -q -c "$CONFIG" dir "$W" &&
	sleep 1 && cfph -q -c "$CONFIG" dir "$W" &&
	ln -sfn z "$W/s1/lnk.html" &&
	clear_log &&
	cfph -q -c "$CONFIG" dir "$W" &&
	test "$(requests)" = "200 $ZONE files https://example.com/s1/lnk.html" &&
	test "$(recorded)" = "$(git_tree "$W")" &&
	test "$(cache_top)" = "$(recorded)" &&
	rm "$W/s1/lnk.html" && clear_log &&
	cfph -q -c "$CONFIG" dir "$W" &&
	test "$(requests)" = "200 $ZONE files https://example.com/s1/lnk.html"
'

expect 'a state that records an older tree than the cache names (its purge was not recorded): the change is purged again' '
	sleep 1 && cfph -q -c "$CONFIG" dir "$W" &&
	rec=$(ls "$STATE"/sites/*[0-9a-f]) && cp "$rec" "$TRASH/rec.old" &&
	printf "w\n" >"$W/s2/f100/p1.html" &&
	cfph -q -c "$CONFIG" dir "$W" &&
	test "$(cache_top)" = "$(recorded)" &&
	cp "$TRASH/rec.old" "$rec" &&
	test "$(cache_top)" != "$(recorded)" &&
	sleep 1 && clear_log &&
	cfph -v -c "$CONFIG" dir "$W" 2>"$TRASH/err" &&
	grep -q "read 0 of $FILES files in" "$TRASH/err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/s2/f100/p1.html" &&
	test "$(recorded)" = "$(git_tree "$W")"
'

expect 'changes in the middle and at the end of the walk, deletions and additions: exactly their URLs, git'"'"'s tree, and a cache that vouches for the rest' '
	printf "x\n" >"$W/s3/f150/p2.html" &&
	printf "x\n" >"$W/z" &&
	rm "$W/s6/f020/p3.html" "$W/b-" &&
	printf "new\n" >"$W/s0/f000/q.html" &&
	mkdir "$W/zz" && printf "new\n" >"$W/zz/index.html" &&
	clear_log &&
	cfph -v -c "$CONFIG" dir "$W" 2>"$TRASH/err" &&
	grep -q "read 4 of $FILES files in" "$TRASH/err" &&
	requests | tr " " "\n" | grep "^https" | sort >"$TRASH/got" &&
	printf "%s\n" "https://example.com/b-" \
		"https://example.com/s0/f000/q.html" \
		"https://example.com/s3/f150/p2.html" \
		"https://example.com/s6/f020/p3.html" \
		"https://example.com/z" \
		"https://example.com/zz/" \
		"https://example.com/zz/index.html" | sort >"$TRASH/want" &&
	diff "$TRASH/want" "$TRASH/got" &&
	test "$(recorded)" = "$(git_tree "$W")" &&
	sleep 1 &&
	cfph -v -c "$CONFIG" dir "$W" 2>"$TRASH/err" &&
	grep -q "read 0 of $FILES files in" "$TRASH/err"
'

expect 'a change at the very start of the walk: only that file is read, now and never again' '
	printf "y\n" >"$W/a b.html" &&
	clear_log &&
	cfph -v -c "$CONFIG" dir "$W" 2>"$TRASH/err" &&
	grep -q "read 1 of $FILES files in" "$TRASH/err" &&
	test "$(requests)" = "200 $ZONE files https://example.com/a%20b.html" &&
	sleep 1 &&
	cfph -v -c "$CONFIG" dir "$W" 2>"$TRASH/err" &&
	grep -q "read 0 of $FILES files in" "$TRASH/err"
'

expect 'a file written to during the run is purged, and once it holds still the next run records git'"'"'s tree' '
	dd if=/dev/zero of="$W/big.bin" bs=1M count=8 2>/dev/null &&
	cfph -q -c "$CONFIG" dir "$W"
	# Its own line: "a && b &" would put the first run in the background too.
	( i=0; while [ $i -lt 150 ]; do printf "%d" $i | dd of="$W/big.bin" bs=1 seek=$((i % 1000)) conv=notrunc 2>/dev/null; i=$((i + 1)); done ) &
	writer=$! &&
	clear_log &&
	cfph -q -c "$CONFIG" dir "$W" &&
	wait $writer &&
	requests | grep -q "https://example.com/big.bin" &&
	cfph -q -c "$CONFIG" dir "$W" &&
	test "$(recorded)" = "$(git_tree "$W")"
'

expect 'a recorded tree missing a subtree (a damaged store): the run purges everything and says why, and the next one is exact again' '
	sleep 1 && cfph -q -c "$CONFIG" dir "$W" &&
	sub=$(GIT_DIR="$TRASH/g" git rev-parse "$(recorded):s3") &&
	rm -f "$STATE/objects/$(echo "$sub" | cut -c1-2)/$(echo "$sub" | cut -c3-)" &&
	printf "z\n" >"$W/s3/f003/p0.html" &&
	clear_log &&
	cfph -c "$CONFIG" dir "$W" 2>"$TRASH/err" &&
	grep -q "purging everything: the state.s tree for this folder cannot be read whole" "$TRASH/err" &&
	test "$(requests)" = "200 $ZONE purge_everything true" &&
	test "$(recorded)" = "$(git_tree "$W")" &&
	printf "zz\n" >"$W/s3/f003/p0.html" &&
	clear_log &&
	cfph -c "$CONFIG" dir "$W" &&
	test "$(requests)" = "200 $ZONE files https://example.com/s3/f003/p0.html"
'

# Issue 19, item 9: a file swapped for a FIFO between the walk's look at
# it and its open. strace holds the open of f0.html back for 3 s (the
# only way to widen that window without a preload library); meanwhile a
# FIFO is renamed over the file. The open must not block (O_NONBLOCK)
# and the FIFO's stat must refuse it: the run ends, says the file is no
# longer one, and purges it. Before the fix the run hung until killed.
if ! command -v strace >/dev/null 2>&1 ||
	! strace -f -qq -o /dev/null true 2>/dev/null; then
	skip "a file swapped for a FIFO in mid-walk" "strace is missing or may not trace here"
else
expect 'a file swapped for a FIFO in mid-walk never blocks the run: it is purged with a note, and the next run is exact' '
	start_stub && walk_config &&
	F=$TRASH/fifos && rm -rf "$F" && mkdir -p "$F/sub" &&
	printf "zero\n" >"$F/sub/f0.html" && printf "one\n" >"$F/sub/f1.html" &&
	mkfifo "$TRASH/fifo" &&
	clear_log
	# LeakSanitizer cannot run under ptrace (make SANITIZE=1): leaks off.
	{ ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		timeout 20 strace -f -qq -o /dev/null -P "$F/sub/f0.html" -P "$F/sub" \
		-e trace=open,openat -e inject=open,openat:delay_enter=3000000 \
		"$CFPH" -c "$CONFIG" dir "$F" 2>"$TRASH/err"; echo $? >"$TRASH/status"; } &
	run=$! &&
	sleep 1.5 &&
	mv "$TRASH/fifo" "$F/sub/f0.html" &&
	wait $run &&
	cat "$TRASH/err" &&
	test "$(cat "$TRASH/status")" = 0 &&
	grep -q "cannot read .sub/f0.html.: it is no longer a file; purging it as changed" "$TRASH/err" &&
	rm "$F/sub/f0.html" && printf "zero\n" >"$F/sub/f0.html" &&
	sleep 1 &&
	cfph -q -c "$CONFIG" dir "$F" &&
	want=$(git_tree "$F") &&
	grep -qx "$want" "$STATE"/sites/*[0-9a-f]
'
fi

# Issue 19, item 10: a folder nested deeper than PATH_MAX (40 levels of
# 200-character names, about 8,000 bytes of path). The walk reaches it
# folder by folder with openat(), so its files are purged like any other,
# and so are its siblings. deep.py TOP TEXT writes TEXT to the file at
# the bottom, making the folders when they are missing (chdir() one name
# at a time works at any depth; the shell's cd may not).
cat >"$TRASH/deep.py" <<'PY'
import os, sys
os.chdir(sys.argv[1])
for k in range(40):
    name = "%0200d" % (k + 1)
    if not os.path.isdir(name):
        os.mkdir(name)
    os.chdir(name)
with open("deep.html", "w") as f:
    f.write(sys.argv[2] + "\n")
PY
expect 'a folder deeper than PATH_MAX: its files and its siblings are purged' '
	start_stub && walk_config &&
	D=$TRASH/deep && rm -rf "$D" && mkdir -p "$D" &&
	printf "top\n" >"$D/index.html" &&
	python3 "$TRASH/deep.py" "$D" deep &&
	mkdir "$D/z" && printf "z\n" >"$D/z/after.html" &&
	cfph -q -c "$CONFIG" dir "$D" &&
	python3 "$TRASH/deep.py" "$D" deeper &&
	printf "top2\n" >"$D/index.html" &&
	printf "z2\n" >"$D/z/after.html" &&
	clear_log &&
	cfph -q -c "$CONFIG" dir "$D" &&
	requests | tr " " "\n" | grep "^https" | sort >"$TRASH/got" &&
	deep_url=https://example.com$(printf "/%0200d" $(seq 40))/deep.html &&
	printf "%s\n" "https://example.com/" "https://example.com/index.html" \
		"https://example.com/z/after.html" "$deep_url" | sort >"$TRASH/want" &&
	diff "$TRASH/want" "$TRASH/got" &&
	rm -rf "$D"
'

stop_stub
finish
