#!/bin/sh
# t1-range.sh: `range OLD..NEW --dry-run --json` on a real history that
# holds every kind of change git can record. Each commit's "changes" must
# agree with `git diff --no-renames`, the interesting commits must give
# exactly the expected purge requests (tests/blackbox/t1/*.json, where
# @ZONE@ stands for the zone id), and a dry run must never touch the
# network.

. "$(dirname "$0")/lib.sh"
T1=$ROOT/tests/blackbox/t1
REPO=$TRASH/site
SUB=$TRASH/sublib
CONFIG=$TRASH/site.ini

# --- Helpers used by the cases -------------------------------------------
# Note: `expect` runs its body inside `if`, where the shell ignores set -e,
# so every body below chains its steps with && and ends with a check.

# plan OUT CONFIG RANGE-ARGS...: the dry-run JSON for a range, into OUT.
plan() {
	plan_out=$1 plan_config=$2
	shift 2
	cfph -c "$plan_config" -C "$REPO" range "$@" --dry-run --json >"$plan_out"
}

# same_paths OUT OLD NEW: OUT holds one JSON object whose "changes" name
# each path once, and as a set the same paths as git's own diff.
same_paths() {
	git -C "$REPO" diff --no-renames --name-only -z "$2" "$3" \
		>"$TRASH/git-names" &&
	python3 - "$1" "$TRASH/git-names" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    got = [c["path"] for c in json.load(f)["changes"]]
with open(sys.argv[2], "rb") as f:
    want = {p.decode("utf-8") for p in f.read().split(b"\0") if p}
if len(got) != len(set(got)):
    sys.exit("a path is listed twice: %r" % got)
if set(got) != want:
    sys.exit("only in the program: %r\nonly in git: %r"
             % (sorted(set(got) - want), sorted(want - set(got))))
PY
}

# same_statuses OUT OLD NEW: each change's status is the one git gives
# (A added, M modified, D deleted, T typechange).
same_statuses() {
	git -C "$REPO" diff --no-renames --name-status -z "$2" "$3" \
		>"$TRASH/git-status" &&
	python3 - "$1" "$TRASH/git-status" <<'PY'
import json, sys
names = {"A": "added", "M": "modified", "D": "deleted", "T": "typechange"}
with open(sys.argv[1], encoding="utf-8") as f:
    got = {c["path"]: c["status"] for c in json.load(f)["changes"]}
with open(sys.argv[2], "rb") as f:
    fields = [x.decode("utf-8") for x in f.read().split(b"\0")[:-1]]
want = {fields[i + 1]: names[fields[i]] for i in range(0, len(fields), 2)}
if got != want:
    for p in sorted(set(got) | set(want)):
        if got.get(p) != want.get(p):
            print("%r: program says %s, git says %s"
                  % (p, got.get(p), want.get(p)))
    sys.exit(1)
PY
}

# same_requests OUT JSON: OUT's "requests" equal the JSON text exactly
# (order included), with @ZONE@ standing for the zone id.
same_requests() {
	python3 - "$1" "$2" "$ZONE" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    got = json.load(f)["requests"]
want = json.loads(sys.argv[2].replace("@ZONE@", sys.argv[3]))
if got != want:
    print("want:", json.dumps(want, indent=1))
    print("got: ", json.dumps(got, indent=1))
    sys.exit(1)
PY
}

# request_shape OUT SHAPE: the kinds and sizes of OUT's requests, such as
# "files:30 files:30 files:5", equal SHAPE; the files, taken together,
# are sorted and without repeats.
request_shape() {
	python3 - "$1" "$2" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    reqs = json.load(f)["requests"]
shape = " ".join("%s:%d" % (k, len(v))
                 for r in reqs for k, v in r["body"].items())
if shape != sys.argv[2]:
    sys.exit("shape %r, want %r" % (shape, sys.argv[2]))
files = [u for r in reqs for u in r["body"]["files"]]
if files != sorted(set(files), key=lambda u: u.encode()):
    sys.exit("files not sorted bytewise or repeated: %r" % files)
PY
}

# --- Setup: one commit per kind of change ----------------------------------
# Setup runs under set -e: a failure stops the script with the message
# below instead of letting every case fail for an unrelated reason.
trap 'echo "t1-range.sh: setup failed (see the error above)" >&2; cleanup' EXIT
set -e
write_config "$CONFIG"
write_config "$TRASH/ten.ini" '[cloudflare]
files_per_request = 10'

# The repository that becomes the submodule public/vendor/lib.
git init -q "$SUB"
cd "$SUB"
echo 'one' >lib.js
commit_all 'sub: first'

git init -q "$REPO"
cd "$REPO"
mkdir -p public/blog layouts src .github/workflows
echo 'home' >public/index.html
echo 'blog' >public/blog/index.html
echo 'a' >public/a.html
echo 'b' >public/b.html
echo 'old' >public/old.html
echo 'page' >public/page.html
echo 'target' >public/target.html
echo 'echo tool' >public/tool.sh
echo 'thing' >public/thing
echo '<html>' >layouts/base.html
echo 'notes' >src/notes.txt
echo 'readme' >README.md
echo 'on: push' >.github/workflows/ci.yml
commit_all 'first'
C_FIRST=$(git rev-parse HEAD)

echo 'new1' >public/new1.html
echo 'new2' >public/new2.html
commit_all 'add two pages'
C_ADD=$(git rev-parse HEAD)

echo 'a, edited' >public/a.html
commit_all 'edit a page'
C_EDIT=$(git rev-parse HEAD)

git rm -q public/b.html
commit_all 'delete a page'
C_DELETE=$(git rev-parse HEAD)

git mv public/old.html public/renamed.html
commit_all 'rename a page'
C_RENAME=$(git rev-parse HEAD)

rm public/page.html
ln -s target.html public/page.html
commit_all 'turn a page into a symbolic link'
C_TYPECHANGE=$(git rev-parse HEAD)

chmod +x public/tool.sh
commit_all 'make a file executable'
C_MODE=$(git rev-parse HEAD)

git submodule add -q "$SUB" public/vendor/lib
commit_all 'add a submodule'
C_SUBADD=$(git rev-parse HEAD)

(cd "$SUB" && echo 'two' >>lib.js && commit_all 'sub: second')
git -C public/vendor/lib pull -q
commit_all 'move the submodule to a new commit'
C_SUBMOVE=$(git rev-parse HEAD)

# Names that need percent-encoding, and one that needs none although it
# is full of punctuation (the characters RFC 3986 lets stand in a path).
mkdir -p 'public/café'
echo 'x' >'public/with space.html'
echo 'x' >'public/café/ü.html'
echo 'x' >'public/a#b.html'
echo 'x' >'public/what?.html'
echo 'x' >'public/100%.html'
echo 'x' >"$(printf 'public/new\nline.html')"
echo 'x' >"public/ok!\$&'()*+,;=:@~_-.html"
commit_all 'names that need encoding'
C_NAMES=$(git rev-parse HEAD)

rm public/thing
mkdir public/thing
echo 'thing' >public/thing/index.html
commit_all 'a file becomes a folder'
C_TOFOLDER=$(git rev-parse HEAD)

rm -r public/thing
echo 'thing again' >public/thing
commit_all 'the folder becomes a file again'
C_TOFILE=$(git rev-parse HEAD)

mkdir -p public/docs/guide
echo 'home, edited' >public/index.html
echo 'blog, edited' >public/blog/index.html
echo 'guide' >public/docs/guide/index.html
commit_all 'index pages at the top and in folders'
C_INDEX=$(git rev-parse HEAD)

echo '<html lang=en>' >layouts/base.html
commit_all 'edit a layout'
C_LAYOUTS=$(git rev-parse HEAD)

echo 'readme, edited' >README.md
echo 'on: [push]' >.github/workflows/ci.yml
commit_all 'edit ignored files'
C_IGNORED=$(git rev-parse HEAD)

echo 'notes, edited' >src/notes.txt
commit_all 'edit a file outside the site with no map'
C_OUTSIDE=$(git rev-parse HEAD)

mkdir public/many
i=1
while [ $i -le 65 ]; do
	echo "$i" >"public/many/p$(printf '%02d' $i).html"
	i=$((i + 1))
done
commit_all 'add 65 pages'
C_MANY=$(git rev-parse HEAD)
C_LAST=$C_MANY

cd "$TRASH"
set +e
trap cleanup EXIT

# --- 2. Every step, and the whole history, agree with git diff -------------
# (A for loop, not `while read`, so that no command reads the list.)
old=
for new in $(git -C "$REPO" rev-list --reverse HEAD); do
	if [ -n "$old" ]; then
		subject=$(git -C "$REPO" log -1 --format=%s "$new")
		expect "step '$subject': changed paths are git's" '
			plan "$TRASH/step.json" "$CONFIG" "$old..$new" &&
			same_paths "$TRASH/step.json" "$old" "$new"'
		expect "step '$subject': statuses are git's" '
			plan "$TRASH/step.json" "$CONFIG" "$old..$new" &&
			same_statuses "$TRASH/step.json" "$old" "$new"'
	fi
	old=$new
done

expect 'whole history: changed paths are git'"'"'s' '
	plan "$TRASH/all.json" "$CONFIG" "$C_FIRST..$C_LAST" &&
	same_paths "$TRASH/all.json" "$C_FIRST" "$C_LAST"'

expect 'whole history: statuses are git'"'"'s' '
	plan "$TRASH/all.json" "$CONFIG" "$C_FIRST..$C_LAST" &&
	same_statuses "$TRASH/all.json" "$C_FIRST" "$C_LAST"'

expect 'the range is reported with both ends in full and no ref' '
	plan "$TRASH/out.json" "$CONFIG" "$C_EDIT~1..$C_EDIT" &&
	python3 - "$TRASH/out.json" "$(git -C "$REPO" rev-parse "$C_EDIT~1")" \
		"$C_EDIT" <<'"'PY'"'
import json, sys
got = json.load(open(sys.argv[1], encoding="utf-8"))["ranges"]
want = [{"ref": None, "old": sys.argv[2], "new": sys.argv[3],
         "action": "purge"}]
if got != want:
    sys.exit("got %r" % got)
PY'

# --- 3. The exact requests of the interesting commits ----------------------
expect 'added pages are purged' '
	plan "$TRASH/out.json" "$CONFIG" "$C_ADD~1..$C_ADD" &&
	same_requests "$TRASH/out.json" "$(cat "$T1/add.json")"'

expect 'an edited page is purged' '
	plan "$TRASH/out.json" "$CONFIG" "$C_EDIT~1..$C_EDIT" &&
	same_requests "$TRASH/out.json" "$(cat "$T1/edit.json")"'

expect 'a deleted page is purged' '
	plan "$TRASH/out.json" "$CONFIG" "$C_DELETE~1..$C_DELETE" &&
	same_requests "$TRASH/out.json" "$(cat "$T1/delete.json")"'

expect 'a rename purges both the old and the new URL' '
	plan "$TRASH/out.json" "$CONFIG" "$C_RENAME~1..$C_RENAME" &&
	same_requests "$TRASH/out.json" "$(cat "$T1/rename.json")"'

expect 'a page turned into a symbolic link is purged' '
	plan "$TRASH/out.json" "$CONFIG" "$C_TYPECHANGE~1..$C_TYPECHANGE" &&
	same_requests "$TRASH/out.json" "$(cat "$T1/typechange.json")"'

expect 'a mode-only change is marked mode_only' '
	plan "$TRASH/out.json" "$CONFIG" "$C_MODE~1..$C_MODE" &&
	python3 - "$TRASH/out.json" <<'"'PY'"'
import json, sys
got = json.load(open(sys.argv[1], encoding="utf-8"))["changes"]
want = [{"status": "modified", "path": "public/tool.sh", "mode_only": True}]
if got != want:
    sys.exit("got %r" % got)
PY'

expect 'a mode-only change purges nothing' '
	plan "$TRASH/out.json" "$CONFIG" "$C_MODE~1..$C_MODE" &&
	same_requests "$TRASH/out.json" "[]"'

expect 'an added submodule purges its folder as a prefix' '
	plan "$TRASH/out.json" "$CONFIG" "$C_SUBADD~1..$C_SUBADD" &&
	same_requests "$TRASH/out.json" "$(cat "$T1/submodule.json")"'

expect 'a submodule moved to a new commit purges its folder as a prefix' '
	plan "$TRASH/out.json" "$CONFIG" "$C_SUBMOVE~1..$C_SUBMOVE" &&
	same_requests "$TRASH/out.json" "$(cat "$T1/submodule.json")"'

expect 'space, unicode, #, ?, % and newline are percent-encoded' '
	plan "$TRASH/out.json" "$CONFIG" "$C_NAMES~1..$C_NAMES" &&
	same_requests "$TRASH/out.json" "$(cat "$T1/names.json")"'

expect 'a file becoming a folder purges the file, the folder and its index' '
	plan "$TRASH/out.json" "$CONFIG" "$C_TOFOLDER~1..$C_TOFOLDER" &&
	same_requests "$TRASH/out.json" "$(cat "$T1/thing.json")"'

expect 'a folder becoming a file again purges the same URLs' '
	plan "$TRASH/out.json" "$CONFIG" "$C_TOFILE~1..$C_TOFILE" &&
	same_requests "$TRASH/out.json" "$(cat "$T1/thing.json")"'

expect 'index.html pages also purge their folder URLs' '
	plan "$TRASH/out.json" "$CONFIG" "$C_INDEX~1..$C_INDEX" &&
	same_requests "$TRASH/out.json" "$(cat "$T1/index.json")"'

expect 'a layout change purges the tag its [map] names' '
	plan "$TRASH/out.json" "$CONFIG" "$C_LAYOUTS~1..$C_LAYOUTS" &&
	same_requests "$TRASH/out.json" "$(cat "$T1/layouts.json")"'

expect 'README.md and .github/ changes are listed' '
	plan "$TRASH/out.json" "$CONFIG" "$C_IGNORED~1..$C_IGNORED" &&
	python3 - "$TRASH/out.json" <<'"'PY'"'
import json, sys
got = json.load(open(sys.argv[1], encoding="utf-8"))["changes"]
want = [{"status": "modified", "path": ".github/workflows/ci.yml"},
        {"status": "modified", "path": "README.md"}]
if sorted(got, key=lambda c: c["path"]) != want:
    sys.exit("got %r" % got)
PY'

expect 'README.md and .github/ changes purge nothing' '
	plan "$TRASH/out.json" "$CONFIG" "$C_IGNORED~1..$C_IGNORED" &&
	same_requests "$TRASH/out.json" "[]"'

expect 'a change outside public/ with no map is listed' '
	plan "$TRASH/out.json" "$CONFIG" "$C_OUTSIDE~1..$C_OUTSIDE" &&
	python3 - "$TRASH/out.json" <<'"'PY'"'
import json, sys
got = json.load(open(sys.argv[1], encoding="utf-8"))["changes"]
if got != [{"status": "modified", "path": "src/notes.txt"}]:
    sys.exit("got %r" % got)
PY'

expect 'a change outside public/ with no map purges nothing' '
	plan "$TRASH/out.json" "$CONFIG" "$C_OUTSIDE~1..$C_OUTSIDE" &&
	same_requests "$TRASH/out.json" "[]"'

# --- 4. Many files are split into requests of at most 30 (or as set) -------
expect '65 pages give files requests of 30, 30 and 5' '
	plan "$TRASH/out.json" "$CONFIG" "$C_MANY~1..$C_MANY" &&
	request_shape "$TRASH/out.json" "files:30 files:30 files:5"'

expect '65 pages purge exactly their 65 URLs' '
	plan "$TRASH/out.json" "$CONFIG" "$C_MANY~1..$C_MANY" &&
	python3 - "$TRASH/out.json" <<'"'PY'"'
import json, sys
reqs = json.load(open(sys.argv[1], encoding="utf-8"))["requests"]
got = [u for r in reqs for u in r["body"]["files"]]
want = ["https://example.com/many/p%02d.html" % i for i in range(1, 66)]
if got != want:
    sys.exit("got %r" % got)
PY'

expect 'files_per_request = 10 gives 7 requests' '
	plan "$TRASH/out.json" "$TRASH/ten.ini" "$C_MANY~1..$C_MANY" &&
	request_shape "$TRASH/out.json" \
		"files:10 files:10 files:10 files:10 files:10 files:10 files:5"'

# --- 5. Ways of naming the range and the repository ------------------------
# The first case makes the reference output, OLD..NEW with -C naming the
# work tree, that the others must reproduce byte for byte.
expect 'range OLD..NEW with -C naming the work tree prints a plan' '
	plan "$TRASH/ref.json" "$CONFIG" "$C_FIRST..$C_LAST" &&
	python3 - "$TRASH/ref.json" <<'"'PY'"'
import json, sys
if not json.load(open(sys.argv[1], encoding="utf-8"))["requests"]:
    sys.exit("no requests")
PY'

expect 'range OLD NEW gives the same output as range OLD..NEW' '
	plan "$TRASH/out.json" "$CONFIG" "$C_FIRST" "$C_LAST" &&
	cmp "$TRASH/ref.json" "$TRASH/out.json"'

expect '-C naming the .git folder gives the same output' '
	cfph -c "$CONFIG" -C "$REPO/.git" range "$C_FIRST..$C_LAST" --dry-run \
		--json >"$TRASH/out.json" &&
	cmp "$TRASH/ref.json" "$TRASH/out.json"'

expect 'without -C, from the top of the work tree, the same output' '
	cd "$REPO" &&
	cfph -c "$CONFIG" range "$C_FIRST..$C_LAST" --dry-run --json \
		>"$TRASH/out.json" &&
	cmp "$TRASH/ref.json" "$TRASH/out.json"'

expect 'without -C, from a subfolder of the work tree, the same output' '
	cd "$REPO/public/blog" &&
	cfph -c "$CONFIG" range "$C_FIRST..$C_LAST" --dry-run --json \
		>"$TRASH/out.json" &&
	cmp "$TRASH/ref.json" "$TRASH/out.json"'

expect 'without -C, from inside the .git folder, the same output' '
	cd "$REPO/.git" &&
	cfph -c "$CONFIG" range "$C_FIRST..$C_LAST" --dry-run --json \
		>"$TRASH/out.json" &&
	cmp "$TRASH/ref.json" "$TRASH/out.json"'

# --- 6. A dry run makes no network call ------------------------------------
# $CONFIG points at 127.0.0.1:9, where nothing listens; without a token
# a real run could not even start.
expect 'dry run with --json: no token, no API, still exit 0' '
	unset CF_API_TOKEN &&
	plan "$TRASH/out.json" "$CONFIG" "$C_FIRST..$C_LAST" &&
	cmp "$TRASH/ref.json" "$TRASH/out.json"'

expect 'dry run without --json: no token, no API, still exit 0' '
	unset CF_API_TOKEN &&
	cfph -c "$CONFIG" -C "$REPO" range "$C_FIRST..$C_LAST" --dry-run \
		>"$TRASH/out.txt" 2>"$TRASH/err.txt" &&
	grep -q "dry run" "$TRASH/err.txt" "$TRASH/out.txt"'

# With the stand-in API listening, a dry run leaves its log empty, while
# the same command without --dry-run does reach it (so the empty log is
# not an accident of the set-up).
start_stub || exit 1
write_config "$TRASH/stub.ini"
expect 'dry run sends nothing to a listening API' '
	clear_log &&
	plan "$TRASH/out.json" "$TRASH/stub.ini" "$C_ADD~1..$C_ADD" &&
	[ ! -s "$TRASH/stub.log" ]'

expect 'the same range without --dry-run does reach the API' '
	clear_log &&
	cfph -c "$TRASH/stub.ini" -C "$REPO" range "$C_ADD~1..$C_ADD" -q &&
	requests >"$TRASH/sent.txt" &&
	echo "200 $ZONE files https://example.com/new1.html https://example.com/new2.html" >"$TRASH/want.txt" &&
	diff "$TRASH/want.txt" "$TRASH/sent.txt"'
stop_stub

# --- 7. An unknown revision -------------------------------------------------
expect 'range nope..HEAD fails with status 2, naming nope, printing no JSON' '
	rc=0 &&
	{ plan "$TRASH/out.json" "$CONFIG" nope..HEAD 2>"$TRASH/err.txt" ||
		rc=$?; } &&
	cat "$TRASH/err.txt" &&
	[ "$rc" -eq 2 ] &&
	grep -q "^cf-purge-hook: unknown revision '"'nope'"'" "$TRASH/err.txt" &&
	[ ! -s "$TRASH/out.json" ]'

expect 'range HEAD nope fails with status 2, naming nope, printing no JSON' '
	rc=0 &&
	{ plan "$TRASH/out.json" "$CONFIG" HEAD nope 2>"$TRASH/err.txt" ||
		rc=$?; } &&
	cat "$TRASH/err.txt" &&
	[ "$rc" -eq 2 ] &&
	grep -q "^cf-purge-hook: unknown revision '"'nope'"'" "$TRASH/err.txt" &&
	[ ! -s "$TRASH/out.json" ]'

# --- 8. Names that are not UTF-8 ---------------------------------------------
# git takes any bytes in file and branch names; JSON text is UTF-8. The
# JSON must still parse, with U+FFFD for each stray byte, and the URL must
# still name the file exactly.
LATIN1="$TRASH/latin1"
git init -q "$LATIN1"
mkdir "$LATIN1/public"
echo one >"$LATIN1/public/caf$(printf '\351').html"
(cd "$LATIN1" && commit_all one)
echo two >"$LATIN1/public/caf$(printf '\351').html"
(cd "$LATIN1" && commit_all two)
L_OLD=$(git -C "$LATIN1" rev-parse HEAD~1)
L_NEW=$(git -C "$LATIN1" rev-parse HEAD)

# valid_json FILE WANT: FILE is strict UTF-8 JSON; WANT is a Python
# expression over doc that must hold.
valid_json() {
	python3 - "$1" "$2" <<'PY'
import json, sys
with open(sys.argv[1], "rb") as f:
    doc = json.loads(f.read().decode("utf-8", "strict"))
print(json.dumps(doc, ensure_ascii=True))
if not eval(sys.argv[2]):
    sys.exit("does not hold: " + sys.argv[2])
PY
}

expect 'a file name that is not UTF-8: the JSON parses, the URL is exact' '
	cfph -c "$CONFIG" -C "$LATIN1" range "$L_OLD..$L_NEW" --dry-run --json \
		>"$TRASH/latin1.json" &&
	valid_json "$TRASH/latin1.json" "doc[\"changes\"] == [{\"status\": \"modified\", \"path\": \"public/caf\\ufffd.html\"}] and doc[\"requests\"][0][\"body\"][\"files\"] == [\"https://example.com/caf%E9.html\"]"'

expect 'a branch name that is not UTF-8: the JSON parses' '
	printf "%s %s refs/heads/caf\351\n" "$L_OLD" "$L_NEW" |
		cfph -c "$CONFIG" -C "$LATIN1" hook --dry-run --json \
		>"$TRASH/latin1-ref.json" &&
	valid_json "$TRASH/latin1-ref.json" "doc[\"ranges\"][0][\"ref\"] == \"refs/heads/caf\\ufffd\""'

# --- 9. Trees made by hand ----------------------------------------------------
# git accepts, from a push, trees that its own commands would never make:
# folders nested tens of thousands deep, and entries named "." or "..".
# They are written here as loose objects by a short Python script, since
# a git process per folder would take minutes.
HAND=$TRASH/hand
git init -q "$HAND"
mkdir "$HAND/public"
echo home >"$HAND/public/index.html"
(cd "$HAND" && commit_all one)
H_BASE=$(git -C "$HAND" rev-parse HEAD)

# hand_commit SPEC: prints a commit (child of H_BASE) whose tree is
# public/index.html plus what SPEC says, in the Python below: "deep N"
# adds public/d/d/.../deep.html with N folders d; "dots" adds entries
# named ".." (a folder holding passwd) and "." (a file) to public/, and
# a new page public/new.html.
hand_commit() {
	tree=$(python3 - "$HAND/.git" "$1" <<'PY'
import hashlib, os, sys, zlib
gitdir, spec = sys.argv[1], sys.argv[2].split()

def put(kind, body):
    data = b"%s %d\0" % (kind, len(body)) + body
    oid = hashlib.sha1(data).hexdigest()
    path = os.path.join(gitdir, "objects", oid[:2], oid[2:])
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(zlib.compress(data, 1))
    return oid

def tree(entries):
    # git's order: by name, a folder's name read as if it ended in '/'.
    key = lambda e: e[1] + (b"/" if e[0] == b"40000" else b"")
    return put(b"tree", b"".join(m + b" " + n + b"\0" + bytes.fromhex(o)
                                 for m, n, o in sorted(entries, key=key)))

public = [(b"100644", b"index.html", put(b"blob", b"home\n"))]
if spec[0] == "deep":
    t = tree([(b"100644", b"deep.html", put(b"blob", b"deep\n"))])
    for _ in range(int(spec[1]) - 1):
        t = tree([(b"40000", b"d", t)])
    public.append((b"40000", b"d", t))
elif spec[0] == "dots":
    up = tree([(b"100644", b"passwd", put(b"blob", b"root\n"))])
    public += [(b"40000", b"..", up),
               (b"100644", b".", put(b"blob", b"dot\n")),
               (b"100644", b"new.html", put(b"blob", b"new\n"))]
print(tree([(b"40000", b"public", tree(public))]))
PY
) &&
	git -C "$HAND" commit-tree -p "$H_BASE" -m "$1" "$tree"
}

expect 'a tree 30,000 folders deep: the deep page is purged, exit 0' '
	deep=$(hand_commit "deep 30000") &&
	cfph -c "$CONFIG" -C "$HAND" range "$H_BASE..$deep" --dry-run --json \
		>"$TRASH/deep.json" &&
	python3 - "$TRASH/deep.json" <<'"'PY'"'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
path = "public/" + "d/" * 30000 + "deep.html"
if doc["changes"] != [{"status": "added", "path": path}]:
    sys.exit("changes: %r" % [c["path"][:80] for c in doc["changes"]])
want = "https://example.com/" + "d/" * 30000 + "deep.html"
files = [u for r in doc["requests"] for u in r["body"].get("files", [])]
if files != [want]:
    sys.exit("files: %r" % [u[:80] for u in files])
PY'

expect 'the deep tree the other way: the deep page is purged as deleted' '
	deep=$(hand_commit "deep 30000") &&
	cfph -c "$CONFIG" -C "$HAND" range "$deep..$H_BASE" --dry-run --json \
		>"$TRASH/deep.json" &&
	python3 - "$TRASH/deep.json" <<'"'PY'"'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
if [c["status"] for c in doc["changes"]] != ["deleted"]:
    sys.exit("changes: %r" % [c["status"] for c in doc["changes"]])
PY'

expect 'entries named . and .. are skipped with a message; the rest is purged' '
	dots=$(hand_commit dots) &&
	cfph -c "$CONFIG" -C "$HAND" range "$H_BASE..$dots" --dry-run --json \
		>"$TRASH/dots.json" 2>"$TRASH/dots.err" &&
	cat "$TRASH/dots.err" &&
	grep "^cf-purge-hook: skipped .public/\.\.. and everything below it: a tree entry named .\.\.. cannot be checked out" "$TRASH/dots.err" &&
	grep "^cf-purge-hook: skipped .public/\..: a tree entry named .\.. cannot" "$TRASH/dots.err" &&
	python3 - "$TRASH/dots.json" <<'"'PY'"'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
if doc["changes"] != [{"status": "added", "path": "public/new.html"}]:
    sys.exit("changes: %r" % doc["changes"])
if doc["requests"][0]["body"] != {"files": ["https://example.com/new.html"]}:
    sys.exit("requests: %r" % doc["requests"])
if len(doc["notes"]) != 2:
    sys.exit("notes: %r" % doc["notes"])
PY'

expect 'a deleted entry named .. is skipped too' '
	dots=$(hand_commit dots) &&
	cfph -c "$CONFIG" -C "$HAND" range "$dots..$H_BASE" --dry-run --json \
		>"$TRASH/dots.json" 2>"$TRASH/dots.err" &&
	! grep -F "/../" "$TRASH/dots.json" &&
	grep "^cf-purge-hook: skipped .public/\.\.. and everything" "$TRASH/dots.err"'

# --- 10. Pages served through symbolic links ----------------------------------
# A web server follows a link that stays inside its root: latest.html ->
# v3.html serves v3.html at /latest.html, current -> v3 serves v3/a.html
# at /current/a.html. A change to the target purges the link's URLs too.
LINKS=$TRASH/links
git init -q "$LINKS"
cd "$LINKS"
mkdir -p public/v3 src
echo v3 >public/v3.html
echo 'v3 home' >public/v3/index.html
echo 'v3 a' >public/v3/a.html
echo src >src/x.html
ln -s v3.html public/latest.html
ln -s latest.html public/chain.html
ln -s v3 public/current
ln -s ../src public/outside
ln -s /etc public/abs
ln -s ../../x public/up
commit_all 'links'
echo 'v3, edited' >public/v3.html
echo 'v3 home, edited' >public/v3/index.html
echo 'v3 a, edited' >public/v3/a.html
echo 'src, edited' >src/x.html
commit_all 'edit the targets'
mkdir public/v4
echo 'v4 home' >public/v4/index.html
ln -sfn v4 public/current
commit_all 'current is v4'
git rm -q public/v3.html
commit_all 'delete a link target'
cd "$TRASH"

# link_files RANGE WANT...: the range purges exactly the URLs WANT (each
# after https://example.com/) and the prefixes after a "prefixes" word.
link_files() {
	lf_range=$1
	shift
	cfph -c "$CONFIG" -C "$LINKS" range "$lf_range" --dry-run --json \
		>"$TRASH/links.json" &&
	python3 - "$TRASH/links.json" "$@" <<'PY'
import json, sys
reqs = json.load(open(sys.argv[1], encoding="utf-8"))["requests"]
args = sys.argv[2:]
cut = args.index("prefixes") if "prefixes" in args else len(args)
want = {"files": ["https://example.com/" + a for a in args[:cut]]}
if args[cut + 1:]:
    want["prefixes"] = args[cut + 1:]
got = {}
for r in reqs:
    for k, v in r["body"].items():
        got.setdefault(k, []).extend(v)
if got != want:
    sys.exit("got  %r\nwant %r" % (got, want))
PY
}

expect 'a changed link target purges the links to it, in a chain and in a linked folder' '
	link_files HEAD~3..HEAD~2 chain.html current/ current/a.html \
		current/index.html latest.html v3.html v3/ v3/a.html \
		v3/index.html'

expect 'the same with the links cache removed, and read again from it' '
	rm -f "$LINKS/.git/cf-purge-hook-links" &&
	link_files HEAD~3..HEAD~2 chain.html current/ current/a.html \
		current/index.html latest.html v3.html v3/ v3/a.html \
		v3/index.html &&
	test -s "$LINKS/.git/cf-purge-hook-links" &&
	link_files HEAD~3..HEAD~2 chain.html current/ current/a.html \
		current/index.html latest.html v3.html v3/ v3/a.html \
		v3/index.html'

expect 'a links cache cut short is ignored and written again' '
	printf "cf-purge-hook links 1 %s public\npublic/latest.html" \
		"$(git -C "$LINKS" rev-parse HEAD~2:public)" \
		>"$LINKS/.git/cf-purge-hook-links" &&
	link_files HEAD~3..HEAD~2 chain.html current/ current/a.html \
		current/index.html latest.html v3.html v3/ v3/a.html \
		v3/index.html &&
	test "$(tr "\\0" "\\n" <"$LINKS/.git/cf-purge-hook-links" | wc -l)" = 13'

expect 'a folder link pointed elsewhere purges its folder as a prefix' '
	link_files HEAD~2..HEAD~1 current v4/ v4/index.html \
		prefixes example.com/current/'

expect 'a deleted link target purges the links that served it' '
	link_files HEAD~1..HEAD chain.html latest.html v3.html'

expect 'the whole history, from a cache of another commit, gives the same' '
	rm -f "$LINKS/.git/cf-purge-hook-links" &&
	cfph -c "$CONFIG" -C "$LINKS" range HEAD~3..HEAD --dry-run --json \
		>"$TRASH/cold.json" &&
	cfph -c "$CONFIG" -C "$LINKS" range HEAD..HEAD~3 --dry-run --json \
		>/dev/null &&
	grep -q "^cf-purge-hook links 1 $(git -C "$LINKS" rev-parse HEAD~3:public) public\$" \
		"$LINKS/.git/cf-purge-hook-links" &&
	cfph -c "$CONFIG" -C "$LINKS" range HEAD~3..HEAD --dry-run --json \
		>"$TRASH/warm.json" &&
	cmp "$TRASH/cold.json" "$TRASH/warm.json"'

expect 'a fresh clone checked out at the new commit, with no links cache, purges the same links as a warm run' '
	rm -rf "$TRASH/lclone" &&
	git clone -q "$LINKS" "$TRASH/lclone" &&
	git -C "$TRASH/lclone" checkout -q HEAD~2 &&
	test ! -e "$TRASH/lclone/.git/cf-purge-hook-links" &&
	cfph -c "$CONFIG" -C "$TRASH/lclone" range HEAD~1..HEAD --dry-run \
		--json >"$TRASH/lclone.cold.json" &&
	test -s "$TRASH/lclone/.git/cf-purge-hook-links" &&
	cfph -c "$CONFIG" -C "$TRASH/lclone" range HEAD~1..HEAD --dry-run \
		--json >"$TRASH/lclone.warm.json" &&
	cmp "$TRASH/lclone.cold.json" "$TRASH/lclone.warm.json" &&
	link_files HEAD~3..HEAD~2 chain.html current/ current/a.html \
		current/index.html latest.html v3.html v3/ v3/a.html \
		v3/index.html &&
	python3 - "$TRASH/lclone.cold.json" "$TRASH/links.json" <<'"'PY'"'
import json, sys
a, b = (json.load(open(f, encoding="utf-8"))["requests"] for f in sys.argv[1:])
if a != b:
    sys.exit("clone %r\nwarm  %r" % (a, b))
PY'

# A repository whose unchanged folder cannot be read: a run that found the
# links by reading every folder would fail, one that takes them from the
# index (checked out at the new commit, no cache) reads only the change.
# The unchanged folder holds 400 files (an index of 40 kB: the reader's
# fast loop over plain entries runs, and stops only in its last 4 kB),
# executable ones among them, and a link between them.
IDX=$TRASH/idx
git init -q "$IDX"
(cd "$IDX" && mkdir -p public/big/deep public/v3 &&
 i=0 && while [ $i -lt 200 ]; do
	echo "$i" >"public/big/deep/f$i.html" &&
	echo "$i" >"public/big/deep/n$i.html" && i=$((i + 1)); done &&
 chmod +x public/big/deep/f7.html public/big/deep/n9.html &&
 ln -s ../../v3.html public/big/deep/m.html &&
 echo v3 >public/v3.html && ln -s v3.html public/latest.html &&
 git add -A && git commit -q -m one &&
 echo 'v3, edited' >public/v3.html && git add -A && git commit -q -m two)
BIG_TREE=$(git -C "$IDX" rev-parse HEAD:public/big)

expect 'with the index at the new commit, no folder that did not change is read' '
	rm -f "$IDX/.git/cf-purge-hook-links" &&
	obj="$IDX/.git/objects/$(echo "$BIG_TREE" | cut -c1-2)/$(echo "$BIG_TREE" | cut -c3-)" &&
	test -f "$obj" && mv "$obj" "$TRASH/big-tree.obj" &&
	code cfph -c "$CONFIG" -C "$IDX" range HEAD~1..HEAD --dry-run --json \
		>"$TRASH/idx.json" 2>"$TRASH/idx.err" &&
	mv "$TRASH/big-tree.obj" "$obj" && cat "$TRASH/idx.err" &&
	test "$CODE" = 0 &&
	python3 - "$TRASH/idx.json" <<'"'PY'"'
import json, sys
files = sorted(f for r in json.load(open(sys.argv[1], encoding="utf-8"))["requests"]
               for f in r["body"].get("files", []))
want = ["https://example.com/big/deep/m.html",
        "https://example.com/latest.html", "https://example.com/v3.html"]
if files != want:
    sys.exit("got %r" % files)
PY'

expect 'an index in version 4 (paths compressed) is read the same way' '
	rm -f "$IDX/.git/cf-purge-hook-links" &&
	git -C "$IDX" update-index --index-version 4 &&
	obj="$IDX/.git/objects/$(echo "$BIG_TREE" | cut -c1-2)/$(echo "$BIG_TREE" | cut -c3-)" &&
	mv "$obj" "$TRASH/big-tree.obj" &&
	code cfph -c "$CONFIG" -C "$IDX" range HEAD~1..HEAD --dry-run --json \
		>"$TRASH/idx4.json" 2>"$TRASH/idx4.err" &&
	mv "$TRASH/big-tree.obj" "$obj" &&
	git -C "$IDX" update-index --index-version 2 &&
	cat "$TRASH/idx4.err" && test "$CODE" = 0 &&
	cmp "$TRASH/idx.json" "$TRASH/idx4.json"'

expect 'an index that no longer matches the tree is not used: the folders are read' '
	rm -f "$IDX/.git/cf-purge-hook-links" &&
	blob=$(echo v3.html | git -C "$IDX" hash-object -w --stdin) &&
	git -C "$IDX" update-index --add --cacheinfo "120000,$blob,public/fake.html" &&
	cfph -c "$CONFIG" -C "$IDX" range HEAD~1..HEAD --dry-run --json \
		>"$TRASH/idx2.json" &&
	git -C "$IDX" reset -q &&
	! grep -q fake "$TRASH/idx2.json" &&
	grep -q "https://example.com/latest.html" "$TRASH/idx2.json"'

expect 'explain in a repository shows the paths a symbolic link in HEAD serves a file at, and what they purge' '
	rm -rf "$TRASH/lnk" && git init -q "$TRASH/lnk" &&
	(cd "$TRASH/lnk" && mkdir -p public/v3 && echo a >public/v3.html &&
	 echo b >public/v3/index.html && ln -s v3.html public/latest.html &&
	 ln -s v3 public/current && git add -A && git commit -q -m links) &&
	write_config "$TRASH/lnk/.git/cf-purge-hook.ini" &&
	(cd "$TRASH/lnk" && cfph explain public/v3.html public/v3/index.html) >"$TRASH/lnk.out" &&
	cat "$TRASH/lnk.out" &&
	grep -x "  served at .public/latest.html. too, through a symbolic link in HEAD" "$TRASH/lnk.out" &&
	grep -x "  \[site\] root .public.: files https://example.com/latest.html" "$TRASH/lnk.out" &&
	grep -x "  served at .public/current/index.html. too, through a symbolic link in HEAD" "$TRASH/lnk.out" &&
	grep -x "  \[site\] root .public.: files https://example.com/current/" "$TRASH/lnk.out"
'

finish
